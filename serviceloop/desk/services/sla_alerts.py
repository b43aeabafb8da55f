"""SLA warnings and escalations: a warning once per ticket, target and due time; a breach (and
its escalation) once per ticket and target.

The periodic task calls ``sla_alerts_run``. Claiming an alert is an INSERT into ``SlaAlert``
under a unique constraint, so with several workers only the one whose insert succeeds acts.
A warning due time that moves (a pause, a priority change) gets a new warning.

A breach that reassigns runs the same assignment checks as a person assigning
(``services.assignment``): a confidential ticket never goes to someone not cleared for it,
and a competence rule on "block" is never bypassed (``_escalation_for``).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.desk.confidential import ticket_notify
from serviceloop.desk.lifecycle import OPEN_STATUSES
from serviceloop.desk.models import EscalationAction, EventKind, SlaAlert, Ticket, TicketEvent
from serviceloop.desk.services.assignment import assignment_warnings, team_next_agent_checked
from serviceloop.desk.sla import ticket_sla_refresh

RAISE = {"P4": "P3", "P3": "P2", "P2": "P1", "P1": "P1"}


def _claim(ticket: Ticket, target: str, threshold: str, due_at, now) -> bool:
    try:
        with transaction.atomic():
            SlaAlert.objects.create(
                ticket=ticket, target=target, threshold=threshold, due_at=due_at, created_at=now
            )
    except IntegrityError:
        return False
    return True


def _people_to_tell(ticket: Ticket) -> list:
    people = [ticket.assignee]
    if ticket.team is not None:
        people.append(ticket.team.lead)
    return [p for p in people if p is not None]


def sla_alerts_run(*, now=None) -> dict:
    """Send due warnings and act on breaches; returns counts ``{"warning": n, "breach": m}``."""
    now = now or timezone.now()
    counts = {"warning": 0, "breach": 0}
    candidates = Ticket.objects.filter(status__in=OPEN_STATUSES, sla_paused=False).filter(
        Q(response_warn_at__lte=now)
        | Q(resolution_warn_at__lte=now)
        | Q(response_due_at__lt=now)
        | Q(resolution_due_at__lt=now)
    )
    for ticket in candidates.select_related("team__lead", "assignee", "sla_version"):
        for target in ("response", "resolution"):
            due_at = getattr(ticket, f"{target}_due_at")
            warn_at = getattr(ticket, f"{target}_warn_at")
            if due_at is None:
                continue
            if due_at < now:
                # A target is breached once: a due time moved by the escalation itself (a
                # raised priority) does not make a second breach of the same target.
                already = SlaAlert.objects.filter(
                    ticket=ticket, target=target, threshold="breach"
                ).exists()
                if not already and _claim(ticket, target, "breach", due_at, now):
                    _breach(ticket, target, due_at, now)
                    counts["breach"] += 1
            elif (
                warn_at is not None
                and warn_at <= now
                and _claim(ticket, target, "warning", due_at, now)
            ):
                _warn(ticket, target, due_at)
                counts["warning"] += 1
    return counts


def _warn(ticket: Ticket, target: str, due_at) -> None:
    with transaction.atomic():
        ticket_notify(
            ticket=ticket,
            recipients=_people_to_tell(ticket),
            kind="sla_warning",
            context={"target": target, "due_at": due_at},
        )
        audit_record(
            actor=None,
            verb="ticket.sla_warning",
            obj=ticket,
            payload={"target": target, "due_at": due_at},
        )


@dataclass
class Escalation:
    """Whom a breach reassigns a ticket to, and why (``outcome``): ``lead`` (the team lead
    took it), ``agent`` (the lead was refused: the next agent in turn took it) or
    ``lead_notified`` (everyone was refused: the ticket stays, the lead is told)."""

    outcome: str
    agent: User | None = None
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the refusals met, translated

    def as_payload(self) -> dict:
        return {"outcome": self.outcome, "warnings": self.warnings, "refused": self.refused}


def _escalation_for(ticket: Ticket, lead: User) -> Escalation:
    """Whom the breach of ``ticket`` (locked) reassigns it to: its team lead unless an
    assignment check refuses him (clearance for a confidential ticket, the hook point's
    checks such as competence on "block"), else the next agent of the team in turn whom no
    check refuses, never the agent who holds it; else nobody."""
    refused: list[str] = []
    try:
        warnings = assignment_warnings(assignee=lead, category=ticket.category, ticket=ticket)
    except ValidationError as refusal:
        refused.extend(refusal.messages)
    else:
        return Escalation("lead", lead, warnings)
    agent, warnings = team_next_agent_checked(
        ticket.team,
        category=ticket.category,
        ticket=ticket,
        exclude={lead.pk, ticket.assignee_id},
        refused=refused,
    )
    if agent is None:
        return Escalation("lead_notified", refused=refused)
    return Escalation("agent", agent, warnings, refused)


def _breach(ticket: Ticket, target: str, due_at, now) -> None:
    """Notify the assignee and the team lead; then, per the policy version, reassign (to the
    lead, or the next agent in turn the assignment checks allow: ``_escalation_for``) or
    raise the priority one step (which re-targets the SLA from creation). A reassignment
    nobody may take leaves the ticket where it is and says why in its history, the audit
    row and the lead's message; a warning about the new agent is kept on the assignment's
    history row."""
    action = ticket.sla_version.escalation if ticket.sla_version else EscalationAction.NOTIFY
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team__lead", "assignee", "sla_version__calendar", "category")
            .get(pk=ticket.pk)
        )
        taken = {}
        escalation = None
        recipients = _people_to_tell(ticket)  # before a reassignment: the agent losing it too
        lead = ticket.team.lead if ticket.team else None
        if (
            action == EscalationAction.REASSIGN
            and lead is not None
            and ticket.assignee_id != lead.pk
        ):
            escalation = _escalation_for(ticket, lead)
        if escalation is not None and escalation.agent is not None:
            extra = {"warnings": escalation.warnings} if escalation.warnings else {}
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.ASSIGNED,
                at=now,
                from_value=str(ticket.assignee_id or ""),
                to_value=str(escalation.agent.pk),
                payload={"reason": "sla breach", "team": ticket.team_id, **extra},
            )
            taken["assignee"] = [ticket.assignee_id, escalation.agent.pk]
            ticket.assignee = escalation.agent
        elif (
            action == EscalationAction.RAISE_PRIORITY and RAISE[ticket.priority] != ticket.priority
        ):
            new = RAISE[ticket.priority]
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.PRIORITY,
                at=now,
                from_value=ticket.priority,
                to_value=new,
                payload={"reason": "sla breach"},
            )
            taken["priority"] = [ticket.priority, new]
            ticket.priority = new
        sla_payload = {"due_at": due_at.isoformat(), "action": action}
        if escalation is not None:
            sla_payload.update(escalation=escalation.outcome, refused=escalation.refused)
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.SLA,
            at=now,
            to_value=f"{target}_breached",
            payload=sla_payload,
        )
        taken["sla"] = ticket_sla_refresh(ticket, now=now)
        ticket.updated_at = now
        ticket.version = F("version") + 1
        ticket.save()
        ticket.refresh_from_db(fields=["version"])
        audit = {"target": target, "due_at": due_at, "action": action, "changes": taken}
        if escalation is not None:
            audit["escalation"] = escalation.as_payload()
        audit_record(actor=None, verb="ticket.sla_breach", obj=ticket, payload=audit)
        ticket_notify(
            ticket=ticket,
            recipients=[*recipients, *(p for p in _people_to_tell(ticket) if p not in recipients)],
            kind="sla_breach",
            context={
                "target": target,
                "due_at": due_at,
                "action": action,
                "escalation": escalation.outcome if escalation else "",
            },
        )
