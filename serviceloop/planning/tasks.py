"""Huey tasks of planning (Huey discovers this module)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.planning.services_plan import plan_overdue_remind
from serviceloop.planning.tasks_risks import risk_review_reminders  # noqa: F401

__all__ = ["plan_overdue_reminders"]


@db_periodic_task(crontab(hour=8, minute=50))
def plan_overdue_reminders() -> int:
    """Every morning: remind the owners of plan items past their due date, once per item and
    due date (see plan_overdue_remind)."""
    return plan_overdue_remind(today=timezone.localdate())
