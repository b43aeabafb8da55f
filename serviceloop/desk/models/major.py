"""Major incidents: their communication log and the post-incident review."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MajorIncidentUpdate(models.Model):
    """A communication sent about a major incident (to customers, management, staff)."""

    class Audience(models.TextChoices):
        CUSTOMERS = "customers", _("Affected customers")
        MANAGEMENT = "management", _("Management")
        STAFF = "staff", _("Staff")

    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="major_updates"
    )
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("major-incident communication")

    def __str__(self):
        return f"{self.ticket_id} {self.audience} {self.sent_at:%Y-%m-%d %H:%M}"


class PostIncidentReview(models.Model):
    """The review after a major incident: what happened, why, what we change."""

    ticket = models.OneToOneField("desk.Ticket", on_delete=models.CASCADE, related_name="review")
    summary = models.TextField(_("what happened"))
    root_cause = models.TextField(_("why it happened"), blank=True)
    what_went_well = models.TextField(_("what went well"), blank=True)
    what_to_improve = models.TextField(_("what to improve"), blank=True)
    actions = models.TextField(_("actions (owner, due date)"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("post-incident review")

    def __str__(self):
        return f"review of {self.ticket_id}"
