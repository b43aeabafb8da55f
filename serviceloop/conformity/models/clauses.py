"""The clauses of ISO/IEC 20000-1:2018 as a tree (numbers and titles only, from the shared
clause list), each with our own short guidance on the evidence a provider typically keeps.

Rows are loaded by ``conformity.clauses.clauses_load`` (idempotent), never typed in.
"""

from django.apps import apps as django_apps
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = ["Clause", "ClauseQuerySet", "clause_group_number"]


def clause_group_number(number: str) -> str:
    """The results group of a clause: its top-level clause ("4" … "10"), except under 8,
    where each second-level clause ("8.1" … "8.7") is a group of its own (8 is too large to
    read as one figure)."""
    parts = number.split(".")
    if parts[0] == "8" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


class ClauseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The clause model is the provider's working material: staff read it, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def leaves(self):
        """The clauses without sub-clauses: the ones a gap analysis answers."""
        return self.filter(is_leaf=True)

    def in_order(self):
        return self.order_by("position")


class Clause(models.Model):
    number = models.CharField(_("clause"), max_length=20, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent clause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    level = models.PositiveSmallIntegerField(_("level"))  # 1 for "4", 2 for "4.1" ...
    position = models.PositiveSmallIntegerField(_("order"), db_index=True)  # the list's order
    is_leaf = models.BooleanField(_("without sub-clauses"), default=True)
    # The ServiceLoop area whose records are this clause's evidence (the list's "app" column).
    area = models.CharField(_("area"), max_length=20, blank=True)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    guidance_zh = models.TextField(_("guidance (Chinese)"), blank=True)

    objects = ClauseQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def title(self) -> str:
        """The title in the active language (Chinese for zh-*, else English)."""
        return self.title_zh if _chinese() and self.title_zh else self.title_en

    @property
    def guidance(self) -> str:
        return self.guidance_zh if _chinese() and self.guidance_zh else self.guidance_en

    @property
    def area_label(self) -> str:
        """The area's name in the active language (the app's name), or its code when no app
        of that name is installed; "" when the clause names no area."""
        if not self.area:
            return ""
        try:
            return str(django_apps.get_app_config(self.area).verbose_name)
        except LookupError:
            return self.area

    @property
    def group_number(self) -> str:
        return clause_group_number(self.number)

    @property
    def top_number(self) -> str:
        return self.number.split(".")[0]

    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.number.split("."))
