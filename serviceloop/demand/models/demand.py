"""Demand management (clause 8.4.2): per customer, service and period, the demand forecast
and the consumption measured afterwards, in a unit (users, mailboxes, virtual machines...)."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.demand.periods import Period, PeriodKind

__all__ = ["DemandRecord", "DemandRecordQuerySet"]


class DemandRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every record; a customer manager (organisation-wide) his own
        organisation's; everyone else none."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.has_capability(Capability.ORG_WIDE) and user.organisation_id:
            return self.filter(organisation_id=user.organisation_id)
        return self.none()


class DemandRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="demand_records",
    )
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="demand_records",
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("The first day after the period."))
    unit = models.CharField(_("unit"), max_length=40)
    forecast_quantity = models.DecimalField(_("forecast"), max_digits=14, decimal_places=2)
    actual_quantity = models.DecimalField(
        _("actual consumption"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    objects = DemandRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "organisation__name", "service__name", "unit"]
        verbose_name = _("demand record")
        verbose_name_plural = _("demand records")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "service", "period_kind", "period_start", "unit"],
                name="demand_record_unique",
                violation_error_message=_(
                    "This customer already has a demand record for the service, period and unit."
                ),
            )
        ]
        indexes = [
            models.Index(fields=["service", "period_start"], name="demand_record_service"),
        ]

    def __str__(self):
        return f"{self.organisation} · {self.service} · {self.period}"

    @property
    def period(self) -> Period:
        return Period.starting(self.period_kind, self.period_start)

    @property
    def variance(self) -> Decimal | None:
        """Actual minus forecast (positive: more was consumed than forecast)."""
        if self.actual_quantity is None:
            return None
        return self.actual_quantity - self.forecast_quantity

    @property
    def variance_percent(self) -> Decimal | None:
        if self.variance is None or not self.forecast_quantity:
            return None
        return (self.variance * 100 / self.forecast_quantity).quantize(Decimal("0.1"))
