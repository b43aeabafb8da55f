"""Human references per kind and year (``INC-2026-000123``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferenceSequence(models.Model):
    """The last number handed out for one kind in one year.

    Allocation locks this row inside the caller's transaction, so a rolled-back creation
    gives its number back: references have no gaps and no duplicates.
    """

    kind = models.CharField(_("kind"), max_length=16)
    year = models.PositiveIntegerField(_("year"))
    last_number = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference sequence")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="reference_sequence_unique")
        ]

    def __str__(self):
        return f"{self.kind}-{self.year}: {self.last_number}"
