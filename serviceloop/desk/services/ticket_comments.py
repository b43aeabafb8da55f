"""Public replies and internal notes on a ticket, and what they do to its SLA clock."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.roles import Capability
from serviceloop.desk.confidential import ticket_notify
from serviceloop.desk.lifecycle import AGENT, REQUESTER, Status
from serviceloop.desk.models import Comment, EventKind, Source, Ticket
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.search import ticket_index_after_commit
from serviceloop.desk.services.ticket_writes import (
    ticket_event,
    ticket_lock,
    ticket_parties,
    ticket_save_with_sla,
)


def ticket_comment(
    *, actor, ticket: Ticket, body: str, public: bool = True, source: str = Source.AGENT, now=None
) -> Comment:
    """Add a public reply or (staff only) an internal note.

    A provider's first public reply stops the first-response clock; a customer's reply to a
    ticket waiting for him resumes it.
    """
    now = now or timezone.now()
    role = ticket_role(actor, ticket)
    if role is None:
        raise PermissionDenied
    if role == REQUESTER:
        public = True
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    with transaction.atomic():
        ticket = ticket_lock(ticket, None)
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise ValidationError({"body": _("This ticket is closed; please raise a new one.")})
        comment = Comment.objects.create(
            ticket=ticket, author=actor, body=body, is_public=public, created_at=now, source=source
        )
        provider_reply = public and role == AGENT
        ticket_event(
            ticket,
            EventKind.REPLY if public else EventKind.NOTE,
            actor=actor,
            at=now,
            provider_response=provider_reply,
            comment=comment.pk,
        )
        if provider_reply and ticket.first_response_at is None:
            ticket.first_response_at = now
        if role == REQUESTER and ticket.status == Status.WAITING_CUSTOMER:
            ticket_event(
                ticket,
                EventKind.STATUS,
                actor=actor,
                at=now,
                from_value=ticket.status,
                to_value=Status.IN_PROGRESS,
                reason="customer replied",
            )
            ticket.status = Status.IN_PROGRESS
        sla_changes = ticket_save_with_sla(ticket, now)
        audit_record(
            actor=actor,
            verb="ticket.replied" if public else "ticket.noted",
            obj=ticket,
            payload={"comment": comment.pk, "public": public, "sla": sla_changes},
        )
        if public:
            recipients = [p for p in ticket_parties(ticket) if p != actor]
        else:
            recipients = [
                p
                for p in ticket_parties(ticket)
                if p != actor and p.has_capability(Capability.STAFF)
            ]
        ticket_notify(
            ticket=ticket,
            recipients=recipients,
            kind="ticket_reply" if public else "ticket_note",
            context={"comment": comment},
            public=public,
        )
        ticket_index_after_commit(ticket.pk)
    return comment
