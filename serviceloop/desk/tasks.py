"""Background jobs of the service desk (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.desk.services.sla_alerts import sla_alerts_run


@db_periodic_task(crontab(minute="*"))
def sla_alerts() -> dict:
    """Every minute: SLA warnings and breach escalations, once each (see sla_alerts_run)."""
    return sla_alerts_run()
