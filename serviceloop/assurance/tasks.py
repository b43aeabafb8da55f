"""Background jobs of service assurance (Huey discovers this module)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.assurance.services_availability import outages_follow_incidents
from serviceloop.assurance.services_continuity import continuity_tests_remind
from serviceloop.assurance.services_security import security_notify_remind
from serviceloop.assurance.services_spof import spof_scan


@db_periodic_task(crontab(minute="*/10"))
def outages_follow_resolved_incidents() -> int:
    """Every ten minutes: end the outages of major incidents resolved since."""
    return outages_follow_incidents()


@db_periodic_task(crontab(hour=3, minute=20))
def spof_scan_nightly() -> dict:
    """Nightly: bring the single-point-of-failure findings up to date with the CMDB."""
    return spof_scan()


@db_periodic_task(crontab(hour=8, minute=40))
def continuity_test_reminders() -> int:
    """Every morning: tell plan owners once that their plan's test is overdue."""
    return continuity_tests_remind()


@db_periodic_task(crontab(minute="5,35"))
def security_notification_reminders() -> int:
    """Twice an hour: remind the security team once of a regulator notification falling due."""
    return security_notify_remind()
