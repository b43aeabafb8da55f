"""Service management objectives (clause 6.2): measurable, with an owner, a due date and a
plan to achieve them, each bound to a figure computed from the records (``figures.py``).

An objective's value and status (on track, at risk, achieved, missed) are never stored or
typed: ``queries_objectives.evaluate`` computes them from the figure whenever they are read.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.planning.models.plan import PlanQuerySet

__all__ = ["Direction", "Objective", "ObjectiveQuerySet", "ObjectiveState"]


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class ObjectiveState(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ObjectiveQuerySet(PlanQuerySet):
    def active(self):
        return self.filter(state=ObjectiveState.ACTIVE)


class Objective(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="objectives",
    )
    due_on = models.DateField(_("due"))
    plan = models.TextField(
        _("plan to achieve it"),
        blank=True,
        help_text=_("What will be done, with what resources, by whom, and when (6.2.2)."),
    )
    figure = models.CharField(_("measured by"), max_length=60)  # a code of figures.FIGURES
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    kpi_code = models.CharField(
        _("KPI code"),
        max_length=60,
        blank=True,
        help_text=_("The KPI of the measurement engine this objective follows, if any."),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ObjectiveState.choices, default=ObjectiveState.ACTIVE
    )
    withdrawn_reason = models.TextField(_("why it was withdrawn"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "reference"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self):
        return f"{self.reference} {self.title}"

    def meets(self, value) -> bool:
        """Whether ``value`` reaches the target in the objective's direction."""
        if self.direction == Direction.LOWER:
            return value <= self.target
        return value >= self.target
