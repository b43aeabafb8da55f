"""Major incidents: the communication log and the post-incident review."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.roles import CUSTOMER_ROLES, Capability, Role
from serviceloop.desk.confidential import ticket_notify
from serviceloop.desk.lifecycle import AGENT
from serviceloop.desk.models import (
    EventKind,
    MajorIncidentUpdate,
    PostIncidentReview,
    Ticket,
    TicketEvent,
)
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.services.ticket_writes import ticket_lock, ticket_save_with_sla


def _recipients(ticket: Ticket, audience: str) -> list[User]:
    people = User.objects.filter(is_active=True)
    if audience == MajorIncidentUpdate.Audience.CUSTOMERS:
        return list(people.filter(organisation=ticket.organisation, role__in=CUSTOMER_ROLES))
    if audience == MajorIncidentUpdate.Audience.MANAGEMENT:
        return list(people.filter(role__in=[Role.TOP_MANAGEMENT, Role.SYSTEM_OWNER]))
    return list(people.filter(role__in=[Role.AGENT, Role.TEAM_LEAD, Role.PROVIDER_ADMIN]))


def major_update_send(
    *, actor, ticket: Ticket, audience: str, body: str, now=None
) -> MajorIncidentUpdate:
    """Record and send one communication about a major incident to its audience."""
    now = now or timezone.now()
    if ticket_role(actor, ticket) != AGENT:
        raise PermissionDenied
    if not ticket.is_major:
        raise ValidationError(_("Mark the incident as major first."))
    body = (body or "").strip()
    if audience not in MajorIncidentUpdate.Audience.values:
        raise ValidationError({"audience": _("Choose who receives it.")})
    if not body:
        raise ValidationError({"body": _("Write the message first.")})
    with transaction.atomic():
        ticket = ticket_lock(ticket, None)
        update = MajorIncidentUpdate.objects.create(
            ticket=ticket, audience=audience, body=body, author=actor, sent_at=now
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.MAJOR,
            actor=actor,
            at=now,
            to_value=audience,
            provider_response=audience == MajorIncidentUpdate.Audience.CUSTOMERS,
            payload={"update": update.pk},
        )
        if audience == MajorIncidentUpdate.Audience.CUSTOMERS and ticket.first_response_at is None:
            ticket.first_response_at = now
        ticket_save_with_sla(ticket, now)
        audit_record(
            actor=actor,
            verb="ticket.major_update",
            obj=ticket,
            payload={"audience": audience, "body": body},
        )
        ticket_notify(
            ticket=ticket,
            recipients=_recipients(ticket, audience),
            kind="major_update",
            context={"update": update},
            public=audience == MajorIncidentUpdate.Audience.CUSTOMERS,
        )
    return update


REVIEW_FIELDS = ("summary", "root_cause", "what_went_well", "what_to_improve", "actions")


def review_save(*, actor, ticket: Ticket, now=None, **fields) -> PostIncidentReview:
    """Write or revise the post-incident review of a major incident (team leads, owners)."""
    now = now or timezone.now()
    if not (
        actor.has_capability(Capability.LEAD) or actor.has_capability(Capability.MANAGE_SYSTEM)
    ):
        raise PermissionDenied
    if not ticket.is_major:
        raise ValidationError(_("Only major incidents get a post-incident review."))
    if not (fields.get("summary") or "").strip():
        raise ValidationError({"summary": _("Say what happened.")})
    with transaction.atomic():
        review, created = PostIncidentReview.objects.update_or_create(
            ticket=ticket,
            defaults={
                **{k: (fields.get(k) or "").strip() for k in REVIEW_FIELDS},
                "reviewed_at": now,
                "reviewed_by": actor,
            },
        )
        audit_record(
            actor=actor,
            verb="ticket.review_saved",
            obj=ticket,
            payload={"created": created, **{k: getattr(review, k) for k in REVIEW_FIELDS}},
        )
    return review
