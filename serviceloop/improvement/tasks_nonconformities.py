"""Background jobs of improvement: nonconformities, corrective and preventive actions (10.1)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

__all__ = ["improvement_kpi_conditions"]


@db_periodic_task(crontab(hour="3", minute="10"))
@lock_task("improvement-kpi-conditions")
def improvement_kpi_conditions() -> dict:
    """Daily (after the KPI snapshots): check the KPI condition of every action awaiting
    verification up to today; decide those the data allows (effective, or not effective and
    the nonconformity reopened). Idempotent: each period is evaluated once; a decided action
    is skipped."""
    from serviceloop.improvement.verification import kpi_conditions_check_all

    return kpi_conditions_check_all()
