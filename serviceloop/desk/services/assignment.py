"""Who may be given a ticket: clearance for a confidential ticket, the checks other apps hang
on the assignment (clause 7.2: the competence of the person who works it), and the
round-robin inside a team.

**Clearance** is the desk's own rule and always refuses: a confidential ticket (a security
incident) goes only to a person cleared for it (``confidential.ticket_cleared``: the security
team and the people named on it). An agent who may not see a ticket cannot work it.

**Other checks**: the desk does not know those rules; it runs the hook point
``desk.assignment`` (``core.hooks``) with ``assignee``, ``category`` and ``ticket`` (None while
the ticket is being created). A check returns warnings (the assignment goes ahead, the agent
is told) or raises ``ValidationError`` to refuse (the service writes nothing). ``support``
registers its competence check there (off / warn / block, its ``CompetenceSettings``).

The round-robin never picks an agent who is refused: it goes on to the next in turn, and
leaves the ticket to the team when every member is refused.
"""

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from serviceloop.core.hooks import checks_run
from serviceloop.core.models import Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.confidential import ticket_cleared
from serviceloop.desk.models import EventKind, Ticket, TicketEvent

ASSIGNMENT_CHECK = "desk.assignment"


def assignee_clearance_check(*, assignee: User | None, ticket: Ticket | None) -> None:
    """Refuse (``ValidationError`` on ``assignee``) to give a confidential ``ticket`` to
    someone not cleared for it. Nothing to check without an assignee, without a ticket (one
    being created is never confidential) or when it is not confidential. Reads the
    ``confidential`` flag of the ``ticket`` given: pass the row as locked by the write."""
    if assignee is None or ticket is None or ticket_cleared(ticket, assignee):
        return
    raise ValidationError(
        {
            "assignee": _(
                "%(person)s is not cleared to see this confidential ticket: assign someone "
                "from the security team or a person named on its security incident."
            )
            % {"person": assignee}
        }
    )


def assignment_warnings(*, assignee: User | None, category, ticket=None) -> list[str]:
    """Run every assignment check for giving ``assignee`` ``ticket`` (of ``category``): the
    clearance first, then the hook point's checks. Their warnings (translated), or the
    ``ValidationError`` of the first refusal. Nobody assigned: nothing to check."""
    if assignee is None:
        return []
    assignee_clearance_check(assignee=assignee, ticket=ticket)
    return checks_run(ASSIGNMENT_CHECK, assignee=assignee, category=category, ticket=ticket)


def team_agents_in_turn(team: Team, *, ticket: Ticket | None = None) -> list[User]:
    """The team's active members who work tickets, in round-robin order: the one assigned a
    ticket of this team longest ago first (never assigned before anyone). For a confidential
    ``ticket``, only the members cleared for it (one query per member: few such tickets).

    Per member, the newest assignment to them of a ticket now in this team: a walk down the
    partial index on assignment events (to_value, at), not a scan of the team's history.
    Hand-written SQL because every routed create runs it: the same query built by the ORM
    (a correlated ``Subquery`` with a ``Cast``) cost more to compile than to run."""
    quote = connection.ops.quote_name
    event, ticket_table = TicketEvent._meta.db_table, Ticket._meta.db_table
    user, members = User._meta.db_table, Team.members.through._meta.db_table
    sql = (
        f"SELECT u.*, (SELECT e.at FROM {quote(event)} e "  # noqa: S608 (our table names)
        f"JOIN {quote(ticket_table)} t ON t.id = e.ticket_id "
        # the kind as a literal, so that the planner sees the partial index's condition
        f"WHERE e.kind = '{EventKind.ASSIGNED.value}' AND e.to_value = CAST(u.id AS varchar) "
        f"AND t.team_id = %s "
        f"ORDER BY e.at DESC LIMIT 1) AS last_assigned "
        f"FROM {quote(user)} u JOIN {quote(members)} m ON m.user_id = u.id "
        f"WHERE m.team_id = %s AND u.is_active"
    )
    agents = [
        m for m in User.objects.raw(sql, [team.pk, team.pk]) if m.has_capability(Capability.OPERATE)
    ]
    if ticket is not None and ticket.confidential:
        agents = [m for m in agents if ticket_cleared(ticket, m)]
    # (SQLite returns the instant as ISO text: it sorts the same way)
    return sorted(agents, key=lambda m: (m.last_assigned is not None, m.last_assigned, m.pk))


def team_next_agent_checked(
    team: Team, *, category=None, ticket=None, exclude=(), refused: list | None = None
) -> tuple[User | None, list[str]]:
    """Round-robin inside a team: the first member in turn (``team_agents_in_turn``, cleared
    for a confidential ``ticket``), not in ``exclude`` (user ids), whom no assignment check
    refuses for a ticket of ``category``, with the checks' warnings about him; (None, [])
    when there is none. The refusals met on the way are appended to ``refused`` if given."""
    for member in team_agents_in_turn(team, ticket=ticket):
        if member.pk in exclude:
            continue
        try:
            warnings = assignment_warnings(assignee=member, category=category, ticket=ticket)
        except ValidationError as refusal:
            if refused is not None:
                refused.extend(refusal.messages)
            continue
        return member, warnings
    return None, []


def team_next_agent(team: Team, *, category=None, ticket=None) -> User | None:
    """The agent ``team_next_agent_checked`` picks."""
    return team_next_agent_checked(team, category=category, ticket=ticket)[0]
