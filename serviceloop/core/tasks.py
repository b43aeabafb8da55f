"""Background jobs of the core app (Huey)."""

import datetime
import logging

from django.db.models import F
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from serviceloop.core.channels import CHANNELS
from serviceloop.core.models import Delivery
from serviceloop.core.services.calendars import calendar_schedule_warn

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


@db_task(retries=MAX_ATTEMPTS - 1, retry_delay=60)
def deliver_notification(notification_id: int) -> int:
    """Send the pending deliveries of one notification; the task is retried while any fails.

    A delivery is claimed (pending → sending) by one conditional UPDATE, so two workers
    never send the same one and a sent delivery is never sent again; no database lock is
    held while the channel talks to the outside world. Returns the number sent in this run.
    """
    sent = 0
    failures = []
    pending = Delivery.objects.filter(
        notification_id=notification_id, status=Delivery.Status.PENDING
    )
    for delivery_id in list(pending.values_list("pk", flat=True)):
        claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
        if not claimed:
            continue
        delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
        try:
            CHANNELS[delivery.channel].send(delivery.notification, delivery.address)
        except Exception as exc:  # any channel error: record it, retry later
            error = f"{type(exc).__name__}: {exc}"[:2000]
            give_up = delivery.attempts >= MAX_ATTEMPTS
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.FAILED if give_up else Delivery.Status.PENDING,
                last_error=error,
            )
            failures.append(error)
            log.warning(
                "delivery %s failed (attempt %s): %s", delivery_id, delivery.attempts, error
            )
            continue
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        sent += 1
    if failures:
        raise RuntimeError("; ".join(failures))
    return sent


@db_periodic_task(crontab(hour=9, minute=5))
def calendar_schedule_check() -> int:
    """Every morning: warn administrators of calendars without a confirmed holiday schedule."""
    return calendar_schedule_warn(today=timezone.localdate())


STALE_SENDING = datetime.timedelta(minutes=15)


@db_periodic_task(crontab(minute="*/10"))
def deliveries_requeue_stale() -> int:
    """Put back deliveries left "sending" by a worker that died mid-send, and queue them again.

    Sending takes seconds; a claim older than STALE_SENDING belongs to a dead worker. The
    conditional UPDATE keeps two sweepers from re-queueing the same delivery twice.
    """
    cutoff = timezone.now() - STALE_SENDING
    stale = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).values_list(
            "pk", "notification_id"
        )
    )
    requeued = 0
    for delivery_id, notification_id in stale:
        if Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.SENDING, claimed_at__lt=cutoff
        ).update(status=Delivery.Status.PENDING):
            deliver_notification(notification_id)
            requeued += 1
    return requeued
