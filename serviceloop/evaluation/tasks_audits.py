"""Background jobs of evaluation: internal audit (9.2)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.evaluation.findings_audits import finding_overdue_remind

__all__ = ["audit_finding_overdue_reminders"]


@db_periodic_task(crontab(hour=9, minute=5))
def audit_finding_overdue_reminders() -> int:
    """Every morning: remind the owners of audit findings past their due date and not closed,
    once per finding and due date (see finding_overdue_remind)."""
    return finding_overdue_remind(today=timezone.localdate())
