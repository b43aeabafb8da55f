"""What every ticket write shares: the row lock with its optimistic-concurrency check, the save
that replays the SLA clock and bumps the version, history events, and the people a change
concerns. The services themselves are in ``tickets`` (create, details), ``ticket_transitions``,
``ticket_comments`` and ``ticket_assignment``."""

from django.db.models import F

from serviceloop.core.models import User
from serviceloop.desk.models import Ticket, TicketEvent
from serviceloop.desk.sla import ticket_sla_refresh


class StaleTicket(Exception):
    """The ticket changed since the caller read it (optimistic concurrency)."""


def ticket_event_unsaved(
    ticket, kind, *, actor, at, from_value="", to_value="", provider_response=False, **payload
) -> TicketEvent:
    """A history row, not yet saved (creation saves its first rows in one INSERT)."""
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_value=str(from_value or ""),
        to_value=str(to_value or ""),
        provider_response=provider_response,
        payload=payload,
    )


def ticket_event(
    ticket, kind, *, actor, at, from_value="", to_value="", provider_response=False, **payload
) -> TicketEvent:
    """Write a history row of ``ticket`` (``payload``: the keyword arguments left)."""
    event = ticket_event_unsaved(
        ticket,
        kind,
        actor=actor,
        at=at,
        from_value=from_value,
        to_value=to_value,
        provider_response=provider_response,
        **payload,
    )
    event.save()
    return event


def ticket_parties(ticket: Ticket) -> list[User]:
    """The people a change of ``ticket`` concerns: its requester, its agent, its watchers."""
    people = [ticket.requester, ticket.assignee, *ticket.watchers.all()]
    return [p for p in people if p is not None]


def ticket_lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    """The ticket's row, locked until the transaction ends (``SELECT … FOR UPDATE``), read
    afresh; ``StaleTicket`` when ``expected_version`` is given and is no longer current."""
    current = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_version__calendar", "requester", "assignee", "team")
        .get(pk=ticket.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleTicket(current.version)
    return current


def ticket_save_with_sla(ticket: Ticket, now, *, events=None) -> dict:
    """Replay the SLA clock, then save the ticket with a new version; the SLA fields that
    changed (``{field: [old, new]}``), for the audit row."""
    sla_changes = ticket_sla_refresh(ticket, now=now)
    ticket.updated_at = now
    ticket.version = F("version") + 1
    ticket.save()
    ticket.refresh_from_db(fields=["version"])
    return sla_changes
