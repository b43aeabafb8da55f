"""Creating tickets and changing their details; the home of the ticket services.

Every service: checks the actor's right, validates, writes the change and its history
event(s), replays the SLA clock, writes one audit row, and queues notifications after the
commit. A stale ``expected_version`` (another agent saved first) raises ``StaleTicket``.

Creating and changing details are here; moving through the lifecycle is in
``ticket_transitions``, replies and notes in ``ticket_comments``, assignment in
``ticket_assignment``, what they share in ``ticket_writes``. Callers import any of them from
here (the names re-exported below).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import notify_many
from serviceloop.desk.confidential import ticket_messages
from serviceloop.desk.lifecycle import AGENT, Status
from serviceloop.desk.models import (
    Category,
    EventKind,
    Impact,
    Kind,
    Priority,
    PriorityMatrix,
    Source,
    Ticket,
    TicketEvent,
    Urgency,
)
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.search import ticket_index_after_commit
from serviceloop.desk.services.assignment import assignment_warnings, team_next_agent_checked
from serviceloop.desk.services.relations import (
    rating_links,
    rating_token,
    ticket_from_rating_token,
)
from serviceloop.desk.services.ticket_assignment import (
    category_recheck,
    ticket_assign,
    ticket_unassign_refused,
    ticket_unassign_uncleared,
)
from serviceloop.desk.services.ticket_comments import ticket_comment
from serviceloop.desk.services.ticket_transitions import ticket_transition
from serviceloop.desk.services.ticket_writes import (
    StaleTicket,
    ticket_event,
    ticket_event_unsaved,
    ticket_lock,
    ticket_save_with_sla,
)
from serviceloop.desk.sla import sla_version_for, ticket_sla_refresh

__all__ = [
    "REFERENCE_PREFIX",
    "TICKET_FIELDS",
    "StaleTicket",
    "rating_links",
    "rating_token",
    "ticket_assign",
    "ticket_comment",
    "ticket_create",
    "ticket_from_rating_token",
    "ticket_lock",
    "ticket_save_with_sla",
    "ticket_transition",
    "ticket_unassign_uncleared",
    "ticket_update",
]

REFERENCE_PREFIX = {Kind.INCIDENT: "INC", Kind.REQUEST: "REQ"}


def ticket_create(
    *,
    actor,
    organisation: Organisation,
    requester: User,
    title: str,
    description: str = "",
    kind: str = Kind.INCIDENT,
    service: str = "",
    category: Category | None = None,
    impact: int = Impact.MINOR,
    urgency: int = Urgency.MEDIUM,
    source: str = Source.AGENT,
    team: Team | None = None,
    assignee: User | None = None,
    idempotency_key: str = "",
    request_type=None,
    form_data: dict | None = None,
    awaiting_approval: bool = False,
    now=None,
) -> Ticket:
    """Raise a ticket. Priority comes from the impact × urgency matrix; the team from the
    category's routing (if none given); the agent by round-robin in the team when the team
    is set and no agent is; the SLA from the first matching policy's newest version.

    The agent passes the assignment checks (``services.assignment``): a refusal raises
    ValidationError and creates nothing; warnings are in ``ticket.assignment_warnings``.

    With an ``idempotency_key`` (Message-ID, alert fingerprint, Idempotency-Key header) a
    repeated call returns the ticket created the first time instead of a second one.
    """
    is_staff = actor is not None and actor.has_capability(Capability.STAFF)
    if actor is not None:
        if is_staff and not actor.has_capability(Capability.OPERATE):
            raise PermissionDenied
        if not is_staff and (
            organisation.pk != actor.organisation_id
            or (requester.pk != actor.pk and not actor.has_capability(Capability.ORG_WIDE))
        ):
            raise PermissionDenied
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the ticket a title.")
    if requester.organisation_id != organisation.pk:
        errors["requester"] = _("The requester must belong to the customer organisation.")
    if kind not in Kind.values:
        errors["kind"] = _("Unknown ticket type.")
    if impact not in Impact.values:
        errors["impact"] = _("Choose an impact.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if (
        team is not None
        and assignee is not None
        and not team.members.filter(pk=assignee.pk).exists()
    ):
        errors["assignee"] = _("The agent is not a member of the team.")
    if assignee is not None and not assignee.has_capability(Capability.OPERATE):
        errors["assignee"] = _("Only agents who work tickets can be assigned.")
    if errors:
        raise ValidationError(errors)
    # A repeated idempotency key is found by the unique constraint when the ticket is
    # inserted (the except clause below), not by a query before every create.
    now = now or timezone.now()
    priority = PriorityMatrix.priority_for(impact, urgency)
    if team is None and category is not None:
        team = category.default_team
    warnings: list[str] = []
    if awaiting_approval:
        assignee = None  # nobody works on it before it is approved
    elif assignee is None and team is not None:
        assignee, warnings = team_next_agent_checked(team, category=category)
    else:
        warnings = assignment_warnings(assignee=assignee, category=category)
    initial_status = Status.PENDING_APPROVAL if awaiting_approval else Status.NEW
    # Everything that needs no reference number is prepared before the transaction: the
    # number's sequence row stays locked from its allocation to the commit, so every create
    # of this kind waits for that span (references are gapless), which holds writes only.
    ticket = Ticket(
        kind=kind,
        organisation=organisation,
        requester=requester,
        title=title[:200],
        description=description or "",
        service=service or "",
        category=category,
        impact=impact,
        urgency=urgency,
        priority=priority,
        status=Status.ASSIGNED if assignee else initial_status,
        request_type=request_type,
        form_data=form_data or {},
        team=team,
        assignee=assignee,
        source=source,
        idempotency_key=idempotency_key or "",
        created_at=now,
        updated_at=now,
    )
    ticket.sla_version = sla_version_for(
        organisation_id=organisation.pk, service=ticket.service, kind=kind, priority=priority
    )
    events = [
        ticket_event_unsaved(
            ticket, EventKind.CREATED, actor=actor, at=now, to_value=initial_status,
            priority=priority, source=source,
        )
    ]  # fmt: skip
    if assignee is not None:
        events.append(
            ticket_event_unsaved(
                ticket, EventKind.ASSIGNED, actor=actor, at=now, to_value=assignee.pk,
                team=team.pk if team else None, **({"warnings": warnings} if warnings else {}),
            )
        )  # fmt: skip
        events.append(
            ticket_event_unsaved(
                ticket, EventKind.STATUS, actor=actor, at=now, from_value=Status.NEW,
                to_value=Status.ASSIGNED,
            )
        )  # fmt: skip
    # The clock needs only the events in memory: one INSERT of the ticket with its SLA
    # fields, one INSERT of its first events.
    ticket_sla_refresh(ticket, now=now, events=events)
    try:
        with transaction.atomic():
            ticket.reference = reference_allocate(
                kind=REFERENCE_PREFIX[kind], year=timezone.localtime(now).year
            )
            ticket.save()
            for event in events:
                event.ticket = ticket
            TicketEvent.objects.bulk_create(events)
            messages = ticket_messages(
                ticket=ticket, recipients=[requester], kind="ticket_created", public=True
            )
            if assignee is not None and assignee != actor:
                messages += ticket_messages(
                    ticket=ticket, recipients=[assignee], kind="ticket_assigned"
                )
            notify_many(messages)  # the requester's and the agent's in one INSERT
            ticket_index_after_commit(ticket.pk)
            # Last: the audit chain's head stays locked until the commit, for every writer.
            audit_record(
                actor=actor,
                verb="ticket.created",
                obj=ticket,
                payload={
                    "reference": ticket.reference,
                    "kind": kind,
                    "priority": priority,
                    "source": source,
                    "team": team.pk if team else None,
                    "assignee": assignee.pk if assignee else None,
                    "sla_version": ticket.sla_version_id,
                },
            )
    except IntegrityError:
        if idempotency_key:
            # The key was used before (a replay, or another request won the race): the
            # transaction is rolled back (the reference number too); return that ticket.
            existing = Ticket.objects.filter(
                organisation=organisation, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return existing
        raise
    ticket.assignment_warnings = warnings
    return ticket


TICKET_FIELDS = ("title", "description", "service", "category", "impact", "urgency", "is_major")


def ticket_update(*, actor, ticket: Ticket, expected_version=None, now=None, **fields) -> Ticket:
    """Change details (staff who work tickets). Impact or urgency re-derive the priority from
    the matrix; a priority change re-targets the SLA from creation (see sla_clock). A new
    category puts the agent through the assignment checks again: their warnings go on the
    history row and into ``ticket.assignment_warnings``; a refusal takes the ticket from him
    (back to the team, unassigned), the recategorisation stands."""
    now = now or timezone.now()
    if ticket_role(actor, ticket) != AGENT:
        raise PermissionDenied
    unknown = set(fields) - set(TICKET_FIELDS) - {"priority"}
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors = {}
    if "impact" in fields and fields["impact"] not in Impact.values:
        errors["impact"] = _("Choose an impact.")
    if "urgency" in fields and fields["urgency"] not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if "priority" in fields and fields["priority"] not in Priority.values:
        errors["priority"] = _("Choose a priority.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ticket = ticket_lock(ticket, expected_version)
        before = {
            name: getattr(ticket, name if name != "category" else "category_id")
            for name in TICKET_FIELDS
        }
        old_priority = ticket.priority
        for name, value in fields.items():
            if name != "priority":
                setattr(ticket, name, value)
        if "priority" in fields:
            ticket.priority = fields["priority"]
        elif "impact" in fields or "urgency" in fields:
            ticket.priority = PriorityMatrix.priority_for(ticket.impact, ticket.urgency)
        ticket.title = (ticket.title or "").strip()
        ticket.full_clean(exclude=["sla_version", "team", "assignee", "requester", "organisation"])
        changes = {}
        for name in TICKET_FIELDS:
            new = getattr(ticket, name if name != "category" else "category_id")
            if new != before[name]:
                changes[name] = [before[name], new]
        warnings, refused = category_recheck(ticket) if "category" in changes else ([], [])
        ticket.assignment_warnings = warnings
        if changes:
            extra = {"warnings": warnings} if warnings else {}
            ticket_event(ticket, EventKind.FIELDS, actor=actor, at=now, changes=changes, **extra)
        if refused:
            changes.update(ticket_unassign_refused(ticket, actor=actor, now=now, refused=refused))
        if ticket.priority != old_priority:
            changes["priority"] = [old_priority, ticket.priority]
            ticket_event(
                ticket,
                EventKind.PRIORITY,
                actor=actor,
                at=now,
                from_value=old_priority,
                to_value=ticket.priority,
            )
        if not changes:
            return ticket
        changes["sla"] = ticket_save_with_sla(ticket, now)
        audit_record(actor=actor, verb="ticket.updated", obj=ticket, payload=changes)
        ticket_index_after_commit(ticket.pk)
    return ticket
