"""Stored KPI values (``KpiSnapshot``): one row per definition, period and slice (``{}`` is
the whole), written by the daily task for the previous period and read by the trend charts.

Storing is idempotent: a second run over the same period refreshes the rows, never adds one.
A KPI that is not available (an unregistered function) stores nothing.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from serviceloop.evaluation.engine import (
    SLICE_DIMENSIONS,
    UNAVAILABLE,
    kpi_breakdown_many,
    kpi_evaluate,
    kpi_evaluate_many,
    previous_period,
    slice_canonical,
)
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot

FIGURES = ("slice_key", "value", "numerator", "denominator", "status", "computed_at")


def _decimal(value):
    return None if value is None else Decimal(str(round(value, 6)))


def _figures(result, slice_key: dict, now) -> dict:
    return {
        "slice_key": json.loads(slice_canonical(slice_key)),
        "value": _decimal(result.value),
        "numerator": _decimal(result.numerator),
        "denominator": _decimal(result.denominator),
        "status": result.status,
        "computed_at": now,
    }


def kpi_snapshot_store(definition: KpiDefinition, period, slice=None):  # noqa: A002
    """Store (or refresh) the value of ``period`` = ``(start, end)`` for one slice; returns
    ``(snapshot, created)``, ``(None, False)`` when the KPI is not available."""
    start, end = period
    result = kpi_evaluate(definition, start, end, slice)
    if result.status == UNAVAILABLE:
        return None, False
    with transaction.atomic():
        return KpiSnapshot.objects.update_or_create(
            definition=definition,
            period_start=start,
            period_end=end,
            slice_id=slice_canonical(slice),
            defaults=_figures(result, slice or {}, timezone.now()),
        )


def kpi_snapshots_store_period(definitions, period) -> int:
    """Store the whole and every slice (each allowed dimension, each value found in the
    period) of ``definitions`` over ``period``; returns how many rows are new. One query per
    record set for the whole and one grouped query per record set and dimension."""
    definitions = list(definitions)
    if not definitions:
        return 0
    start, end = period
    values: dict[tuple[str, str], tuple[dict, object]] = {}
    for code, result in kpi_evaluate_many(definitions, start, end).items():
        if result.status != UNAVAILABLE:
            values[(code, "{}")] = ({}, result)
    for by in SLICE_DIMENSIONS:
        for code, rows in kpi_breakdown_many(definitions, start, end, by).items():
            for row in rows:
                key = {by: row["key"]}
                values[(code, slice_canonical(key))] = (key, row["result"])
    by_code = {d.code: d for d in definitions}
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (s.definition_id, s.slice_id): s
            for s in KpiSnapshot.objects.filter(
                definition__in=definitions, period_start=start, period_end=end
            )
        }
        new, changed = [], []
        for (code, slice_id), (key, result) in values.items():
            definition = by_code[code]
            figures = _figures(result, key, now)
            snapshot = existing.get((definition.pk, slice_id))
            if snapshot is None:
                new.append(
                    KpiSnapshot(
                        definition=definition,
                        period_start=start,
                        period_end=end,
                        slice_id=slice_id,
                        **figures,
                    )
                )
            else:
                for name, value in figures.items():
                    setattr(snapshot, name, value)
                changed.append(snapshot)
        # ignore_conflicts: a concurrent run that stored the same row first wins.
        KpiSnapshot.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        KpiSnapshot.objects.bulk_update(changed, FIGURES, batch_size=500)
    return len(new)


def snapshots_store_previous(today: datetime.date | None = None) -> int:
    """Store the previous period (of each KPI's own period kind) of every active KPI, whole
    and per slice; returns how many rows were new."""
    by_period = defaultdict(list)
    for definition in KpiDefinition.objects.active():
        by_period[definition.period].append(definition)
    return sum(
        kpi_snapshots_store_period(members, previous_period(period, today))
        for period, members in by_period.items()
    )


def kpi_trend(definition: KpiDefinition, count: int = 12, slice=None, before=None) -> list:  # noqa: A002
    """The last ``count`` stored values of one slice (``None``: the whole), oldest first;
    with ``before``, only periods that start before that instant."""
    rows = definition.snapshots.filter(slice_id=slice_canonical(slice))
    if before is not None:
        rows = rows.filter(period_start__lt=before)
    return list(rows.order_by("-period_start")[:count])[::-1]
