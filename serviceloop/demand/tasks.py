"""Background jobs of demand (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from serviceloop.demand.services_capacity_alerts import capacity_alerts_run


@db_periodic_task(crontab(hour="6", minute="15"))
@lock_task("demand-capacity-alerts")
def capacity_forecasts_evaluate() -> dict:
    """Daily: evaluate every capacity plan's alert (the forecast moves with time even without
    new measurements); one incident or action per plan and episode (see
    services_capacity_alerts.capacity_evaluate)."""
    return capacity_alerts_run()
