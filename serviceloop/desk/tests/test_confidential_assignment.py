"""A confidential ticket (a security incident) is only ever given to an agent cleared for it
(issue 6): the security team and the people named on it. Everywhere a ticket gets an agent:
the ticket page, the API, the bulk action, the round-robin (routing by team), the SLA
escalation and merging. A ticket made confidential while an uncleared agent holds it is
taken from him (history event and audit row), never left with him."""

import types

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent, Notification, Team
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import TeamFactory, UserFactory
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind, LinkKind, Ticket, TicketEvent, TicketLink
from serviceloop.desk.services.assignment import team_agents_in_turn, team_next_agent_checked
from serviceloop.desk.services.bulk import tickets_bulk, tickets_merge
from serviceloop.desk.services.sla_alerts import sla_alerts_run
from serviceloop.desk.services.tickets import ticket_assign, ticket_unassign_uncleared
from serviceloop.desk.tests.factories import SlaPolicyVersionFactory, shanghai

pytestmark = pytest.mark.usefixtures("english")

SECRET = "Payroll phishing 工资钓鱼"
NOT_CLEARED = "is not cleared to see this confidential ticket"


def make_confidential(ticket, *viewers):
    """The ticket's confidential flag and named people, as assurance's security incident sets
    them (the desk's own reaction to it is tested below through ``ticket_unassign_uncleared``
    and through assurance's service)."""
    Ticket.objects.filter(pk=ticket.pk).update(confidential=True)
    ticket.confidential_viewers.set(viewers)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def cast(people, desk, settings):
    """``sec``: an agent of the security team (cleared for every confidential ticket);
    ``named``: an agent each confidential ticket below names. Both work in the Service Desk
    team next to the lead and the agent, who are not cleared."""
    # English, like the rest of the cast (the ``english`` fixture ran before these existed)
    sec = UserFactory(
        username="sec.agent", role=Role.AGENT, organisation=people.provider, language="en"
    )
    named = UserFactory(
        username="named.agent", role=Role.AGENT, organisation=people.provider, language="en"
    )
    TeamFactory(organisation=people.provider, name=settings.SECURITY_TEAM, members=[sec])
    desk.team.members.add(sec, named)
    return types.SimpleNamespace(sec=sec, named=named)


@pytest.fixture
def secret(raise_ticket, desk, cast):
    """A confidential incident of the Service Desk team, worked by the security agent and
    naming ``named``."""
    ticket = raise_ticket(title=SECRET, team=desk.team, assignee=cast.sec)
    return make_confidential(ticket, cast.named)


def footprint(ticket):
    """Everything a refused write must leave untouched."""
    row = Ticket.objects.get(pk=ticket.pk)
    return (
        row.team_id,
        row.assignee_id,
        row.status,
        row.version,
        TicketEvent.objects.filter(ticket=ticket).count(),
        AuditEvent.objects.filter(object_type="desk.ticket", object_id=str(ticket.pk)).count(),
        Notification.objects.filter(subject__contains=ticket.reference).count(),
    )


# --- Manual assignment: service, ticket page, API, bulk ------------------------------------


class TestManualAssignment:
    def test_an_uncleared_agent_is_refused_and_nothing_changes(self, people, cast, secret):
        before = footprint(secret)

        with pytest.raises(ValidationError) as refused:
            ticket_assign(actor=cast.sec, ticket=secret, assignee=people.agent)

        assert NOT_CLEARED in " ".join(refused.value.message_dict["assignee"])
        assert footprint(secret) == before

    @pytest.mark.parametrize("who", ["named", "sec"])
    def test_a_named_person_or_the_security_team_may_take_it(self, who, people, cast, secret):
        if who == "sec":  # first hand it to the named agent, then back to the security team
            ticket_assign(actor=cast.sec, ticket=secret, assignee=cast.named)
        agent = getattr(cast, who)

        ticket_assign(actor=cast.sec, ticket=secret, assignee=agent)

        assert Ticket.objects.get(pk=secret.pk).assignee == agent

    def test_a_ticket_that_is_not_confidential_goes_to_anyone_of_the_team(
        self, people, desk, raise_ticket
    ):
        ticket = raise_ticket(title="Printer jam")

        ticket_assign(actor=people.lead, ticket=ticket, team=desk.team, assignee=people.agent)

        assert Ticket.objects.get(pk=ticket.pk).assignee == people.agent

    def test_the_ticket_page_explains_the_refusal(self, people, desk, cast, secret, client_for):
        before = footprint(secret)

        response = client_for(cast.sec).post(
            reverse("ticket_assign", args=[secret.reference]),
            {"team": desk.team.pk, "assignee": people.agent.pk, "version": secret.version},
            follow=True,
        )

        assert response.status_code == 200
        assert NOT_CLEARED in response.content.decode()
        assert footprint(secret) == before

    def test_the_api_answers_400_with_the_reason(self, people, cast, secret, api_client_for):
        before = footprint(secret)

        response = api_client_for(cast.sec).post(
            f"/api/v1/tickets/{secret.reference}/assign/",
            {"assignee": str(people.agent.uuid)},
            format="json",
            HTTP_IF_MATCH=f'"{secret.version}"',
        )

        assert response.status_code == 400, response.content
        assert NOT_CLEARED in " ".join(response.json()["assignee"])
        assert footprint(secret) == before

    def test_bulk_assignment_refuses_the_confidential_ticket_only(
        self, people, desk, cast, secret, raise_ticket
    ):
        plain = raise_ticket(title="Printer jam")
        before = footprint(secret)

        result = tickets_bulk(
            actor=cast.sec,
            tickets=[secret, plain],
            action="assign",
            team=desk.team,
            assignee=people.agent,
        )

        assert result.done == [plain.reference]
        [(reference, reason)] = result.failed
        assert reference == secret.reference and NOT_CLEARED in reason
        assert footprint(secret) == before
        assert Ticket.objects.get(pk=plain.pk).assignee == people.agent

    def test_the_bulk_screen_says_which_ticket_was_refused_and_why(
        self, people, desk, cast, secret, client_for
    ):
        before = footprint(secret)

        response = client_for(cast.sec).post(
            reverse("desk_bulk"),
            {
                "tickets": [secret.reference],
                "action": "assign",
                "team": desk.team.pk,
                "assignee": people.agent.pk,
            },
            follow=True,
        )

        assert response.status_code == 200
        page = response.content.decode()
        assert secret.reference in page and NOT_CLEARED in page
        assert footprint(secret) == before


# --- Round-robin inside a team -------------------------------------------------------------


class TestRoundRobin:
    def test_the_turn_leaves_out_members_not_cleared(self, people, desk, cast, secret):
        everyone = team_agents_in_turn(desk.team)
        cleared = team_agents_in_turn(desk.team, ticket=secret)

        assert {people.lead, people.agent} <= set(everyone)
        assert set(cleared) == {cast.sec, cast.named}
        assert [m for m in everyone if m in cleared] == cleared  # the same order

    def test_the_next_agent_in_turn_is_a_cleared_one(self, people, desk, cast, secret):
        agent, warnings = team_next_agent_checked(desk.team, ticket=secret)

        assert agent in {cast.sec, cast.named} and warnings == []

    def test_assigning_to_the_team_skips_uncleared_members(self, people, desk, cast, secret):
        # the lead and the agent have never had a ticket of this team: first in turn
        assert team_agents_in_turn(desk.team)[0] in {people.lead, people.agent}

        ticket_assign(actor=cast.sec, ticket=secret, team=desk.team)

        assert Ticket.objects.get(pk=secret.pk).assignee == cast.named

    def test_a_team_without_a_cleared_member_gets_the_ticket_unassigned(self, people, cast, secret):
        second_line = TeamFactory(organisation=people.provider, members=[people.agent])

        ticket = ticket_assign(actor=cast.sec, ticket=secret, team=second_line)

        row = Ticket.objects.get(pk=secret.pk)
        assert (row.team, row.assignee) == (second_line, None)
        assert ticket.assignment_warnings == []

    def test_an_approved_request_is_routed_to_a_cleared_agent_only(
        self, people, desk, cast, secret
    ):
        # What the approval service does once a request is approved: the team's next agent.
        Ticket.objects.filter(pk=secret.pk).update(assignee=None)
        secret.refresh_from_db()

        ticket_assign(actor=None, ticket=secret, team=desk.team)

        assert Ticket.objects.get(pk=secret.pk).assignee in {cast.sec, cast.named}


# --- SLA escalation ------------------------------------------------------------------------


class TestEscalation:
    @pytest.fixture
    def breaching(self, people, desk, cast, raise_ticket):
        """A P1 confidential incident worked by the security agent, under a policy that
        reassigns to the team lead on a breach (the lead is not cleared for it)."""
        SlaPolicyVersionFactory(policy=desk.policy, calendar=desk.calendar, escalation="reassign")
        ticket = raise_ticket(
            title=SECRET,
            now=shanghai("2026-09-28 09:00"),
            team=desk.team,
            assignee=cast.sec,
            impact=1,
            urgency=1,
        )
        return make_confidential(ticket, cast.named)

    def test_the_lead_not_cleared_is_passed_over_for_a_cleared_agent(self, people, cast, breaching):
        assert sla_alerts_run(now=shanghai("2026-09-28 09:31")) == {"warning": 0, "breach": 1}

        row = Ticket.objects.get(pk=breaching.pk)
        assert row.assignee == cast.named
        audit = AuditEvent.objects.get(verb="ticket.sla_breach", object_id=str(breaching.pk))
        assert audit.payload["changes"]["assignee"] == [cast.sec.pk, cast.named.pk]
        assert any(NOT_CLEARED in reason for reason in audit.payload["escalation"]["refused"])

    def test_without_any_cleared_agent_nobody_uncleared_gets_it(
        self, people, desk, cast, breaching
    ):
        desk.team.members.remove(cast.named)

        sla_alerts_run(now=shanghai("2026-09-28 09:31"))
        sla_alerts_run(now=shanghai("2026-09-28 09:32"))

        assert Ticket.objects.get(pk=breaching.pk).assignee == cast.sec
        [event] = TicketEvent.objects.filter(ticket=breaching, kind=EventKind.SLA)
        assert event.payload["escalation"] == "lead_notified"
        # the lead is not cleared: he is not told the title either
        assert not Notification.objects.filter(recipient=people.lead, kind="sla_breach").exists()


# --- Merging -------------------------------------------------------------------------------


class TestMerging:
    def test_a_confidential_ticket_is_not_merged_into_one_everybody_sees(
        self, people, cast, secret, raise_ticket
    ):
        plain = raise_ticket(title="Strange e-mail", assignee=people.agent)
        before = footprint(secret)

        with pytest.raises(ValidationError) as refused:
            tickets_merge(actor=cast.sec, duplicates=[secret], into=plain)

        assert secret.reference in " ".join(refused.value.messages)
        assert footprint(secret) == before
        assert not TicketLink.objects.filter(source=secret).exists()

    def test_nor_into_a_confidential_one_whose_agent_is_not_cleared_for_it(
        self, people, desk, cast, secret, raise_ticket
    ):
        other = raise_ticket(title="Phishing wave", team=desk.team, assignee=people.agent)
        other = make_confidential(other, people.agent)  # the agent is cleared for this one only

        with pytest.raises(ValidationError) as refused:
            tickets_merge(actor=cast.sec, duplicates=[secret], into=other)

        assert NOT_CLEARED.split(" this ")[0] in " ".join(refused.value.messages)
        assert Ticket.objects.get(pk=secret.pk).status != Status.CANCELLED

    def test_into_a_confidential_one_worked_by_a_cleared_agent_it_merges(
        self, people, desk, cast, secret, raise_ticket
    ):
        other = raise_ticket(title="Phishing wave", team=desk.team, assignee=cast.sec)
        other = make_confidential(other)
        plain = raise_ticket(title="Strange e-mail")

        tickets_merge(actor=cast.sec, duplicates=[secret, plain], into=other)

        assert Ticket.objects.get(pk=secret.pk).status == Status.CANCELLED
        assert TicketLink.objects.filter(
            source=secret, target=other, kind=LinkKind.DUPLICATE_OF
        ).exists()


# --- Making an assigned ticket confidential ------------------------------------------------


class TestBecomingConfidential:
    def test_an_uncleared_agent_loses_the_ticket_with_a_history_event_and_an_audit_row(
        self, people, desk, cast, raise_ticket
    ):
        ticket = raise_ticket(title=SECRET, team=desk.team, assignee=people.agent)
        make_confidential(ticket, cast.named)
        version = Ticket.objects.get(pk=ticket.pk).version

        released = ticket_unassign_uncleared(actor=cast.sec, ticket=ticket)

        assert released == people.agent
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.team, row.assignee, row.version) == (desk.team, None, version + 1)
        event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).last()
        assert (event.from_value, event.to_value) == (str(people.agent.pk), "")
        assert event.payload["reason"] == "not cleared"
        audit = AuditEvent.objects.get(verb="ticket.unassigned", object_id=str(ticket.pk))
        assert audit.payload["assignee"] == [people.agent.pk, None]
        assert audit.payload["reason"] == "not cleared"

    def test_a_cleared_agent_keeps_it_and_nothing_is_written(self, cast, secret):
        before = footprint(secret)

        assert ticket_unassign_uncleared(actor=cast.sec, ticket=secret) is None

        assert footprint(secret) == before

    def test_recording_a_security_incident_takes_the_ticket_from_an_uncleared_agent(
        self, people, desk, cast, raise_ticket
    ):
        from serviceloop.assurance.services_security import security_incident_create

        ticket = raise_ticket(title=SECRET, team=desk.team, assignee=people.agent)

        security_incident_create(
            actor=cast.sec, ticket=ticket, classification="phishing", viewers=[cast.named]
        )

        row = Ticket.objects.get(pk=ticket.pk)
        assert row.confidential and (row.team, row.assignee) == (desk.team, None)
        assert AuditEvent.objects.filter(verb="ticket.unassigned", object_id=str(ticket.pk))

    def test_an_agent_named_on_the_incident_keeps_the_ticket(
        self, people, desk, cast, raise_ticket
    ):
        from serviceloop.assurance.services_security import security_incident_create

        ticket = raise_ticket(title=SECRET, team=desk.team, assignee=people.agent)

        security_incident_create(
            actor=cast.sec, ticket=ticket, classification="phishing", viewers=[people.agent]
        )

        assert Ticket.objects.get(pk=ticket.pk).assignee == people.agent
        assert not AuditEvent.objects.filter(verb="ticket.unassigned").exists()

    def test_taking_the_assignee_off_the_incident_takes_the_ticket_from_him(
        self, people, desk, cast, raise_ticket
    ):
        from serviceloop.assurance.services_security import (
            security_incident_create,
            security_incident_viewers_set,
        )

        ticket = raise_ticket(title=SECRET, team=desk.team, assignee=people.agent)
        incident = security_incident_create(
            actor=cast.sec, ticket=ticket, classification="phishing", viewers=[people.agent]
        )

        security_incident_viewers_set(actor=cast.sec, incident=incident, viewers=[cast.named])

        assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_the_security_team_must_be_a_provider_team_to_clear_anyone(
    people, desk, raise_ticket, settings
):
    """A customer's team that happens to bear the security team's name clears nobody."""
    lookalike = Team.objects.create(organisation=people.customer_a, name=settings.SECURITY_TEAM)
    lookalike.members.add(people.agent)
    ticket = make_confidential(raise_ticket(title=SECRET))

    with pytest.raises(ValidationError) as refused:
        ticket_assign(actor=None, ticket=ticket, team=desk.team, assignee=people.agent)

    assert NOT_CLEARED in " ".join(refused.value.message_dict["assignee"])
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
