"""Leadership writes (clause 5): the versioned service management policy (5.2.1), the records
of its communication (5.2.2), and the roles and responsibilities matrix (5.3).

The policy moves draft → approved → superseded like the scope statement: one draft at a
time, approved by top management, never changed once approved. Its text is HTML sanitised
with ``clean_html`` when stored.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.core.sanitise import clean_html
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_text,
    raise_if,
    require_manager,
)
from serviceloop.planning.models import (
    RACI_LETTERS,
    CommunicationChannel,
    PolicyCommunication,
    PolicyVersion,
    RaciAssignment,
    VersionStatus,
    process_for,
)
from serviceloop.planning.permissions_management import can_approve_policy
from serviceloop.planning.services_context import _approve, _next_number

POLICY_FIELDS = ("title", "body", "change_summary")
BODY_LIMIT = 100_000


def _clean_policy(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    if "body" in values:
        body = clean_text(values["body"], "body", errors, limit=BODY_LIMIT)
        cleaned["body"] = clean_html(body).strip()
    if "change_summary" in values:
        cleaned["change_summary"] = clean_text(values["change_summary"], "change_summary", errors)
    return cleaned


def policy_draft_create(*, actor, title: str = "", body: str = "") -> PolicyVersion:
    """Start the next version of the policy as a draft (one at a time): the title and text
    given, or else those of the approved version."""
    require_manager(actor)
    errors: dict = {}
    title = clean_text(title, "title", errors, limit=200)
    body = clean_html(clean_text(body, "body", errors, limit=BODY_LIMIT)).strip()
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        if (
            PolicyVersion.objects.select_for_update(of=("self",))
            .filter(status=VersionStatus.DRAFT)
            .exists()
        ):
            raise ValidationError(
                _("A draft of the policy exists already: edit or discard it first.")
            )
        current = PolicyVersion.objects.filter(status=VersionStatus.APPROVED).first()
        draft = PolicyVersion.objects.create(
            number=_next_number(PolicyVersion),
            title=title or (current.title if current else ""),
            body=body or (current.body if current else ""),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            verb="policy.draft_created",
            obj=draft,
            payload={"number": draft.number, "from": current.number if current else None},
        )
    return draft


def policy_update(
    *, actor, policy: PolicyVersion, expected_version: int | None = None, **changes
) -> PolicyVersion:
    """Change the draft's title, text (sanitised HTML) or summary of what changed."""
    require_manager(actor)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean_policy(changes, errors)
    raise_if(errors)
    with transaction.atomic():
        policy = PolicyVersion.objects.select_for_update(of=("self",)).get(pk=policy.pk)
        check_version(policy, expected_version)
        if not policy.is_draft:
            raise ValidationError(_("Only a draft can be changed: start a new version."))
        before = snapshot(policy, POLICY_FIELDS)
        for name, value in cleaned.items():
            setattr(policy, name, value)
        made = field_changes(policy, before, POLICY_FIELDS)
        if not made:
            return policy
        if "body" in made:
            made["body"] = [len(before["body"]), len(policy.body)]  # lengths, not whole texts
        policy.updated_at = timezone.now()
        policy.version += 1
        policy.save()
        audit_record(actor=actor, verb="policy.updated", obj=policy, payload=made)
    return policy


def policy_approval_problems(policy: PolicyVersion) -> list[str]:
    problems = []
    if not policy.title.strip():
        problems.append(_("Give the policy a title."))
    if not clean_html(policy.body).strip():
        problems.append(_("Write the text of the policy."))
    return problems


def policy_approve(
    *, actor, policy: PolicyVersion, note: str = "", expected_version: int | None = None
) -> PolicyVersion:
    """Approve the draft (top management only); the approved version before it is
    superseded."""
    if not can_approve_policy(actor):
        raise PermissionDenied
    with transaction.atomic():
        check_version(PolicyVersion.objects.get(pk=policy.pk), expected_version)
        return _approve(
            PolicyVersion,
            actor=actor,
            document=policy,
            note=note,
            problems=policy_approval_problems,
            verb="policy.approved",
        )


def policy_draft_discard(*, actor, policy: PolicyVersion) -> None:
    require_manager(actor)
    with transaction.atomic():
        policy = PolicyVersion.objects.select_for_update(of=("self",)).get(pk=policy.pk)
        if not policy.is_draft:
            raise ValidationError(_("Only a draft can be discarded."))
        audit_record(actor=actor, verb="policy.draft_discarded", obj=policy, payload={})
        policy.delete()


def policy_communication_record(
    *,
    actor,
    policy: PolicyVersion,
    communicated_on: datetime.date,
    audience: str,
    channel: str,
    note: str = "",
    today: datetime.date | None = None,
) -> PolicyCommunication:
    """Record that an approved (or since superseded) policy version was communicated: on
    which date (not in the future, not before its approval), to whom, how."""
    require_manager(actor)
    today = today or timezone.localdate()
    errors: dict = {}
    communicated_on = clean_date(communicated_on, "communicated_on", errors)
    audience = clean_text(audience, "audience", errors, limit=200, required=True)
    channel = clean_choice(channel, CommunicationChannel.values, "channel", errors)
    note = clean_text(note, "note", errors, limit=2000)
    if policy.is_draft:
        errors["policy"] = _("Only an approved policy can be communicated.")
    elif communicated_on and "communicated_on" not in errors:
        if communicated_on > today:
            errors["communicated_on"] = _("The date cannot be in the future.")
        elif policy.approved_at and communicated_on < timezone.localdate(policy.approved_at):
            errors["communicated_on"] = _("The date cannot be before the policy was approved.")
    raise_if(errors)
    with transaction.atomic():
        record = PolicyCommunication.objects.create(
            policy=policy,
            communicated_on=communicated_on,
            audience=audience,
            channel=channel,
            note=note,
            recorded_by=actor,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            verb="policy.communicated",
            obj=policy,
            payload={
                "communication": record.pk,
                "on": communicated_on,
                "audience": audience,
                "channel": channel,
            },
        )
    return record


# --- RACI ----------------------------------------------------------------------------------


def _clean_letters(value) -> str | None:
    """Letters out of R, A, C, I in that order ("" for none); None when invalid."""
    if not isinstance(value, str):
        return None
    letters = {c for c in value.upper() if not c.isspace() and c not in "/,-"}
    if not letters <= set(RACI_LETTERS):
        return None
    return "".join(c for c in RACI_LETTERS if c in letters)


def raci_update(*, actor, cells: dict) -> int:
    """Set cells of the matrix: ``{(process code, role): letters}`` with letters out of
    R, A, C, I ("" empties the cell). A process has at most one Accountable role, counting
    the cells not given. Returns the number of cells changed (one audit row for them all)."""
    require_manager(actor)
    errors: list[str] = []
    wanted: dict[tuple[str, str], str] = {}
    for key, value in cells.items():
        process, role = key if isinstance(key, tuple) and len(key) == 2 else ("", "")
        letters = _clean_letters(value)
        if process_for(process) is None or role not in PROVIDER_ROLES:
            errors.append(_("Unknown process or role: %(key)s.") % {"key": key})
        elif letters is None:
            errors.append(
                _("Use the letters R, A, C and I only (%(process)s, %(role)s).")
                % {"process": process, "role": role}
            )
        else:
            wanted[(process, role)] = letters
    if errors:
        raise ValidationError({"cells": errors})
    now = timezone.now()
    with transaction.atomic():
        current = {
            (row.process, row.role): row
            for row in RaciAssignment.objects.select_for_update(of=("self",))
        }
        matrix = {key: row.letters for key, row in current.items()}
        matrix.update(wanted)
        accountable: dict[str, list[str]] = {}
        for (process, role), letters in matrix.items():
            if "A" in letters:
                accountable.setdefault(process, []).append(role)
        doubled = sorted(p for p, roles in accountable.items() if len(roles) > 1)
        if doubled:
            raise ValidationError(
                {
                    "cells": [
                        _("Only one role can be accountable (A) for a process: %(p)s.")
                        % {"p": ", ".join(doubled)}
                    ]
                }
            )
        changed = {}
        for key, letters in wanted.items():
            row = current.get(key)
            old = row.letters if row else ""
            if old == letters:
                continue
            changed[f"{key[0]} {key[1]}"] = [old, letters]
            if not letters:
                row.delete()
            elif row is None:
                RaciAssignment.objects.create(
                    process=key[0], role=key[1], letters=letters, updated_by=actor, updated_at=now
                )
            else:
                row.letters, row.updated_by, row.updated_at = letters, actor, now
                row.save(update_fields=["letters", "updated_by", "updated_at"])
        if changed:
            audit_record(
                actor=actor,
                verb="raci.updated",
                object_type="planning.raciassignment",
                object_id="matrix",
                payload=changed,
            )
    return len(changed)
