"""Confidential security incidents and the desk hook that hides their tickets.

Only the security team (``SECURITY_TEAM``) and the people named on an incident see it and its
ticket: on the assurance screens and API, and in the desk's queue, ticket page, API and search.
Everyone else gets 404 (other agents, read-only staff, every customer, the ticket's requester).
"""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from serviceloop.assurance.models import ReminderSent, SecurityIncident
from serviceloop.assurance.services_security import (
    security_incident_create,
    security_incident_notified,
    security_incident_transition,
    security_incident_update,
    security_incident_viewers_set,
    security_notify_remind,
)
from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.desk import search_sql
from serviceloop.desk.models import Ticket
from serviceloop.desk.search import search_tickets, ticket_index
from serviceloop.desk.tests.factories import TicketFactory

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(scope="session")
def search_index(django_db_setup, django_db_blocker):
    """The full-text index in the test database, as the desk migration creates it."""
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        search_sql.forwards(apps, editor)


@pytest.fixture
def tickets(people):
    secret = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        title="钓鱼邮件 Phishing mail with a fake login page",
        assignee=people.agent,
        # raised before NOW (this module's clock, read at import): a long test run must not
        # leave the ticket "raised after now"
        created_at=NOW - datetime.timedelta(hours=3),
        watchers=[people.a_manager],
    )
    plain = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        title="Printer jammed",
        created_at=NOW - datetime.timedelta(hours=3),
    )
    return secret, plain


@pytest.fixture
def incident(people, security, tickets):
    """Recorded by the team lead (a member of the security team), naming the owner."""
    return security_incident_create(
        actor=people.lead,
        ticket=tickets[0],
        classification="phishing",
        detected_at=NOW - datetime.timedelta(hours=2),
        personal_data=True,
        summary="Three people typed their password into the fake page.",
        viewers=[people.owner],
        now=NOW,
    )


# --- The desk hook -------------------------------------------------------------------------------


def visible(user):
    return set(Ticket.objects.visible_to(user).values_list("title", flat=True))


def test_a_confidential_ticket_is_seen_by_the_team_and_the_people_named_only(
    people, incident, tickets
):
    secret, plain = (t.title for t in tickets)

    for name in ("lead", "owner"):  # a team member, a person named
        assert secret in visible(getattr(people, name)), name
    for name in ("agent", "admin", "auditor", "top", "a_manager", "a_user"):
        assert secret not in visible(getattr(people, name)), name
        assert plain in visible(getattr(people, name)) or name.startswith("b_"), name
    ticket = Ticket.objects.get(pk=tickets[0].pk)
    assert ticket.confidential
    assert set(ticket.confidential_viewers.all()) == {people.owner}


def test_the_creator_outside_the_team_is_named_and_keeps_sight_of_it(people, security, tickets):
    incident = security_incident_create(
        actor=people.agent, ticket=tickets[0], classification="malware", now=NOW
    )

    assert list(incident.viewers.all()) == [people.agent]
    assert tickets[0].title in visible(people.agent)
    assert tickets[0].title not in visible(people.admin)


def test_without_a_security_team_only_the_people_named_see_it(people, tickets, settings):
    settings.SECURITY_TEAM = ""
    security_incident_create(
        actor=people.lead, ticket=tickets[0], classification="malware", now=NOW
    )

    assert tickets[0].title in visible(people.lead)  # named as its creator
    assert tickets[0].title not in visible(people.admin)


def test_the_desk_screens_and_api_answer_404(people, incident, tickets, client_for, api_client_for):
    reference = tickets[0].reference
    for name in ("agent", "auditor", "a_user", "a_manager"):
        user = getattr(people, name)
        assert client_for(user).get(reverse("ticket_detail", args=[reference])).status_code == 404
        assert api_client_for(user).get(f"/api/v1/tickets/{reference}/").status_code == 404
        listed = api_client_for(user).get("/api/v1/tickets/").json()["results"]
        assert reference not in {t["reference"] for t in listed}, name
    assert (
        client_for(people.lead).get(reverse("ticket_detail", args=[reference])).status_code == 200
    )
    assert api_client_for(people.owner).get(f"/api/v1/tickets/{reference}/").status_code == 200


def test_the_queue_leaves_it_out_for_agents_outside_the_team(people, incident, tickets, client_for):
    def queue(user):
        response = client_for(user).get(reverse("desk_queue"), {"view": "all"})
        return {t.reference for t in response.context["page"].tickets}

    assert tickets[0].reference not in queue(people.agent)  # even though it is assigned to him
    assert tickets[1].reference in queue(people.agent)
    assert tickets[0].reference in queue(people.lead)


def test_search_respects_it(people, security, tickets, search_index):
    for ticket in tickets:
        ticket_index(ticket.pk)
    before = {t.pk for t in search_tickets(people.agent, "phishing")}
    security_incident_create(
        actor=people.lead, ticket=tickets[0], classification="phishing", now=NOW
    )

    assert before == {tickets[0].pk}
    assert search_tickets(people.agent, "phishing") == []
    assert search_tickets(people.a_user, "phishing") == []
    assert [t.pk for t in search_tickets(people.lead, "phishing")] == [tickets[0].pk]
    assert [t.pk for t in search_tickets(people.agent, tickets[0].reference)] == []


def test_naming_and_unnaming_people_moves_the_tickets_visibility(people, incident, tickets):
    incident = security_incident_viewers_set(
        actor=people.lead, incident=incident, viewers=[people.agent]
    )

    ticket = Ticket.objects.get(pk=tickets[0].pk)
    assert set(ticket.confidential_viewers.all()) == {people.agent}
    assert tickets[0].title in visible(people.agent)
    assert tickets[0].title not in visible(people.owner)
    assert AuditEvent.objects.filter(verb="ticket.confidential").count() == 2


def test_only_provider_staff_can_be_named(people, incident):
    with pytest.raises(ValidationError) as refused:
        security_incident_viewers_set(actor=people.lead, incident=incident, viewers=[people.a_user])

    assert "viewers" in refused.value.message_dict


# --- The incident record -------------------------------------------------------------------------


def test_the_notification_deadline_follows_detection_and_the_setting(
    people, security, tickets, settings
):
    settings.SECURITY_NOTIFY_HOURS = 24
    detected = NOW - datetime.timedelta(hours=30)
    incident = security_incident_create(
        actor=people.lead,
        ticket=tickets[0],
        classification="data_leak",
        detected_at=detected,
        personal_data=True,
        now=NOW,
    )

    assert incident.notify_due_at == detected + datetime.timedelta(hours=24)
    assert incident.notification_overdue(NOW)
    assert list(SecurityIncident.objects.notification_overdue(NOW)) == [incident]
    incident = security_incident_update(actor=people.lead, incident=incident, personal_data=False)
    assert incident.notify_due_at is None and not incident.notification_overdue(NOW)
    incident = security_incident_update(
        actor=people.lead, incident=incident, personal_data=True, detected_at=NOW
    )
    assert incident.notify_due_at == NOW + datetime.timedelta(hours=24)


def test_recording_the_notification(people, incident):
    with pytest.raises(ValidationError):
        security_incident_notified(
            actor=people.lead, incident=incident, notified_at=NOW + datetime.timedelta(hours=1)
        )
    incident = security_incident_notified(
        actor=people.lead, incident=incident, notified_at=NOW, reference="CAC-2026-0042"
    )

    assert incident.notified_at == NOW and not incident.notification_overdue(
        NOW + datetime.timedelta(days=9)
    )
    assert (
        AuditEvent.objects.filter(verb="security_incident.notified").get().payload["late"] is False
    )


def test_the_reminder_goes_out_exactly_once_per_deadline(people, security, incident, settings):
    early = security_notify_remind(now=NOW)  # due in 70 hours: not yet
    due = incident.notify_due_at
    first = security_notify_remind(now=due - datetime.timedelta(hours=6))
    second = security_notify_remind(now=due + datetime.timedelta(hours=1))
    notified = set(
        Notification.objects.filter(kind="security_notify_due").values_list(
            "recipient__username", flat=True
        )
    )

    assert (early, first, second) == (0, 1, 0)
    assert notified == {"lead", "owner"}
    assert ReminderSent.objects.get().due == due.isoformat()
    # a new deadline (detection corrected) is reminded of in its turn
    incident = security_incident_update(
        actor=people.lead,
        incident=incident,
        detected_at=incident.detected_at - datetime.timedelta(hours=1),
    )
    assert security_notify_remind(now=due + datetime.timedelta(hours=2)) == 1
    assert security_notify_remind(now=due + datetime.timedelta(hours=3)) == 0


def test_a_notified_incident_is_not_reminded(people, incident):
    security_incident_notified(actor=people.lead, incident=incident, notified_at=NOW)

    assert security_notify_remind(now=NOW + datetime.timedelta(days=5)) == 0


def test_one_incident_per_ticket_and_the_actor_must_see_the_ticket(
    people, incident, tickets, security
):
    with pytest.raises(ValidationError):
        security_incident_create(actor=people.lead, ticket=tickets[0], classification="other")
    with pytest.raises(PermissionDenied):  # the agent no longer sees the confidential ticket
        security_incident_create(actor=people.agent, ticket=tickets[0], classification="other")
    with pytest.raises(PermissionDenied):
        security_incident_create(actor=people.auditor, ticket=tickets[1], classification="other")
    with pytest.raises(ValidationError) as bad:
        security_incident_create(actor=people.agent, ticket=tickets[1], classification="gossip")
    assert "classification" in bad.value.message_dict


def test_status_moves(people, incident):
    with pytest.raises(ValidationError):
        security_incident_transition(actor=people.lead, incident=incident, target="closed")
    incident = security_incident_transition(
        actor=people.lead, incident=incident, target="contained"
    )
    incident = security_incident_transition(
        actor=people.lead, incident=incident, target="closed", note="Passwords reset."
    )

    assert incident.status == "closed" and incident.closed_at is not None


# --- Screens and API -----------------------------------------------------------------------------


def test_the_screens_show_it_to_the_cleared_only(people, incident, client_for):
    url = reverse("security_incident_detail", args=[incident.reference])

    for name in ("agent", "admin", "auditor", "top", "a_manager", "a_user", "outsider"):
        client = client_for(getattr(people, name))
        assert client.get(url).status_code == 404, name
        listing = client.get(reverse("security_incident_list"))
        assert listing.status_code in (200, 404)
        assert incident.reference not in listing.content.decode(), name
    lead = client_for(people.lead)
    assert lead.get(url).status_code == 200
    assert incident.reference in lead.get(reverse("security_incident_list")).content.decode()
    assert client_for(people.owner).get(url).status_code == 200


def test_the_api_shows_it_to_the_cleared_only(people, incident, api_client_for):
    url = f"/api/v1/security-incidents/{incident.reference}/"

    for name in ("agent", "admin", "auditor", "a_user"):
        client = api_client_for(getattr(people, name))
        assert client.get(url).status_code == 404, name
        assert (
            client.post(url + "transition/", {"target": "contained"}, format="json").status_code
            == 404
        )
    listed = api_client_for(people.agent).get("/api/v1/security-incidents/").json()["results"]
    assert listed == []
    body = api_client_for(people.lead).get(url).json()
    assert body["ticket"] == incident.ticket.reference and body["personal_data"] is True
    assert body["viewers"] == ["owner"]


def test_a_named_read_only_person_reads_but_may_not_write(
    people, incident, client_for, api_client_for
):
    security_incident_viewers_set(actor=people.lead, incident=incident, viewers=[people.auditor])
    url = f"/api/v1/security-incidents/{incident.reference}/"

    assert api_client_for(people.auditor).get(url).status_code == 200
    assert (
        api_client_for(people.auditor)
        .post(url + "transition/", {"target": "contained"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(people.auditor)
        .post(reverse("security_incident_move", args=[incident.reference]), {"target": "contained"})
        .status_code
        == 403
    )


def test_recording_one_from_the_ticket_page_through_the_form(people, security, tickets, client_for):
    client = client_for(people.lead)
    panel = client.get(reverse("ticket_detail", args=[tickets[0].reference])).content.decode()

    response = client.post(
        reverse("security_incident_new"),
        {
            "ticket": tickets[0].reference,
            "classification": "phishing",
            "detected_at": "",
            "personal_data": "on",
            "summary": "Fake login page",
            "viewers": [people.owner.pk],
        },
    )

    assert 'data-testid="record-security"' in panel
    incident = SecurityIncident.objects.get()
    assert response.status_code == 302 and response.url.endswith(incident.reference + "/")
    assert incident.detected_at == tickets[0].created_at.replace(microsecond=0)
    assert Ticket.objects.get(pk=tickets[0].pk).confidential
    panel = client.get(reverse("ticket_detail", args=[tickets[0].reference])).content.decode()
    assert incident.reference in panel


def test_the_api_records_one_and_names_people(people, security, tickets, api_client_for):
    client = api_client_for(people.lead)

    created = client.post(
        "/api/v1/security-incidents/",
        {"ticket": tickets[1].reference, "classification": "lost_device", "viewers": ["agent"]},
        format="json",
    )
    reference = created.json()["reference"]
    renamed = client.post(
        f"/api/v1/security-incidents/{reference}/viewers/", {"viewers": ["owner"]}, format="json"
    )
    stale = client.patch(
        f"/api/v1/security-incidents/{reference}/",
        {"summary": "x"},
        format="json",
        headers={"If-Match": '"1"'},
    )

    assert created.status_code == 201, created.content
    assert renamed.status_code == 200 and renamed.json()["viewers"] == ["owner"]
    assert stale.status_code == 412
    assert not Ticket.objects.visible_to(people.agent).filter(pk=tickets[1].pk).exists()


def test_a_customer_with_a_staff_role_elsewhere_is_still_refused(people, incident, client_for):
    stranger = UserFactory(role=Role.CUSTOMER_MANAGER, organisation=people.customer_a)

    assert (
        client_for(stranger)
        .get(reverse("security_incident_detail", args=[incident.reference]))
        .status_code
        == 404
    )
