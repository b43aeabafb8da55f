"""Periodic tasks of competence, training and communication (Huey)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.support.services_communication import communication_due_remind
from serviceloop.support.services_competence import competence_expiry_remind

__all__ = ["communication_due_reminders", "competence_expiry_reminders"]


@db_periodic_task(crontab(hour=8, minute=55))
def competence_expiry_reminders() -> int:
    """Every morning: remind holders of certifications that expire soon or have lapsed, once
    per record and expiry date (see competence_expiry_remind)."""
    return competence_expiry_remind(today=timezone.localdate())


@db_periodic_task(crontab(hour=9, minute=20))
def communication_due_reminders() -> int:
    """Every morning: remind owners of communications that fall due, once per plan item and
    due date (see communication_due_remind)."""
    return communication_due_remind(today=timezone.localdate())
