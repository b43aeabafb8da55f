"""The complaints register (clause 8.3.2): lodging, changing, investigation notes, the
customer's acceptance and the lifecycle. The response-time target is computed by
``services_complaints_targets``; the periodic warning is ``services_complaints_alerts``.

Each service checks the actor's right, validates (a ValidationError with translated
messages, nothing written), writes the change, its history event and one audit row in one
transaction, and queues notifications after the commit.

The response-time target runs from receipt to the response to the customer (the move to
"responded"). Its hours per severity are configured (``ComplaintResponseTarget``; defaults
in ``DEFAULT_RESPONSE_HOURS``) and counted in business time through the customer's business
calendar, else the provider's; with neither (or with business hours switched off) they are
wall-clock hours. The due time is fixed at receipt and recomputed when the severity changes
before the first response. The target measures the first response (``responded_at``): a
reopened complaint is not timed again, its later responses are in its history.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.core.services.notifications import notify
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import (
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintNote,
    ComplaintSeverity,
    ComplaintStatus,
)
from serviceloop.relationship.models.complaints import (
    AWAITING_RESPONSE,
    CUSTOMER,
    STAFF,
    complaint_move_for,
)
from serviceloop.relationship.queries_complaints import complaint_role
from serviceloop.relationship.services_complaints_targets import apply_response_clock

TEXT_LIMIT = 20_000


# --- Shared pieces -------------------------------------------------------------------------


def _text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required: str = "") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = required
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def complaint_event(complaint, kind, *, actor, at, from_value="", to_value="", **payload):
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_value=str(from_value or ""),
        to_value=str(to_value or ""),
        payload=payload,
    )


def _locked(complaint: Complaint, expected_version) -> Complaint:
    current = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("organisation", "complainant", "owner", "service")
        .get(pk=complaint.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this complaint meanwhile; check it and try again."),
            code="stale",
        )
    return current


def _save(complaint: Complaint, now) -> None:
    complaint.updated_at = now
    complaint.version = F("version") + 1
    complaint.save()
    complaint.refresh_from_db(fields=["version"])


def complaint_url(complaint: Complaint) -> str:
    return f"/complaints/{complaint.reference}/"


def complaint_managers() -> list[User]:
    """Active staff who lead operational work (the lead capability): they are told of a
    complaint nobody owns yet."""
    roles = [
        role
        for role, caps in ROLE_CAPABILITIES.items()
        if Capability.LEAD in caps and Capability.OPERATE in caps
    ]
    return list(User.objects.filter(is_active=True, role__in=roles).order_by("pk"))


def staff_to_tell(complaint: Complaint) -> list[User]:
    return [complaint.owner] if complaint.owner_id else complaint_managers()


def _owner(person, errors: dict):
    if person is None:
        return None
    if (
        not isinstance(person, User)
        or not person.is_active
        or not person.has_capability(Capability.OPERATE)
    ):
        errors["owner"] = _("The owner is a member of staff who works operational records.")
    return person


# --- Creating and changing -----------------------------------------------------------------


def _clean_complainant(organisation, complainant, fields: dict, errors: dict) -> dict:
    cleaned = {
        "complainant_name": _text(fields.get("complainant_name"), "complainant_name", errors, limit=150),
        "complainant_email": _text(fields.get("complainant_email"), "complainant_email", errors, limit=254),
        "complainant_phone": _text(fields.get("complainant_phone"), "complainant_phone", errors, limit=40),
    }  # fmt: skip
    if cleaned["complainant_email"]:
        try:
            validate_email(cleaned["complainant_email"])
        except ValidationError:
            errors["complainant_email"] = _("Enter a valid e-mail address.")
    if complainant is not None and (
        not isinstance(complainant, User) or complainant.organisation_id != organisation.pk
    ):
        errors["complainant"] = _("The complainant must belong to the customer organisation.")
    if complainant is None and not cleaned["complainant_name"]:
        errors["complainant_name"] = _("Name the complainant.")
    return cleaned


def complaint_create(
    *,
    actor,
    organisation: Organisation,
    subject: str,
    description: str,
    channel: str = ComplaintChannel.PORTAL,
    severity: str = ComplaintSeverity.MEDIUM,
    complainant: User | None = None,
    complainant_name: str = "",
    complainant_email: str = "",
    complainant_phone: str = "",
    service: Service | None = None,
    owner: User | None = None,
    received_at=None,
    now=None,
) -> Complaint:
    """Register a complaint (reference ``CMP-YYYY-NNNNNN``, gapless per year), status
    "received", with its response-time target.

    A customer lodges one for his own organisation through the portal: the channel is the
    portal, the complainant himself (a customer manager may name a colleague), the service
    one his organisation is entitled to, and the time of receipt now. Staff who work
    operational records record complaints from any channel, for any customer, with the
    time they were received; the owner defaults to them. Read-only staff may not.
    """
    now = now or timezone.now()
    role = complaint_role(actor) if actor is not None else STAFF
    if role is None:
        raise PermissionDenied
    errors: dict = {}
    if role == CUSTOMER:
        if organisation.pk != actor.organisation_id:
            raise PermissionDenied
        channel = ComplaintChannel.PORTAL
        received_at = now
        owner = None
        complainant = complainant or actor
        if complainant.pk != actor.pk and not actor.has_capability(Capability.ORG_WIDE):
            raise PermissionDenied
        if (
            service is not None
            and not Service.objects.visible_to(actor).filter(pk=service.pk).exists()
        ):
            errors["service"] = _("Choose one of your organisation's services.")
    else:
        owner = owner if owner is not None else (actor if complaint_role(actor) == STAFF else None)
    if not isinstance(organisation, Organisation) or organisation.kind != OrganisationKind.CUSTOMER:
        errors["organisation"] = _("A complaint comes from a customer organisation.")
        raise ValidationError(errors)
    subject = _text(
        subject, "subject", errors, limit=200, required=_("Give the complaint a subject.")
    )
    description = _text(description, "description", errors, required=_("Describe the complaint."))
    if channel not in ComplaintChannel.values:
        errors["channel"] = _("Choose how the complaint came in.")
    if severity not in ComplaintSeverity.values:
        errors["severity"] = _("Choose a severity.")
    if service is not None and not isinstance(service, Service):
        errors["service"] = _("Choose a service of the catalogue.")
    received_at = received_at or now
    if received_at > now:
        errors["received_at"] = _("A complaint cannot be received in the future.")
    owner = _owner(owner, errors)
    contact = _clean_complainant(
        organisation,
        complainant,
        {
            "complainant_name": complainant_name,
            "complainant_email": complainant_email,
            "complainant_phone": complainant_phone,
        },
        errors,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = Complaint(
            reference=reference_allocate(kind="CMP", year=timezone.localtime(received_at).year),
            channel=channel,
            organisation=organisation,
            complainant=complainant,
            service=service,
            severity=severity,
            subject=subject,
            description=description,
            owner=owner,
            received_at=received_at,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **contact,
        )
        apply_response_clock(complaint)
        # Recorded late: a target already missed is breached from the start.
        complaint.response_breached = complaint.response_due_at < now
        complaint.save()
        complaint_event(
            complaint,
            ComplaintEventKind.CREATED,
            actor=actor,
            at=now,
            to_value=ComplaintStatus.RECEIVED,
            channel=channel,
        )
        audit_record(
            actor=actor,
            verb="complaint.created",
            obj=complaint,
            payload={
                "reference": complaint.reference,
                "channel": channel,
                "severity": severity,
                "service": service.pk if service else None,
                "complainant": complainant.pk if complainant else contact["complainant_name"],
                "owner": owner.pk if owner else None,
                "received_at": received_at,
                "response_due_at": complaint.response_due_at,
                "response_calendar": complaint.response_calendar_id,
            },
        )
        notify(
            recipients=[p for p in staff_to_tell(complaint) if p != actor],
            kind="complaint_received",
            context={"complaint": complaint},
            url=complaint_url(complaint),
        )
    return complaint


COMPLAINT_FIELDS = (
    "subject",
    "description",
    "channel",
    "severity",
    "service",
    "owner",
    "complainant",
    "complainant_name",
    "complainant_email",
    "complainant_phone",
)


def _value(complaint, name):
    if name in ("service", "owner", "complainant"):
        return getattr(complaint, f"{name}_id")
    return getattr(complaint, name)


def complaint_update(
    *, actor, complaint: Complaint, expected_version=None, now=None, **fields
) -> Complaint:
    """Change a complaint's details (staff who work operational records; not once closed).
    A new severity recomputes the response target from the time of receipt; a new owner is
    told."""
    now = now or timezone.now()
    if complaint_role(actor, complaint) != STAFF:
        raise PermissionDenied
    unknown = set(fields) - set(COMPLAINT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    cleaned = {}
    for name, value in fields.items():
        if name == "subject":
            cleaned[name] = _text(
                value, name, errors, limit=200, required=_("Give the complaint a subject.")
            )
        elif name == "description":
            cleaned[name] = _text(value, name, errors, required=_("Describe the complaint."))
        elif name == "channel":
            if value not in ComplaintChannel.values:
                errors[name] = _("Choose how the complaint came in.")
            cleaned[name] = value
        elif name == "severity":
            if value not in ComplaintSeverity.values:
                errors[name] = _("Choose a severity.")
            cleaned[name] = value
        elif name == "service":
            if value is not None and not isinstance(value, Service):
                errors[name] = _("Choose a service of the catalogue.")
            cleaned[name] = value
        elif name == "owner":
            cleaned[name] = _owner(value, errors)
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _locked(complaint, expected_version)
        if complaint.status == ComplaintStatus.CLOSED:
            raise ValidationError(_("This complaint is closed; reopen it to change it."))
        before = {name: _value(complaint, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(complaint, name, value)
        contact_fields = {
            "complainant",
            "complainant_name",
            "complainant_email",
            "complainant_phone",
        }
        if contact_fields & set(cleaned):
            contact = _clean_complainant(
                complaint.organisation,
                complaint.complainant,
                {name: getattr(complaint, name) for name in contact_fields - {"complainant"}},
                errors,
            )
            if errors:
                raise ValidationError(errors)
            for name, value in contact.items():
                setattr(complaint, name, value)
        changes = {
            name: [before[name], _value(complaint, name)]
            for name in cleaned
            if before[name] != _value(complaint, name)
        }
        if not changes:
            return complaint
        if "severity" in changes and complaint.responded_at is None:
            apply_response_clock(complaint)
            changes["response_due_at"] = complaint.response_due_at
            if complaint.status in AWAITING_RESPONSE:
                complaint.response_breached = complaint.response_due_at < now
                if complaint.response_warn_at > now:
                    complaint.response_warned_at = None
        complaint_event(
            complaint, ComplaintEventKind.UPDATED, actor=actor, at=now, fields=sorted(changes)
        )
        _save(complaint, now)
        audit_record(actor=actor, verb="complaint.updated", obj=complaint, payload=changes)
        if (
            "owner" in changes
            and complaint.owner_id
            and complaint.owner_id != getattr(actor, "pk", None)
        ):
            notify(
                recipients=[complaint.owner],
                kind="complaint_assigned",
                context={"complaint": complaint},
                url=complaint_url(complaint),
            )
    return complaint


def complaint_note_add(*, actor, complaint: Complaint, body: str, now=None) -> ComplaintNote:
    """Add an investigation note (staff only; never shown to the customer)."""
    now = now or timezone.now()
    if complaint_role(actor, complaint) != STAFF:
        raise PermissionDenied
    errors: dict = {}
    body = _text(body, "body", errors, required=_("Write the note."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _locked(complaint, None)
        note = ComplaintNote.objects.create(
            complaint=complaint, author=actor, body=body, created_at=now
        )
        complaint_event(complaint, ComplaintEventKind.NOTE, actor=actor, at=now, note=note.pk)
        _save(complaint, now)
        audit_record(
            actor=actor,
            verb="complaint.note",
            obj=complaint,
            payload={"note": note.pk, "body": body},
        )
    return note


# --- The customer's acceptance and the lifecycle -------------------------------------------


def _clean_acceptance(role, accepted, acceptance_date, note, errors: dict, *, today, responded_on):
    if accepted is None or not isinstance(accepted, bool):
        errors["accepted"] = _("Say whether the customer accepts the response.")
    note = _text(note, "acceptance_note", errors)
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
        complaint = _locked(complaint, expected_version)
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
        _save(complaint, now)
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
    response = _text(response, "response", errors) if response is not None else None
    reason = _text(reason, "reason", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _locked(complaint, expected_version)
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
        _save(complaint, now)
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
