"""Corrective and preventive action writes (clause 10.1): plan, edit, start, mark done,
cancel, and record a manual verification of the effect (a KPI condition is checked by
``improvement.verification``).

Each service checks the actor's right, validates, writes the change, one audit row and the
moves of the nonconformity that follow (``lifecycle_nonconformities``) in one transaction,
and raises ValidationError (translated messages, nothing written) on bad input.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.attachments import attachment_add
from serviceloop.improvement.lifecycle_nonconformities import (
    ACTION_REFERENCE_KINDS,
    action_assigned_notify,
    action_record_outcome,
    lock_action,
    nc_action_planned,
    nc_follow_actions,
)
from serviceloop.improvement.models import (
    ACTION_OPEN_STATUSES,
    Action,
    ActionKind,
    ActionStatus,
    NcSource,
    NcStatus,
    Nonconformity,
    VerificationMethod,
    action_transition_for,
)
from serviceloop.improvement.permissions_nonconformities import (
    can_manage,
    can_verify,
    can_write_action,
    can_write_nonconformity,
)
from serviceloop.improvement.verification import (
    VERIFICATION_FIELDS,
    verification_clean,
    verification_stated,
)
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_owner,
    clean_text,
    raise_if,
)

DETAIL_FIELDS = ("title", "description", "owner", "due_on", "source", "source_reference")
ACTION_FIELDS = (*DETAIL_FIELDS, *VERIFICATION_FIELDS)
# A nonconformity takes new actions once its root cause is analysed.
TAKES_ACTIONS = (
    NcStatus.ANALYSED,
    NcStatus.ACTIONS_IN_PROGRESS,
    NcStatus.VERIFYING,
    NcStatus.REOPENED,
)


def _clean_details(values: dict, errors: dict, *, preventive: bool) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    if "description" in values:
        cleaned["description"] = clean_text(values["description"], "description", errors)
    if "owner" in values:
        owner = values["owner"]
        cleaned["owner"] = None if owner is None else clean_owner(owner, errors)
    if "due_on" in values:
        cleaned["due_on"] = clean_date(values["due_on"], "due_on", errors, required=False)
    if "source" in values:
        source = values["source"] or ""
        if preventive:
            cleaned["source"] = clean_choice(source, NcSource.values, "source", errors)
        elif source:
            errors["source"] = _("A corrective action comes from its nonconformity.")
        else:
            cleaned["source"] = ""
    if "source_reference" in values:
        cleaned["source_reference"] = clean_text(
            values["source_reference"], "source_reference", errors, limit=100
        )
    return cleaned


def _clean_verification(values: dict, errors: dict) -> dict:
    if not any(name in values for name in VERIFICATION_FIELDS):
        return {}
    return verification_clean(values, errors)


def _open_by_cause(cause_key: str) -> Action | None:
    if not cause_key:
        return None
    return Action.objects.filter(cause_key=cause_key, status__in=ACTION_OPEN_STATUSES).first()


def action_create(
    *,
    actor,
    nonconformity: Nonconformity | None,
    title,
    description="",
    owner=None,
    due_on=None,
    source="",
    source_reference="",
    cause_key="",
    verification_method="",
    verification_plan="",
    kpi=None,
    kpi_slice=None,
    kpi_comparator="",
    kpi_threshold=None,
    kpi_periods=None,
    today: datetime.date | None = None,
) -> Action:
    """A new action, planned: corrective ``CA-YYYY-NNNNNN`` on a nonconformity whose root
    cause is analysed (its owner or MANAGE_SYSTEM; the nonconformity then has actions in
    progress), or preventive ``PA-YYYY-NNNNNN`` without one (MANAGE_SYSTEM, or the system
    with ``actor`` None; ``source`` says where it comes from). The verification may be
    stated now or later, but before the action is done. With ``cause_key``, an undecided
    action with that key is returned unchanged instead."""
    preventive = nonconformity is None
    if preventive:
        if actor is not None and not can_manage(actor):
            raise PermissionDenied
    elif actor is None or not can_write_nonconformity(actor, nonconformity):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    values = {
        "title": title, "description": description, "owner": owner, "due_on": due_on,
        "source": source, "source_reference": source_reference,
    }  # fmt: skip
    cleaned = _clean_details(values, errors, preventive=preventive)
    cleaned |= _clean_verification(
        {
            "verification_method": verification_method, "verification_plan": verification_plan,
            "kpi": kpi, "kpi_slice": kpi_slice, "kpi_comparator": kpi_comparator,
            "kpi_threshold": kpi_threshold, "kpi_periods": kpi_periods,
        },
        errors,
    )  # fmt: skip
    cause_key = clean_text(cause_key, "cause_key", errors, limit=200)
    raise_if(errors)
    existing = _open_by_cause(cause_key)
    if existing is not None:
        return existing
    kind = ActionKind.PREVENTIVE if preventive else ActionKind.CORRECTIVE
    now = timezone.now()
    try:
        with transaction.atomic():
            if not preventive:
                nonconformity = Nonconformity.objects.select_for_update(of=("self",)).get(
                    pk=nonconformity.pk
                )
                if nonconformity.status not in TAKES_ACTIONS:
                    raise ValidationError(
                        _("Analyse the root cause first.")
                        if not nonconformity.is_closed
                        else _("A closed or cancelled nonconformity takes no new action.")
                    )
            action = Action.objects.create(
                reference=reference_allocate(kind=ACTION_REFERENCE_KINDS[kind], year=today.year),
                kind=kind,
                nonconformity=nonconformity,
                cause_key=cause_key,
                created_by=actor,
                created_at=now,
                updated_at=now,
                **cleaned,
            )
            audit_record(
                actor=actor,
                verb="action.created",
                obj=action,
                payload={
                    **snapshot(action, ACTION_FIELDS),
                    "kind": kind,
                    "nonconformity": nonconformity.reference if nonconformity else None,
                    "cause_key": cause_key,
                },
            )
            if not preventive:
                nc_action_planned(nonconformity, actor=actor, today=today)
            action_assigned_notify(action, actor=actor)
    except IntegrityError:
        existing = _open_by_cause(cause_key)
        if existing is None:
            raise
        return existing
    return action


def _locked(action: Action, expected_version) -> Action:
    locked = lock_action(action.pk)
    check_version(locked, expected_version)
    return locked


def action_update(
    *, actor, action: Action, expected_version: int | None = None, **changes
) -> Action:
    """Change an action not yet done: its details and how its effect will be verified. Its
    owner, its nonconformity's owner or MANAGE_SYSTEM."""
    if not can_write_action(actor, action):
        raise PermissionDenied
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        action = _locked(action, expected_version)
        preventive = action.kind == ActionKind.PREVENTIVE
        cleaned = _clean_details(changes, errors, preventive=preventive)
        if any(name in changes for name in VERIFICATION_FIELDS):
            current = {name: getattr(action, name) for name in VERIFICATION_FIELDS}
            cleaned |= verification_clean(current | changes, errors)
        raise_if(errors)
        if action.status not in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS):
            raise ValidationError(_("Only an action not yet done is changed."))
        before = snapshot(action, ACTION_FIELDS)
        for name, value in cleaned.items():
            setattr(action, name, value)
        made = field_changes(action, before, ACTION_FIELDS)
        if not made:
            return action
        action.updated_at = timezone.now()
        action.version += 1
        action.save()
        audit_record(actor=actor, verb="action.updated", obj=action, payload=made)
        if "owner" in made:
            action_assigned_notify(action, actor=actor)
    return action


def action_transition(
    *,
    actor,
    action: Action,
    target: str,
    note: str = "",
    done_on: datetime.date | None = None,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Action:
    """Start an action, mark it done (``note``: what was done; ``done_on``: when, not after
    today; its verification must be stated), or cancel it (``note``: why). Verification
    outcomes are not moves a person makes here: see ``action_verify`` and the KPI check.
    Its nonconformity follows (verifying once no action is pending)."""
    if not can_write_action(actor, action):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    note = clean_text(note, "note", errors, limit=4000)
    with transaction.atomic():
        action = _locked(action, expected_version)
        transition = action_transition_for(action.status, target)
        if transition is None or not transition.by_user:
            raise ValidationError(
                {"target": _("This action cannot move from its current status to that one.")}
            )
        if transition.needs == "reason" and not note and "note" not in errors:
            errors["note"] = _("Say why.")
        if transition.needs == "done":
            if not note and "note" not in errors:
                errors["note"] = _("Say what was done.")
            done_on = clean_date(done_on or today, "done_on", errors)
            if done_on and "done_on" not in errors and done_on > today:
                errors["done_on"] = _("The action cannot be done in the future.")
            if not verification_stated(action):
                errors["target"] = _("State how the effect will be verified first.")
        raise_if(errors)
        previous = action.status
        action.status = target
        if target == ActionStatus.IN_PROGRESS:
            action.started_on = today
        elif target == ActionStatus.DONE:
            action.done_on, action.done_note = done_on, note
            action.started_on = action.started_on or done_on
        else:
            action.status_note = note
        action.updated_at = timezone.now()
        action.version += 1
        action.save()
        audit_record(
            actor=actor,
            verb="action.status_changed",
            obj=action,
            payload={"from": previous, "to": target, "note": note, "done_on": action.done_on},
        )
        if action.nonconformity is not None:
            nc_follow_actions(action.nonconformity, actor=actor, today=today)
    return action


def action_verify(
    *,
    actor,
    action: Action,
    effective: bool,
    note: str,
    evidence_note: str = "",
    evidence_link: str = "",
    evidence_file=None,
    today: datetime.date | None = None,
    expected_version: int | None = None,
):
    """Record the manual verification of a done action's effect (MANAGE_SYSTEM or AUDIT):
    the finding (``note``) and its evidence (a note, a link or a file; at least one when
    effective). Effective: the nonconformity closes once nothing is left to verify. Not
    effective: the nonconformity is reopened and its owner told. An action verified by a
    KPI condition is decided by the data only. Returns the verification row."""
    if not can_verify(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    if not isinstance(effective, bool):
        errors["effective"] = _("Say whether the action was effective.")
    note = clean_text(note, "note", errors, limit=4000, required=True)
    evidence_note = clean_text(evidence_note, "evidence_note", errors, limit=4000)
    evidence_link = clean_text(evidence_link, "evidence_link", errors, limit=500)
    if evidence_link and not evidence_link.startswith(("https://", "http://")):
        errors["evidence_link"] = _("Enter a web address starting with https:// or http://.")
    if effective is True and not (evidence_note or evidence_link or evidence_file):
        errors["evidence_note"] = _("Give the evidence of the effect: a note, a link or a file.")
    raise_if(errors)
    with transaction.atomic():
        action = _locked(action, expected_version)
        if action.status != ActionStatus.DONE:
            raise ValidationError(_("Only a done action is verified."))
        if action.verification_method != VerificationMethod.MANUAL:
            raise ValidationError(
                _("This action is verified by its KPI condition: the data decides.")
            )
        row = action_record_outcome(
            action,
            effective=effective,
            actor=actor,
            today=today,
            note=note,
            evidence_note=evidence_note,
            evidence_link=evidence_link,
        )
        if evidence_file is not None:
            attachment_add(
                actor=actor,
                organisation=actor.organisation,
                uploaded_file=evidence_file,
                target=row,
                is_internal=True,
            )
    return row
