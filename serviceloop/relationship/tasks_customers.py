"""Periodic tasks of the customers part (Huey): overdue review actions and agreement reviews,
each reminded exactly once (see the services for the claim rows that make it so)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

__all__ = ["agreement_review_reminders", "customer_review_action_reminders"]


@db_periodic_task(crontab(hour="8", minute="15"))
def customer_review_action_reminders() -> int:
    """Every morning: remind owners (and account managers) of overdue review actions, once
    per action and due date."""
    from serviceloop.relationship.services_customers import review_action_reminders_run

    return review_action_reminders_run()


@db_periodic_task(crontab(hour="8", minute="20"))
def agreement_review_reminders() -> int:
    """Every morning: remind of agreed SLAs and OLAs whose review date is near or past, once
    per version and review date."""
    from serviceloop.relationship.services_agreements_reviews import (
        agreement_review_reminders_run,
    )

    return agreement_review_reminders_run()
