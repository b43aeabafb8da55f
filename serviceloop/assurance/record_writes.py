"""What every assurance service does the same way: lock a record and check the version its
editor read (optimistic concurrency), clean text, and bring instants to whole seconds."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TEXT_LIMIT = 20_000


def lock(record, expected_version: int | None = None):
    """The record re-read under a row lock (the rest of the transaction); ValidationError with
    code ``stale`` when ``expected_version`` is given and is no longer its version."""
    current = type(record).objects.select_for_update(of=("self",)).get(pk=record.pk)
    if expected_version is not None and int(expected_version) != current.version:
        raise ValidationError(
            _("Someone changed this record since you opened it. Reload and try again."),
            code="stale",
        )
    return current


def bump(record) -> None:
    record.version += 1


def text(value, field: str, errors: dict, *, required: bool = False, limit: int = TEXT_LIMIT):
    """``value`` stripped; records a translated message in ``errors`` when missing or too long."""
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Keep it under %(limit)s characters.") % {"limit": limit}
    return value


def whole_seconds(instant: datetime.datetime | None) -> datetime.datetime | None:
    """The instant without its fraction of a second (availability is exact to the second)."""
    if instant is None:
        return None
    return instant.replace(microsecond=0)


def aware(instant, field: str, errors: dict, *, required: bool = True):
    """An aware datetime from ``instant``, or a message in ``errors``."""
    if instant is None or instant == "":
        if required:
            errors[field] = _("Give a date and time.")
        return None
    if not isinstance(instant, datetime.datetime) or instant.tzinfo is None:
        errors[field] = _("Give a date and time with its time zone.")
        return None
    return whole_seconds(instant)


def plain(value):
    """``value`` as it reads back from a JSON column (datetimes as ISO text)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
