"""Creating and working tickets.

Every service here: checks the actor's right, validates, writes the change and its history
event(s), replays the SLA clock, writes one audit row, and queues notifications after the
commit. A stale ``expected_version`` (another agent saved first) raises ``StaleTicket``.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.desk.confidential import ticket_notify
from serviceloop.desk.lifecycle import AGENT, REQUESTER, SYSTEM, Status, transition_for
from serviceloop.desk.models import (
    Category,
    Comment,
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
from serviceloop.desk.services.assignment import (
    assignment_warnings,
    team_next_agent,
    team_next_agent_checked,
)
from serviceloop.desk.sla import sla_version_for, ticket_sla_refresh

REFERENCE_PREFIX = {Kind.INCIDENT: "INC", Kind.REQUEST: "REQ"}


class StaleTicket(Exception):
    """The ticket changed since the caller read it (optimistic concurrency)."""


def _event(
    ticket, kind, *, actor, at, from_value="", to_value="", provider_response=False, **payload
):
    event = _event_unsaved(
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


def _event_unsaved(
    ticket, kind, *, actor, at, from_value="", to_value="", provider_response=False, **payload
):
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


def _watchers_and_parties(ticket: Ticket) -> list[User]:
    people = [ticket.requester, ticket.assignee, *ticket.watchers.all()]
    return [p for p in people if p is not None]


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
    try:
        with transaction.atomic():
            ticket = Ticket(
                reference=reference_allocate(
                    kind=REFERENCE_PREFIX[kind], year=timezone.localtime(now).year
                ),
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
                organisation_id=organisation.pk,
                service=ticket.service,
                kind=kind,
                priority=priority,
            )
            created = _event_unsaved(
                ticket,
                EventKind.CREATED,
                actor=actor,
                at=now,
                to_value=initial_status,
                priority=priority,
                source=source,
            )
            events = [created]
            if assignee is not None:
                events.append(
                    _event_unsaved(
                        ticket,
                        EventKind.ASSIGNED,
                        actor=actor,
                        at=now,
                        to_value=assignee.pk,
                        team=team.pk if team else None,
                    )
                )
                events.append(
                    _event_unsaved(
                        ticket,
                        EventKind.STATUS,
                        actor=actor,
                        at=now,
                        from_value=Status.NEW,
                        to_value=Status.ASSIGNED,
                    )
                )
            # The clock needs only the events in memory: one INSERT of the ticket with its
            # SLA fields, one INSERT of its first events.
            ticket_sla_refresh(ticket, now=now, events=events)
            ticket.save()
            for event in events:
                event.ticket = ticket
            TicketEvent.objects.bulk_create(events)
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
            ticket_notify(ticket=ticket, recipients=[requester], kind="ticket_created", public=True)
            if assignee is not None and assignee != actor:
                ticket_notify(ticket=ticket, recipients=[assignee], kind="ticket_assigned")
            ticket_index_after_commit(ticket.pk)
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


def ticket_lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    current = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_version__calendar", "requester", "assignee", "team")
        .get(pk=ticket.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleTicket(current.version)
    return current


def ticket_save_with_sla(ticket: Ticket, now, *, events=None) -> dict:
    sla_changes = ticket_sla_refresh(ticket, now=now)
    ticket.updated_at = now
    ticket.version = F("version") + 1
    ticket.save()
    ticket.refresh_from_db(fields=["version"])
    return sla_changes


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
        _event(
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
        recipients = [p for p in _watchers_and_parties(ticket) if p != actor]
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


RATING_SALT = "serviceloop.desk.rating"
RATING_MAX_AGE = datetime.timedelta(days=30)


def rating_token(ticket: Ticket) -> str:
    """A signed token that lets the requester rate this ticket without signing in."""
    return signing.dumps({"t": ticket.pk, "u": ticket.requester_id}, salt=RATING_SALT)


def rating_links(ticket: Ticket) -> list[tuple[int, str]]:
    token = rating_token(ticket)
    return [
        (score, f"{settings.SITE_URL}/desk/rate/{token}/?score={score}") for score in range(1, 6)
    ]


def ticket_from_rating_token(token: str) -> Ticket | None:
    try:
        value = signing.loads(token, salt=RATING_SALT, max_age=RATING_MAX_AGE)
        return Ticket.objects.select_related("requester").get(
            pk=value["t"], requester_id=value["u"]
        )
    except (signing.BadSignature, Ticket.DoesNotExist, KeyError, TypeError):
        return None


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
        _event(
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
            _event(
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
            recipients = [p for p in _watchers_and_parties(ticket) if p != actor]
        else:
            recipients = [
                p
                for p in _watchers_and_parties(ticket)
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


TICKET_FIELDS = ("title", "description", "service", "category", "impact", "urgency", "is_major")


def ticket_update(*, actor, ticket: Ticket, expected_version=None, now=None, **fields) -> Ticket:
    """Change details (staff who work tickets). Impact or urgency re-derive the priority from
    the matrix; a priority change re-targets the SLA from creation (see sla_clock)."""
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
        if changes:
            _event(ticket, EventKind.FIELDS, actor=actor, at=now, changes=changes)
        if ticket.priority != old_priority:
            changes["priority"] = [old_priority, ticket.priority]
            _event(
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

    A new agent passes the assignment checks (``services.assignment``): a refusal raises
    ValidationError and changes nothing; warnings are in ``ticket.assignment_warnings``
    (empty when none)."""
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
        _event(
            ticket,
            EventKind.ASSIGNED,
            actor=actor,
            at=now,
            from_value=old[1] or "",
            to_value=assignee.pk if assignee else "",
            team=team.pk if team else None,
        )
        if ticket.status == Status.NEW and assignee is not None:
            _event(
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
            },
        )
        if assignee is not None and assignee != actor:
            ticket_notify(ticket=ticket, recipients=[assignee], kind="ticket_assigned")
    return ticket
