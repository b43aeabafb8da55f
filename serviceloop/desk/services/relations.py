"""Watchers, links between tickets, attachments and the customer's rating (with the signed
links that let a requester rate a resolution without signing in)."""

import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.roles import Capability
from serviceloop.core.services.attachments import attachment_add
from serviceloop.desk.lifecycle import AGENT, REQUESTER, Status
from serviceloop.desk.models import EventKind, LinkKind, Ticket, TicketEvent, TicketLink
from serviceloop.desk.permissions import ticket_role


def ticket_watchers_set(*, actor, ticket: Ticket, watchers, now=None) -> Ticket:
    """Replace the watchers (agents; or the requester side adding colleagues of the same
    organisation). Watchers must be able to see the ticket."""
    now = now or timezone.now()
    role = ticket_role(actor, ticket)
    if role is None:
        raise PermissionDenied
    watchers = list(watchers)
    strangers = [
        w
        for w in watchers
        if not w.has_capability(Capability.STAFF) and w.organisation_id != ticket.organisation_id
    ]
    if strangers:
        raise ValidationError(
            {"watchers": _("Watchers must be staff or people of the ticket's customer.")}
        )
    if role == REQUESTER and any(w.has_capability(Capability.STAFF) for w in watchers):
        raise PermissionDenied
    with transaction.atomic():
        before = sorted(ticket.watchers.values_list("pk", flat=True))
        after = sorted(w.pk for w in watchers)
        if before == after:
            return ticket
        ticket.watchers.set(watchers)
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.WATCHERS, actor=actor, at=now, payload={"watchers": after}
        )
        audit_record(
            actor=actor, verb="ticket.watchers", obj=ticket, payload={"watchers": [before, after]}
        )
    return ticket


def ticket_link(*, actor, source: Ticket, target: Ticket, kind: str, now=None) -> TicketLink:
    """Link two tickets (duplicate of, caused by, related to). Agents only."""
    now = now or timezone.now()
    if ticket_role(actor, source) != AGENT:
        raise PermissionDenied
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Choose a kind of link.")})
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be linked to itself.")})
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(
                source=source, target=target, kind=kind, created_at=now
            )
            for ticket, other in ((source, target), (target, source)):
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=EventKind.LINK,
                    actor=actor,
                    at=now,
                    to_value=other.reference,
                    payload={"kind": kind, "direction": "out" if ticket is source else "in"},
                )
            audit_record(
                actor=actor,
                verb="ticket.linked",
                obj=source,
                payload={"kind": kind, "target": target.reference},
            )
    except IntegrityError as exc:
        raise ValidationError({"target": _("These tickets are already linked that way.")}) from exc
    return link


def ticket_attach(*, actor, ticket: Ticket, uploaded_file, internal: bool = False):
    """Attach a file to the ticket (customers: always visible to both sides)."""
    role = ticket_role(actor, ticket)
    if role is None:
        raise PermissionDenied
    with transaction.atomic():
        attachment = attachment_add(
            actor=actor,
            organisation=ticket.organisation,
            uploaded_file=uploaded_file,
            target=ticket,
            is_internal=internal and role == AGENT,
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.NOTE if attachment.is_internal else EventKind.REPLY,
            actor=actor,
            at=attachment.created_at,
            payload={"attachment": str(attachment.uuid), "filename": attachment.filename},
        )
    return attachment


def ticket_rate(*, actor, ticket: Ticket, score: int, comment: str = "", now=None) -> Ticket:
    """The requester rates the resolution (1–5, with an optional comment); he may change it."""
    now = now or timezone.now()
    if actor.pk != ticket.requester_id:
        raise PermissionDenied
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError({"score": _("You can rate a ticket once it is resolved.")})
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError({"score": _("Choose from 1 to 5.")})
    with transaction.atomic():
        old = ticket.csat_score
        Ticket.objects.filter(pk=ticket.pk).update(
            csat_score=score, csat_comment=(comment or "").strip(), csat_at=now
        )
        ticket.refresh_from_db()
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.RATING,
            actor=actor,
            at=now,
            to_value=str(score),
            payload={"comment": ticket.csat_comment},
        )
        audit_record(actor=actor, verb="ticket.rated", obj=ticket, payload={"score": [old, score]})
    return ticket


RATING_SALT = "serviceloop.desk.rating"
RATING_MAX_AGE = datetime.timedelta(days=30)


def rating_token(ticket: Ticket) -> str:
    """A signed token that lets the requester rate this ticket without signing in."""
    return signing.dumps({"t": ticket.pk, "u": ticket.requester_id}, salt=RATING_SALT)


def rating_links(ticket: Ticket) -> list[tuple[int, str]]:
    """The one-click rating links (score, URL) of the resolution message to the requester."""
    token = rating_token(ticket)
    return [
        (score, f"{settings.SITE_URL}/desk/rate/{token}/?score={score}") for score in range(1, 6)
    ]


def ticket_from_rating_token(token: str) -> Ticket | None:
    """The ticket a rating token is for, if it is genuine, not expired and its requester
    unchanged; else None."""
    try:
        value = signing.loads(token, salt=RATING_SALT, max_age=RATING_MAX_AGE)
        return Ticket.objects.select_related("requester").get(
            pk=value["t"], requester_id=value["u"]
        )
    except (signing.BadSignature, Ticket.DoesNotExist, KeyError, TypeError):
        return None
