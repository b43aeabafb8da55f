"""The desk checks competence when it assigns a ticket (issue 7), through core's hook point
``desk.assignment`` that support fills: off checks nothing, warn assigns and tells the agent,
block refuses with the reasons and changes nothing. The round-robin skips refused members.
Through the desk's own service, its screen, its bulk action and its API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Ticket, TicketEvent
from serviceloop.desk.services.bulk import tickets_bulk
from serviceloop.desk.services.tickets import ticket_assign, ticket_create, ticket_update
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.support.tests import test_documents_fixtures as fixtures

skills = fixtures.skills  # the shared fixture
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def staffed(people, skills):
    """The agent lacks what network tickets need (routing 1 of 3); the lead holds it all."""

    def give(person, competence, level):
        skills.services.person_competence_set(
            actor=people.owner, person=person, competence=competence, level=level, evidence="x"
        )

    give(people.agent, skills.routing, 1)
    give(people.agent, skills.itil, 2)
    give(people.lead, skills.routing, 4)
    give(people.lead, skills.itil, 2)
    return skills


def mode(people, skills, value):
    skills.services.competence_settings_update(actor=people.owner, assignment_check=value)


def network_ticket(people, skills):
    return TicketFactory(
        organisation=people.customer_a, requester=people.a_user, category=skills.network
    )


def footprint(ticket):
    return (
        TicketEvent.objects.filter(ticket=ticket).count(),
        AuditEvent.objects.filter(object_type="desk.ticket", object_id=str(ticket.pk)).count(),
        Notification.objects.count(),
    )


def test_off_assigns_without_a_word(people, staffed):
    ticket = ticket_assign(
        actor=people.lead, ticket=network_ticket(people, staffed), assignee=people.agent
    )
    assert ticket.assignee == people.agent and ticket.assignment_warnings == []


def test_warn_assigns_and_names_the_gaps(people, staffed):
    mode(people, staffed, "warn")
    ticket = ticket_assign(
        actor=people.lead, ticket=network_ticket(people, staffed), assignee=people.agent
    )
    assert ticket.assignee == people.agent and ticket.status == Status.ASSIGNED
    [warning] = ticket.assignment_warnings
    assert "lacks competences" in warning and "level 1, needs 3" in warning


def test_block_refuses_and_changes_nothing(people, staffed):
    mode(people, staffed, "block")
    ticket = network_ticket(people, staffed)
    before = footprint(ticket)

    with pytest.raises(ValidationError) as error:
        ticket_assign(actor=people.lead, ticket=ticket, assignee=people.agent)

    assert "may not take" in error.value.message_dict["assignee"][0]
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.status == Status.NEW and ticket.version == 1
    assert footprint(ticket) == before
    # a competent agent is assigned as usual; a ticket of an unchecked category too
    assert ticket_assign(actor=people.lead, ticket=ticket, assignee=people.lead).assignee == (
        people.lead
    )
    mail = TicketFactory(
        organisation=people.customer_a, requester=people.a_user, category=staffed.mail
    )
    assert ticket_assign(actor=people.lead, ticket=mail, assignee=people.agent).assignee == (
        people.agent
    )


def test_block_refuses_a_named_agent_at_creation(people, staffed):
    mode(people, staffed, "block")
    count = Ticket.objects.count()
    with pytest.raises(ValidationError):
        ticket_create(
            actor=people.lead,
            organisation=people.customer_a,
            requester=people.a_user,
            title="Switch down",
            category=staffed.network,
            assignee=people.agent,
        )
    assert Ticket.objects.count() == count


def test_the_round_robin_skips_members_the_check_refuses(people, staffed):
    # the lead had the team's last ticket: the agent is next in turn
    ticket_assign(
        actor=people.lead,
        ticket=network_ticket(people, staffed),
        team=staffed.team,
        assignee=people.lead,
    )
    assert (
        ticket_assign(
            actor=people.lead, ticket=network_ticket(people, staffed), team=staffed.team
        ).assignee
        == people.agent
    )
    mode(people, staffed, "block")
    ticket_assign(
        actor=people.lead,
        ticket=network_ticket(people, staffed),
        team=staffed.team,
        assignee=people.lead,
    )
    assert (
        ticket_assign(
            actor=people.lead, ticket=network_ticket(people, staffed), team=staffed.team
        ).assignee
        == people.lead
    )


def test_bulk_assignment_reports_refusals_and_warnings_per_ticket(people, staffed):
    first, second = network_ticket(people, staffed), network_ticket(people, staffed)
    mode(people, staffed, "warn")
    result = tickets_bulk(
        actor=people.lead, tickets=[first], action="assign", assignee=people.agent
    )
    assert result.done == [first.reference] and result.warnings[0][0] == first.reference
    mode(people, staffed, "block")
    result = tickets_bulk(
        actor=people.lead, tickets=[second], action="assign", assignee=people.agent
    )
    assert result.failed[0][0] == second.reference and "may not take" in result.failed[0][1]


def test_the_ticket_page_shows_the_warning_or_the_refusal(people, staffed, client_for):
    ticket = network_ticket(people, staffed)
    url = reverse("ticket_assign", args=[ticket.reference])
    client = client_for(people.lead)

    mode(people, staffed, "block")
    page = client.post(url, {"assignee": people.agent.pk, "version": 1}, follow=True)
    assert "may not take" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None

    mode(people, staffed, "warn")
    page = client.post(url, {"assignee": people.agent.pk, "version": 1}, follow=True)
    assert "lacks competences" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == people.agent


def test_the_api_answers_400_on_block_and_returns_warnings_on_warn(people, staffed, api_client_for):
    ticket = network_ticket(people, staffed)
    api = api_client_for(people.lead)
    url = f"/api/v1/tickets/{ticket.reference}/assign/"

    mode(people, staffed, "block")
    refused = api.post(url, {"assignee": str(people.agent.uuid)}, format="json", HTTP_IF_MATCH="*")
    assert refused.status_code == 400 and "may not take" in str(refused.json())

    mode(people, staffed, "warn")
    done = api.post(url, {"assignee": str(people.agent.uuid)}, format="json", HTTP_IF_MATCH="*")
    assert done.status_code == 200 and "lacks competences" in done.json()["warnings"][0]


# --- Recategorising a ticket that someone holds -------------------------------------------


def mail_ticket_held_by_the_agent(people, skills):
    """A mail ticket (a category nobody is checked for) that the agent holds."""
    ticket = TicketFactory(
        organisation=people.customer_a, requester=people.a_user, category=skills.mail
    )
    return ticket_assign(actor=people.lead, ticket=ticket, assignee=people.agent)


def recategorise(people, skills, ticket):
    return ticket_update(actor=people.lead, ticket=ticket, category=skills.network)


def test_recategorising_on_warn_keeps_the_agent_and_records_the_gaps(people, staffed):
    mode(people, staffed, "warn")
    ticket = recategorise(people, staffed, mail_ticket_held_by_the_agent(people, staffed))
    ticket.refresh_from_db()
    assert ticket.category == staffed.network and ticket.assignee == people.agent
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert event.kind == "fields" and "lacks competences" in event.payload["warnings"][0]


def test_recategorising_on_block_hands_the_ticket_back_to_its_team(people, staffed):
    ticket = mail_ticket_held_by_the_agent(people, staffed)
    team = ticket.team
    mode(people, staffed, "block")
    updated = recategorise(people, staffed, ticket)

    assert "may not work tickets of this category" in updated.assignment_warnings[0]
    assert any("may not take" in w for w in updated.assignment_warnings[1:])
    ticket.refresh_from_db()
    # the recategorisation stands; the agent loses the ticket, the team keeps it
    assert ticket.category == staffed.network and ticket.assignee is None
    assert ticket.team == team
    fields, unassigned = TicketEvent.objects.filter(ticket=ticket).order_by("-pk")[:2][::-1]
    assert fields.kind == "fields" and unassigned.kind == "assigned"
    assert unassigned.from_value == str(people.agent.pk) and unassigned.to_value == ""
    assert unassigned.payload["reason"] == "not qualified" and unassigned.payload["refused"]
    audit = AuditEvent.objects.filter(verb="ticket.updated", object_id=str(ticket.pk)).latest("pk")
    assert audit.payload["assignee"] == [people.agent.pk, None]
    assert audit.payload["reason"] == "not qualified"
    # a competent agent keeps a ticket recategorised the same way
    held = ticket_assign(
        actor=people.lead,
        ticket=TicketFactory(
            organisation=people.customer_a, requester=people.a_user, category=staffed.mail
        ),
        assignee=people.lead,
    )
    assert recategorise(people, staffed, held).assignee == people.lead


def test_recategorising_off_checks_nothing(people, staffed):
    ticket = recategorise(people, staffed, mail_ticket_held_by_the_agent(people, staffed))
    ticket.refresh_from_db()
    assert ticket.assignee == people.agent and ticket.assignment_warnings == []


def test_the_ticket_page_and_the_api_say_what_recategorising_did(
    people, staffed, client_for, api_client_for
):
    mode(people, staffed, "block")
    ticket = mail_ticket_held_by_the_agent(people, staffed)
    page = client_for(people.lead).post(
        reverse("ticket_edit", args=[ticket.reference]),
        {
            "title": ticket.title,
            "category": staffed.network.pk,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "version": ticket.version,
        },
        follow=True,
    )
    text = page.content.decode()
    assert "may not work tickets of this category" in text
    # the history row says why, for the staff reading the timeline
    assert "refuse for the ticket&#x27;s new category" in text or (
        "refuse for the ticket's new category" in text
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None

    mode(people, staffed, "warn")
    other = mail_ticket_held_by_the_agent(people, staffed)
    answer = api_client_for(people.lead).patch(
        f"/api/v1/tickets/{other.reference}/",
        {"category": staffed.network.name},
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert answer.status_code == 200, answer.content
    assert "lacks competences" in answer.json()["warnings"][0]
