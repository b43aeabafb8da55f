"""Who may be given a ticket: the round-robin inside a team, and the checks other apps hang on
the assignment (clause 7.2: the competence of the person who works it).

The desk does not know those rules; it runs the hook point ``desk.assignment``
(``core.hooks``) with ``assignee``, ``category`` and ``ticket`` (None while the ticket is being
created). A check returns warnings (the assignment goes ahead, the agent is told) or raises
``ValidationError`` to refuse (the service writes nothing). ``support`` registers its
competence check there (off / warn / block, its ``CompetenceSettings``).

The round-robin never picks an agent a check refuses: it goes on to the next in turn, and
leaves the ticket to the team when every member is refused.
"""

from django.core.exceptions import ValidationError
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast

from serviceloop.core.hooks import checks_run
from serviceloop.core.models import Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.models import EventKind, TicketEvent

ASSIGNMENT_CHECK = "desk.assignment"


def assignment_warnings(*, assignee: User | None, category, ticket=None) -> list[str]:
    """Run the assignment checks for giving ``assignee`` a ticket of ``category``: their
    warnings (translated), or the ``ValidationError`` of the first check that refuses.
    Nobody assigned: nothing to check."""
    if assignee is None:
        return []
    return checks_run(ASSIGNMENT_CHECK, assignee=assignee, category=category, ticket=ticket)


def team_agents_in_turn(team: Team) -> list[User]:
    """The team's active members who work tickets, in round-robin order: the one assigned a
    ticket of this team longest ago first (never assigned before anyone)."""
    # Per member, the newest assignment to them of a ticket now in this team: a walk down the
    # partial index on assignment events (to_value, at), not a scan of the team's history.
    last_assigned = (
        TicketEvent.objects.filter(
            kind=EventKind.ASSIGNED,
            to_value=Cast(OuterRef("pk"), output_field=CharField()),
            ticket__team=team,
        )
        .order_by("-at")
        .values("at")[:1]
    )
    members = [
        m
        for m in team.members.filter(is_active=True).annotate(last_assigned=Subquery(last_assigned))
        if m.has_capability(Capability.OPERATE)
    ]
    return sorted(members, key=lambda m: (m.last_assigned is not None, m.last_assigned, m.pk))


def team_next_agent(team: Team, *, category=None, ticket=None) -> User | None:
    """Round-robin inside a team: the first member in turn (``team_agents_in_turn``) whom no
    assignment check refuses for a ticket of ``category``; None when there is none."""
    for member in team_agents_in_turn(team):
        try:
            assignment_warnings(assignee=member, category=category, ticket=ticket)
        except ValidationError:
            continue
        return member
    return None
