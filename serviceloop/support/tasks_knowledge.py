"""Periodic tasks of the knowledge part (Huey)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.support.services_knowledge import knowledge_review_remind

__all__ = ["knowledge_review_reminders"]


@db_periodic_task(crontab(hour=8, minute=40))
def knowledge_review_reminders() -> int:
    """Every morning: remind the owners of articles whose review date has passed, once per
    article and review date (see knowledge_review_remind)."""
    return knowledge_review_remind(today=timezone.localdate())
