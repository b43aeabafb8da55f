"""A confidential ticket (a security incident) that waited on a supplier is listed only to the
people cleared for it: the supplier's page, the list of tickets waiting on suppliers (and its
export), the API; the API refuses to link it for anyone else. Review counts stay whole."""

import pytest
from django.urls import reverse

from serviceloop.desk.models import Ticket
from serviceloop.relationship.services_suppliers import ticket_supplier_link

pytestmark = pytest.mark.usefixtures("english")
SECRET = "Supplier VPN breached 供应商入侵"


@pytest.fixture
def linked(people, supplier_acme, supplier_raise_ticket):
    secret = supplier_raise_ticket(title=SECRET)
    ticket_supplier_link(actor=people.agent, ticket=secret, supplier=supplier_acme)
    Ticket.objects.filter(pk=secret.pk).update(confidential=True)
    secret.confidential_viewers.set([people.agent])
    return secret


def test_the_link_is_listed_only_to_the_cleared(people, supplier_acme, linked, client_for):
    for url in (
        reverse("supplier_detail", args=[supplier_acme.pk]),
        reverse("supplier_ticket_list"),
        reverse("supplier_ticket_list") + "?format=csv",
    ):
        assert linked.reference not in client_for(people.lead).get(url).content.decode(), url
        assert linked.reference in client_for(people.agent).get(url).content.decode(), url
    assert supplier_acme.ticket_links.count() == 1


def test_the_api_hides_it_and_refuses_to_link_it(
    people, supplier_acme, linked, api_client_for, supplier_raise_ticket
):
    lead, agent = api_client_for(people.lead), api_client_for(people.agent)
    assert lead.get("/api/v1/supplier-tickets/").json()["results"] == []
    assert [r["ticket"] for r in agent.get("/api/v1/supplier-tickets/").json()["results"]] == [
        linked.reference
    ]
    body = {"ticket": linked.reference, "supplier": str(supplier_acme.uuid)}
    assert lead.post("/api/v1/supplier-tickets/", body, format="json").status_code == 400
