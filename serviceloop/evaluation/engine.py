"""The KPI engine: one function evaluates any definition with database aggregates.

* ``kpi_evaluate(definition, start, end, slice=None) -> KpiResult`` — ``[start, end)``,
  aware instants. Every kind is one aggregate query (``Count``/``Avg``/``Sum`` with
  ``filter=Q(...)``); nothing loops over tickets in Python. (Two reuse their owning app's
  computation: availability reads the period's few outages, the acknowledgement rate the
  support app's count of acknowledgements.)
* ``kpi_evaluate_many(definitions, start, end, slice=None)`` evaluates a whole KPI set:
  definitions over the same record set share ONE query (each KPI is a few ``FILTER``ed
  aggregates of it), so the library of one month costs one scan per record set.
* Percentiles (``percentile_duration``): on PostgreSQL ``percentile_cont(p) WITHIN GROUP
  (ORDER BY duration)``; elsewhere (SQLite) a portable fallback with the same (linear
  interpolation) result: one ``COUNT`` of the durations, then one ordered query with
  ``LIMIT 2 OFFSET floor(p·(n-1))`` that reads the two neighbouring values.
* Durations are wall-clock (``end - start``): tickets store their SLA due instants in business
  time, but not elapsed business time, so "median first response" is wall-clock. The "within
  SLA" percentages use the stored business-time clock (``response_breached`` …).
* ``availability_pct`` reads the assurance app's outages with its own arithmetic
  (``availability_kpis``); ``external`` calls a registered function (``sources_kpis``); one
  that is not registered yet gives the status ``unavailable`` instead of an error.
* ``kpi_breakdown`` groups by one slice dimension in one query; ``kpi_record_sections``
  returns the records behind a figure (click-through); snapshots live in ``snapshots_kpis``.

Filters (``denominator_filter``, ``numerator_filter``; ``filters_kpis``) are JSON objects of
whitelisted field lookups and named conditions; the numerator is applied on top of the
denominator. Record sets and registered functions: ``sources_kpis``.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Aggregate as DbAggregate
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.evaluation.filters_kpis import (  # noqa: F401 (re-exported)
    RELATED_FIELDS,
    _slice_check,
    _slice_q,
    _uses_join,
    definition_slices,
    definition_validate,
    filter_q,
    slice_canonical,
)
from serviceloop.evaluation.models import Aggregate, Direction, KpiDefinition, Period
from serviceloop.evaluation.sources_kpis import (  # noqa: F401 (re-exported)
    AVAILABILITY_SLICES,
    AVAILABILITY_SOURCE,
    EXTERNALS,
    LOOKUPS,
    SLICE_DIMENSIONS,
    SOURCES,
    External,
    RecordSection,
    RecordSet,
    external_known,
    external_register,
    source_register,
)

UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class KpiResult:
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str  # ok | warning | breach | no_data | unavailable


NOT_AVAILABLE = KpiResult(None, None, None, UNAVAILABLE)


# --- Aggregates ----------------------------------------------------------------------------


class PercentileCont(DbAggregate):
    """PostgreSQL ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _duration(definition: KpiDefinition):
    return ExpressionWrapper(
        F(definition.end_field) - F(definition.start_field), output_field=DurationField()
    )


def _pg_seconds(definition: KpiDefinition):
    return Func(
        _duration(definition),
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )


def _seconds(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # SQLite: microseconds


UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _in_unit(definition: KpiDefinition, seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return seconds / UNIT_SECONDS.get(definition.unit, 1)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _percentile_fallback(queryset: QuerySet, definition: KpiDefinition) -> tuple[float | None, int]:
    """Same result as percentile_cont on any database: one COUNT, one LIMIT/OFFSET read."""
    rows = queryset.annotate(_d=_duration(definition)).filter(_d__isnull=False)
    n = rows.count()
    if not n:
        return None, 0
    rank = (definition.percentile / 100) * (n - 1)
    low = math.floor(rank)
    pair = [_seconds(v) for v in rows.order_by("_d").values_list("_d", flat=True)[low : low + 2]]
    if len(pair) == 1 or rank == low:
        return pair[0], n
    return pair[0] + (pair[1] - pair[0]) * (rank - low), n


def _aggregates(definition: KpiDefinition, prefix: str, *, with_denominator: bool) -> dict:
    """The aggregates of one definition, named ``{prefix}num`` / ``{prefix}den`` (and
    ``{prefix}n``: records in the denominator set). ``with_denominator``: put the denominator
    filter in each aggregate's FILTER (several definitions share the query's WHERE)."""
    record_set = SOURCES[definition.source]
    den = filter_q(record_set, definition.denominator_filter) if with_denominator else Q()
    num = den & filter_q(record_set, definition.numerator_filter)
    distinct = _uses_join(definition)
    kind = definition.aggregate
    den_f, num_f = den or None, num or None
    out = {f"{prefix}n": Count("pk", filter=den_f, distinct=distinct)}
    if kind in (Aggregate.RATIO_OF_COUNTS, Aggregate.COUNT):
        out[f"{prefix}num"] = Count("pk", filter=num_f, distinct=distinct)
        out[f"{prefix}den"] = Count("pk", filter=den_f, distinct=distinct)
    elif kind == Aggregate.SUM:
        out[f"{prefix}num"] = Sum(definition.value_field, filter=num_f)
        out[f"{prefix}den"] = Count("pk", filter=den_f)
    elif kind == Aggregate.AVERAGE:
        out[f"{prefix}num"] = Avg(definition.value_field, filter=num_f, output_field=FloatField())
        out[f"{prefix}den"] = Count(definition.value_field, filter=num_f)
    elif kind == Aggregate.AVG_DURATION:
        duration = _duration(definition)
        if _postgres():
            out[f"{prefix}num"] = Avg(_pg_seconds(definition), filter=num_f)
        else:
            out[f"{prefix}num"] = Avg(duration, filter=num_f, output_field=FloatField())
        out[f"{prefix}den"] = Count(duration, filter=num_f)
    elif kind == Aggregate.PERCENTILE_DURATION and _postgres():
        fraction = definition.percentile / 100
        out[f"{prefix}num"] = PercentileCont(_pg_seconds(definition), fraction, filter=num_f)
        out[f"{prefix}den"] = Count(_duration(definition), filter=num_f)
    else:
        raise ValidationError(_("This KPI cannot be evaluated by the database engine."))
    return out


def _value(definition: KpiDefinition, num, den) -> float | None:
    kind = definition.aggregate
    if kind == Aggregate.RATIO_OF_COUNTS:
        if not den:
            return None
        scale = 1000 if definition.unit == "per_1000" else 100 if definition.unit == "%" else 1
        return num * scale / den
    if kind in (Aggregate.COUNT, Aggregate.SUM):
        return float(num or 0)
    if kind == Aggregate.AVERAGE:
        return None if num is None else float(num)
    if kind == Aggregate.AVG_DURATION:
        if num is None:
            return None
        return _in_unit(definition, float(num) if _postgres() else _seconds(num))
    if kind == Aggregate.PERCENTILE_DURATION:
        return _in_unit(definition, None if num is None else float(num))
    return None


def kpi_status(definition: KpiDefinition, value) -> str:
    """ok / warning / breach against the target and warning threshold; no_data without a
    value."""
    if value is None:
        return "no_data"
    if definition.target is None:
        return "ok"
    value = Decimal(str(value))
    target = definition.target
    warning = definition.warning
    if definition.direction == Direction.LOWER:
        if value <= target:
            return "ok"
        return "warning" if warning is not None and value <= warning else "breach"
    if value >= target:
        return "ok"
    return "warning" if warning is not None and value >= warning else "breach"


def _result(definition, value, num, den) -> KpiResult:
    return KpiResult(
        None if value is None else round(float(value), 6),
        None if num is None else float(num),
        None if den is None else float(den),
        kpi_status(definition, value),
    )


def _figure(definition, num, den) -> KpiResult:
    """The result of ``definition`` from its aggregated numerator and denominator."""
    return _result(definition, _value(definition, num, den), num, den)


def _in_period(record_set: RecordSet, start, end) -> QuerySet:
    date = record_set.date_field
    return record_set.queryset().filter(**{f"{date}__gte": start, f"{date}__lt": end})


def _batchable(definition: KpiDefinition) -> bool:
    if definition.aggregate in (Aggregate.EXTERNAL, Aggregate.AVAILABILITY_PCT):
        return False
    if definition.aggregate == Aggregate.PERCENTILE_DURATION and not _postgres():
        return False
    return not _uses_join(definition)


def _group_figures(definitions, record_set, start, end, slice_, by=None):
    """One query for ``definitions`` (same record set): ``{code: KpiResult}``, or with ``by``
    ``{code: [(key, KpiResult)]}`` (keys without a record in the definition's set left out)."""
    rows = _in_period(record_set, start, end).filter(_slice_q(record_set, slice_))
    single = len(definitions) == 1
    if single:  # the denominator in WHERE: the planner can use it
        rows = rows.filter(filter_q(record_set, definitions[0].denominator_filter))
    aggregates = {}
    for i, definition in enumerate(definitions):
        aggregates.update(_aggregates(definition, f"k{i}_", with_denominator=not single))
    if by is None:
        figures = rows.aggregate(**aggregates)
        return {
            d.code: _figure(d, figures[f"k{i}_num"], figures[f"k{i}_den"])
            for i, d in enumerate(definitions)
        }
    column = record_set.slices[by]
    out = {d.code: [] for d in definitions}
    for row in rows.order_by().values(column).annotate(**aggregates):
        for i, d in enumerate(definitions):
            if not row[f"k{i}_n"]:
                continue
            out[d.code].append((row[column], _figure(d, row[f"k{i}_num"], row[f"k{i}_den"])))
    return out


def _percentile_sqlite(definition, record_set, start, end, slice_) -> KpiResult:
    rows = (
        _in_period(record_set, start, end)
        .filter(_slice_q(record_set, slice_))
        .filter(filter_q(record_set, definition.denominator_filter))
        .filter(filter_q(record_set, definition.numerator_filter))
    )
    seconds, n = _percentile_fallback(rows, definition)
    return _result(definition, _in_unit(definition, seconds), None, n)


def _external_result(definition, start, end, slice_) -> KpiResult:
    external = EXTERNALS.get(definition.external)
    if external is None:
        return NOT_AVAILABLE
    value, num, den = external.evaluate(start, end, slice_)
    return _result(definition, value, num, den)


def kpi_evaluate_many(definitions, start, end, slice=None) -> dict[str, KpiResult]:  # noqa: A002
    """``{code: KpiResult}`` of every definition over ``[start, end)`` (optionally one slice).
    Definitions over the same record set share one aggregate query. A definition that is
    invalid, names an unregistered function or cannot take the slice is ``unavailable``."""
    results: dict[str, KpiResult] = {}
    valid = []
    for definition in definitions:
        try:
            definition_validate(definition)
        except ValidationError:
            results[definition.code] = NOT_AVAILABLE
        else:
            valid.append(definition)
    results.update(_evaluate_valid(valid, start, end, dict(slice or {})))
    return results


def _evaluate_valid(definitions, start, end, slice_) -> dict[str, KpiResult]:
    results: dict[str, KpiResult] = {}
    groups: dict[str, list] = defaultdict(list)
    for definition in definitions:
        if not _slice_check(definition, slice_):
            results[definition.code] = NOT_AVAILABLE
        elif definition.aggregate == Aggregate.EXTERNAL:
            results[definition.code] = _external_result(definition, start, end, slice_)
        elif definition.aggregate == Aggregate.AVAILABILITY_PCT:
            from serviceloop.evaluation.availability_kpis import availability_evaluate

            value, num, den = availability_evaluate(definition, start, end, slice_)
            results[definition.code] = _result(definition, value, num, den)
        elif _batchable(definition):
            groups[definition.source].append(definition)
        elif definition.aggregate == Aggregate.PERCENTILE_DURATION and not _postgres():
            results[definition.code] = _percentile_sqlite(
                definition, SOURCES[definition.source], start, end, slice_
            )
        else:
            results.update(
                _group_figures([definition], SOURCES[definition.source], start, end, slice_)
            )
    for source, members in groups.items():
        results.update(_group_figures(members, SOURCES[source], start, end, slice_))
    return results


def kpi_evaluate(definition: KpiDefinition, start, end, slice=None) -> KpiResult:  # noqa: A002
    """The value of ``definition`` over ``[start, end)``, optionally for one slice
    (``{"organisation": 3, "priority": "P1"}``; only the definition's allowed dimensions).
    ValidationError for an invalid definition or slice; ``unavailable`` for a registered
    function that is not registered yet."""
    definition_validate(definition)
    for name in slice or {}:
        if name not in definition_slices(definition):
            raise ValidationError(_("This KPI cannot be sliced by %(name)s.") % {"name": name})
    return _evaluate_valid([definition], start, end, dict(slice or {}))[definition.code]


# --- Breakdown -------------------------------------------------------------------------------


def kpi_breakdown_many(definitions, start, end, by: str) -> dict[str, list[dict]]:
    """``{code: [{"key", "label", "result"}]}`` per value of the dimension ``by``, for the
    definitions that may be sliced by it (others are left out); largest denominator first.
    Definitions over the same record set share one grouped query."""
    out: dict[str, list] = {}
    groups: dict[str, list] = defaultdict(list)
    for definition in definitions:
        try:
            definition_validate(definition)
        except ValidationError:
            continue
        if by not in definition_slices(definition):
            continue
        kind = definition.aggregate
        if kind == Aggregate.EXTERNAL:
            external = EXTERNALS[definition.external]
            rows = external.breakdown(start, end, by) if external.breakdown else []
            out[definition.code] = [
                {"key": key, "label": label, "result": _result(definition, value, num, den)}
                for key, label, value, num, den in rows
            ]
        elif kind == Aggregate.AVAILABILITY_PCT:
            from serviceloop.evaluation.availability_kpis import availability_breakdown

            out[definition.code] = [
                {"key": key, "label": label, "result": _result(definition, value, num, den)}
                for key, label, value, num, den in availability_breakdown(
                    definition, start, end, by
                )
            ]
        elif _batchable(definition):
            groups[definition.source].append(definition)
        else:
            out.update(_single_breakdown(definition, start, end, by))
    for source, members in groups.items():
        grouped = _group_figures(members, SOURCES[source], start, end, {}, by=by)
        for code, pairs in grouped.items():
            out[code] = [{"key": key, "result": result} for key, result in pairs]
            _labels(SOURCES[source], by, out[code])
    for rows in out.values():
        rows.sort(key=lambda row: (-(row["result"].denominator or 0), str(row["label"])))
    return out


def _single_breakdown(definition, start, end, by) -> dict[str, list]:
    record_set = SOURCES[definition.source]
    if definition.aggregate == Aggregate.PERCENTILE_DURATION and not _postgres():
        column = record_set.slices[by]
        keys = (
            _in_period(record_set, start, end)
            .filter(filter_q(record_set, definition.denominator_filter))
            .order_by(column)
            .values_list(column, flat=True)
            .distinct()
        )
        rows = [  # one fallback per group (SQLite has no percentile aggregate)
            {
                "key": key,
                "result": _percentile_sqlite(definition, record_set, start, end, {by: key}),
            }
            for key in keys
        ]
    else:
        pairs = _group_figures([definition], record_set, start, end, {}, by=by)[definition.code]
        rows = [{"key": key, "result": result} for key, result in pairs]
    _labels(record_set, by, rows)
    return {definition.code: rows}


def kpi_breakdown(definition: KpiDefinition, start, end, by: str = "organisation") -> list[dict]:
    """The figure per value of one slice dimension: ``[{"key", "label", "result"}]``,
    largest denominator first. ValidationError if the KPI cannot be sliced by ``by``."""
    definition_validate(definition)
    if by not in definition_slices(definition):
        raise ValidationError(_("This KPI cannot be sliced by %(name)s.") % {"name": by})
    if definition.aggregate == Aggregate.EXTERNAL and definition.external not in EXTERNALS:
        return []
    return kpi_breakdown_many([definition], start, end, by).get(definition.code, [])


def _labels(record_set: RecordSet, by: str, rows: list[dict]) -> None:
    model = record_set.model()
    try:
        field_ = model._meta.get_field(record_set.slices[by])
    except FieldDoesNotExist:  # a path through a relation: the key is its own label
        field_ = None
    names = {}
    if field_ is not None and field_.is_relation:
        keys = [row["key"] for row in rows if row["key"] is not None]
        names = {o.pk: str(o) for o in field_.related_model._default_manager.filter(pk__in=keys)}
    choices = dict(field_.flatchoices) if field_ is not None and field_.choices else {}
    for row in rows:
        key = row["key"]
        row["label"] = names.get(key) or choices.get(key) or ("—" if key in (None, "") else key)


# --- Records behind a figure -----------------------------------------------------------------

PARTS = ("denominator", "numerator", "rest")


def kpi_record_sections(
    definition: KpiDefinition,
    start,
    end,
    slice=None,
    part="denominator",  # noqa: A002
) -> list[RecordSection]:
    """The records behind a figure: the denominator's set, the numerator's subset, or the
    ``rest`` (in the denominator, not in the numerator: e.g. the breached tickets). One
    section per record set; none for a registered function that offers no records."""
    definition_validate(definition)
    slice_ = dict(slice or {})
    if not _slice_check(definition, slice_):
        raise ValidationError(_("This KPI cannot be sliced by %(name)s.") % {"name": slice_})
    part = part if part in PARTS else "denominator"
    if definition.aggregate == Aggregate.EXTERNAL:
        external = EXTERNALS.get(definition.external)
        if external is None or external.records is None:
            return []
        return external.records(start, end, slice_, part)
    if definition.aggregate == Aggregate.AVAILABILITY_PCT:
        from serviceloop.evaluation.availability_kpis import availability_records

        return availability_records(definition, start, end, slice_, part)
    record_set = SOURCES[definition.source]
    rows = (
        _in_period(record_set, start, end)
        .filter(_slice_q(record_set, slice_))
        .filter(filter_q(record_set, definition.denominator_filter))
    )
    numerator = filter_q(record_set, definition.numerator_filter)
    if part == "numerator":
        rows = rows.filter(numerator)
    elif part == "rest":
        rows = rows.exclude(pk__in=rows.filter(numerator).values("pk"))
    if _uses_join(definition):
        rows = rows.distinct()
    return [RecordSection(record_set.label, rows)]


def kpi_records(definition: KpiDefinition, start, end, slice=None, part="denominator") -> QuerySet:  # noqa: A002
    """The first record section's queryset (an empty ticket queryset when there is none)."""
    sections = kpi_record_sections(definition, start, end, slice, part)
    if sections:
        return sections[0].queryset
    return SOURCES["desk.tickets"].model().objects.none()


# --- Periods ---------------------------------------------------------------------------------


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The period (week from Monday, month, quarter) containing ``day``, as aware instants
    (midnight in TIME_ZONE), half-open."""
    if period == Period.WEEK:
        first = day - datetime.timedelta(days=day.weekday())
        after = first + datetime.timedelta(days=7)
    elif period == Period.QUARTER:
        month = 3 * ((day.month - 1) // 3) + 1
        first = day.replace(month=month, day=1)
        after = (first.replace(year=first.year + 1, month=1) if month == 10
                 else first.replace(month=month + 3))  # fmt: skip
    else:
        first = day.replace(day=1)
        after = (first.replace(year=first.year + 1, month=1) if first.month == 12
                 else first.replace(month=first.month + 1))  # fmt: skip
    zone = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(after, datetime.time.min, tzinfo=zone),
    )


def previous_period(period: str, today: datetime.date | None = None):
    """The last complete period before the one containing ``today``."""
    today = today or timezone.localdate()
    start, _end = period_bounds(period, today)
    return period_bounds(period, (timezone.localtime(start) - datetime.timedelta(days=1)).date())


def periods_back(period: str, count: int, today: datetime.date | None = None) -> list[tuple]:
    """The ``count`` complete periods before the one containing ``today``, oldest first."""
    today = today or timezone.localdate()
    out = []
    for _i in range(count):
        bounds = previous_period(period, today)
        out.append(bounds)
        today = timezone.localtime(bounds[0]).date()
    return out[::-1]


# Snapshots (``snapshots_kpis``) and the registered functions of this part, loaded with the
# engine so every caller sees them.
from serviceloop.evaluation import externals_kpis  # noqa: E402,F401
from serviceloop.evaluation.snapshots_kpis import (  # noqa: E402,F401
    kpi_snapshot_store,
    kpi_snapshots_store_period,
    snapshots_store_previous,
)
