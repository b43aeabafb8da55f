"""An incident names the configuration items it concerns; its page and the API show the
services built on them (through the CMDB's dependencies) and the customers entitled."""

import pytest

from serviceloop.core.models import AuditEvent
from serviceloop.desk.models import TicketConfigurationItem
from serviceloop.portfolio.models import RelationKind
from serviceloop.portfolio.tests.factories import (
    CiRelationFactory,
    ConfigurationItemFactory,
    ServiceComponentFactory,
    ServiceFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def cmdb(people):
    database = ConfigurationItemFactory(reference="CI-2026-000001", name="db-prod-01")
    app = ConfigurationItemFactory(reference="CI-2026-000002", name="erp-app-01")
    CiRelationFactory(source=app, target=database, kind=RelationKind.RUNS_ON)
    erp = ServiceFactory(code="erp", name="ERP", customers=[people.customer_a])
    mail = ServiceFactory(code="mail", name="Mail", customers=[people.customer_b])
    ServiceComponentFactory(service=erp, configuration_item=app)
    return database, app, erp, mail


def test_naming_the_database_shows_the_services_and_customers_it_reaches(
    people, desk, raise_ticket, client_for, cmdb
):
    ticket = raise_ticket()
    client = client_for(people.agent)
    response = client.post(
        f"/desk/tickets/{ticket.reference}/items/", {"items": "ci-2026-000001"}, follow=True
    )
    assert response.status_code == 200
    assert list(
        TicketConfigurationItem.objects.filter(ticket=ticket).values_list("item__name", flat=True)
    ) == ["db-prod-01"]
    html = response.content.decode()
    assert 'data-testid="affected-service">ERP' in html
    assert "Mail" not in html.split('data-testid="affected-impact"')[1].split("</div>")[0]
    customer_a = people.customer_a.short_name or people.customer_a.name
    customer_b = people.customer_b.short_name or people.customer_b.name
    assert f'data-testid="affected-customer">{customer_a}<' in html
    assert f'data-testid="affected-customer">{customer_b}<' not in html
    assert AuditEvent.objects.filter(verb="ticket.affected_items_changed").count() == 1


def test_an_unknown_reference_is_named_and_nothing_changes(
    people, desk, raise_ticket, client_for, cmdb
):
    ticket = raise_ticket()
    response = client_for(people.agent).post(
        f"/desk/tickets/{ticket.reference}/items/",
        {"items": "CI-2026-000001 CI-2099-999999"},
        follow=True,
    )
    assert "No configuration item CI-2099-999999." in response.content.decode()
    assert not TicketConfigurationItem.objects.filter(ticket=ticket).exists()


def test_api_lists_and_replaces_the_items(people, desk, raise_ticket, api_client_for, cmdb):
    ticket = raise_ticket()
    api = api_client_for(people.agent)
    url = f"/api/v1/tickets/{ticket.reference}/configuration-items/"
    response = api.put(url, {"items": ["CI-2026-000002"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [i["reference"] for i in body["items"]] == ["CI-2026-000002"]
    assert [s["code"] for s in body["services"]] == ["erp"]
    assert api.get(url).json() == body
    assert api.put(url, {"items": ["CI-9"]}, format="json").status_code == 400


def test_customers_and_read_only_staff_cannot_touch_the_cmdb_links(
    people, desk, raise_ticket, api_client_for, client_for, cmdb
):
    ticket = raise_ticket()
    url = f"/api/v1/tickets/{ticket.reference}/configuration-items/"
    assert api_client_for(people.a_user).get(url).status_code == 404
    assert api_client_for(people.b_user).get(url).status_code == 404
    assert api_client_for(people.auditor).get(url).status_code == 200
    assert api_client_for(people.auditor).put(url, {"items": []}, format="json").status_code == 403
    page = client_for(people.a_user).get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert "affected-items" not in page
    assert (
        client_for(people.a_user)
        .post(f"/desk/tickets/{ticket.reference}/items/", {"items": ""})
        .status_code
        == 404
    )
