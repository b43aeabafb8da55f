"""The complaints register (clause 8.3.2): lodging a complaint, changing its details and
adding investigation notes. The customer's acceptance and the lifecycle are
``services_complaints_lifecycle``; the response-time target is computed by
``services_complaints_targets``; the periodic warning is ``services_complaints_alerts``;
the shared pieces (cleaning, locking, history events, who is told) are
``services_complaints_base``.

Each service checks the actor's right, validates (a ValidationError with translated
messages, nothing written), writes the change, its history event and one audit row in one
transaction, and queues notifications after the commit.

The response-time target runs from receipt to the response to the customer (the move to
"responded"). Its hours per severity are configured (``ComplaintResponseTarget``; defaults
in ``DEFAULT_RESPONSE_HOURS``) and counted in business time through the customer's business
calendar, else the provider's; with neither (or with business hours switched off) they are
wall-clock hours. The due time is fixed at receipt and recomputed when the severity changes
before the first response.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import notify
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import (
    Complaint,
    ComplaintChannel,
    ComplaintEventKind,
    ComplaintNote,
    ComplaintSeverity,
    ComplaintStatus,
)
from serviceloop.relationship.models.complaints import AWAITING_RESPONSE, CUSTOMER, STAFF
from serviceloop.relationship.queries_complaints import complaint_role
from serviceloop.relationship.services_complaints_base import (
    clean_complainant,
    clean_owner,
    clean_text,
    complaint_event,
    complaint_locked,
    complaint_save,
    complaint_url,
    staff_to_tell,
)
from serviceloop.relationship.services_complaints_targets import apply_response_clock


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
    subject = clean_text(
        subject, "subject", errors, limit=200, required=_("Give the complaint a subject.")
    )
    description = clean_text(
        description, "description", errors, required=_("Describe the complaint.")
    )
    if channel not in ComplaintChannel.values:
        errors["channel"] = _("Choose how the complaint came in.")
    if severity not in ComplaintSeverity.values:
        errors["severity"] = _("Choose a severity.")
    if service is not None and not isinstance(service, Service):
        errors["service"] = _("Choose a service of the catalogue.")
    received_at = received_at or now
    if received_at > now:
        errors["received_at"] = _("A complaint cannot be received in the future.")
    owner = clean_owner(owner, errors)
    contact = clean_complainant(
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
            cleaned[name] = clean_text(
                value, name, errors, limit=200, required=_("Give the complaint a subject.")
            )
        elif name == "description":
            cleaned[name] = clean_text(value, name, errors, required=_("Describe the complaint."))
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
            cleaned[name] = clean_owner(value, errors)
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = complaint_locked(complaint, expected_version)
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
            contact = clean_complainant(
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
        complaint_save(complaint, now)
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
    body = clean_text(body, "body", errors, required=_("Write the note."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = complaint_locked(complaint, None)
        note = ComplaintNote.objects.create(
            complaint=complaint, author=actor, body=body, created_at=now
        )
        complaint_event(complaint, ComplaintEventKind.NOTE, actor=actor, at=now, note=note.pk)
        complaint_save(complaint, now)
        audit_record(
            actor=actor,
            verb="complaint.note",
            obj=complaint,
            payload={"note": note.pk, "body": body},
        )
    return note
