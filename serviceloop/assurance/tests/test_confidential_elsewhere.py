"""A recorded security incident stays with its people outside its own screens: the audit trail
keeps its rows' details (and those of its ticket) from readers outside it, and the ticket's
notifications reach only the cleared (its requester without the title). The service a ticket
names is found by exact code or name, never by a part of a name."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.assurance import queries
from serviceloop.assurance.services_security import security_incident_create
from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.services.tickets import ticket_comment
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.transition.tests.factories import ServiceFactory

pytestmark = pytest.mark.usefixtures("english")
SECRET = "钓鱼邮件 Phishing mail with a fake login page"


@pytest.fixture
def recorded(people, security):
    ticket = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        title=SECRET,
        assignee=people.lead,
        watchers=[people.a_manager, people.agent],
    )
    incident = security_incident_create(
        actor=people.lead,
        ticket=ticket,
        classification="phishing",
        detected_at=timezone.now() - datetime.timedelta(hours=1),
        summary="Two people typed their password.",
        viewers=[people.owner],
    )
    return incident


def test_audit_rows_of_the_incident_and_its_ticket_keep_their_details_from_outsiders(
    people, recorded, client_for
):
    assert AuditEvent.objects.filter(
        object_type="assurance.securityincident", object_id=str(recorded.pk)
    ).exists()

    outsider = client_for(people.auditor).get(reverse("audit_list")).content.decode()
    assert recorded.reference not in outsider and recorded.ticket.reference not in outsider
    assert SECRET not in outsider
    named = client_for(people.owner).get(reverse("audit_list")).content.decode()
    assert recorded.reference in named and recorded.ticket.reference in named


def test_the_tickets_messages_reach_only_the_cleared_and_the_requester_without_the_title(
    people, recorded
):
    Notification.objects.all().delete()
    ticket_comment(actor=people.lead, ticket=recorded.ticket, body="Do not open that mail.")

    to = {n.recipient.username: n for n in Notification.objects.all()}
    assert set(to) == {"a.user"}  # the watchers a_manager and agent are not cleared
    assert SECRET not in to["a.user"].subject and to["a.user"].url == ""


def test_a_tickets_service_is_found_by_its_exact_code_or_name(people):
    crm = ServiceFactory(code="crm", name="CRM", status=ServiceStatus.LIVE)
    ServiceFactory(code="crm-mobile", name="CRM Mobile", status=ServiceStatus.LIVE)
    erp = ServiceFactory(code="fin", name="Finance ERP", status=ServiceStatus.LIVE)

    def guess(service):
        return queries.service_for_ticket(
            TicketFactory(organisation=people.customer_a, requester=people.a_user, service=service)
        )

    assert guess("CRM") == crm and guess("crm") == crm and guess(" crm ") == crm
    assert guess("crm-mobile") != crm
    assert guess("Finance ERP") == erp and guess("ERP") is None  # not a part of the name
    assert guess("Finance") is None and guess("") is None


def test_an_outage_does_not_name_a_confidential_incident_to_outsiders(people, recorded, client_for):
    from serviceloop.assurance.tests.factories import OutageFactory

    outage = OutageFactory(ticket=recorded.ticket, source="major_incident", all_customers=True)
    reference = recorded.ticket.reference
    for url in (
        reverse("outage_list"),
        reverse("outage_list") + "?format=csv",
        reverse("outage_detail", args=[outage.reference]),
    ):
        assert reference not in client_for(people.auditor).get(url).content.decode(), url
        assert reference in client_for(people.owner).get(url).content.decode(), url


def test_the_api_does_not_name_a_confidential_incident_to_outsiders(
    people, recorded, api_client_for
):
    from serviceloop.assurance.models import Invocation
    from serviceloop.assurance.tests.factories import ContinuityPlanFactory, OutageFactory

    outage = OutageFactory(ticket=recorded.ticket, source="major_incident", all_customers=True)
    Invocation.objects.create(
        plan=ContinuityPlanFactory(),
        ticket=recorded.ticket,
        invoked_at=timezone.now(),
        invoked_by=people.lead,
    )
    reference = recorded.ticket.reference

    def seen(user):
        client = api_client_for(user)
        outages = client.get("/api/v1/outages/").json()
        detail = client.get(f"/api/v1/outages/{outage.reference}/").json()
        invocations = client.get("/api/v1/continuity-invocations/").json()
        rows = [*outages.get("results", outages), detail, *invocations.get("results", invocations)]
        return [row["ticket"] for row in rows]

    assert seen(people.auditor) == [None, None, None]
    assert seen(people.owner) == [reference, reference, reference]
