"""Giving a ticket to a team and an agent; taking a confidential ticket from an agent who is
no longer cleared for it, and a recategorised ticket from an agent the checks now refuse for
it. Who may be given a ticket (clearance, the hook point's checks, the round-robin) is
decided in ``services.assignment``."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.confidential import ticket_cleared, ticket_notify
from serviceloop.desk.lifecycle import AGENT, Status
from serviceloop.desk.models import EventKind, Ticket
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.services.assignment import assignment_warnings, team_next_agent
from serviceloop.desk.services.ticket_writes import (
    ticket_event,
    ticket_lock,
    ticket_save_with_sla,
)

# Why an agent lost a ticket without anyone choosing another (history payload and audit row).
NOT_CLEARED = "not cleared"
NOT_QUALIFIED = "not qualified"


def ticket_assign(
    *,
    actor,
    ticket: Ticket,
    team: Team | None = None,
    assignee: User | None = None,
    expected_version=None,
    now=None,
) -> Ticket:
    """Assign to a team and/or an agent (round-robin in the team when no agent is named).
    A new ticket moves to "assigned".

    A new agent passes the assignment checks (``services.assignment``: clearance for a
    confidential ticket, then the hook point's checks): a refusal raises ValidationError and
    changes nothing; warnings are in ``ticket.assignment_warnings`` (empty when none) and on
    the assignment's history row. The round-robin skips whoever a check refuses."""
    now = now or timezone.now()
    if actor is not None and ticket_role(actor, ticket) != AGENT:
        raise PermissionDenied
    if assignee is not None and not assignee.has_capability(Capability.OPERATE):
        raise ValidationError({"assignee": _("Only agents who work tickets can be assigned.")})
    with transaction.atomic():
        ticket = ticket_lock(ticket, expected_version)
        team = team or ticket.team
        if (
            team is not None
            and assignee is not None
            and not team.members.filter(pk=assignee.pk).exists()
        ):
            raise ValidationError({"assignee": _("The agent is not a member of the team.")})
        if ticket.status == Status.PENDING_APPROVAL:
            # Nobody works a request before it is approved: a team may be named, no agent.
            if assignee is not None:
                raise ValidationError(
                    {
                        "assignee": _(
                            "This request is waiting for approval: assign an agent once it "
                            "is approved."
                        )
                    }
                )
        elif assignee is None and team is not None:
            assignee = team_next_agent(team, category=ticket.category, ticket=ticket)
        old = (ticket.team_id, ticket.assignee_id)
        warnings = []
        if assignee is not None and assignee.pk != old[1]:
            warnings = assignment_warnings(
                assignee=assignee, category=ticket.category, ticket=ticket
            )
        ticket.team, ticket.assignee = team, assignee
        ticket.assignment_warnings = warnings
        if old == (ticket.team_id, ticket.assignee_id):
            return ticket
        extra = {"warnings": warnings} if warnings else {}
        ticket_event(
            ticket,
            EventKind.ASSIGNED,
            actor=actor,
            at=now,
            from_value=old[1] or "",
            to_value=assignee.pk if assignee else "",
            team=team.pk if team else None,
            **extra,
        )
        if ticket.status == Status.NEW and assignee is not None:
            ticket_event(
                ticket,
                EventKind.STATUS,
                actor=actor,
                at=now,
                from_value=Status.NEW,
                to_value=Status.ASSIGNED,
            )
            ticket.status = Status.ASSIGNED
        sla_changes = ticket_save_with_sla(ticket, now)
        audit_record(
            actor=actor,
            verb="ticket.assigned",
            obj=ticket,
            payload={
                "team": [old[0], ticket.team_id],
                "assignee": [old[1], ticket.assignee_id],
                "sla": sla_changes,
                **extra,
            },
        )
        if assignee is not None and assignee != actor:
            ticket_notify(ticket=ticket, recipients=[assignee], kind="ticket_assigned")
    return ticket


def ticket_unassign_uncleared(*, actor, ticket: Ticket, now=None) -> User | None:
    """Take a confidential ticket from its agent when he is not cleared for it (the ticket was
    just made confidential, or he was taken off its security incident); it stays with its
    team, unassigned, for a cleared person to pick up. Returns the agent it was taken from,
    or None when there was nothing to do (not confidential, nobody assigned, or cleared).

    Called by whoever changes a ticket's confidentiality, inside that change's transaction;
    no permission of its own (it only ever takes access away). Writes the history event (the
    reason ``"not cleared"``) and the audit row ``ticket.unassigned``; the agent is not told
    (he may no longer read the ticket)."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = ticket_lock(ticket, None)
        agent = ticket.assignee
        if agent is None or ticket_cleared(ticket, agent):
            return None
        _unassign(ticket, actor=actor, now=now, reason=NOT_CLEARED)
        sla_changes = ticket_save_with_sla(ticket, now)
        audit_record(
            actor=actor,
            verb="ticket.unassigned",
            obj=ticket,
            payload={
                "team": ticket.team_id,
                "assignee": [agent.pk, None],
                "reason": NOT_CLEARED,
                "sla": sla_changes,
            },
        )
    return agent


def category_recheck(ticket: Ticket) -> tuple[list[str], list[str]]:
    """``(warnings, refusals)`` of the assignment checks for the ticket's agent and its
    category as it stands now (a ticket just recategorised, not saved yet). Nobody assigned:
    nothing to check."""
    if ticket.assignee is None:
        return [], []
    try:
        return assignment_warnings(
            assignee=ticket.assignee, category=ticket.category, ticket=ticket
        ), []
    except ValidationError as refusal:
        return [], [str(message) for message in refusal.messages]


def ticket_unassign_refused(ticket: Ticket, *, actor, now, refused: list[str]) -> dict:
    """Inside a recategorisation's transaction (the ticket locked): take the ticket from the
    agent the checks refuse for its new category. It stays with its team, unassigned; the
    history row says why (``"not qualified"`` and the refusals) and
    ``ticket.assignment_warnings`` tells the person who changed it. Recategorising is never
    refused because of who holds the ticket. Returns the audit payload's part."""
    agent = _unassign(ticket, actor=actor, now=now, reason=NOT_QUALIFIED, refused=refused)
    ticket.assignment_warnings = [
        _(
            "%(person)s may not work tickets of this category: the ticket is back with its "
            "team, unassigned."
        )
        % {"person": agent},
        *refused,
    ]
    return {"assignee": [agent.pk, None], "reason": NOT_QUALIFIED}


def _unassign(ticket: Ticket, *, actor, now, reason: str, **extra) -> User:
    """Take the locked ticket from its agent (it stays with its team): the history row says
    why (``reason`` and ``extra``). Returns the agent; the caller saves the ticket."""
    agent = ticket.assignee
    ticket.assignee = None
    ticket_event(
        ticket,
        EventKind.ASSIGNED,
        actor=actor,
        at=now,
        from_value=agent.pk,
        to_value="",
        team=ticket.team_id,
        reason=reason,
        **extra,
    )
    return agent
