"""Demo KPI history: the engine run over the past year's periods (12 months for the monthly
KPIs, 4 quarters, 52 weeks), whole and per slice, from the demo records the other apps
created. Values are computed, never invented: a period before the first demo ticket is left
out, and a period with no records stores "no data". Idempotent: a period with values
stored already is skipped."""

from collections import defaultdict

from django.utils import timezone

from serviceloop.evaluation.engine import periods_back
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot
from serviceloop.evaluation.snapshots_kpis import kpi_snapshots_store_period

PERIODS_IN_A_YEAR = {"week": 52, "month": 12, "quarter": 4}


def demo_records(write=print) -> int:
    from serviceloop.desk.models import Ticket

    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:  # no demo desk: nothing to measure
        return 0
    kpi_library_load()  # normally loaded by the migration; a no-op then
    by_period = defaultdict(list)
    for definition in KpiDefinition.objects.active():
        by_period[definition.period].append(definition)
    today = timezone.localdate()
    created = 0
    for period, members in by_period.items():
        for start, end in periods_back(period, PERIODS_IN_A_YEAR.get(period, 12), today):
            if end <= first:
                continue
            if KpiSnapshot.objects.filter(
                definition__in=members, period_start=start, period_end=end, slice_id="{}"
            ).exists():
                continue
            created += kpi_snapshots_store_period(members, (start, end))
    if created:
        write(f"{created} KPI values (the past year, whole and per slice)")
    return created
