"""Periods, scope and KPI figures of service reports (9.4).

Every figure a report shows comes from the KPI engine (``engine.kpi_evaluate_many``) with the
report's scope as the slice, so it equals the KPI pages' figure for the same period and
slice. Volumes are counted by the same engine with report-only COUNT definitions (never
stored) over the same record sets.

Periods are half-open ``[start, end)`` instants at midnight in the organisation's time zone
(the default time zone for a report on a service alone): nothing here reads "now", so
building the same period twice gives the same figures.

Tickets name their service as free text (its code or its name, any case:
``TicketQuerySet.naming_services``) while the engine slices by the exact text: a service
scope is evaluated once per spelling found in the tickets and the results merged (counts and
ratios add up; averages are weighted by their counts; a percentile over two spellings is
"not available").
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from serviceloop.evaluation import engine
from serviceloop.evaluation.grouped_kpis import kpi_evaluate_by, kpi_evaluate_periods
from serviceloop.evaluation.library import TICKET_SLICES
from serviceloop.evaluation.models import Aggregate, KpiDefinition, ReportPeriod

TREND_PERIODS = 12

# The shipped KPIs a report reads (by code; one an organisation removed is "not available").
RESPONSE = "response-within-sla"
RESOLUTION = "resolution-within-sla"
RESPONSE_MEDIAN = "first-response-median"
TIME_TO_RESOLVE = "mean-time-to-resolve"
CSAT_AVERAGE = "csat-average"
CSAT_SATISFIED = "csat-satisfied"
COMPLAINTS = "complaints-per-1000"
AVAILABILITY = "availability-pct"
KPI_CODES = (
    RESPONSE, RESOLUTION, RESPONSE_MEDIAN, TIME_TO_RESOLVE, CSAT_AVERAGE, CSAT_SATISFIED,
    COMPLAINTS, AVAILABILITY,
)  # fmt: skip


def _count(code: str, source: str, rule: dict) -> KpiDefinition:
    """A report-only COUNT definition (never saved): the records of ``source`` in the
    period matching ``rule``."""
    return KpiDefinition(
        code=f"report-{code}",
        name_en=code,
        aggregate=Aggregate.COUNT,
        source=source,
        denominator_filter=rule,
        slices=TICKET_SLICES,
        unit="count",
    )


COUNTS = {
    "created": _count("created", "desk.tickets", {}),
    "incidents": _count("incidents", "desk.tickets", {"kind": "incident"}),
    "requests": _count("requests", "desk.tickets", {"kind": "request"}),
    "major": _count("major", "desk.tickets", {"is_major": True}),
    **{p: _count(p, "desk.tickets", {"priority": p}) for p in ("P1", "P2", "P3", "P4")},
    "resolved": _count("resolved", "desk.tickets.resolved", {}),
    **{f"rating-{k}": _count(f"rating-{k}", "desk.tickets.rated", {"csat_score": k})
       for k in range(1, 6)},
}  # fmt: skip


# --- Periods ---------------------------------------------------------------------------------


def _first_of_period(kind: str, day: datetime.date) -> datetime.date:
    if kind == ReportPeriod.QUARTER:
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def _months(kind: str) -> int:
    return 3 if kind == ReportPeriod.QUARTER else 1


@dataclass(frozen=True)
class ReportPeriodBounds:
    kind: str
    first: datetime.date  # the first day (local)
    start: datetime.datetime
    end: datetime.datetime

    @property
    def label(self) -> str:
        if self.kind == ReportPeriod.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first:%Y-%m}"

    @property
    def last_day(self) -> datetime.date:
        return (self.end.astimezone(self.start.tzinfo) - datetime.timedelta(days=1)).date()


def zone_of(organisation) -> zoneinfo.ZoneInfo:
    """The organisation's time zone (the default one without an organisation)."""
    name = getattr(organisation, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def report_period(kind: str, day: datetime.date, zone) -> ReportPeriodBounds:
    """The month or quarter containing ``day``: midnight to midnight in ``zone``."""
    first = _first_of_period(kind, day)
    after = _add_months(first, _months(kind))
    return ReportPeriodBounds(
        kind,
        first,
        datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(after, datetime.time.min, tzinfo=zone),
    )


def previous_report_period(kind: str, today: datetime.date, zone) -> ReportPeriodBounds:
    """The last complete month or quarter before the one containing ``today``."""
    first = _first_of_period(kind, today)
    return report_period(kind, _add_months(first, -_months(kind)), zone)


def trend_periods(period: ReportPeriodBounds, count: int = TREND_PERIODS) -> list:
    """``count`` periods ending with ``period``, oldest first."""
    zone = period.start.tzinfo
    return [
        report_period(period.kind, _add_months(period.first, -_months(period.kind) * back), zone)
        for back in range(count - 1, -1, -1)
    ]


# --- Scope -------------------------------------------------------------------------------------


@dataclass
class ReportScope:
    """What a report covers: a customer organisation, a service, or both."""

    organisation: object | None
    service: object | None
    aliases: list[str] = field(default_factory=list)  # the service's spellings in tickets

    def base(self) -> dict:
        return {"organisation": self.organisation.pk} if self.organisation else {}

    def ticket_slices(self, extra: dict | None = None) -> list[dict]:
        """One engine slice per spelling of the service (one slice without a service)."""
        base = {**self.base(), **(extra or {})}
        if self.service is None:
            return [base]
        return [{**base, "service": alias} for alias in self.aliases or [self.service.code]]

    def availability_slice(self) -> dict:
        return {**self.base(), **({"service": self.service.code} if self.service else {})}


def service_aliases(service, before) -> list[str]:
    """The spellings of ``service`` in the tickets created before ``before`` (sorted)."""
    from serviceloop.desk.models import Ticket

    if service is None:
        return []
    rows = (
        Ticket.objects.naming_services([service])
        .filter(created_at__lt=before)
        .order_by("service")
        .values_list("service", flat=True)
        .distinct()
    )
    return list(rows) or [service.code]


def report_scope(organisation, service, period: ReportPeriodBounds) -> ReportScope:
    return ReportScope(organisation, service, service_aliases(service, period.end))


# --- KPI figures -------------------------------------------------------------------------------


def kpi_definitions() -> dict[str, KpiDefinition]:
    return {d.code: d for d in KpiDefinition.objects.filter(code__in=KPI_CODES)}


def _merge(definition: KpiDefinition, results: list) -> engine.KpiResult:
    """One result from the results of several slices (one per spelling of a service)."""
    results = [r for r in results if r.status != engine.UNAVAILABLE]
    if not results:
        return engine.NOT_AVAILABLE
    if len(results) == 1:
        return results[0]
    kind = definition.aggregate
    num = sum(r.numerator or 0 for r in results)
    den = sum(r.denominator or 0 for r in results)
    if kind in (Aggregate.RATIO_OF_COUNTS, Aggregate.COUNT, Aggregate.SUM):
        value = engine._value(definition, num, den)
    elif kind in (Aggregate.AVERAGE, Aggregate.AVG_DURATION):
        weighted = [(r.value, r.denominator or 0) for r in results if r.value is not None]
        total = sum(n for _v, n in weighted)
        value = sum(v * n for v, n in weighted) / total if total else None
        num = value
    else:
        return engine.NOT_AVAILABLE
    return engine._result(definition, value, num, den)


def evaluate(definitions, start, end, slices: list[dict]) -> dict[str, engine.KpiResult]:
    """``{code: KpiResult}`` of ``definitions`` over ``[start, end)``, merged over
    ``slices`` (one query per record set and slice)."""
    definitions = [d for d in definitions if d is not None]
    per_slice = [engine.kpi_evaluate_many(definitions, start, end, s) for s in slices]
    return {d.code: _merge(d, [r[d.code] for r in per_slice]) for d in definitions}


def evaluate_by(definitions, start, end, by: str, keys, slices: list[dict]) -> dict:
    """``evaluate`` for each value in ``keys`` of the slice dimension ``by``: ``{key: {code:
    KpiResult}}``, one grouped query per record set and slice (``grouped_kpis``)."""
    definitions = [d for d in definitions if d is not None]
    per_slice = [kpi_evaluate_by(definitions, start, end, by, keys, s) for s in slices]
    return {
        key: {d.code: _merge(d, [r[key][d.code] for r in per_slice]) for d in definitions}
        for key in dict.fromkeys(keys)
    }


def evaluate_periods(definitions, periods, slices: list[dict]) -> list[dict]:
    """``evaluate`` for each period of ``periods`` (oldest first): one query per record set
    and slice over the whole run (``grouped_kpis``)."""
    definitions = [d for d in definitions if d is not None]
    bounds = [(p.start, p.end) for p in periods]
    per_slice = [kpi_evaluate_periods(definitions, bounds, s) for s in slices]
    return [
        {d.code: _merge(d, [r[i][d.code] for r in per_slice]) for d in definitions}
        for i in range(len(bounds))
    ]


def _plain(value):
    return None if value is None else round(float(value), 6)


def figure(definition: KpiDefinition | None, result: engine.KpiResult | None, code="") -> dict:
    """A KPI figure as the snapshot stores it (names in the active language)."""
    if definition is None or result is None:
        return {
            "code": code, "name": code, "unit": "", "value": None, "numerator": None,
            "denominator": None, "target": None, "direction": "higher",
            "status": engine.UNAVAILABLE,
        }  # fmt: skip
    return {
        "code": definition.code,
        "name": definition.name,
        "unit": definition.unit,
        "value": _plain(result.value),
        "numerator": _plain(result.numerator),
        "denominator": _plain(result.denominator),
        "target": _plain(definition.target),
        "direction": definition.direction,
        "status": result.status,
    }


def count_of(results: dict, key: str) -> int:
    result = results.get(COUNTS[key].code)
    return int(result.value or 0) if result and result.value is not None else 0


def not_available(reason: str = "") -> dict:
    return {"available": False, "reason": reason or _("Not available.")}
