"""Input checks the transition services share: each adds a translated message to ``errors``
under the field's name and returns the cleaned value; the service raises once at the end,
so a caller sees every problem of its input at once and nothing is written."""

import datetime
import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

TEXT_LIMIT = 20_000


def clean_text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required="") -> str:
    """Stripped text; ``required`` is the message when it is empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    elif required and not value:
        errors[field] = required
    return value


def clean_instant(value, field: str, errors: dict, *, required="") -> datetime.datetime | None:
    if value in (None, ""):
        if required:
            errors[field] = required
        return None
    if not isinstance(value, datetime.datetime):
        errors[field] = _("Enter a date and time.")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def clean_window(
    start,
    end,
    errors: dict,
    *,
    required: bool = False,
    start_field="planned_start",
    end_field="planned_end",
):
    """A window ``[start, end)``: both or neither (both with ``required``), end after start."""
    message = _("Give the start and the end of the window.") if required else ""
    start = clean_instant(start, start_field, errors, required=message)
    end = clean_instant(end, end_field, errors, required=message)
    if (start is None) != (end is None) and not required:
        errors[end_field if end is None else start_field] = _(
            "Give both the start and the end of the window, or neither."
        )
    if start is not None and end is not None and end <= start:
        errors[end_field] = _("The end must be after the start.")
    return start, end


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def check_version(current, expected_version) -> None:
    """Optimistic concurrency: refuse when the record changed since the caller read it."""
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this record meanwhile; check it and try again."),
            code="stale",
        )


def bump(instance, now=None, **extra) -> None:
    """Save ``instance`` with its version incremented (and ``updated_at`` set when given)."""
    if now is not None:
        instance.updated_at = now
    instance.version = F("version") + 1
    instance.save()
    instance.refresh_from_db(fields=["version"])


def json_ready(payload: dict) -> dict:
    """``payload`` as it reads back from a JSON column (instants become ISO strings)."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))
