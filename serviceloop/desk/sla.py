"""Applying SLA policies to tickets: matching a version at creation, replaying the clock from
the ticket's history and storing the result for queries.

The stored fields are a cache of ``sla_clock.replay`` over the ticket's events; nothing else
writes them, so ``serviceloop sla-recompute`` can always reproduce them.
"""

from django.utils import timezone

from serviceloop.desk.models import EventKind, SlaPolicyVersion, Ticket, TicketEvent
from serviceloop.desk.sla_clock import ClockEvent, ClockState, replay

SLA_FIELDS = (
    "response_due_at",
    "resolution_due_at",
    "response_warn_at",
    "resolution_warn_at",
    "response_met_at",
    "resolution_met_at",
    "response_breached",
    "resolution_breached",
    "sla_paused",
    "paused_seconds",
    "next_update_due_at",
)


def sla_version_for(*, organisation_id, service: str, kind: str, priority: str):
    """The newest published version of the first active policy (by rank) that matches.

    One query: every version of the active policies (a handful of rows), policies in rank
    order and each policy's versions newest first."""
    versions = (
        SlaPolicyVersion.objects.filter(policy__is_active=True)
        .select_related("policy", "calendar")
        .order_by("policy__rank", "policy__name", "policy_id", "-number")
    )
    seen = set()
    for version in versions:
        if version.policy_id in seen:
            continue  # an older version of a policy already considered
        seen.add(version.policy_id)
        if version.policy.matches(
            organisation_id=organisation_id, service=service, kind=kind, priority=priority
        ):
            return version
    return None


def clock_events(events) -> list[ClockEvent]:
    """The clock's view of a ticket's history (status and priority changes, provider replies)."""
    result = []
    for event in events:
        if event.kind == EventKind.STATUS:
            # A move sent with a message to the customer is also a response.
            result.append(
                ClockEvent(event.at, status=event.to_value, public_response=event.provider_response)
            )
        elif event.kind == EventKind.PRIORITY:
            result.append(ClockEvent(event.at, priority=event.to_value))
        elif event.provider_response:
            result.append(ClockEvent(event.at, public_response=True))
    return result


def ticket_clock(ticket: Ticket, *, now=None, events=None) -> ClockState | None:
    """Replay the ticket's clock as of ``now``; None without an SLA."""
    version = ticket.sla_version
    if version is None:
        return None
    if events is None:
        events = TicketEvent.objects.filter(ticket=ticket).order_by("at", "id")
    history = list(events)
    created = next((e for e in history if e.kind == EventKind.CREATED), None)
    return replay(
        created_at=ticket.created_at,
        status=created.to_value if created and created.to_value else "new",
        priority=(created.payload.get("priority") if created else None) or ticket.priority,
        events=clock_events(e for e in history if e.kind != EventKind.CREATED),
        policy=version.clock_policy(),
        calendar=version.calendar.engine(),
        now=now or timezone.now(),
    )


def sla_values(state: ClockState | None) -> dict:
    """The stored fields for a clock state (all cleared without an SLA)."""
    if state is None:
        return {
            **dict.fromkeys(SLA_FIELDS),
            "response_breached": False,
            "resolution_breached": False,
            "sla_paused": False,
            "paused_seconds": 0,
        }
    return {
        "response_due_at": state.response.due_at,
        "resolution_due_at": state.resolution.due_at,
        "response_warn_at": state.response.warn_at if state.response.running else None,
        "resolution_warn_at": state.resolution.warn_at if state.resolution.running else None,
        "response_met_at": state.response.met_at,
        "resolution_met_at": state.resolution.met_at,
        "response_breached": state.response.breached,
        "resolution_breached": state.resolution.breached,
        "sla_paused": state.paused,
        "paused_seconds": state.paused_seconds,
        "next_update_due_at": state.next_update_due_at,
    }


def ticket_sla_refresh(ticket: Ticket, *, now=None, events=None) -> dict:
    """Recompute the ticket's stored SLA fields; returns ``{field: [old, new]}`` of what changed.

    Sets the attributes on ``ticket``; the caller saves them (inside its transaction).
    """
    values = sla_values(ticket_clock(ticket, now=now, events=events))
    changes = {}
    for name, value in values.items():
        old = getattr(ticket, name)
        if old != value:
            changes[name] = [old, value]
            setattr(ticket, name, value)
    return changes
