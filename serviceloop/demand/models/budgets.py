"""Budgeting and accounting for services (clause 8.4.1): a budget per service and period,
and the actual costs (cost lines) recorded against the service."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.demand.models.capacity import StaffOnlyQuerySet
from serviceloop.demand.periods import Period, PeriodKind

__all__ = ["Budget", "CostCategory", "CostLine", "CostSource"]


class Budget(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="budgets",
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("The first day after the period."))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "service__name", "period_kind"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "period_kind", "period_start"],
                name="demand_budget_unique",
                violation_error_message=_("The service already has a budget for this period."),
            )
        ]

    def __str__(self):
        return f"{self.service} · {self.period}"

    @property
    def period(self) -> Period:
        return Period.starting(self.period_kind, self.period_start)


class CostCategory(models.TextChoices):
    STAFF = "staff", _("Staff")
    LICENCE = "licence", _("Licences")
    HARDWARE = "hardware", _("Hardware")
    SUPPLIER = "supplier", _("Supplier services")
    FACILITIES = "facilities", _("Facilities and energy")
    OTHER = "other", _("Other")


class CostSource(models.TextChoices):
    MANUAL = "manual", _("Entered on screen")
    CSV = "csv", _("CSV import")
    API = "api", _("API")


class CostLine(models.Model):
    """An actual cost of a service on a date (negative for a credit note)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="cost_lines",
        db_index=False,  # the (service, date) index leads with it
    )
    date = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    supplier = models.ForeignKey(
        "relationship.Supplier",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=CostSource.choices, default=CostSource.MANUAL
    )
    batch = models.CharField(_("import batch"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        indexes = [models.Index(fields=["service", "date"], name="demand_cost_service_date")]

    def __str__(self):
        return f"{self.service} {self.date} {self.amount} {self.currency}"
