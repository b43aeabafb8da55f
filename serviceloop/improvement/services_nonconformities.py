"""Nonconformity writes (clause 10.1): raise, edit, contain, analyse the root cause, cancel,
reopen; and raising a preventive action (the action services live in
``services_actions_nonconformities``).

Each service checks the actor's right, validates, writes the change and one audit row in one
transaction, and raises ValidationError (translated messages, nothing written) on bad input.
``nonconformity_raise`` and ``preventive_action_raise`` are also called by tasks with
``actor=None`` (the system): no permission check then, and the audit row has no actor.
With a ``cause_key``, neither ever raises a second open record for the same cause.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.conformity.models import Clause
from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.improvement.lifecycle_nonconformities import NC_REFERENCE_KIND, nc_move
from serviceloop.improvement.models import (
    ACTION_OPEN_STATUSES,
    FISHBONE_CATEGORIES,
    Action,
    ActionStatus,
    NcSource,
    NcStatus,
    Nonconformity,
    RcaMethod,
    Severity,
    nc_transition_for,
)
from serviceloop.improvement.permissions_nonconformities import (
    can_manage,
    can_raise,
    can_write_nonconformity,
)
from serviceloop.improvement.services_actions_nonconformities import action_create
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_owner,
    clean_text,
    raise_if,
)

NC_FIELDS = (
    "title", "description", "source", "source_reference", "severity", "owner", "due_on",
)  # fmt: skip
MOST_WHYS = 10
MOST_CAUSES = 20
CAUSE_KEY_LIMIT = 200


def _clean_clauses(numbers, errors: dict) -> list[Clause]:
    if isinstance(numbers, str):
        numbers = [n for n in numbers.replace(",", " ").split() if n]
    numbers = list(dict.fromkeys(str(n).strip() for n in numbers or () if str(n).strip()))
    found = {c.number: c for c in Clause.objects.filter(number__in=numbers)}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        errors["clause_numbers"] = _("No clause has the number %(numbers)s.") % {
            "numbers": ", ".join(unknown)
        }
    return [found[n] for n in numbers if n in found]


def _clean(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    if "description" in values:
        cleaned["description"] = clean_text(values["description"], "description", errors)
    if "source" in values:
        cleaned["source"] = clean_choice(values["source"], NcSource.values, "source", errors)
    if "source_reference" in values:
        cleaned["source_reference"] = clean_text(
            values["source_reference"], "source_reference", errors, limit=100
        )
    if "severity" in values:
        cleaned["severity"] = clean_choice(values["severity"], Severity.values, "severity", errors)
    if "owner" in values:
        owner = values["owner"]
        cleaned["owner"] = None if owner is None else clean_owner(owner, errors)
    if "due_on" in values:
        cleaned["due_on"] = clean_date(values["due_on"], "due_on", errors, required=False)
    if "clause_numbers" in values:
        cleaned["clauses"] = _clean_clauses(values["clause_numbers"], errors)
    return cleaned


def _open_by_cause(cause_key: str) -> Nonconformity | None:
    if not cause_key:
        return None
    return Nonconformity.objects.not_closed().filter(cause_key=cause_key).first()


def nonconformity_raise(
    actor,
    *,
    title,
    source,
    description="",
    source_reference="",
    severity="minor",
    clause_numbers=(),
    owner=None,
    due_on=None,
    cause_key="",
) -> Nonconformity:
    """A new nonconformity ``NC-YYYY-NNNNNN``, open, linked to the clauses numbered.

    ``actor`` None: raised by the system (a task); else MANAGE_SYSTEM or AUDIT (403).
    With ``cause_key``, an open (not closed or cancelled) nonconformity with the same key is
    returned unchanged instead: never a duplicate, even when two workers race (the unique
    constraint decides)."""
    if actor is not None and not can_raise(actor):
        raise PermissionDenied
    errors: dict = {}
    cleaned = _clean(
        {
            "title": title, "description": description, "source": source,
            "source_reference": source_reference, "severity": severity, "owner": owner,
            "due_on": due_on, "clause_numbers": clause_numbers,
        },
        errors,
    )  # fmt: skip
    cause_key = clean_text(cause_key, "cause_key", errors, limit=CAUSE_KEY_LIMIT)
    raise_if(errors)
    existing = _open_by_cause(cause_key)
    if existing is not None:
        return existing
    clauses = cleaned.pop("clauses")
    now = timezone.now()
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            nonconformity = Nonconformity.objects.create(
                reference=reference_allocate(kind=NC_REFERENCE_KIND, year=today.year),
                cause_key=cause_key,
                raised_on=today,
                raised_by=actor,
                created_at=now,
                updated_at=now,
                **cleaned,
            )
            nonconformity.clauses.set(clauses)
            audit_record(
                actor=actor,
                verb="nonconformity.raised",
                obj=nonconformity,
                payload={
                    **snapshot(nonconformity, NC_FIELDS),
                    "clauses": [c.number for c in clauses],
                    "cause_key": cause_key,
                },
            )
    except IntegrityError:
        existing = _open_by_cause(cause_key)
        if existing is None:
            raise
        return existing
    return nonconformity


def nonconformity_update(
    *, actor, nonconformity: Nonconformity, expected_version: int | None = None, **changes
) -> Nonconformity:
    """Change the details of an open nonconformity (title, description, source, severity,
    clauses, owner, due date). Its owner or MANAGE_SYSTEM."""
    if not can_write_nonconformity(actor, nonconformity):
        raise PermissionDenied
    unknown = set(changes) - set(NC_FIELDS) - {"clause_numbers"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean(changes, errors)
    raise_if(errors)
    with transaction.atomic():
        nonconformity = Nonconformity.objects.select_for_update(of=("self",)).get(
            pk=nonconformity.pk
        )
        check_version(nonconformity, expected_version)
        if nonconformity.is_closed:
            raise ValidationError(_("A closed or cancelled nonconformity is not edited."))
        before = snapshot(nonconformity, NC_FIELDS)
        for name in NC_FIELDS:
            if name in cleaned:
                setattr(nonconformity, name, cleaned[name])
        made = field_changes(nonconformity, before, NC_FIELDS)
        if "clauses" in cleaned:
            old = sorted(nonconformity.clauses.values_list("number", flat=True))
            new = sorted(c.number for c in cleaned["clauses"])
            if old != new:
                nonconformity.clauses.set(cleaned["clauses"])
                made["clauses"] = [old, new]
        if not made:
            return nonconformity
        nonconformity.updated_at = timezone.now()
        nonconformity.version += 1
        nonconformity.save()
        audit_record(actor=actor, verb="nonconformity.updated", obj=nonconformity, payload=made)
    return nonconformity


def _locked(nonconformity: Nonconformity, expected_version) -> Nonconformity:
    locked = Nonconformity.objects.select_for_update(of=("self",)).get(pk=nonconformity.pk)
    check_version(locked, expected_version)
    return locked


def nonconformity_contain(
    *,
    actor,
    nonconformity: Nonconformity,
    containment: str,
    contained_on: datetime.date,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Nonconformity:
    """Record the containment and correction (what was done to limit the effect, and when,
    not after today). An open nonconformity becomes *contained*; later, the text is
    updated in place."""
    if not can_write_nonconformity(actor, nonconformity):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    containment = clean_text(containment, "containment", errors, required=True)
    contained_on = clean_date(contained_on, "contained_on", errors)
    if contained_on and "contained_on" not in errors and contained_on > today:
        errors["contained_on"] = _("The containment date cannot be in the future.")
    raise_if(errors)
    with transaction.atomic():
        nonconformity = _locked(nonconformity, expected_version)
        if nonconformity.is_closed:
            raise ValidationError(_("A closed or cancelled nonconformity is not changed."))
        before = snapshot(nonconformity, ("containment", "contained_on"))
        nonconformity.containment, nonconformity.contained_on = containment, contained_on
        made = field_changes(nonconformity, before, ("containment", "contained_on"))
        if made:
            nonconformity.updated_at = timezone.now()
            nonconformity.version += 1
            nonconformity.save()
            audit_record(
                actor=actor, verb="nonconformity.contained", obj=nonconformity, payload=made
            )
        if nonconformity.status == NcStatus.OPEN:
            nc_move(nonconformity, NcStatus.CONTAINED, actor=actor, today=today)
    return nonconformity


def _clean_whys(whys, errors: dict) -> list[dict]:
    """An ordered list of {"why", "answer"}: both texts, at least one pair, at most ten."""
    if not isinstance(whys, list | tuple):
        errors["whys"] = _("List the whys in order, each with its answer.")
        return []
    rows = []
    for row in whys:
        if not isinstance(row, dict):
            errors["whys"] = _("List the whys in order, each with its answer.")
            return []
        why, answer = row.get("why", ""), row.get("answer", "")
        if not isinstance(why, str) or not isinstance(answer, str):
            errors["whys"] = _("List the whys in order, each with its answer.")
            return []
        why, answer = why.strip(), answer.strip()
        if not why and not answer:
            continue
        if not why or not answer:
            errors["whys"] = _("Each why needs its answer.")
            return []
        if len(why) > 500 or len(answer) > 500:
            errors["whys"] = _("Keep each why and answer under %(n)d characters.") % {"n": 500}
            return []
        rows.append({"why": why, "answer": answer})
    if not rows:
        errors["whys"] = _("Ask at least one why and answer it.")
    elif len(rows) > MOST_WHYS:
        errors["whys"] = _("Ask at most %(n)d whys.") % {"n": MOST_WHYS}
    return rows


def _clean_fishbone(fishbone, errors: dict) -> dict:
    """{category: [causes]} over the six categories; at least one cause somewhere."""
    if not isinstance(fishbone, dict) or set(fishbone) - set(FISHBONE_CATEGORIES):
        errors["fishbone"] = _("Use the categories people, process, technology, supplier, "
                               "environment and measurement.")  # fmt: skip
        return {}
    cleaned = {}
    for category in FISHBONE_CATEGORIES:
        causes = fishbone.get(category) or []
        if isinstance(causes, str):
            causes = causes.splitlines()
        if not isinstance(causes, list | tuple) or any(not isinstance(c, str) for c in causes):
            errors["fishbone"] = _("List the causes of each category, one per line.")
            return {}
        causes = [c.strip() for c in causes if c.strip()]
        if len(causes) > MOST_CAUSES or any(len(c) > 500 for c in causes):
            errors["fishbone"] = _("At most %(n)d causes per category, each under 500 "
                                   "characters.") % {"n": MOST_CAUSES}  # fmt: skip
            return {}
        if causes:
            cleaned[category] = causes
    if not cleaned:
        errors["fishbone"] = _("Name at least one cause.")
    return cleaned


def nonconformity_analyse(
    *,
    actor,
    nonconformity: Nonconformity,
    method: str,
    root_cause: str,
    whys=(),
    fishbone=None,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Nonconformity:
    """Record the root cause analysis: five whys (an ordered list of why and answer) or a
    fishbone (causes under the six categories), and the root cause statement. An open,
    contained or reopened nonconformity becomes *analysed*; later, the analysis is updated
    in place."""
    if not can_write_nonconformity(actor, nonconformity):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    method = clean_choice(method, RcaMethod.values, "method", errors)
    root_cause = clean_text(root_cause, "root_cause", errors, limit=4000, required=True)
    rows, bones = [], {}
    if method == RcaMethod.FIVE_WHYS:
        rows = _clean_whys(list(whys or []), errors)
    elif method == RcaMethod.FISHBONE:
        bones = _clean_fishbone(fishbone if fishbone is not None else {}, errors)
    raise_if(errors)
    fields = ("rca_method", "rca_whys", "rca_fishbone", "root_cause")
    with transaction.atomic():
        nonconformity = _locked(nonconformity, expected_version)
        if nonconformity.is_closed:
            raise ValidationError(_("A closed or cancelled nonconformity is not changed."))
        before = snapshot(nonconformity, fields)
        nonconformity.rca_method, nonconformity.root_cause = method, root_cause
        nonconformity.rca_whys, nonconformity.rca_fishbone = rows, bones
        made = field_changes(nonconformity, before, fields)
        if made:
            nonconformity.analysed_on = today
            nonconformity.updated_at = timezone.now()
            nonconformity.version += 1
            nonconformity.save()
            audit_record(
                actor=actor, verb="nonconformity.analysed", obj=nonconformity, payload=made
            )
        if nc_transition_for(nonconformity.status, NcStatus.ANALYSED):
            nc_move(nonconformity, NcStatus.ANALYSED, actor=actor, today=today)
    return nonconformity


def _reason(note, errors: dict) -> str:
    note = clean_text(note, "note", errors, limit=2000)
    if not note and "note" not in errors:
        errors["note"] = _("Say why.")
    return note


def nonconformity_cancel(
    *,
    actor,
    nonconformity: Nonconformity,
    note: str,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Nonconformity:
    """Cancel a nonconformity raised in error (MANAGE_SYSTEM, with the reason); its actions
    not yet verified are cancelled with it."""
    if not can_manage(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    note = _reason(note, errors)
    raise_if(errors)
    with transaction.atomic():
        nonconformity = _locked(nonconformity, expected_version)
        if nc_transition_for(nonconformity.status, NcStatus.CANCELLED) is None:
            raise ValidationError(_("This nonconformity can no longer be cancelled."))
        cancelled = []
        for action in Action.objects.select_for_update(of=("self",)).filter(
            nonconformity=nonconformity, status__in=ACTION_OPEN_STATUSES
        ):
            action.status, action.status_note = ActionStatus.CANCELLED, note
            action.updated_at = timezone.now()
            action.version += 1
            action.save()
            audit_record(
                actor=actor,
                verb="action.status_changed",
                obj=action,
                payload={"to": ActionStatus.CANCELLED, "note": note},
            )
            cancelled.append(action.reference)
        nc_move(
            nonconformity,
            NcStatus.CANCELLED,
            actor=actor,
            today=today,
            note=note,
            payload={"actions_cancelled": cancelled},
        )
    return nonconformity


def nonconformity_reopen(
    *,
    actor,
    nonconformity: Nonconformity,
    note: str,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Nonconformity:
    """Reopen a closed nonconformity (MANAGE_SYSTEM, with the reason), e.g. when the cause
    shows again; then analyse it again or plan new actions."""
    if not can_manage(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    note = _reason(note, errors)
    raise_if(errors)
    with transaction.atomic():
        nonconformity = _locked(nonconformity, expected_version)
        if nc_transition_for(nonconformity.status, NcStatus.REOPENED) is None or (
            nonconformity.status != NcStatus.CLOSED
        ):
            raise ValidationError(_("Only a closed nonconformity is reopened."))
        if (
            nonconformity.cause_key
            and Nonconformity.objects.not_closed()
            .filter(cause_key=nonconformity.cause_key)
            .exists()
        ):
            raise ValidationError(
                _("Another open nonconformity has the same cause: work on that one.")
            )
        nc_move(nonconformity, NcStatus.REOPENED, actor=actor, today=today, note=note)
    return nonconformity


def preventive_action_raise(
    actor,
    *,
    title,
    source,
    description="",
    source_reference="",
    owner=None,
    due_on=None,
    cause_key="",
) -> Action:
    """A new preventive action ``PA-YYYY-NNNNNN`` (planned) from a risk, a KPI trend or
    another source; its verification is stated later by its owner.

    ``actor`` None: raised by the system (a task); else MANAGE_SYSTEM (403). With
    ``cause_key``, a preventive action not yet decided (planned, in progress or done) with
    the same key is returned unchanged instead: never a duplicate."""
    return action_create(
        actor=actor,
        nonconformity=None,
        title=title,
        source=source,
        description=description,
        source_reference=source_reference,
        owner=owner,
        due_on=due_on,
        cause_key=cause_key,
    )
