"""KPI widgets: one KPI definition's figure for the current period (the KPI engine), its
status against the target, and its trend from the stored values (``KpiSnapshot``).

Staff see the whole (``kpi.<code>`` widgets); a customer's KPI widgets evaluate the same
definitions sliced to his own organisation (``{"organisation": id}``), never anything wider.
Definitions and stored values are read once per dashboard for all its KPI widgets
(``WidgetRequest.memo``).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.evaluation import engine
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot, Period
from serviceloop.evaluation.widgets_dashboards import KPI_PREFIX, WidgetRequest

TREND_POINTS = 12
TREND_DAYS = 400  # how far back stored values are read (a year of months, 4 quarters)


def _unit_label(unit: str) -> str:
    labels = {"%": "%", "per_1000": "‰", "hours": _("h"), "minutes": _("min"), "days": _("d")}
    return labels.get(unit, unit)


def value_display(value, unit: str) -> str:
    if value is None:
        return "—"
    number = f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    label = _unit_label(unit)
    return f"{number} {label}".strip() if label else number


def status_label(status: str) -> str:
    return {
        "ok": _("On target"),
        "warning": _("Warning"),
        "breach": _("Off target"),
    }.get(status, _("No data"))


def _definitions(request: WidgetRequest) -> dict[str, KpiDefinition]:
    """The definitions this dashboard needs, by definition code: loaded once, for every code
    in ``memo["kpi_codes"]`` (set by the dashboard), and again only for a code not there."""
    loaded = request.memo.setdefault("kpi_definitions", {})
    return loaded


def definition_for(request: WidgetRequest, code: str) -> KpiDefinition | None:
    loaded = _definitions(request)
    if code not in loaded:
        wanted = set(request.memo.get("kpi_codes", ())) | {code}
        wanted -= set(loaded)
        for definition in KpiDefinition.objects.active().filter(code__in=wanted):
            loaded[definition.code] = definition
        for missing in wanted - set(loaded):
            loaded[missing] = None
    return loaded[code]


def _snapshots(request: WidgetRequest, definition: KpiDefinition, slice_id: str) -> list:
    """Stored values of ``definition`` for ``slice_id``, oldest first: one query for every
    definition and slice the dashboard needs (``memo["kpi_slices"]``)."""
    store = request.memo.setdefault("kpi_snapshots", {})
    key = (definition.pk, slice_id)
    if key not in store:
        ids = [d.pk for d in _definitions(request).values() if d is not None]
        ids = sorted(set(ids) | {definition.pk})
        slices = set(request.memo.get("kpi_slices", ())) | {slice_id}
        since = request.now - datetime.timedelta(days=TREND_DAYS)
        for pk in ids:
            for one in slices:
                store.setdefault((pk, one), [])
        rows = KpiSnapshot.objects.filter(
            definition_id__in=ids, slice_id__in=slices, period_start__gte=since
        ).order_by("period_start")
        for snapshot in rows:
            store.setdefault((snapshot.definition_id, snapshot.slice_id), []).append(snapshot)
    return store[key]


def _same_period(snapshot: KpiSnapshot, period: str) -> bool:
    day = timezone.localtime(snapshot.period_start).date()
    return (snapshot.period_start, snapshot.period_end) == engine.period_bounds(period, day)


def kpi_figure(request: WidgetRequest, definition: KpiDefinition, slice_=None, *, url="") -> dict:
    """The KPI widget's data for ``definition`` (optionally one slice) in the current period
    of the widget's ``period`` setting (default: the definition's own period)."""
    period = request.settings.get("period") or definition.period
    start, end = engine.period_bounds(period, request.today)
    try:
        result = engine.kpi_evaluate(definition, start, end, slice_)
    except (ValidationError, KeyError):
        result = engine.KpiResult(None, None, None, "no_data")
    slice_id = engine.slice_canonical(slice_)
    trend = [
        {
            "period": timezone.localtime(s.period_start).date().isoformat(),
            "value": None if s.value is None else float(s.value),
        }
        for s in _snapshots(request, definition, slice_id)
        if _same_period(s, period) and s.period_end <= start
    ][-(TREND_POINTS - 1) :]
    trend.append({"period": timezone.localtime(start).date().isoformat(), "value": result.value})
    return {
        "value": result.value,
        "display": value_display(result.value, definition.unit),
        "unit": definition.unit,
        "target": None if definition.target is None else float(definition.target),
        "target_display": ""
        if definition.target is None
        else value_display(float(definition.target), definition.unit),
        "direction": definition.direction,
        "status": result.status,
        "status_label": str(status_label(result.status)),
        "period": period,
        "period_label": str(Period(period).label),
        "start": timezone.localtime(start).date().isoformat(),
        "end": timezone.localtime(end).date().isoformat(),
        "numerator": result.numerator,
        "denominator": result.denominator,
        "trend": trend,
        "url": url,
    }


def no_kpi(request: WidgetRequest) -> dict:
    """The data of a KPI widget whose definition is missing or switched off."""
    period = request.settings.get("period") or Period.MONTH
    return {
        "value": None,
        "display": "—",
        "unit": "",
        "target": None,
        "target_display": "",
        "direction": "",
        "status": "no_data",
        "status_label": str(status_label("no_data")),
        "period": period,
        "period_label": str(Period(period).label),
        "start": "",
        "end": "",
        "numerator": None,
        "denominator": None,
        "trend": [],
        "url": "",
    }


def build_staff_kpi(request: WidgetRequest) -> dict:
    """``kpi.<code>``: the whole provider's figure (staff only; checked by the registry)."""
    code = request.code[len(KPI_PREFIX) :]
    definition = definition_for(request, code)
    if definition is None:
        return no_kpi(request)
    return kpi_figure(request, definition, url=reverse("kpi_detail", args=[definition.code]))


def build_customer_kpi(request: WidgetRequest, code: str, *, url: str = "") -> dict:
    """A customer's KPI: the definition ``code`` sliced to his own organisation only."""
    definition = definition_for(request, code)
    organisation_id = request.user.organisation_id
    if definition is None or organisation_id is None:
        return no_kpi(request)
    return kpi_figure(request, definition, {"organisation": organisation_id}, url=url)
