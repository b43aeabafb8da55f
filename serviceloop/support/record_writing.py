"""Steps the support services (documents, knowledge, competence) share when they write: text
cleaning, locking a record with its optimistic-concurrency check, bumping its version, and
sending a reminder exactly once per dedupe key."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Notification
from serviceloop.core.services.notifications import notify


def text_clean(value, field: str, errors: dict, *, limit: int, required_message: str = "") -> str:
    """``value`` stripped; a non-text value, one over ``limit`` characters, or an empty one
    when ``required_message`` is given records a message under ``field`` in ``errors``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    elif not value and required_message:
        errors[field] = required_message
    return value


def record_lock(record, expected_version: int | None, stale_message: str):
    """The record read again and locked for update (inside the caller's transaction); a
    ValidationError (code ``stale``, ``stale_message``) when ``expected_version`` is given
    and is no longer the record's version."""
    current = type(record).objects.select_for_update(of=("self",)).get(pk=record.pk)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(stale_message, code="stale")
    return current


def record_touch(record, now):
    """Save ``record`` with ``updated_at`` = ``now`` and its version one higher (read back)."""
    record.updated_at = now
    record.version = F("version") + 1
    record.save()
    record.refresh_from_db(fields=["version"])
    return record


def pks_sorted(objects) -> list[int]:
    """The primary keys of ``objects`` in order (how audit payloads name related records)."""
    return sorted(o.pk for o in objects)


def reminders_send(records, *, key, recipient, kind, context, url, verb, payload) -> int:
    """Notify ``recipient(record)`` of each record, exactly once per ``key(record)``: no second
    notification goes out for a key already used (even to another recipient), and the
    database's unique dedupe key settles a race between two workers. Each reminder sent
    appends an audit row (``verb``, ``payload(record)``; no actor). Returns how many were
    sent. ``context`` and ``url`` are functions of the record."""
    sent = 0
    for record in records:
        dedupe_key = key(record)
        if Notification.objects.filter(dedupe_key=dedupe_key).exists():
            continue
        with transaction.atomic():
            created = notify(
                recipients=[recipient(record)],
                kind=kind,
                context=context(record),
                url=url(record),
                dedupe_key=dedupe_key,
            )
            if created:
                audit_record(actor=None, verb=verb, obj=record, payload=payload(record))
                sent += 1
    return sent
