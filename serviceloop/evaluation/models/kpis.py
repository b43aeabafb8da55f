"""KPI definitions and snapshots.

A definition names a *record set* (``engine.SOURCES``: e.g. ``desk.tickets``), an aggregate
kind, and JSON filters (field lookups from the record set's whitelist) for the denominator
and the numerator; the numerator is always applied *on top of* the denominator, so the
numerator's records are a subset of the denominator's. ``engine.kpi_evaluate`` reads it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Aggregate",
    "Direction",
    "KpiDefinition",
    "KpiDefinitionQuerySet",
    "KpiSnapshot",
    "Period",
]


class Aggregate(models.TextChoices):
    RATIO_OF_COUNTS = "ratio_of_counts", _("Ratio of counts")
    AVG_DURATION = "avg_duration", _("Average duration")
    PERCENTILE_DURATION = "percentile_duration", _("Duration percentile")
    COUNT = "count", _("Count")
    SUM = "sum", _("Sum")
    AVERAGE = "average", _("Average of a field")
    AVAILABILITY_PCT = "availability_pct", _("Availability %")
    EXTERNAL = "external", _("Registered function")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Period(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class KpiDefinitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """KPIs are the provider's management records: staff only."""
        from serviceloop.core.roles import Capability

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        return self.none()

    def active(self):
        return self.filter(is_active=True)


class KpiDefinition(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    aggregate = models.CharField(_("aggregate"), max_length=24, choices=Aggregate.choices)
    source = models.CharField(_("record set"), max_length=60, blank=True)
    external = models.CharField(_("registered function"), max_length=80, blank=True)
    denominator_filter = models.JSONField(_("denominator filter"), default=dict, blank=True)
    numerator_filter = models.JSONField(_("numerator filter"), default=dict, blank=True)
    value_field = models.CharField(_("value field"), max_length=60, blank=True)
    start_field = models.CharField(_("duration start"), max_length=60, blank=True)
    end_field = models.CharField(_("duration end"), max_length=60, blank=True)
    percentile = models.PositiveSmallIntegerField(_("percentile"), null=True, blank=True)
    slices = models.JSONField(_("allowed slices"), default=list, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    warning = models.DecimalField(
        _("warning threshold"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    period = models.CharField(
        _("period"), max_length=8, choices=Period.choices, default=Period.MONTH
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_kpis",
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    objects = KpiDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("KPI definition")
        verbose_name_plural = _("KPI definitions")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        """The name in the active language (Chinese when the language is zh-*)."""
        if (get_language() or "").lower().startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class KpiSnapshot(models.Model):
    """The value of one KPI over one past period, for one slice (``{}``: the whole)."""

    definition = models.ForeignKey(
        KpiDefinition, on_delete=models.CASCADE, related_name="snapshots"
    )
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    slice_key = models.JSONField(_("slice"), default=dict, blank=True)
    # The canonical text of slice_key (sorted keys, no spaces): the unique key of the slice.
    slice_id = models.CharField(max_length=300, default="{}", blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, blank=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        ordering = ["definition", "period_start", "slice_id"]
        verbose_name = _("KPI value")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "period_start", "period_end", "slice_id"],
                name="kpi_snapshot_unique",
            )
        ]

    def __str__(self):
        return f"{self.definition_id} {self.period_start:%Y-%m-%d} {self.slice_id} {self.value}"
