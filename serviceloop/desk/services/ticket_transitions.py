"""Moving a ticket through its lifecycle (``desk.lifecycle``): one call per move, checked
against the declared transitions for the actor's role."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.desk.confidential import ticket_notify
from serviceloop.desk.lifecycle import AGENT, SYSTEM, Status, transition_for
from serviceloop.desk.models import Comment, EventKind, Ticket
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.search import ticket_index_after_commit
from serviceloop.desk.services.relations import rating_links
from serviceloop.desk.services.ticket_writes import (
    ticket_event,
    ticket_lock,
    ticket_parties,
    ticket_save_with_sla,
)


def ticket_transition(
    *, actor, ticket: Ticket, target: str, note: str = "", expected_version=None, now=None
) -> Ticket:
    """Move the ticket to ``target`` if the lifecycle allows it for the actor's role.

    Resolving and cancelling need a note (the resolution, the reason), stored as a public
    reply. Reopening is allowed within the reopen period after resolution.
    """
    now = now or timezone.now()
    role = SYSTEM if actor is None else ticket_role(actor, ticket)
    if role is None:
        raise PermissionDenied
    with transaction.atomic():
        ticket = ticket_lock(ticket, expected_version)
        move = transition_for(ticket.status, target, role)
        if move is None:
            raise ValidationError(
                {
                    "status": _("A ticket cannot go from “%(from)s” to “%(to)s”.")
                    % {
                        "from": Status(ticket.status).label,
                        "to": Status(target).label if target in Status.values else target,
                    }
                }
            )
        note = (note or "").strip()
        if move.needs_note and not note:
            raise ValidationError({"note": _("Say why: this text is sent to the customer.")})
        if ticket.status == Status.RESOLVED and target == Status.IN_PROGRESS:
            limit = datetime.timedelta(days=settings.DESK_REOPEN_DAYS)
            if ticket.resolved_at and now - ticket.resolved_at > limit and role != AGENT:
                raise ValidationError(
                    {
                        "status": _(
                            "This ticket was resolved too long ago to reopen; please raise a new one."
                        )
                    }
                )
        old = ticket.status
        ticket.status = target
        if target == Status.RESOLVED:
            ticket.resolved_at = now
            ticket.resolution = note
        elif target == Status.CLOSED:
            ticket.closed_at = now
        elif old == Status.RESOLVED:
            ticket.resolved_at = None
        if note:
            Comment.objects.create(
                ticket=ticket,
                author=actor or ticket.requester,
                body=note,
                is_public=True,
                created_at=now,
            )
        ticket_event(
            ticket,
            EventKind.STATUS,
            actor=actor,
            at=now,
            from_value=old,
            to_value=target,
            provider_response=bool(note) and role == AGENT,
            note=note,
        )
        if note and role == AGENT and ticket.first_response_at is None:
            ticket.first_response_at = now
        sla_changes = ticket_save_with_sla(ticket, now)
        audit_record(
            actor=actor,
            verb=f"ticket.{target}",
            obj=ticket,
            payload={"status": [old, target], "note": note, "sla": sla_changes},
        )
        if note:
            ticket_index_after_commit(ticket.pk)
        recipients = [p for p in ticket_parties(ticket) if p != actor]
        context = {"ticket": ticket, "note": note, "old": Status(old).label}
        if target == Status.RESOLVED and ticket.requester in recipients:
            # The requester's message carries his own one-click rating links.
            recipients.remove(ticket.requester)
            ticket_notify(
                ticket=ticket,
                recipients=[ticket.requester],
                kind="ticket_resolved",
                context={**context, "rating_links": rating_links(ticket)},
                public=True,
            )
        ticket_notify(
            ticket=ticket, recipients=recipients, kind="ticket_status", context=context, public=True
        )
    return ticket
