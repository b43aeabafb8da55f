"""Reminders that must go out exactly once: a ``ReminderSent`` row per (kind, record, due)
written in the same transaction as the notification, so that neither a second run nor a
second worker sends it again."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from serviceloop.assurance.models import ReminderSent


def remind_once(*, kind: str, obj, due: str, send) -> bool:
    """Run ``send()`` (which notifies and returns the number of notifications, inside this
    transaction) unless a reminder of ``kind`` for ``obj`` and ``due`` was sent already; the
    unique row decides between racing workers. True when this call sent it."""
    if ReminderSent.objects.filter(kind=kind, object_id=obj.pk, due=due).exists():
        return False
    try:
        with transaction.atomic():
            row = ReminderSent.objects.create(
                kind=kind, object_id=obj.pk, due=due, sent_at=timezone.now()
            )
            row.recipients = send()
            row.save(update_fields=["recipients"])
    except IntegrityError:
        return False
    return True
