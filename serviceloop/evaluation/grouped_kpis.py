"""KPI figures for many periods, or many values of one slice dimension, in one query per
record set.

``kpi_evaluate_periods(definitions, periods, slice=None)`` gives, for each ``(start, end)`` of
``periods``, what ``engine.kpi_evaluate_many`` gives for that period alone — the same
``KpiResult`` values, checked equal by the tests — but the definitions that share a record set
are evaluated over the whole span in ONE query, its rows keyed by a ``CASE`` over the record
set's date field and grouped by that key. Twelve months of a report's trend cost one scan per
record set instead of twelve.

``kpi_evaluate_by(definitions, start, end, by, keys, slice=None)`` does the same for the
values ``keys`` of one slice dimension (a report's SLA rows per priority): ``{key: {code:
KpiResult}}``, each equal to ``kpi_evaluate_many`` with ``{**slice, by: key}``.

Definitions the engine cannot put in a shared query (registered functions, availability,
percentiles on SQLite, filters through a relation) are evaluated one period (one key) at a
time, as before.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Value, When

from serviceloop.evaluation import engine
from serviceloop.evaluation.filters_kpis import (
    _slice_check,
    _slice_q,
    definition_validate,
    filter_q,
)
from serviceloop.evaluation.sources_kpis import SOURCES


def _split(definitions, slice_) -> tuple[dict, list]:
    """``({source: [definitions sharing one query]}, [definitions evaluated alone])``."""
    shared: dict[str, list] = defaultdict(list)
    alone = []
    for definition in definitions:
        try:
            definition_validate(definition)
        except ValidationError:
            alone.append(definition)  # kpi_evaluate_many answers "unavailable"
            continue
        if _slice_check(definition, slice_) and engine._batchable(definition):
            shared[definition.source].append(definition)
        else:
            alone.append(definition)
    return shared, alone


def _period_key(date_field: str, periods) -> Case:
    return Case(
        *[
            When(**{f"{date_field}__gte": start, f"{date_field}__lt": end}, then=Value(i))
            for i, (start, end) in enumerate(periods)
        ],
        default=Value(None),
        output_field=IntegerField(),
    )


def _aggregates(definitions) -> dict:
    """The aggregates of definitions sharing one query (a lone definition's denominator goes
    in WHERE, as ``engine._group_figures`` puts it)."""
    single = len(definitions) == 1
    out = {}
    for i, definition in enumerate(definitions):
        out.update(engine._aggregates(definition, f"k{i}_", with_denominator=not single))
    return out


def _results(definitions, row: dict) -> dict:
    """``{code: KpiResult}`` from one row of the aggregates of ``_aggregates``."""
    return {
        d.code: engine._figure(d, row[f"k{i}_num"], row[f"k{i}_den"])
        for i, d in enumerate(definitions)
    }


def _empty(aggregates: dict) -> dict:
    """What an aggregate query over no rows returns: 0 for counts, NULL for the others."""
    return {name: 0 if isinstance(a, Count) else None for name, a in aggregates.items()}


def _grouped(definitions, record_set, periods, slice_) -> list[dict]:
    """One query: ``[{code: KpiResult}]`` per period for definitions of one record set."""
    date = record_set.date_field
    first = min(start for start, _end in periods)
    last = max(end for _start, end in periods)
    rows = (
        record_set.queryset()
        .filter(**{f"{date}__gte": first, f"{date}__lt": last})
        .filter(_slice_q(record_set, slice_))
    )
    if len(definitions) == 1:  # the denominator in WHERE, as engine._group_figures does
        rows = rows.filter(filter_q(record_set, definitions[0].denominator_filter))
    aggregates = _aggregates(definitions)
    figures = {i: _empty(aggregates) for i in range(len(periods))}
    grouped = (
        rows.annotate(_period=_period_key(date, periods))
        .order_by()
        .values("_period")
        .annotate(**aggregates)
    )
    for row in grouped:
        if row["_period"] is not None:
            figures[row["_period"]] = row
    return [_results(definitions, figures[i]) for i in range(len(periods))]


def kpi_evaluate_periods(definitions, periods, slice=None) -> list[dict]:  # noqa: A002
    """``[{code: KpiResult}]``, one dict per ``(start, end)`` of ``periods`` (in their order),
    equal to ``kpi_evaluate_many(definitions, start, end, slice)`` for each period."""
    periods = list(periods)
    slice_ = dict(slice or {})
    out = [{} for _period in periods]
    if not periods:
        return out
    shared, alone = _split(definitions, slice_)
    for source, members in shared.items():
        for i, results in enumerate(_grouped(members, SOURCES[source], periods, slice_)):
            out[i].update(results)
    if alone:
        for i, (start, end) in enumerate(periods):
            out[i].update(engine.kpi_evaluate_many(alone, start, end, slice_))
    return out


def kpi_evaluate_by(definitions, start, end, by: str, keys, slice=None) -> dict:  # noqa: A002
    """``{key: {code: KpiResult}}`` for each of ``keys`` (values of the slice dimension
    ``by``), equal to ``kpi_evaluate_many(definitions, start, end, {**slice, by: key})``.
    Definitions sharing a record set are grouped by ``by`` in one query; a key without a
    record gives what an empty set gives."""
    keys = list(dict.fromkeys(keys))
    slice_ = dict(slice or {})
    out = {key: {} for key in keys}
    if not keys:
        return out
    shared, alone = _split(definitions, {**slice_, by: keys[0]})
    for source, members in shared.items():
        record_set = SOURCES[source]
        grouped = engine._group_figures(members, record_set, start, end, slice_, by=by)
        empty = _results(members, _empty(_aggregates(members)))  # a key without a record
        for definition in members:
            found = dict(grouped[definition.code])
            for key in keys:
                out[key][definition.code] = found.get(key, empty[definition.code])
    if alone:
        for key in keys:
            out[key].update(engine.kpi_evaluate_many(alone, start, end, {**slice_, by: key}))
    return out
