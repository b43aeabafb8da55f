"""The customer's acceptance of a complaint's response and the complaint's lifecycle
(clause 8.3.2): recording the answer, and every move along ``COMPLAINT_TRANSITIONS``
(acknowledge, investigate, respond, close, reopen). Same rules as ``services_complaints``:
the actor's right, validation, one transaction with the history event and the audit row,
notifications after the commit.

The response-time target measures the first response (``responded_at``): a reopened
complaint is not timed again, its later responses are in its history.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.services.notifications import notify
from serviceloop.relationship.models import Complaint, ComplaintEventKind, ComplaintStatus
from serviceloop.relationship.models.complaints import (
    AWAITING_RESPONSE,
    CUSTOMER,
    STAFF,
    complaint_move_for,
)
from serviceloop.relationship.queries_complaints import complaint_role
from serviceloop.relationship.services_complaints_base import (
    clean_text,
    complaint_event,
    complaint_locked,
    complaint_managers,
    complaint_save,
    complaint_url,
    staff_to_tell,
)


def _clean_acceptance(role, accepted, acceptance_date, note, errors: dict, *, today, responded_on):
    if accepted is None or not isinstance(accepted, bool):
        errors["accepted"] = _("Say whether the customer accepts the response.")
    note = clean_text(note, "acceptance_note", errors)
    if role == CUSTOMER:
        acceptance_date = today  # the customer records his own answer, today
    if acceptance_date is None:
        errors["acceptance_date"] = _("Enter the date of the customer's answer.")
    elif not isinstance(acceptance_date, datetime.date) or isinstance(
        acceptance_date, datetime.datetime
    ):
        errors["acceptance_date"] = _("Enter a date (YYYY-MM-DD).")
    elif acceptance_date > today:
        errors["acceptance_date"] = _("The date cannot be in the future.")
    elif responded_on and acceptance_date < responded_on:
        errors["acceptance_date"] = _("The customer answers after the response.")
    if accepted is False and not note:
        errors["acceptance_note"] = _("Note why the customer does not accept the response.")
    return accepted, acceptance_date, note


def _record_acceptance(complaint, actor, accepted, acceptance_date, note, now) -> dict:
    complaint.customer_accepted = accepted
    complaint.acceptance_date = acceptance_date
    complaint.acceptance_note = note
    complaint.acceptance_recorded_by = actor if getattr(actor, "pk", None) else None
    payload = {"accepted": accepted, "date": acceptance_date.isoformat(), "note": note}
    complaint_event(
        complaint,
        ComplaintEventKind.ACCEPTANCE,
        actor=actor,
        at=now,
        to_value=str(accepted),
        **payload,
    )
    return payload


def complaint_acceptance_record(
    *,
    actor,
    complaint: Complaint,
    accepted: bool,
    acceptance_date=None,
    note: str = "",
    expected_version=None,
    now=None,
) -> Complaint:
    """Record the customer's answer to the response: accepted or not, the date, a note (a
    refusal needs one). Staff record what the customer said (dated); the complainant or his
    customer manager answers in the portal (dated today). Only a responded complaint."""
    now = now or timezone.now()
    role = complaint_role(actor, complaint)
    if role is None:
        raise PermissionDenied
    today = timezone.localdate(now)
    with transaction.atomic():
        complaint = complaint_locked(complaint, expected_version)
        if complaint.status != ComplaintStatus.RESPONDED:
            raise ValidationError(
                {
                    "status": _(
                        "The customer's acceptance is recorded once the complaint has been responded to."
                    )
                }
            )
        errors: dict = {}
        responded_on = (
            timezone.localdate(complaint.responded_at) if complaint.responded_at else None
        )
        accepted, acceptance_date, note = _clean_acceptance(
            role, accepted, acceptance_date, note, errors, today=today, responded_on=responded_on
        )
        if errors:
            raise ValidationError(errors)
        payload = _record_acceptance(complaint, actor, accepted, acceptance_date, note, now)
        complaint_save(complaint, now)
        audit_record(actor=actor, verb="complaint.acceptance", obj=complaint, payload=payload)
        recipients = [
            p for p in [complaint.owner, complaint.complainant] if p is not None and p != actor
        ]
        if role == CUSTOMER and not complaint.owner_id:
            recipients += complaint_managers()
        notify(
            recipients=recipients,
            kind="complaint_acceptance",
            context={"complaint": complaint},
            url=complaint_url(complaint),
        )
    return complaint


def complaint_transition(
    *,
    actor,
    complaint: Complaint,
    target: str,
    response: str | None = None,
    reason: str = "",
    accepted: bool | None = None,
    acceptance_date=None,
    acceptance_note: str = "",
    expected_version=None,
    now=None,
) -> Complaint:
    """Move the complaint along ``COMPLAINT_TRANSITIONS`` if the actor's role may.

    Responding needs the response to the customer (it stops the response-time clock; late
    means breached). Closing needs the customer's acceptance recorded — beforehand with
    ``complaint_acceptance_record`` or here with ``accepted`` and ``acceptance_date`` — and
    is refused without it. Reopening needs a reason and clears the acceptance (the history
    keeps it)."""
    now = now or timezone.now()
    role = complaint_role(actor, complaint)
    if role is None:
        raise PermissionDenied
    errors: dict = {}
    response = clean_text(response, "response", errors) if response is not None else None
    reason = clean_text(reason, "reason", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = complaint_locked(complaint, expected_version)
        move = complaint_move_for(complaint.status, target, role)
        if move is None:
            if complaint_move_for(complaint.status, target, STAFF) is not None:
                raise PermissionDenied
            raise ValidationError(
                {
                    "status": _("A complaint cannot go from “%(from)s” to “%(to)s”.")
                    % {
                        "from": ComplaintStatus(complaint.status).label,
                        "to": ComplaintStatus(target).label
                        if target in ComplaintStatus.values
                        else target,
                    }
                }
            )
        old = complaint.status
        payload: dict = {"status": [old, target]}
        if move.needs == "response":
            if response:
                complaint.response = response
            if not complaint.response:
                raise ValidationError({"response": _("Write the response to the customer.")})
            payload["response"] = complaint.response
        if move.needs == "reason":
            if not reason:
                raise ValidationError({"reason": _("Say why the complaint is reopened.")})
            payload["reason"] = reason
        if move.needs == "acceptance":
            if accepted is not None:
                responded_on = (
                    timezone.localdate(complaint.responded_at) if complaint.responded_at else None
                )
                accepted, acceptance_date, acceptance_note = _clean_acceptance(
                    role,
                    accepted,
                    acceptance_date,
                    acceptance_note,
                    errors,
                    today=timezone.localdate(now),
                    responded_on=responded_on,
                )
                if errors:
                    raise ValidationError(errors)
                payload["acceptance"] = _record_acceptance(
                    complaint, actor, accepted, acceptance_date, acceptance_note, now
                )
            if not complaint.acceptance_recorded:
                raise ValidationError(
                    {
                        "accepted": _(
                            "A complaint closes only once the customer's acceptance of the "
                            "response is recorded (accepted or not, with the date)."
                        )
                    }
                )
        complaint.status = target
        if (
            target == ComplaintStatus.ACKNOWLEDGED
            or target == ComplaintStatus.INVESTIGATING
            and old in AWAITING_RESPONSE
        ):
            complaint.acknowledged_at = complaint.acknowledged_at or now
        elif target == ComplaintStatus.RESPONDED:
            complaint.acknowledged_at = complaint.acknowledged_at or now
            if complaint.responded_at is None:
                # The target measures the first response; a reopened complaint's later
                # responses are in its history.
                complaint.responded_at = now
                if now > complaint.response_due_at:
                    complaint.response_breached = True
            payload["response_breached"] = complaint.response_breached
        elif target == ComplaintStatus.CLOSED:
            complaint.closed_at = now
        if move.needs == "reason":  # reopened: a new response and a new answer are due
            payload["previous_acceptance"] = {
                "accepted": complaint.customer_accepted,
                "date": complaint.acceptance_date.isoformat()
                if complaint.acceptance_date
                else None,
                "note": complaint.acceptance_note,
            }
            complaint.customer_accepted = None
            complaint.acceptance_date = None
            complaint.acceptance_note = ""
            complaint.acceptance_recorded_by = None
            complaint.closed_at = None
        complaint_event(
            complaint,
            ComplaintEventKind.STATUS,
            actor=actor,
            at=now,
            from_value=old,
            to_value=target,
            **{k: v for k, v in payload.items() if k in ("reason", "response")},
        )
        complaint_save(complaint, now)
        audit_record(actor=actor, verb=f"complaint.{target}", obj=complaint, payload=payload)
        people = [complaint.complainant, *staff_to_tell(complaint)]
        notify(
            recipients=[p for p in people if p is not None and p != actor],
            kind="complaint_status",
            context={
                "complaint": complaint,
                "old": ComplaintStatus(old).label,
                "reason": reason,
            },
            url=complaint_url(complaint),
        )
    return complaint
