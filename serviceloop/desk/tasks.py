"""Background jobs of the service desk (Huey)."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from serviceloop.desk.intake_email import mailbox_poll
from serviceloop.desk.services.sla_alerts import sla_alerts_run


@db_periodic_task(crontab(minute="*"))
def sla_alerts() -> dict:
    """Every minute: SLA warnings and breach escalations, once each (see sla_alerts_run)."""
    return sla_alerts_run()


@db_periodic_task(crontab(hour="3", minute="20"))
def recurring_incidents() -> dict:
    """Daily: propose problems for clusters of recurring incidents, once per cluster (see
    desk.services.recurrence.recurrence_detect)."""
    from serviceloop.desk.services.recurrence import recurrence_detect

    return recurrence_detect()


@db_periodic_task(crontab(minute=f"*/{settings.MAIL_POLL_MINUTES}"))
@lock_task("desk-fetch-mail")
def fetch_mail() -> dict | None:
    """Every MAIL_POLL_MINUTES: read the desk's IMAP mailbox (IMAP_URL) into tickets and
    replies, each message once (see intake_email). One poll at a time across workers."""
    if not settings.IMAP_URL:
        return None
    return mailbox_poll().as_dict()


@db_task(retries=2, retry_delay=30)
def ticket_search_index(ticket_id: int) -> bool:
    """Rebuild one ticket's search document (idempotent; see desk.search.ticket_index).
    Queued by the ticket services after their commit."""
    from serviceloop.desk.search import ticket_index

    return ticket_index(ticket_id)
