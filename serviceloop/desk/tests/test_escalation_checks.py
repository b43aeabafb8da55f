"""An SLA breach that reassigns a ticket runs the same assignment checks as a person assigning
it (issue 7): the checks hung on the desk's hook point ``desk.assignment`` (support hangs its
competence rule there, "warn" or "block").

With a refusal ("block") the ticket never goes to the refused agent: the team lead first, else
the next agent of the team in turn whom no check refuses, else nobody: the lead is told, and
the ticket's history and the audit row say why. With a warning ("warn") the ticket goes to
the lead and the warning is on its timeline. Still exactly once per ticket and target.

The checks here are registered at the hook point by the test, in the shape support's are (a
warning string, or ``ValidationError`` on ``assignee``), so that the desk's side is tested
without the desk's tests depending on support."""

import types

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from serviceloop.core.hooks import check_register, check_unregister
from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.desk.models import EventKind, SlaAlert, Ticket, TicketEvent
from serviceloop.desk.services.assignment import ASSIGNMENT_CHECK
from serviceloop.desk.services.sla_alerts import sla_alerts_run
from serviceloop.desk.services.tickets import ticket_assign
from serviceloop.desk.tests.factories import SlaPolicyVersionFactory, shanghai

pytestmark = pytest.mark.usefixtures("english")

BREACHED = shanghai("2026-09-28 09:31")  # a P1 raised at 09:00 missed its 30-minute response


@pytest.fixture
def competence(people):
    """A competence rule at the hook point: the people in ``lacking`` lack what the ticket's
    category needs; ``mode`` is "warn" (a warning) or "block" (a refusal)."""
    rule = types.SimpleNamespace(mode="block", lacking=set())

    def check(*, assignee, category, **context):
        if assignee.pk not in rule.lacking:
            return None
        text = f"{assignee} lacks the competences “{category}” tickets need (test rule)."
        if rule.mode == "block":
            raise ValidationError({"assignee": text})
        return text

    check_register(ASSIGNMENT_CHECK, check)
    yield rule
    check_unregister(ASSIGNMENT_CHECK, check)


@pytest.fixture
def third(people, desk):
    """A third agent of the Service Desk team (the lead and the agent are the others)."""
    agent = UserFactory(username="third.agent", role=Role.AGENT, organisation=people.provider)
    desk.team.members.add(agent)
    return agent


@pytest.fixture
def breaching(people, desk, raise_ticket):
    """A P1 network incident worked by the agent, under a policy that reassigns to the team
    lead on a breach."""
    SlaPolicyVersionFactory(policy=desk.policy, calendar=desk.calendar, escalation="reassign")
    return raise_ticket(
        now=shanghai("2026-09-28 09:00"),
        category=desk.category,
        team=desk.team,
        assignee=people.agent,
        impact=1,
        urgency=1,
    )


def breach_record(ticket):
    """The breach's history event and audit row (exactly one of each)."""
    [event] = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA)
    [audit] = AuditEvent.objects.filter(verb="ticket.sla_breach", object_id=str(ticket.pk))
    return event, audit


def told(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


class TestBlock:
    def test_a_lead_lacking_the_competence_is_passed_over_for_the_next_qualified_agent(
        self, people, competence, third, breaching
    ):
        competence.lacking = {people.lead.pk}

        assert sla_alerts_run(now=BREACHED) == {"warning": 0, "breach": 1}

        assert Ticket.objects.get(pk=breaching.pk).assignee == third
        assigned = TicketEvent.objects.filter(ticket=breaching, kind=EventKind.ASSIGNED).last()
        assert (assigned.from_value, assigned.to_value) == (str(people.agent.pk), str(third.pk))
        event, audit = breach_record(breaching)
        assert event.payload["escalation"] == "agent"
        assert audit.payload["changes"]["assignee"] == [people.agent.pk, third.pk]
        [refusal] = audit.payload["escalation"]["refused"]
        assert str(people.lead) in refusal and "lacks the competences" in refusal
        assert told("sla_breach") == ["agent", "lead", "third.agent"]

    def test_nobody_qualified_leaves_the_ticket_and_tells_the_lead_why(
        self, people, competence, third, breaching
    ):
        competence.lacking = {people.lead.pk, third.pk}

        sla_alerts_run(now=BREACHED)

        assert Ticket.objects.get(pk=breaching.pk).assignee == people.agent
        assert TicketEvent.objects.filter(ticket=breaching, kind=EventKind.ASSIGNED).count() == 1
        event, audit = breach_record(breaching)
        assert event.payload["escalation"] == "lead_notified"
        assert audit.payload["escalation"]["outcome"] == "lead_notified"
        assert len(audit.payload["escalation"]["refused"]) == 2
        assert "changes" not in audit.payload or "assignee" not in audit.payload["changes"]
        [to_lead] = Notification.objects.filter(recipient=people.lead, kind="sla_breach")
        assert "could not be reassigned" in to_lead.body

    def test_the_agent_who_missed_the_target_is_not_picked_again(
        self, people, competence, breaching
    ):
        # The lead is refused; the only other member in turn is the agent who holds it.
        competence.lacking = {people.lead.pk}

        sla_alerts_run(now=BREACHED)

        assert Ticket.objects.get(pk=breaching.pk).assignee == people.agent
        event, _audit = breach_record(breaching)
        assert event.payload["escalation"] == "lead_notified"

    def test_still_exactly_once_per_ticket_and_target(self, people, competence, third, breaching):
        competence.lacking = {people.lead.pk}

        counts = [sla_alerts_run(now=shanghai(f"2026-09-28 09:3{m}")) for m in (1, 2, 3)]

        assert [c["breach"] for c in counts] == [1, 0, 0]
        breach_record(breaching)  # one event, one audit row
        assert SlaAlert.objects.filter(ticket=breaching, threshold="breach").count() == 1
        assert TicketEvent.objects.filter(ticket=breaching, kind=EventKind.ASSIGNED).count() == 2

    def test_a_qualified_lead_still_takes_it(self, people, competence, third, breaching):
        competence.lacking = {third.pk}

        sla_alerts_run(now=BREACHED)

        assert Ticket.objects.get(pk=breaching.pk).assignee == people.lead
        event, audit = breach_record(breaching)
        assert event.payload["escalation"] == "lead"
        assert audit.payload["escalation"]["refused"] == []


class TestWarn:
    def test_the_lead_takes_it_and_the_warning_is_on_the_timeline(
        self, people, competence, breaching, client_for
    ):
        competence.mode, competence.lacking = "warn", {people.lead.pk}

        sla_alerts_run(now=BREACHED)

        assert Ticket.objects.get(pk=breaching.pk).assignee == people.lead
        assigned = TicketEvent.objects.filter(ticket=breaching, kind=EventKind.ASSIGNED).last()
        [warning] = assigned.payload["warnings"]
        assert "lacks the competences" in warning
        _event, audit = breach_record(breaching)
        assert audit.payload["escalation"]["warnings"] == [warning]
        url = reverse("ticket_detail", args=[breaching.reference])
        assert "lacks the competences" in client_for(people.agent).get(url).content.decode()
        # internal: the customer's page of the same ticket does not show it
        customer_page = client_for(people.a_user).get(url)
        assert customer_page.status_code == 200
        assert "lacks the competences" not in customer_page.content.decode()

    def test_a_manual_assignment_with_a_warning_keeps_it_on_the_timeline(
        self, people, desk, competence, raise_ticket
    ):
        ticket = raise_ticket(category=desk.category, team=desk.team, assignee=people.agent)
        competence.mode, competence.lacking = "warn", {people.lead.pk}

        assigned = ticket_assign(
            actor=people.agent, ticket=ticket, team=desk.team, assignee=people.lead
        )

        [warning] = assigned.assignment_warnings
        event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).last()
        assert event.payload["warnings"] == [warning]
