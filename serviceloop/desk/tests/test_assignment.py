"""Assignment: routing by category, round-robin inside a team, manual assignment checks."""

import html

import pytest
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import TeamFactory, UserFactory
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind, Ticket, TicketEvent
from serviceloop.desk.services.tickets import ticket_assign
from serviceloop.desk.tests.factories import CategoryFactory, TicketFactory, shanghai


@pytest.fixture
def pair(people):
    """A team of two agents, plus members who must never get a ticket by rotation."""
    first = UserFactory(username="agent.one", role=Role.AGENT, organisation=people.provider)
    second = UserFactory(username="agent.two", role=Role.AGENT, organisation=people.provider)
    gone = UserFactory(
        username="agent.gone", role=Role.AGENT, organisation=people.provider, is_active=False
    )
    team = TeamFactory(
        organisation=people.provider,
        name="Second line",
        lead=people.lead,
        members=[first, second, gone, people.auditor],
    )
    return team, first, second


def ticket_writes():
    return TicketEvent.objects.count(), AuditEvent.objects.count(), Notification.objects.count()


class TestRouting:
    def test_a_category_routes_the_ticket_to_its_team(self, raise_ticket, desk, people):
        ticket = raise_ticket(category=desk.category, now=shanghai("2026-09-28 09:00"))

        assert ticket.team == desk.team
        assert ticket.assignee in {people.lead, people.agent}
        assert ticket.status == Status.ASSIGNED
        statuses = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
        assert [(e.from_value, e.to_value) for e in statuses] == [(Status.NEW, Status.ASSIGNED)]

    def test_a_category_without_a_team_leaves_the_ticket_unassigned(self, raise_ticket):
        ticket = raise_ticket(category=CategoryFactory(name="Misc"))

        assert (ticket.team, ticket.assignee, ticket.status) == (None, None, Status.NEW)

    def test_a_team_given_explicitly_wins_over_the_category(self, raise_ticket, desk, pair):
        team, first, _second = pair

        ticket = raise_ticket(category=desk.category, team=team)

        assert ticket.team == team and ticket.assignee == first


class TestRoundRobin:
    def test_three_tickets_to_a_two_agent_team_alternate(self, raise_ticket, pair):
        team, first, second = pair
        category = CategoryFactory(name="Databases", default_team=team)

        assignees = [
            raise_ticket(category=category, now=shanghai(f"2026-09-28 {hour}:00")).assignee
            for hour in ("09", "10", "11")
        ]

        assert assignees == [first, second, first]

    def test_assigning_to_a_team_without_an_agent_takes_the_next_in_turn(
        self, raise_ticket, people, pair
    ):
        team, first, second = pair
        taken = [
            raise_ticket(team=team, now=shanghai("2026-09-28 09:00")),  # first
            raise_ticket(now=shanghai("2026-09-28 09:30")),
            raise_ticket(now=shanghai("2026-09-28 09:40")),
        ]

        ticket_assign(
            actor=people.lead, ticket=taken[1], team=team, now=shanghai("2026-09-28 10:00")
        )
        ticket_assign(
            actor=people.lead, ticket=taken[2], team=team, now=shanghai("2026-09-28 10:01")
        )

        assert [Ticket.objects.get(pk=t.pk).assignee for t in taken] == [first, second, first]

    def test_a_team_without_active_agents_leaves_the_ticket_unassigned(self, raise_ticket, people):
        team = TeamFactory(organisation=people.provider, members=[people.auditor, people.top])

        ticket = raise_ticket(team=team)

        assert (ticket.team, ticket.assignee, ticket.status) == (team, None, Status.NEW)


class TestManualAssignment:
    def test_an_agent_of_the_team_is_assigned_and_told(self, raise_ticket, people, pair):
        team, _first, second = pair
        ticket = raise_ticket()

        ticket_assign(actor=people.lead, ticket=ticket, team=team, assignee=second)

        ticket.refresh_from_db()
        assert (ticket.team, ticket.assignee, ticket.status) == (team, second, Status.ASSIGNED)
        assert Notification.objects.filter(recipient=second, kind="ticket_assigned").count() == 1

    def test_an_agent_outside_the_team_is_refused(self, raise_ticket, people, pair, desk):
        team, _first, _second = pair
        ticket = raise_ticket()
        before = ticket_writes()

        with pytest.raises(ValidationError) as refused:
            ticket_assign(actor=people.lead, ticket=ticket, team=team, assignee=people.agent)

        assert "assignee" in refused.value.message_dict
        ticket.refresh_from_db()
        assert (ticket.team, ticket.assignee, ticket.version) == (None, None, 1)
        assert ticket_writes() == before

    def test_an_agent_outside_the_tickets_current_team_is_refused(self, raise_ticket, people, pair):
        team, first, _second = pair
        ticket = raise_ticket(team=team)

        with pytest.raises(ValidationError):
            ticket_assign(actor=people.lead, ticket=ticket, assignee=people.agent)

        ticket.refresh_from_db()
        assert ticket.assignee == first

    @pytest.mark.parametrize("who", ["auditor", "top", "owner", "a_user"])
    def test_only_people_who_work_tickets_can_be_assigned(self, who, raise_ticket, people):
        ticket = raise_ticket()
        before = ticket_writes()

        with pytest.raises(ValidationError) as refused:
            ticket_assign(actor=people.lead, ticket=ticket, assignee=getattr(people, who))

        assert "assignee" in refused.value.message_dict
        assert ticket_writes() == before

    def test_creating_with_an_agent_outside_the_team_is_refused(self, raise_ticket, people, pair):
        team, _first, _second = pair
        tickets = Ticket.objects.count()

        with pytest.raises(ValidationError) as refused:
            raise_ticket(team=team, assignee=people.agent)

        assert "assignee" in refused.value.message_dict
        assert Ticket.objects.count() == tickets

    def test_assigning_oneself_sends_no_notification(self, raise_ticket, people, desk):
        ticket = raise_ticket()

        ticket_assign(actor=people.agent, ticket=ticket, team=desk.team, assignee=people.agent)

        assert not Notification.objects.filter(kind="ticket_assigned").exists()

    def test_the_same_assignment_again_changes_nothing(self, raise_ticket, people, desk):
        ticket = raise_ticket(team=desk.team, assignee=people.agent)
        before = ticket_writes()

        ticket_assign(actor=people.lead, ticket=ticket, team=desk.team, assignee=people.agent)

        assert ticket_writes() == before
        assert Ticket.objects.get(pk=ticket.pk).version == ticket.version

    def test_reassigning_an_in_progress_ticket_keeps_its_status(self, people, desk):
        ticket = TicketFactory(
            organisation=people.customer_a,
            requester=people.a_user,
            status=Status.IN_PROGRESS,
            team=desk.team,
            assignee=people.agent,
        )

        ticket_assign(actor=people.lead, ticket=ticket, assignee=people.lead)

        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.status) == (people.lead, Status.IN_PROGRESS)


class TestAssignScreen:
    def test_the_ticket_page_assigns(self, raise_ticket, people, desk, client_for):
        ticket = raise_ticket()

        response = client_for(people.lead).post(
            reverse("ticket_assign", args=[ticket.reference]),
            {"team": desk.team.pk, "assignee": people.agent.pk},
        )

        assert response.status_code == 302
        assert response.url == reverse("ticket_detail", args=[ticket.reference])
        ticket.refresh_from_db()
        assert (ticket.team, ticket.assignee) == (desk.team, people.agent)

    def test_the_ticket_page_explains_a_refused_assignment(
        self, raise_ticket, people, pair, client_for
    ):
        team, _first, _second = pair
        ticket = raise_ticket()

        response = client_for(people.lead).post(
            reverse("ticket_assign", args=[ticket.reference]),
            {"team": team.pk, "assignee": people.agent.pk},
            follow=True,
        )

        assert response.status_code == 200
        with translation.override(people.lead.language):
            message = html.escape(gettext("The agent is not a member of the team."))
        assert message in response.content.decode()
        ticket.refresh_from_db()
        assert ticket.assignee is None

    def test_an_invalid_assignment_form_is_explained(self, raise_ticket, people, client_for):
        ticket = raise_ticket()

        response = client_for(people.lead).post(
            reverse("ticket_assign", args=[ticket.reference]),
            {"assignee": people.a_user.pk},
            follow=True,
        )

        assert [m for m in response.context["messages"] if m.level == messages.ERROR]
        assert Ticket.objects.get(pk=ticket.pk).assignee is None
