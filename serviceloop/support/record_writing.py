"""Steps the support services (documents, knowledge, competence) share when they write: text
cleaning, locking a record with its optimistic-concurrency check, bumping its version, and
sending a reminder exactly once per dedupe key."""

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from serviceloop.core.services.notifications import reminders_send  # noqa: F401 (re-exported)


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
