"""Capacity management (clause 8.4.3): capacity plans per service and/or configuration item,
the measured utilisation of each, the alerts a plan raised and the capacity actions.

A ``CapacityAlert`` is one *episode* of a plan being in trouble: opened (with its incident
or capacity action) when the newest measurement reaches the critical threshold, or when the
forecast says it will within the plan's alert horizon, and cleared when neither holds any
more. The conditional unique constraint allows one open episode per plan, so concurrent
evaluations raise one incident.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "ActionStatus",
    "AlertAction",
    "AlertTrigger",
    "CapacityAction",
    "CapacityAlert",
    "CapacityPlan",
    "Direction",
    "Measurement",
    "MeasurementSource",
]


class StaffOnlyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Capacity records are the provider's: staff see them all, customers none."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        return self.none()


class Direction(models.TextChoices):
    HIGHER_IS_WORSE = "higher", _("Higher is worse")
    LOWER_IS_WORSE = "lower", _("Lower is worse")


class AlertAction(models.TextChoices):
    INCIDENT = "incident", _("Raise an incident")
    ACTION = "action", _("Record a capacity action")


class CapacityPlanQuerySet(StaffOnlyQuerySet):
    def active(self):
        return self.filter(is_active=True)


class CapacityPlan(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="capacity_plans",
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        verbose_name=_("configuration item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="capacity_plans",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="capacity_plans",
    )
    resource = models.CharField(
        _("resource measured"), max_length=120, help_text=_('e.g. "CPU %", "storage GB"')
    )
    unit = models.CharField(_("unit"), max_length=40)
    direction = models.CharField(
        _("direction"),
        max_length=8,
        choices=Direction.choices,
        default=Direction.HIGHER_IS_WORSE,
    )
    warning_threshold = models.DecimalField(_("warning threshold"), max_digits=18, decimal_places=4)
    critical_threshold = models.DecimalField(
        _("critical threshold"), max_digits=18, decimal_places=4
    )
    review_date = models.DateField(_("next review"), null=True, blank=True)
    forecast_window_days = models.PositiveSmallIntegerField(_("forecast window (days)"), default=90)
    forecast_alert_days = models.PositiveSmallIntegerField(
        _("alert when the forecast crosses within (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: alert only when a measurement reaches the critical threshold."),
    )
    alert_action = models.CharField(
        _("on alert"), max_length=16, choices=AlertAction.choices, default=AlertAction.INCIDENT
    )
    alert_team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team for the incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    objects = CapacityPlanQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("capacity plan")
        verbose_name_plural = _("capacity plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False) | Q(configuration_item__isnull=False),
                name="demand_capacity_plan_subject",
                violation_error_message=_("A capacity plan covers a service or an item."),
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.name}"

    @property
    def higher_is_worse(self) -> bool:
        return self.direction == Direction.HIGHER_IS_WORSE

    @property
    def subject(self) -> str:
        parts = [str(p) for p in (self.service, self.configuration_item) if p is not None]
        return " · ".join(parts)


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", _("Entered on screen")
    CSV = "csv", _("CSV import")
    API = "api", _("API (monitoring)")


class Measurement(models.Model):
    """One measured value of a plan's resource at an instant; one per plan and instant."""

    plan = models.ForeignKey(
        CapacityPlan,
        verbose_name=_("capacity plan"),
        on_delete=models.CASCADE,
        related_name="measurements",
        db_index=False,  # the unique constraint leads with plan
    )
    at = models.DateTimeField(_("measured at"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    source = models.CharField(
        _("source"),
        max_length=8,
        choices=MeasurementSource.choices,
        default=MeasurementSource.MANUAL,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    batch = models.CharField(_("import batch"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["plan", "at"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "at"],
                name="demand_measurement_once",
                violation_error_message=_("This plan already has a measurement at this time."),
            )
        ]

    def __str__(self):
        return f"{self.plan_id} {self.at:%Y-%m-%d %H:%M} = {self.value}"


class AlertTrigger(models.TextChoices):
    CRITICAL = "critical", _("Critical threshold reached")
    FORECAST = "forecast", _("Forecast crossing")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CapacityAction(models.Model):
    """Something to do about a plan's capacity (buy disks, move tenants), owned and dated."""

    plan = models.ForeignKey(
        CapacityPlan, verbose_name=_("capacity plan"), on_delete=models.PROTECT,
        related_name="actions",
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
        related_name="capacity_actions",
    )  # fmt: skip
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("capacity action")
        verbose_name_plural = _("capacity actions")

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN


class CapacityAlert(models.Model):
    """One alert episode of a plan (see the module docstring)."""

    plan = models.ForeignKey(
        CapacityPlan, verbose_name=_("capacity plan"), on_delete=models.PROTECT,
        related_name="alerts", db_index=False,
    )  # fmt: skip
    trigger = models.CharField(_("trigger"), max_length=12, choices=AlertTrigger.choices)
    opened_at = models.DateTimeField(_("opened"))
    value = models.DecimalField(
        _("value at opening"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    predicted_crossing = models.DateTimeField(_("predicted crossing"), null=True, blank=True)
    ticket = models.ForeignKey(
        "desk.Ticket", verbose_name=_("incident"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    action = models.ForeignKey(
        CapacityAction, verbose_name=_("capacity action"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="alerts",
    )  # fmt: skip
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("capacity alert")
        verbose_name_plural = _("capacity alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(cleared_at__isnull=True),
                name="demand_capacity_alert_one_open",
            )
        ]
        indexes = [models.Index(fields=["plan", "-opened_at"], name="demand_alert_plan_recent")]

    def __str__(self):
        return f"{self.plan_id} {self.trigger} {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
