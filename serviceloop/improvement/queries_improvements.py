"""Named reads of the improvement register (clause 10.2): the list with its filters, the
counts per status, and a KPI's value before and after an implementation."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from serviceloop.evaluation.engine import kpi_evaluate, period_bounds, previous_period
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Improvement, ImprovementStatus


def improvements_for_list(
    user,
    *,
    status: str = "",
    open_only: bool = False,
    source: str = "",
    priority: str = "",
    effort: str = "",
    owner=None,
    overdue_on: datetime.date | None = None,
    q: str = "",
):
    """The register as the user may see it (staff), filtered; ``overdue_on``: accepted or in
    progress with a target date before that day. Highest priority first, then newest."""
    rows = Improvement.objects.visible_to(user).select_related("owner", "kpi", "suggested_by")
    if status:
        rows = rows.filter(status=status)
    if open_only:
        rows = rows.open()
    if source:
        rows = rows.filter(source=source)
    if priority:
        rows = rows.filter(priority=priority)
    if effort:
        rows = rows.filter(effort=effort)
    if owner is not None:
        rows = rows.filter(owner=owner)
    if overdue_on is not None:
        rows = rows.overdue(overdue_on)
    q = (q or "").strip()
    if q:
        rows = rows.filter(
            Q(title__icontains=q)
            | Q(reference__iexact=q)
            | Q(description__icontains=q)
            | Q(source_reference__icontains=q)
        )
    return rows.order_by(_priority_order(), "-created_at", "-id")


def _priority_order():
    from django.db.models import Case, IntegerField, Value, When

    return Case(
        When(priority="high", then=Value(0)),
        When(priority="medium", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def status_counts(user) -> list[tuple[str, str, int]]:
    """``(status, label, count)`` for every status, in lifecycle order (one grouped query)."""
    counts = dict.fromkeys(ImprovementStatus.values, 0)
    for row in (
        Improvement.objects.visible_to(user).values("status").annotate(n=Count("pk")).order_by()
    ):
        counts[row["status"]] = row["n"]
    return [(value, label, counts[value]) for value, label in ImprovementStatus.choices]


def measurable_after(kpi: KpiDefinition, implemented_on: datetime.date) -> datetime.date:
    """The first day a KPI's benefit can be measured: the end of the first full period after
    the one in which the improvement was implemented."""
    _start, end = period_bounds(kpi.period, implemented_on)
    _next_start, next_end = period_bounds(kpi.period, end.date())
    return next_end.date()


def kpi_before_after(
    kpi: KpiDefinition, implemented_on: datetime.date, measured_on: datetime.date
) -> dict:
    """The KPI over the full period before the one the improvement was implemented in, and
    over the last full period before ``measured_on``, computed by the KPI engine:
    ``{"before": {"start", "end", "value", "status"}, "after": {...}}`` (dates ISO, the end
    exclusive). ValidationError when no full period after the implementation has passed."""
    first_day = measurable_after(kpi, implemented_on)
    if measured_on < first_day:
        raise ValidationError(
            {
                "kpi": _(
                    "A full KPI period after the implementation must pass first: measure on "
                    "or after %(date)s."
                )
                % {"date": first_day.isoformat()}
            }
        )
    before = previous_period(kpi.period, implemented_on)
    after = previous_period(kpi.period, measured_on)
    figures = {}
    for name, (start, end) in (("before", before), ("after", after)):
        result = kpi_evaluate(kpi, start, end)
        figures[name] = {
            "start": start.date().isoformat(),
            "end": end.date().isoformat(),
            "value": result.value,
            "status": result.status,
        }
    return figures
