"""Huey tasks of the risk register (imported by ``planning/tasks.py``, which Huey discovers)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.planning.services_risks import risk_review_remind

__all__ = ["risk_review_reminders"]


@db_periodic_task(crontab(hour=8, minute=55))
def risk_review_reminders() -> int:
    """Every morning: remind the owners of open risks whose review date has passed, once per
    risk and review date (see risk_review_remind)."""
    return risk_review_remind(today=timezone.localdate())
