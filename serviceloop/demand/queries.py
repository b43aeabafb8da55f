"""Named reads of capacity and demand: the plan list with each plan's newest value and open
alert, a plan's forecast and chart, and the demand rows with their variance."""

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone

from serviceloop.demand.forecast import Forecast, forecast_crossing
from serviceloop.demand.models import CapacityAlert, CapacityPlan, DemandRecord, Measurement
from serviceloop.demand.validation import plain_number

CHART_MAX_POINTS = 2_000


def plans_for_list(user, *, service=None, status: str = "", alert: str = "", search: str = ""):
    """Plans the user may see, with ``latest_value``, ``latest_at`` and ``open_trigger`` (the
    open alert's trigger, None without one): three subqueries, no query per row."""
    newest = Measurement.objects.filter(plan=OuterRef("pk")).order_by("-at")
    open_alert = CapacityAlert.objects.filter(plan=OuterRef("pk"), cleared_at__isnull=True)
    plans = (
        CapacityPlan.objects.visible_to(user)
        .select_related("service", "configuration_item", "owner")
        .annotate(
            latest_value=Subquery(newest.values("value")[:1]),
            latest_at=Subquery(newest.values("at")[:1]),
            open_trigger=Subquery(open_alert.values("trigger")[:1]),
        )
        .order_by("name", "id")
    )
    if service is not None:
        plans = plans.filter(service=service)
    if status == "active":
        plans = plans.filter(is_active=True)
    elif status == "inactive":
        plans = plans.filter(is_active=False)
    elif status == "review_due":
        plans = plans.filter(is_active=True, review_date__lte=timezone.localdate())
    if alert == "open":
        plans = plans.filter(open_trigger__isnull=False)
    if search:
        plans = plans.filter(
            Q(name__icontains=search)
            | Q(reference__icontains=search)
            | Q(resource__icontains=search)
        )
    return plans


def plan_points(plan: CapacityPlan, *, since=None, until=None) -> list[tuple]:
    measurements = plan.measurements.all()
    if since is not None:
        measurements = measurements.filter(at__gt=since)
    if until is not None:
        measurements = measurements.filter(at__lte=until)
    return list(measurements.order_by("at").values_list("at", "value"))


def plan_forecast(plan: CapacityPlan, *, now=None, threshold=None, window_days=None) -> Forecast:
    """The forecast of the plan's critical threshold (or ``threshold``) over its window
    (or ``window_days``) ending ``now``."""
    now = now or timezone.now()
    window = window_days or plan.forecast_window_days
    points = plan_points(plan, since=now - datetime.timedelta(days=window), until=now)
    return forecast_crossing(
        points,
        plan.critical_threshold if threshold is None else threshold,
        higher_is_worse=plan.higher_is_worse,
        as_of=now,
        window_days=window,
    )


def _iso(instant) -> str:
    return timezone.localtime(instant).isoformat(timespec="minutes")


def plan_chart(plan: CapacityPlan, forecast: Forecast, *, now=None) -> dict:
    """What the plan's chart draws (``json_script``): the series of the last two windows,
    the trend line over the window extended to the crossing (or 30 days ahead), and the
    thresholds. Long series are thinned to at most CHART_MAX_POINTS points."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=2 * plan.forecast_window_days)
    points = plan_points(plan, since=since)
    step = max(1, -(-len(points) // CHART_MAX_POINTS))
    series = [[_iso(at), float(value)] for at, value in points[::step]]
    trend = []
    if forecast.trend is not None and forecast.window_start is not None:
        end = forecast.crossing_at or (now + datetime.timedelta(days=30))
        end = min(end, now + datetime.timedelta(days=3 * plan.forecast_window_days))
        start = max(forecast.window_start, points[0][0]) if points else forecast.window_start
        trend = [
            [_iso(start), round(forecast.trend.value_at(start), 4)],
            [_iso(end), round(forecast.trend.value_at(end), 4)],
        ]
    return {
        "series": series,
        "trend": trend,
        "warning": float(plan.warning_threshold),
        "critical": float(plan.critical_threshold),
        "crossing": _iso(forecast.crossing_at) if forecast.crossing_at else None,
        "unit": plan.unit,
    }


def forecast_summary(forecast: Forecast, *, now=None) -> dict:
    """For templates and the API: the status, the crossing date and days left, the slope."""
    now = now or timezone.now()
    days = forecast.days_to_crossing(now)
    return {
        "status": str(forecast.status),
        "crossing_date": timezone.localtime(forecast.crossing_at).date()
        if forecast.crossing_at
        else None,
        "days_to_crossing": round(days, 1) if days is not None else None,
        "slope_per_day": round(forecast.trend.slope_per_day, 6) if forecast.trend else None,
        "points": forecast.points,
        "threshold": plain_number(forecast.threshold) if forecast.threshold is not None else "",
    }


# --- Demand --------------------------------------------------------------------------------


def _demand_filtered(user, *, organisation=None, service=None, period_kind="", year=None, unit=""):
    records = DemandRecord.objects.visible_to(user)
    if organisation is not None:
        records = records.filter(organisation=organisation)
    if service is not None:
        records = records.filter(service=service)
    if period_kind:
        records = records.filter(period_kind=period_kind)
    if year:
        records = records.filter(period_start__year=year)
    if unit:
        records = records.filter(unit=unit)
    return records


def demand_for_list(user, **filters):
    """Demand records the user may see, with ``variance_amount`` (actual − forecast, None
    while no actual is recorded), newest period first. Filters: ``organisation``,
    ``service``, ``period_kind``, ``year``, ``unit``."""
    return (
        _demand_filtered(user, **filters)
        .select_related("organisation", "service")
        .annotate(
            variance_amount=ExpressionWrapper(
                F("actual_quantity") - F("forecast_quantity"),
                output_field=DecimalField(max_digits=15, decimal_places=2),
            )
        )
        .order_by("-period_start", "organisation__name", "service__name", "unit", "id")
    )


def demand_summary(user, **filters) -> list[dict]:
    """Forecast against actual per customer, service and unit, over the periods whose actual
    consumption is recorded (one aggregate query): ``periods``, ``measured`` (periods with an
    actual), ``forecast_total``, ``actual_total``, ``variance`` and ``variance_percent``."""
    measured = Q(actual_quantity__isnull=False)
    rows = list(
        _demand_filtered(user, **filters)
        .values(
            "organisation__name",
            "organisation__short_name",
            "service__name",
            "service__code",
            "unit",
        )
        .annotate(
            periods=Count("pk"),
            measured=Count("pk", filter=measured),
            forecast_total=Sum("forecast_quantity", filter=measured),
            actual_total=Sum("actual_quantity", filter=measured),
        )
        .order_by("organisation__name", "service__name", "unit")
    )
    for row in rows:
        forecast, actual = row["forecast_total"], row["actual_total"]
        row["variance"] = None if actual is None else actual - forecast
        row["variance_percent"] = (
            (row["variance"] * 100 / forecast).quantize(Decimal("0.1"))
            if row["variance"] is not None and forecast
            else None
        )
    return rows


def demand_history(record: DemandRecord) -> list[DemandRecord]:
    """The records of the same customer, service, unit and kind of period, oldest first."""
    return list(
        DemandRecord.objects.filter(
            organisation_id=record.organisation_id,
            service_id=record.service_id,
            unit=record.unit,
            period_kind=record.period_kind,
        ).order_by("period_start")
    )


def demand_chart(summary: list[dict]) -> dict:
    """Forecast against actual totals per customer, service and unit (the summary's rows)."""
    rows = [row for row in summary if row["measured"]][:40]
    return {
        "labels": [
            f"{row['organisation__short_name'] or row['organisation__name']} · "
            f"{row['service__code']} ({row['unit']})"
            for row in rows
        ],
        "forecast": [float(row["forecast_total"]) for row in rows],
        "actual": [float(row["actual_total"]) for row in rows],
    }
