"""Confidential tickets (security incidents) stay with the people cleared for them outside the
ticket's own pages too: notifications, linked tickets and problems, recurring-incident
proposals, and the audit trail (screen, detail, CSV, API, home page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import LinkKind, Ticket
from serviceloop.desk.services.recurrence import recurrence_clusters
from serviceloop.desk.services.relations import ticket_link
from serviceloop.desk.services.tickets import ticket_comment, ticket_transition

pytestmark = pytest.mark.usefixtures("english")

SECRET = "Payroll phishing 工资钓鱼"


def make_confidential(ticket, *viewers):
    """What assurance's security_incident_create does to the ticket (tested there)."""
    Ticket.objects.filter(pk=ticket.pk).update(confidential=True)
    ticket.confidential_viewers.set(viewers)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def secret(people, desk, raise_ticket):
    """A confidential incident of a_user, assigned to the agent (cleared), watched by the lead
    and a_manager (neither cleared)."""
    ticket = raise_ticket(title=SECRET, team=desk.team, assignee=people.agent)
    ticket.watchers.add(people.lead, people.a_manager)
    return make_confidential(ticket, people.agent)


def told(user, kind=None):
    found = Notification.objects.filter(recipient=user)
    return list(found.filter(kind=kind) if kind else found)


# --- Notifications -------------------------------------------------------------------------


def test_a_public_reply_reaches_the_requester_without_the_title_and_nobody_uncleared(
    people, secret
):
    Notification.objects.all().delete()
    ticket_comment(actor=people.agent, ticket=secret, body="Please reset your password now.")

    [to_requester] = told(people.a_user, "ticket_reply")
    assert secret.reference in to_requester.subject
    assert SECRET not in to_requester.subject and SECRET not in to_requester.body
    assert "confidential ticket" in to_requester.subject
    assert "Please reset your password now." in to_requester.body  # written to him
    assert to_requester.url == ""  # the ticket's page is a 404 for him
    assert told(people.lead) == [] and told(people.a_manager) == []


def test_cleared_people_get_the_full_message_and_notes_stay_with_them(people, secret):
    secret.confidential_viewers.add(people.lead)
    Notification.objects.all().delete()

    ticket_comment(actor=people.agent, ticket=secret, body="Mailbox quarantined.", public=False)

    [to_lead] = told(people.lead, "ticket_note")
    assert SECRET in to_lead.subject and to_lead.url.endswith(f"{secret.reference}/")
    assert told(people.a_user) == [] and told(people.a_manager) == []


def test_status_changes_and_resolution_follow_the_same_rule(people, secret):
    Notification.objects.all().delete()
    ticket_transition(actor=people.agent, ticket=secret, target=Status.RESOLVED, note="Done.")

    [resolved] = told(people.a_user, "ticket_resolved")
    assert SECRET not in resolved.subject and resolved.url == ""
    assert told(people.lead) == [] and told(people.a_manager) == []


def test_a_ticket_that_is_not_confidential_tells_everyone_with_its_title(
    people, desk, raise_ticket
):
    ticket = raise_ticket(title=SECRET, team=desk.team, assignee=people.agent)
    ticket.watchers.add(people.lead)
    Notification.objects.all().delete()

    ticket_comment(actor=people.agent, ticket=ticket, body="On it.")

    assert SECRET in told(people.lead, "ticket_reply")[0].subject
    assert SECRET in told(people.a_user, "ticket_reply")[0].subject


# --- Links, problems, proposals ------------------------------------------------------------


def test_a_linked_confidential_ticket_is_not_listed_on_the_other_ticket(
    people, desk, raise_ticket, secret, client_for
):
    other = raise_ticket(title="Mail slow")
    ticket_link(actor=people.agent, source=other, target=secret, kind=LinkKind.RELATED)
    url = reverse("ticket_detail", args=[other.reference])

    page = client_for(people.lead).get(url).content.decode()
    assert secret.reference not in page  # neither in the links nor in the history
    assert secret.reference in client_for(people.agent).get(url).content.decode()


def test_problems_and_proposals_do_not_list_confidential_incidents(
    people, desk, raise_ticket, secret, client_for
):
    from serviceloop.desk.services.problems import problem_create, problem_link_incidents

    problem = problem_create(actor=people.lead, title="Mail outages")
    problem_link_incidents(actor=people.agent, problem=problem, incidents=[secret])
    url = reverse("problem_detail", args=[problem.reference])

    page = client_for(people.lead).get(url).content.decode()
    assert secret.reference not in page and "(confidential)" in page  # the history's line
    assert secret.reference in client_for(people.agent).get(url).content.decode()
    unlink = reverse("problem_unlink", args=[problem.reference, secret.reference])
    assert client_for(people.lead).post(unlink).status_code == 404


def test_recurring_incident_detection_leaves_confidential_incidents_out(people, desk, raise_ticket):
    tickets = [raise_ticket(title=SECRET, service="mail", category=desk.category) for _ in range(3)]
    ids = {t.pk for t in tickets}
    assert any(set(c.incident_ids) == ids for c in recurrence_clusters(threshold=3))

    make_confidential(tickets[0], people.agent)
    clusters = recurrence_clusters(threshold=2)
    assert any(set(c.incident_ids) == ids - {tickets[0].pk} for c in clusters)
    assert all(tickets[0].pk not in c.incident_ids for c in clusters)


# --- The audit trail -----------------------------------------------------------------------


def test_audit_rows_about_a_confidential_ticket_hide_its_title_and_changes(
    people, secret, client_for, api_client_for
):
    row = AuditEvent.objects.filter(object_type="desk.ticket", object_id=str(secret.pk)).first()
    assert SECRET in row.object_repr  # stored in full: the chain is untouched

    auditor = client_for(people.auditor)  # may read the trail, not cleared
    listing = auditor.get(reverse("audit_list")).content.decode()
    assert SECRET not in listing and secret.reference not in listing
    assert "(confidential)" in listing
    detail = auditor.get(reverse("audit_detail", args=[row.pk])).content.decode()
    assert SECRET not in detail and secret.reference not in detail
    csv = b"".join(auditor.get(reverse("audit_list"), {"format": "csv"}).streaming_content)
    assert secret.reference.encode() not in csv
    assert SECRET not in auditor.get(reverse("home")).content.decode()
    api = api_client_for(people.auditor)
    shown = api.get(f"/api/v1/audit-events/{row.pk}/").json()
    assert shown["object_repr"] == "(confidential)" and shown["payload"] == {}
    listed = api.get("/api/v1/audit-events/").json()["results"]
    assert all(SECRET not in e["object_repr"] for e in listed)

    secret.confidential_viewers.add(people.auditor)
    assert SECRET in client_for(people.auditor).get(reverse("audit_list")).content.decode()
    assert api.get(f"/api/v1/audit-events/{row.pk}/").json()["payload"]["reference"] == (
        secret.reference
    )


def test_the_audit_screen_asks_once_per_page_not_once_per_row(
    people, desk, raise_ticket, client_for
):
    client = client_for(people.auditor)
    one = make_confidential(raise_ticket(title=SECRET), people.agent)
    client.get(reverse("audit_list"))
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("audit_list"))
    assert page.content.decode().count("(confidential)") == 1
    for _ in range(4):
        make_confidential(raise_ticket(title=SECRET), people.agent)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("audit_list"))
    assert page.content.decode().count("(confidential)") == 5
    assert len(many) == len(few)
    assert one.reference not in page.content.decode()
