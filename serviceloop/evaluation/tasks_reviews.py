"""Background jobs of evaluation: management review (9.3)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.evaluation.services_actions_reviews import review_action_remind

__all__ = ["review_action_reminders"]


@db_periodic_task(crontab(hour=8, minute=50))
def review_action_reminders() -> int:
    """Every morning: remind the owners of open management review actions past their due
    date, once per action and due date (see review_action_remind)."""
    return review_action_remind(today=timezone.localdate())
