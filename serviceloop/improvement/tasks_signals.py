"""Background jobs of improvement: proposals raised from operational signals."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

__all__ = ["signals_daily"]


@db_periodic_task(crontab(hour=6, minute=20))
@lock_task("improvement-signals")
def signals_daily() -> dict:
    """Every morning (after the KPI snapshots of 02:40): run every enabled signal detector.
    Idempotent: a cause already proposed is never proposed twice (see signals_detect). The
    lock keeps a manager's "Run now" and this job from running at once."""
    from serviceloop.improvement.services_signals import signals_detect

    return signals_detect()
