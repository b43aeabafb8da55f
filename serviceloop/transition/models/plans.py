"""Service transition plans (clause 8.5.2): a new or changed service is accepted against a
checklist before it goes live; each criterion records its evidence, who checked it and when.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.transition.lifecycle import PlanStatus
from serviceloop.transition.models.config import StaffOnlyQuerySet

__all__ = ["CriterionKey", "PlanCriterion", "PlanKind", "TransitionPlan"]


class PlanKind(models.TextChoices):
    NEW = "new", _("New service")
    CHANGED = "changed", _("Changed service")


class CriterionKey(models.TextChoices):
    SLA_AGREED = "sla_agreed", _("Service level agreement agreed")
    SUPPORT_TRAINED = "support_trained", _("Support team trained")
    KNOWLEDGE_PUBLISHED = "knowledge_published", _("Knowledge articles published")
    MONITORING = "monitoring", _("Monitoring in place")


class TransitionPlan(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="transition_plans",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=PlanKind.choices, default=PlanKind.NEW)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    release = models.ForeignKey(
        "transition.Release",
        verbose_name=_("release"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transition_plans",
    )
    target_go_live = models.DateField(_("target go-live"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.OPEN
    )
    went_live_at = models.DateTimeField(_("went live"), null=True, blank=True)
    went_live_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service transition plan")
        verbose_name_plural = _("service transition plans")

    def __str__(self):
        return f"{self.reference} {self.title}"


class PlanCriterion(models.Model):
    """One acceptance criterion of a plan: met or not, with its evidence and who checked it.

    ``automatic``: the product checks it itself (the SLA criterion, when the relationship
    app's agreements are there); the others are confirmed by a person."""

    plan = models.ForeignKey(TransitionPlan, on_delete=models.CASCADE, related_name="criteria")
    key = models.CharField(_("criterion"), max_length=32, choices=CriterionKey.choices)
    met = models.BooleanField(_("met"), default=False)
    evidence = models.TextField(_("evidence"), blank=True)
    automatic = models.BooleanField(_("checked by the product"), default=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("acceptance criterion")
        verbose_name_plural = _("acceptance criteria")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plan_criterion_unique")
        ]

    def __str__(self):
        return str(CriterionKey(self.key).label)
