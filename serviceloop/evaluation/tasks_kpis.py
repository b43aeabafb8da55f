"""Background jobs of evaluation (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task


@db_periodic_task(crontab(hour="2", minute="40"))
@lock_task("evaluation-kpi-snapshots")
def kpi_snapshots() -> int:
    """Daily: store the previous period's value of every active KPI, the whole and every
    slice (each allowed dimension). Idempotent (one row per definition, period and slice: a
    second run refreshes, never duplicates); returns how many rows were new."""
    from serviceloop.evaluation.snapshots_kpis import snapshots_store_previous

    return snapshots_store_previous()
