"""Audit findings (clause 9.2): recording them, their action and closure, their evidence
files, and the overdue reminders.

A major or minor nonconformity raises a nonconformity record of the improvement area
(``nonconformity_raise``) in the same transaction and keeps its reference; an opportunity for
improvement is proposed to the improvement register (``improvement_propose``) the same way.
Both are keyed by ``audit-finding:<reference>``, so a finding never raises two records.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from serviceloop.conformity.models import Clause
from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.attachments import attachment_add
from serviceloop.core.services.notifications import notify, reminders_send
from serviceloop.evaluation.models import (
    FINDING_TRANSITIONS,
    Audit,
    AuditStatus,
    ChecklistItem,
    Finding,
    FindingKind,
    FindingStatus,
    transition_for,
)
from serviceloop.evaluation.permissions_audits import can_plan_action, require_audit
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_owner,
    clean_text,
    raise_if,
)

REFERENCE_KIND = "AF"
FINDING_FIELDS = ("title", "description", "owner", "due_on", "checklist_item")
SEVERITY = {FindingKind.MAJOR_NC: "major", FindingKind.MINOR_NC: "minor"}


def cause_key(finding: Finding) -> str:
    return f"audit-finding:{finding.reference}"


def _clean(values: dict, errors: dict, audit: Audit, kind: str, today) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    if "description" in values:
        cleaned["description"] = clean_text(values["description"], "description", errors)
    if "clauses" in values:
        clauses = list(values["clauses"] or [])
        if any(not isinstance(c, Clause) for c in clauses):
            errors["clauses"] = _("Choose clauses from the list.")
        cleaned["clauses"] = clauses
    if "checklist_item" in values:
        item = values["checklist_item"]
        if item is not None and not (isinstance(item, ChecklistItem) and item.audit_id == audit.pk):
            errors["checklist_item"] = _("Choose a question of this audit's checklist.")
        cleaned["checklist_item"] = item
    if values.get("owner") is not None:
        cleaned["owner"] = clean_owner(values["owner"], errors)
    elif "owner" in values:
        cleaned["owner"] = None
    if values.get("due_on") is not None:
        cleaned["due_on"] = clean_date(values["due_on"], "due_on", errors)
        if cleaned["due_on"] and "due_on" not in errors and cleaned["due_on"] < today:
            errors["due_on"] = _("The due date cannot be in the past.")
    elif "due_on" in values:
        cleaned["due_on"] = None
    return cleaned


def _check_nonconformity(kind: str, clauses, owner, due_on, errors: dict) -> None:
    """A nonconformity names the clauses it breaks, an owner and a due date."""
    if kind not in SEVERITY:
        return
    if not clauses and "clauses" not in errors:
        errors["clauses"] = _("Name the clauses a nonconformity breaks.")
    if owner is None and "owner" not in errors:
        errors["owner"] = _("A nonconformity needs an owner for its correction.")
    if due_on is None and "due_on" not in errors:
        errors["due_on"] = _("A nonconformity needs a due date.")


def _notify_owner(finding: Finding) -> None:
    owner = finding.owner
    if owner is None:
        return
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        subject = _("Audit finding for you: %(reference)s %(title)s") % {
            "reference": finding.reference,
            "title": finding.title,
        }
        body = _(
            "%(kind)s recorded by the internal audit %(audit)s. You own it: plan the action "
            "by %(due)s."
        ) % {
            "kind": finding.get_kind_display(),
            "audit": finding.audit.reference,
            "due": finding.due_on.isoformat() if finding.due_on else "—",
        }
    notify(
        recipients=[owner],
        kind="generic",
        context={"subject": subject, "body": body},
        url=reverse("audit_finding_detail", args=[finding.reference]),
        dedupe_key=f"evaluation.finding_owner:{finding.pk}:{owner.pk}",
    )


def _raise_improvement_records(actor, finding: Finding, clauses) -> None:
    """The nonconformity (major/minor NC) or improvement (OFI) record of a new finding."""
    if finding.kind in SEVERITY:
        from serviceloop.improvement.services_nonconformities import nonconformity_raise

        record = nonconformity_raise(
            actor,
            title=finding.title,
            source="internal_audit",
            description=finding.description,
            source_reference=finding.reference,
            severity=SEVERITY[finding.kind],
            clause_numbers=tuple(c.number for c in clauses),
            owner=finding.owner,
            due_on=finding.due_on,
            cause_key=cause_key(finding),
        )
        finding.nonconformity_reference = record.reference
    elif finding.kind == FindingKind.OFI:
        from serviceloop.improvement.services_improvements import improvement_propose

        record = improvement_propose(
            actor,
            title=finding.title,
            source="audit",
            description=finding.description,
            source_reference=finding.reference,
            owner=finding.owner,
            cause_key=cause_key(finding),
        )
        finding.improvement_reference = record.reference


def finding_create(
    *, actor, audit: Audit, kind: str, title: str, description: str = "", clauses=(),
    checklist_item: ChecklistItem | None = None, owner=None, due_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Finding:  # fmt: skip
    """Record a finding ``AF-YYYY-NNNNNN`` of an audit in progress. A nonconformity (major or
    minor) names its clauses, an owner and a due date, and raises a nonconformity record; an
    opportunity for improvement is proposed to the improvement register."""
    require_audit(actor)
    today = today or timezone.localdate()
    errors: dict = {}
    kind = clean_choice(kind, FindingKind.values, "kind", errors)
    cleaned = _clean(
        {"title": title, "description": description, "clauses": clauses,
         "checklist_item": checklist_item, "owner": owner, "due_on": due_on},
        errors, audit, kind, today,
    )  # fmt: skip
    _check_nonconformity(kind, cleaned["clauses"], cleaned["owner"], cleaned["due_on"], errors)
    raise_if(errors)
    clauses = cleaned.pop("clauses")
    now = timezone.now()
    with transaction.atomic():
        audit = Audit.objects.select_for_update(of=("self",)).get(pk=audit.pk)
        if audit.status != AuditStatus.IN_PROGRESS:
            raise ValidationError(_("Findings are recorded while the audit is in progress."))
        finding = Finding.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localdate(now).year),
            audit=audit,
            kind=kind,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        finding.clauses.set(clauses)
        _raise_improvement_records(actor, finding, clauses)
        finding.save(update_fields=["nonconformity_reference", "improvement_reference"])
        audit_record(
            actor=actor,
            verb="finding.created",
            obj=finding,
            payload={
                **snapshot(finding, FINDING_FIELDS),
                "kind": kind,
                "audit": audit.reference,
                "clauses": [c.number for c in clauses],
                "nonconformity": finding.nonconformity_reference,
                "improvement": finding.improvement_reference,
            },
        )
        _notify_owner(finding)
    return finding


def finding_update(*, actor, finding: Finding, expected_version=None, **changes) -> Finding:
    """Change an open finding's text, clauses, question, owner or due date (its kind stays:
    it may have raised a nonconformity)."""
    require_audit(actor)
    unknown = set(changes) - {*FINDING_FIELDS, "clauses"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        finding = Finding.objects.select_for_update(of=("self",)).get(pk=finding.pk)
        check_version(finding, expected_version)
        if finding.status == FindingStatus.CLOSED:
            raise ValidationError(_("A closed finding is not changed: reopen it first."))
        today = timezone.localdate()
        if changes.get("due_on") is not None and changes["due_on"] == finding.due_on:
            today = min(today, finding.due_on)  # an unchanged past due date stays valid
        cleaned = _clean(changes, errors, finding.audit, finding.kind, today)
        _check_nonconformity(
            finding.kind,
            cleaned.get("clauses", list(finding.clauses.all())),
            cleaned.get("owner", finding.owner),
            cleaned.get("due_on", finding.due_on),
            errors,
        )
        raise_if(errors)
        before = snapshot(finding, FINDING_FIELDS)
        for name in FINDING_FIELDS:
            if name in cleaned:
                setattr(finding, name, cleaned[name])
        made = field_changes(finding, before, FINDING_FIELDS)
        if "clauses" in cleaned:
            old = sorted(finding.clauses.values_list("number", flat=True))
            new = sorted(c.number for c in cleaned["clauses"])
            if old != new:
                finding.clauses.set(cleaned["clauses"])
                made["clauses"] = [old, new]
        if not made:
            return finding
        finding.updated_at = timezone.now()
        finding.version += 1
        finding.save()
        audit_record(actor=actor, verb="finding.updated", obj=finding, payload=made)
        if "owner" in made:
            _notify_owner(finding)
    return finding


def finding_transition(
    *, actor, finding: Finding, target: str, note: str = "", action_plan: str | None = None,
    expected_version=None, today: datetime.date | None = None,
) -> Finding:  # fmt: skip
    """Move a finding along ``FINDING_TRANSITIONS``: planning the action needs the action
    (the owner may do it); closing after the action needs a note on its verification; an
    observation or an opportunity may be closed at once with a note (a nonconformity may
    not); rejecting an action and reopening need a reason. Everything else: auditors only."""
    today = today or timezone.localdate()
    with transaction.atomic():
        finding = (
            Finding.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=finding.pk)
        )
        transition = transition_for(FINDING_TRANSITIONS, finding.status, target)
        if transition is not None and transition.by == "owner":
            if not can_plan_action(actor, finding):
                require_audit(actor)
        else:
            require_audit(actor)
        check_version(finding, expected_version)
        if transition is None:
            raise ValidationError(
                {"target": _("This finding cannot move from its current status to that one.")}
            )
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=4000)
        if action_plan is not None:
            finding.action_plan = clean_text(action_plan, "action_plan", errors)
        if transition.needs == "action" and not finding.action_plan.strip():
            errors.setdefault("action_plan", _("Describe the action."))
        if transition.needs == "note_not_nc" and finding.is_nonconformity:
            errors["target"] = _(
                "A nonconformity is closed once its action is planned and verified."
            )
        if transition.needs in ("note", "note_not_nc", "reason") and not note:
            errors.setdefault("note", _("Say why."))
        raise_if(errors)
        previous = finding.status
        finding.status = target
        finding.status_note = note
        finding.closed_on = today if target == FindingStatus.CLOSED else None
        finding.updated_at = timezone.now()
        finding.version += 1
        finding.save()
        audit_record(
            actor=actor,
            verb="finding.status_changed",
            obj=finding,
            payload={"from": previous, "to": target, "note": note,
                     "action_plan": finding.action_plan},
        )  # fmt: skip
    return finding


def finding_attach(*, actor, finding: Finding, uploaded_file):
    """Store an evidence file with the finding (an internal attachment); auditors and the
    finding's owner may attach."""
    if not can_plan_action(actor, finding):
        require_audit(actor)
    with transaction.atomic():
        attachment = attachment_add(
            actor=actor,
            organisation=actor.organisation,
            uploaded_file=uploaded_file,
            target=finding,
            is_internal=True,
        )
        audit_record(
            actor=actor,
            verb="finding.evidence_attached",
            obj=finding,
            payload={"attachment": str(attachment.uuid), "filename": attachment.filename,
                     "sha256": attachment.sha256},
        )  # fmt: skip
    return attachment


# --- Reminders ---------------------------------------------------------------------------------


def overdue_reminder_key(finding: Finding) -> str:
    return f"evaluation.finding_overdue:{finding.pk}:{finding.due_on.isoformat()}"


def _overdue_message(finding: Finding) -> dict:
    """The reminder's subject and body, in its owner's language."""
    with translation.override(finding.owner.language or settings.LANGUAGE_CODE):
        subject = _("Audit finding overdue: %(reference)s %(title)s") % {
            "reference": finding.reference,
            "title": finding.title,
        }
        body = _(
            "%(reference)s (%(kind)s) was due on %(due)s and is not closed. Plan or "
            "finish its action, or ask the auditor to verify it."
        ) % {
            "reference": finding.reference,
            "kind": finding.get_kind_display(),
            "due": finding.due_on.isoformat(),
        }
    return {"subject": subject, "body": body}


def finding_overdue_remind(*, today: datetime.date | None = None) -> int:
    """Tell the owner of every finding past its due date and not closed, once per finding and
    due date (a new due date reminds again when it passes). Returns the reminders sent."""
    today = today or timezone.localdate()
    overdue = Finding.objects.overdue(today).filter(owner__isnull=False)
    return reminders_send(
        overdue.select_related("owner", "audit").order_by("pk"),
        key=overdue_reminder_key,
        recipient=lambda finding: finding.owner,
        kind="generic",
        context=_overdue_message,
        url=lambda finding: reverse("audit_finding_detail", args=[finding.reference]),
        verb="finding.overdue_reminded",
        payload=lambda finding: {"owner": finding.owner_id, "due_on": finding.due_on},
    )
