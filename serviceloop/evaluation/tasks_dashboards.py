"""Background jobs of evaluation: role-based dashboards (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

__all__ = ["dashboard_customer_kpi_snapshots"]


@db_periodic_task(crontab(hour="2", minute="50"))
@lock_task("evaluation-dashboard-customer-snapshots")
def dashboard_customer_kpi_snapshots() -> int:
    """Daily, after the KPI snapshots: store the previous period's customer KPI values per
    customer organisation (the trends of customers' dashboards). Idempotent."""
    from serviceloop.evaluation.services_dashboards import customer_kpi_snapshots_store

    return customer_kpi_snapshots_store()
