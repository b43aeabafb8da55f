"""The two writes every demand record (budget, cost line, demand record, capacity plan) takes
the same way: create one with its audit row, and change one under a row lock with the version
its editor read checked and each change audited before and after. A record the database
already holds under its unique key becomes the caller's translated error. Each runs in one
transaction; the callers check the actor's right and clean the input first."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.demand.validation import bump, check_version


def record_create(
    model,
    *,
    actor,
    verb: str,
    fields: tuple,
    cleaned: dict,
    now,
    unique: tuple = (),
    duplicate: Callable[[], ValidationError] | None = None,
    **extra,
):
    """A new ``model`` row of ``cleaned`` (and ``extra``), created by ``actor`` at ``now``,
    with one audit row ``verb`` holding ``fields``. ``unique``: the fields that name one
    record; when such a record exists (or another writer creates it meanwhile) the
    ValidationError ``duplicate()`` is raised and nothing is written."""
    if unique and model.objects.filter(**{name: cleaned[name] for name in unique}).exists():
        raise duplicate()
    try:
        with transaction.atomic():
            record = model.objects.create(
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
                updated_at=now,
                **extra,
                **cleaned,
            )
            audit_record(actor=actor, verb=verb, obj=record, payload=snapshot(record, fields))
    except IntegrityError as exc:  # created a moment ago by someone else
        if duplicate is None:
            raise
        raise duplicate() from exc
    return record


def record_update(
    record,
    *,
    actor,
    verb: str,
    fields: tuple,
    cleaned: dict,
    now,
    expected_version=None,
    duplicate: Callable[[], ValidationError] | None = None,
):
    """``cleaned`` written to ``record``, re-read under a row lock (ValidationError ``stale``
    when ``expected_version`` is no longer its version): its version bumped and one audit row
    ``verb`` with each changed field of ``fields`` as ``[before, after]``. Returns the record
    as stored; unchanged, and no audit row, when nothing differs."""
    try:
        with transaction.atomic():
            current = type(record).objects.select_for_update(of=("self",)).get(pk=record.pk)
            check_version(current, expected_version)
            before = snapshot(current, fields)
            for name, value in cleaned.items():
                setattr(current, name, value)
            changes = field_changes(current, before, fields)
            if not changes:
                return current
            bump(current, now)
            audit_record(actor=actor, verb=verb, obj=current, payload=changes)
    except IntegrityError as exc:  # the new key belongs to another record
        if duplicate is None:
            raise
        raise duplicate() from exc
    return current
