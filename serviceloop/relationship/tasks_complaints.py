"""Periodic tasks of the complaints part (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

__all__ = ["complaint_response_alerts"]


@db_periodic_task(crontab(minute="*/5"))
def complaint_response_alerts() -> dict:
    """Every five minutes: warn once when a complaint's response is due soon, and once when
    its response target is breached (see services_complaints_alerts.complaint_response_alerts_run)."""
    from serviceloop.relationship.services_complaints_alerts import complaint_response_alerts_run

    return complaint_response_alerts_run()
