"""What every assurance service does the same way: lock a record and check the version its
editor read (optimistic concurrency), clean text, people and instants, compare a record's
values before and after a change, save a change with its audit row, and move a record along
its lifecycle table (``record_move``)."""

import datetime
import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.assurance.lifecycle import move_for
from serviceloop.assurance.permissions import is_staff
from serviceloop.core.audit import audit_record
from serviceloop.core.audit import snapshot as field_values

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
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def staff_person(person, field: str, errors: dict, *, required: bool = True):
    """``person`` when an active member of the provider's staff; else None and a message in
    ``errors`` (also when missing and ``required``)."""
    if person is None:
        if required:
            errors[field] = _("Choose a person.")
        return None
    if not person.is_active or not is_staff(person):
        errors[field] = _("Choose an active member of the provider's staff.")
        return None
    return person


def snapshot(record, fields) -> dict:
    """The values of ``fields`` (a foreign key as its id) as an audit row keeps them (JSON)."""
    return plain(field_values(record, fields))


def changes_between(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the values of ``after`` that differ from ``before``."""
    return {name: [before[name], after[name]] for name in after if before[name] != after[name]}


def keep_status_note(record, note: str) -> None:
    """A move's note becomes the record's status note; a move without one keeps the last."""
    record.status_note = note or record.status_note


def save_audited(record, *, actor, verb: str, payload: dict, now=None) -> None:
    """The end of every change, inside its transaction: ``updated_at`` set to ``now`` (when
    given), the version bumped, the record saved, and its one audit row written."""
    if now is not None:
        record.updated_at = now
    bump(record)
    record.save()
    audit_record(actor=actor, verb=verb, obj=record, payload=payload)


def record_move(
    *,
    actor,
    record,
    moves,
    target: str,
    note,
    expected_version,
    refused: str,
    verb: str,
    apply=None,
    check=None,
    now=None,
    audit_note: bool = True,
):
    """Move ``record`` to status ``target`` along its lifecycle table ``moves``, after the
    caller checked the actor's right.

    Refused with ValidationError (nothing written): a move the table does not hold
    (``refused``: the message, under ``status``), a missing note when the move needs one,
    and what ``check(move, errors)`` adds. Then in one transaction: the record re-read under
    lock (``stale`` when ``expected_version`` is no longer its version), the status set,
    ``apply(record, note)`` for the move's own fields, ``save_audited`` with one audit row
    ``<verb>.<target>`` naming the status change and the note (not the note when
    ``audit_note`` is off: a confidential record keeps it to itself). Returns the record."""
    move = move_for(moves, record.status, target)
    errors = {}
    note = text(note, "note", errors, required=bool(move and move.needs == "note"))
    if move is None:
        errors["status"] = refused
    elif check is not None:
        check(move, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = lock(record, expected_version)
        old = record.status
        record.status = target
        if apply is not None:
            apply(record, note)
        payload = (
            {"status": [old, target], "note": note} if audit_note else {"status": [old, target]}
        )
        save_audited(record, actor=actor, verb=f"{verb}.{target}", payload=payload, now=now)
    return record
