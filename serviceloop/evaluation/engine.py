"""The KPI engine: one function evaluates any definition with database aggregates.

* ``kpi_evaluate(definition, start, end, slice=None) -> KpiResult`` — ``[start, end)``,
  aware instants. Every kind is one aggregate query (``Count``/``Avg``/``Sum`` with
  ``filter=Q(...)``); nothing loops over records in Python.
* Percentiles (``percentile_duration``): on PostgreSQL ``percentile_cont(p) WITHIN GROUP
  (ORDER BY duration)``; elsewhere (SQLite) a portable fallback with the same (linear
  interpolation) result: one ``COUNT`` of the durations, then one ordered query with
  ``LIMIT 2 OFFSET floor(p·(n-1))`` that reads the two neighbouring values — two small
  queries whatever the number of rows.
* Durations are wall-clock (``end - start``): tickets store their SLA due instants in business
  time, but not elapsed business time, so "median first response" is wall-clock. The "within
  SLA" percentages use the stored business-time clock (``response_breached`` …).
* ``kpi_breakdown`` groups by one slice dimension in one query (percentiles on SQLite: one
  fallback per group); ``kpi_records`` returns the queryset behind a figure (click-through);
  ``kpi_snapshot_store`` stores a period's value idempotently.

Filters (``denominator_filter``, ``numerator_filter``) are JSON objects of field lookups
``{"field__lookup": value}`` ANDed, with ``"__or__": [{...}, {...}]`` for an OR of groups.
The first part of every lookup must be in the record set's ``fields`` whitelist and the
lookup suffix in ``LOOKUPS``. The numerator is applied on top of the denominator.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Aggregate as DbAggregate,
)
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.evaluation.models import Aggregate, Direction, KpiDefinition, KpiSnapshot, Period

LOOKUPS = {"exact", "in", "isnull", "gt", "gte", "lt", "lte", "ne"}
SLICE_DIMENSIONS = ("organisation", "service", "priority", "team", "kind")


# --- Record sets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordSet:
    """A named set of records a KPI counts: the model, the instant that puts a record in a
    period, the fields filters may use, and the slice dimensions (name -> field)."""

    key: str
    label: str
    model: Callable  # () -> model class (imported lazily)
    date_field: str
    fields: frozenset
    slices: dict = field(default_factory=dict)
    base: dict = field(default_factory=dict)

    def queryset(self) -> QuerySet:
        return self.model()._default_manager.filter(**self.base)


def _ticket():
    from serviceloop.desk.models import Ticket

    return Ticket


def _complaint():
    from serviceloop.relationship.models import Complaint

    return Complaint


def _change():
    from serviceloop.transition.models import ChangeRequest

    return ChangeRequest


TICKET_FIELDS = frozenset(
    {
        "kind", "status", "priority", "service", "team", "organisation", "source", "is_major",
        "created_at", "first_response_at", "resolved_at", "closed_at", "csat_score", "csat_at",
        "response_due_at", "resolution_due_at", "response_met_at", "resolution_met_at",
        "response_breached", "resolution_breached", "sla_version", "events", "paused_seconds",
    }
)  # fmt: skip
TICKET_SLICES = {d: d for d in SLICE_DIMENSIONS}

SOURCES: dict[str, RecordSet] = {}


def source_register(record_set: RecordSet) -> None:
    SOURCES[record_set.key] = record_set


for _key, _label, _date in (
    ("desk.tickets", "Tickets created", "created_at"),
    ("desk.tickets.responded", "Tickets first responded", "first_response_at"),
    ("desk.tickets.resolved", "Tickets resolved", "resolved_at"),
    ("desk.tickets.closed", "Tickets closed", "closed_at"),
    ("desk.tickets.rated", "Tickets rated", "csat_at"),
):
    source_register(RecordSet(_key, _label, _ticket, _date, TICKET_FIELDS, TICKET_SLICES))
source_register(
    RecordSet(
        "relationship.complaints",
        "Complaints received",
        _complaint,
        "received_at",
        frozenset({"organisation", "service", "status", "received_at"}),
        {"organisation": "organisation"},
    )
)
source_register(
    RecordSet(
        "transition.changes",
        "Changes implemented",
        _change,
        "actual_end",
        frozenset({"outcome", "change_type", "status", "review_success", "actual_end"}),
    )
)


# --- External (registered) functions --------------------------------------------------------


@dataclass(frozen=True)
class KpiResult:
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str  # ok | warning | breach | no_data


# name -> f(start, end, slice) -> (value, numerator, denominator)
EXTERNALS: dict[str, Callable] = {}


def external_register(name: str):
    def wrap(function):
        EXTERNALS[name] = function
        return function

    return wrap


@external_register("relationship.complaints_per_1000_tickets")
def _complaints_per_1000(start, end, slice_):
    from serviceloop.desk.models import Ticket
    from serviceloop.relationship.queries_complaints import complaint_count

    organisation = slice_.get("organisation")
    complaints = complaint_count(start, end, organisation=organisation)
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if organisation is not None:
        tickets = tickets.filter(organisation=organisation)
    total = tickets.count()
    return (complaints * 1000 / total if total else None), complaints, total


@external_register("transition.change_success_rate")
def _change_success(start, end, slice_):
    from serviceloop.transition.queries import change_success_rate

    ratio = change_success_rate(start, end)
    return ratio.percent, ratio.numerator, ratio.denominator


@external_register("transition.emergency_change_ratio")
def _emergency_changes(start, end, slice_):
    from serviceloop.transition.queries import emergency_change_ratio

    ratio = emergency_change_ratio(start, end)
    return ratio.percent, ratio.numerator, ratio.denominator


@external_register("support.acknowledgement_rate")
def _acknowledgements(start, end, slice_):
    from serviceloop.support.queries_documents import acknowledgement_rate

    rate = acknowledgement_rate(start, end)
    return rate.rate, rate.on_time, rate.asked


# --- Filters -----------------------------------------------------------------------------------


RELATED_FIELDS = {"events": {"kind", "from_value", "to_value"}}


def _check_lookup(record_set: RecordSet, key: str) -> None:
    parts = key.split("__")
    if parts[-1] in LOOKUPS and len(parts) > 1:
        parts = parts[:-1]
    allowed = parts[0] in record_set.fields and (
        len(parts) == 1 or (len(parts) == 2 and parts[1] in RELATED_FIELDS.get(parts[0], ()))
    )
    if not allowed:
        raise ValidationError(
            _("The filter %(key)s is not allowed on %(source)s.")
            % {"key": key, "source": record_set.key}
        )


def filter_q(record_set: RecordSet, spec) -> Q:
    """The Q of a JSON filter (see the module docstring); ValidationError if not allowed."""
    if not spec:
        return Q()
    if not isinstance(spec, dict):
        raise ValidationError(_("A KPI filter must be a JSON object."))
    rule = Q()
    for key, value in spec.items():
        if key == "__or__":
            if not isinstance(value, list) or not value:
                raise ValidationError(_('"__or__" must be a list of filters.'))
            either = Q()
            for group in value:
                either |= filter_q(record_set, group)
            rule &= either
            continue
        _check_lookup(record_set, key)
        if key.endswith("__ne"):
            rule &= ~Q(**{key[: -len("__ne")]: value})
        else:
            rule &= Q(**{key: value})
    return rule


def definition_validate(definition: KpiDefinition) -> None:
    """Raise ValidationError unless the definition can be evaluated."""
    if definition.aggregate == Aggregate.EXTERNAL:
        if definition.external not in EXTERNALS:
            raise ValidationError(
                _("Unknown registered function: %(name)s.") % {"name": definition.external}
            )
        return
    record_set = SOURCES.get(definition.source)
    if record_set is None:
        raise ValidationError(_("Unknown record set: %(name)s.") % {"name": definition.source})
    filter_q(record_set, definition.denominator_filter)
    filter_q(record_set, definition.numerator_filter)
    if definition.aggregate in (Aggregate.AVG_DURATION, Aggregate.PERCENTILE_DURATION):
        for name in (definition.start_field, definition.end_field):
            if name not in record_set.fields:
                raise ValidationError(_("Unknown duration field: %(name)s.") % {"name": name})
    if definition.aggregate == Aggregate.PERCENTILE_DURATION and not (
        definition.percentile and 0 < definition.percentile < 100
    ):
        raise ValidationError(_("A percentile must be between 1 and 99."))
    if definition.aggregate in (Aggregate.SUM, Aggregate.AVERAGE) and (
        definition.value_field not in record_set.fields
    ):
        raise ValidationError(
            _("Unknown value field: %(name)s.") % {"name": definition.value_field}
        )
    for name in definition.slices or []:
        if name not in record_set.slices:
            raise ValidationError(_("Unknown slice: %(name)s.") % {"name": name})


def _slice_q(record_set: RecordSet, definition: KpiDefinition, slice_: dict) -> Q:
    rule = Q()
    for name, value in (slice_ or {}).items():
        if name not in record_set.slices or name not in (definition.slices or []):
            raise ValidationError(_("This KPI cannot be sliced by %(name)s.") % {"name": name})
        rule &= Q(**{record_set.slices[name]: value})
    return rule


def slice_canonical(slice_: dict | None) -> str:
    """The canonical text of a slice (sorted keys, compact): the snapshot's unique key."""
    return json.dumps(slice_ or {}, sort_keys=True, separators=(",", ":"), default=str)


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
    from django.db.models import Func

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


def _aggregates(definition: KpiDefinition) -> dict:
    """The aggregate expressions of the kind: ``num`` and ``den`` (over the denominator set)."""
    record_set = SOURCES[definition.source]
    numerator = filter_q(record_set, definition.numerator_filter)
    kind = definition.aggregate
    distinct = "events" in json.dumps(definition.numerator_filter) or "events" in json.dumps(
        definition.denominator_filter
    )
    if kind == Aggregate.RATIO_OF_COUNTS:
        return {
            "num": Count("pk", filter=numerator, distinct=distinct),
            "den": Count("pk", distinct=distinct),
        }
    if kind == Aggregate.COUNT:
        return {"num": Count("pk", filter=numerator, distinct=distinct)}
    if kind == Aggregate.SUM:
        return {"num": Sum(definition.value_field, filter=numerator), "den": Count("pk")}
    if kind == Aggregate.AVERAGE:
        return {
            "num": Avg(definition.value_field, filter=numerator, output_field=FloatField()),
            "den": Count(definition.value_field, filter=numerator),
        }
    if kind == Aggregate.AVG_DURATION:
        duration = _duration(definition)
        if connection.vendor == "postgresql":
            return {
                "num": Avg(_pg_seconds(definition), filter=numerator),
                "den": Count(duration, filter=numerator),
            }
        return {
            "num": Avg(duration, filter=numerator, output_field=FloatField()),
            "den": Count(duration, filter=numerator),
        }
    if kind == Aggregate.PERCENTILE_DURATION and connection.vendor == "postgresql":
        return {
            "num": PercentileCont(
                _pg_seconds(definition), definition.percentile / 100, filter=numerator
            ),
            "den": Count(_duration(definition), filter=numerator),
        }
    raise ValidationError(_("This KPI cannot be evaluated by the database engine."))


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
        seconds = float(num) if connection.vendor == "postgresql" else _seconds(num)
        return _in_unit(definition, seconds)
    if kind == Aggregate.PERCENTILE_DURATION:
        return _in_unit(definition, None if num is None else float(num))
    return None


def kpi_status(definition: KpiDefinition, value) -> str:
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


def _period_set(definition: KpiDefinition, start, end, slice_) -> QuerySet:
    record_set = SOURCES[definition.source]
    date = record_set.date_field
    return (
        record_set.queryset()
        .filter(**{f"{date}__gte": start, f"{date}__lt": end})
        .filter(filter_q(record_set, definition.denominator_filter))
        .filter(_slice_q(record_set, definition, slice_ or {}))
    )


def _result(definition, value, num, den) -> KpiResult:
    return KpiResult(
        None if value is None else round(float(value), 6),
        None if num is None else float(num),
        None if den is None else float(den),
        kpi_status(definition, value),
    )


def kpi_evaluate(definition: KpiDefinition, start, end, slice=None) -> KpiResult:  # noqa: A002
    """The value of ``definition`` over ``[start, end)``, optionally for one slice
    (``{"organisation": 3, "priority": "P1"}``; only the definition's allowed dimensions)."""
    definition_validate(definition)
    slice_ = dict(slice or {})
    if definition.aggregate == Aggregate.EXTERNAL:
        value, num, den = EXTERNALS[definition.external](start, end, slice_)
        return _result(definition, value, num, den)
    rows = _period_set(definition, start, end, slice_)
    if definition.aggregate == Aggregate.PERCENTILE_DURATION and connection.vendor != "postgresql":
        rows = rows.filter(filter_q(SOURCES[definition.source], definition.numerator_filter))
        seconds, n = _percentile_fallback(rows, definition)
        return _result(definition, _in_unit(definition, seconds), None, n)
    figures = rows.aggregate(**_aggregates(definition))
    num, den = figures.get("num"), figures.get("den")
    return _result(definition, _value(definition, num, den), num, den)


def kpi_breakdown(definition: KpiDefinition, start, end, by: str = "organisation") -> list[dict]:
    """The figure per value of one slice dimension, in one grouped query:
    ``[{"key": value, "label": str, "result": KpiResult}]``, largest denominator first."""
    definition_validate(definition)
    if definition.aggregate == Aggregate.EXTERNAL:
        return []
    record_set = SOURCES[definition.source]
    if by not in record_set.slices or by not in (definition.slices or []):
        raise ValidationError(_("This KPI cannot be sliced by %(name)s.") % {"name": by})
    column = record_set.slices[by]
    rows = _period_set(definition, start, end, {})
    if definition.aggregate == Aggregate.PERCENTILE_DURATION and connection.vendor != "postgresql":
        keys = rows.order_by(column).values_list(column, flat=True).distinct()
        out = []
        for key in keys:  # one fallback per group (SQLite has no percentile aggregate)
            result = kpi_evaluate(definition, start, end, {by: key})
            out.append({"key": key, "result": result})
    else:
        grouped = rows.order_by().values(column).annotate(**_aggregates(definition))
        out = [
            {
                "key": row[column],
                "result": _result(
                    definition,
                    _value(definition, row.get("num"), row.get("den")),
                    row.get("num"),
                    row.get("den"),
                ),
            }
            for row in grouped
        ]
    _labels(record_set, by, out)
    out.sort(key=lambda row: -(row["result"].denominator or 0))
    return out


def _labels(record_set: RecordSet, by: str, rows: list[dict]) -> None:
    model = record_set.model()
    field_ = model._meta.get_field(record_set.slices[by])
    names = {}
    if field_.is_relation:
        keys = [row["key"] for row in rows if row["key"] is not None]
        names = {o.pk: str(o) for o in field_.related_model._default_manager.filter(pk__in=keys)}
    choices = dict(field_.flatchoices) if field_.choices else {}
    for row in rows:
        key = row["key"]
        row["label"] = names.get(key) or choices.get(key) or ("—" if key in (None, "") else key)


def kpi_records(definition: KpiDefinition, start, end, slice=None, part="denominator") -> QuerySet:  # noqa: A002
    """The records behind the figure: the denominator's set, or (``part="numerator"``) the
    numerator's subset. External KPIs have no record set: an empty queryset of tickets."""
    definition_validate(definition)
    if definition.aggregate == Aggregate.EXTERNAL:
        return _ticket().objects.none()
    rows = _period_set(definition, start, end, slice or {})
    if part == "numerator":
        rows = rows.filter(filter_q(SOURCES[definition.source], definition.numerator_filter))
    return (
        rows.distinct()
        if "events" in json.dumps([definition.numerator_filter, definition.denominator_filter])
        else rows
    )


# --- Periods and snapshots ----------------------------------------------------------------


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
    today = today or timezone.localdate()
    start, _end = period_bounds(period, today)
    return period_bounds(period, (start - datetime.timedelta(days=1)).date())


def kpi_snapshot_store(definition: KpiDefinition, period, slice=None) -> tuple[KpiSnapshot, bool]:  # noqa: A002
    """Store (or refresh) the value of ``period`` = ``(start, end)``; idempotent: one row per
    (definition, period, slice). Returns ``(snapshot, created)``."""
    start, end = period
    result = kpi_evaluate(definition, start, end, slice)

    def dec(value):
        return None if value is None else Decimal(str(round(value, 6)))

    with transaction.atomic():
        snapshot, created = KpiSnapshot.objects.update_or_create(
            definition=definition,
            period_start=start,
            period_end=end,
            slice_id=slice_canonical(slice),
            defaults={
                "slice_key": json.loads(slice_canonical(slice)),
                "value": dec(result.value),
                "numerator": dec(result.numerator),
                "denominator": dec(result.denominator),
                "status": result.status,
                "computed_at": timezone.now(),
            },
        )
    return snapshot, created


def snapshots_store_previous(today: datetime.date | None = None) -> int:
    """Store the previous period's value of every active KPI; returns how many were new."""
    created = 0
    for definition in KpiDefinition.objects.active():
        try:
            _snapshot, new = kpi_snapshot_store(
                definition, previous_period(definition.period, today)
            )
        except ValidationError:
            continue
        created += new
    return created
