"""Background jobs of change and release management (Huey discovers this module)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.transition.reminders import cab_vote_remind, release_els_notify


@db_periodic_task(crontab(minute="15"))
def cab_vote_reminders() -> int:
    """Hourly: remind CAB members of votes pending for a day (an hour in an emergency),
    once per member, change round and day."""
    return cab_vote_remind()


@db_periodic_task(crontab(minute="45"))
def release_els_ended() -> int:
    """Hourly: tell release managers once that early-life support has ended."""
    return release_els_notify()
