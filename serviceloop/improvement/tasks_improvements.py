"""Background jobs of improvement: the continual improvement register (10.2)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

__all__ = ["improvement_overdue_reminders"]


@db_periodic_task(crontab(hour=9, minute=5))
@lock_task("improvement-overdue-reminders")
def improvement_overdue_reminders() -> int:
    """Every morning: remind the owners of improvements past their target date, once per
    improvement and target date (see improvement_overdue_remind)."""
    from serviceloop.improvement.services_improvements import improvement_overdue_remind

    return improvement_overdue_remind(today=timezone.localdate())
