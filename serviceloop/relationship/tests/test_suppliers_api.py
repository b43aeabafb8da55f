"""The suppliers API: staff only (every endpoint 404 for customers), 403 on writes for the
read-only roles, the services' rules as 400s, ETag / If-Match (412), and a review computed
from ticket links recorded through the API."""

import datetime

import pytest

from serviceloop.core.models import AuditEvent
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.services.tickets import ticket_transition
from serviceloop.relationship.models import Contract, Supplier, TicketSupplier
from serviceloop.relationship.services_suppliers_disputes import dispute_create

pytestmark = pytest.mark.usefixtures("english")

API = "/api/v1/"


@pytest.fixture
def supplier_dispute(people, supplier_acme, supplier_contract):
    return dispute_create(
        actor=people.agent,
        supplier=supplier_acme,
        contract=supplier_contract,
        title="Invoice",
        description="Billed twice.",
    )


def endpoints(supplier, contract, dispute):
    obligation = contract.obligations.first()
    return [
        f"{API}suppliers/",
        f"{API}suppliers/{supplier.uuid}/",
        f"{API}supplier-contacts/",
        f"{API}supplier-contracts/",
        f"{API}supplier-contracts/{contract.reference}/",
        f"{API}supplier-obligations/",
        f"{API}supplier-obligations/{obligation.uuid}/",
        f"{API}supplier-tickets/",
        f"{API}supplier-reviews/",
        f"{API}supplier-disputes/",
        f"{API}supplier-disputes/{dispute.reference}/",
    ]


def test_customers_get_404_from_every_supplier_endpoint(
    people, api_client_for, supplier_acme, supplier_contract, supplier_dispute
):
    client = api_client_for(people.a_manager)
    for url in endpoints(supplier_acme, supplier_contract, supplier_dispute):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{API}suppliers/", {"name": "X"}, format="json").status_code == 404
    assert api_client_for(None).get(f"{API}suppliers/").status_code in (401, 403)


def test_staff_read_everything(
    people, api_client_for, supplier_acme, supplier_contract, supplier_dispute
):
    client = api_client_for(people.top)
    for url in endpoints(supplier_acme, supplier_contract, supplier_dispute):
        assert client.get(url).status_code == 200, url
    body = client.get(f"{API}supplier-contracts/{supplier_contract.reference}/").json()
    assert body["supplier"] == str(supplier_acme.uuid)
    assert [o["measured_by"] for o in body["obligations"]] == [
        "supplier_incidents",
        "waiting_hours",
        "response_hours",
        "manual",
    ]
    assert body["notice_date"] == "2026-11-01"


def test_read_only_staff_get_403_on_writes(
    people, api_client_for, supplier_acme, supplier_contract, supplier_dispute
):
    client = api_client_for(people.auditor)
    writes = [
        ("post", f"{API}suppliers/", {"name": "X"}),
        ("patch", f"{API}suppliers/{supplier_acme.uuid}/", {"notes": "x"}),
        ("post", f"{API}supplier-contracts/{supplier_contract.reference}/transition/",
         {"target": "expired"}),
        ("post", f"{API}supplier-disputes/{supplier_dispute.reference}/transition/",
         {"target": "escalated"}),
        ("post", f"{API}supplier-reviews/", {"supplier": str(supplier_acme.uuid),
         "period_start": "2026-03-01", "period_end": "2026-03-31"}),
    ]  # fmt: skip
    for method, url, body in writes:
        assert getattr(client, method)(url, body, format="json").status_code == 403, url
    assert Supplier.objects.count() == 1 and not AuditEvent.objects.filter(actor=people.auditor)


def test_suppliers_created_and_changed(people, api_client_for):
    client = api_client_for(people.agent)
    created = client.post(
        f"{API}suppliers/",
        {"name": "B field team", "kind": "customer", "organisation": str(people.customer_b.uuid)},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["is_customer_as_supplier"] and created["ETag"] == '"1"'

    refused = client.post(f"{API}suppliers/", {"name": "b FIELD team"}, format="json")
    assert refused.status_code == 400 and "name" in refused.json()

    url = f"{API}suppliers/{body['id']}/"
    stale = client.patch(url, {"status": "on_hold"}, format="json", HTTP_IF_MATCH='"7"')
    changed = client.patch(url, {"status": "on_hold"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert changed.status_code == 200 and changed.json()["status"] == "on_hold"
    assert changed["ETag"] == '"2"'

    contact = client.post(
        f"{API}supplier-contacts/",
        {"supplier": body["id"], "name": "Wang", "email": "wang@b.example", "is_primary": True},
        format="json",
    )
    assert contact.status_code == 201
    assert client.get(url).json()["contacts"][0]["name"] == "Wang"
    assert client.delete(f"{API}supplier-contacts/{contact.json()['id']}/").status_code == 204


def test_contracts_and_obligations_through_the_api(people, api_client_for, supplier_acme):
    client = api_client_for(people.agent)
    created = client.post(
        f"{API}supplier-contracts/",
        {
            "supplier": str(supplier_acme.uuid),
            "title": "Links",
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "value": "5000.00",
            "currency": "eur",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    contract = created.json()
    assert contract["status"] == "draft" and contract["currency"] == "EUR"
    assert contract["owner"] == str(people.agent.uuid)
    reference = contract["reference"]

    obligation = client.post(
        f"{API}supplier-obligations/",
        {"contract": reference, "description": "Waits", "measured_by": "waiting_hours"},
        format="json",
    )
    assert obligation.status_code == 400 and "target_value" in obligation.json()
    obligation = client.post(
        f"{API}supplier-obligations/",
        {
            "contract": reference,
            "description": "Waits",
            "measured_by": "waiting_hours",
            "target_value": "6",
        },
        format="json",
    )
    assert obligation.status_code == 201 and obligation.json()["unit"] == "hours"
    fixed = client.patch(
        f"{API}supplier-obligations/{obligation.json()['id']}/",
        {"measured_by": "manual"},
        format="json",
    )
    assert fixed.status_code == 400

    url = f"{API}supplier-contracts/{reference}/transition/"
    assert client.post(url, {"target": "terminated"}, format="json").status_code == 400
    active = client.post(url, {"target": "active"}, format="json")
    assert active.status_code == 200 and active.json()["status"] == "active"
    moved = client.patch(
        f"{API}supplier-contracts/{reference}/", {"supplier": "00000000-0000-0000-0000-000000000000"},
        format="json",
    )  # fmt: skip
    assert moved.status_code == 400
    assert Contract.objects.get().status == "active"


def test_a_review_computed_from_links_recorded_through_the_api(
    people, api_client_for, supplier_raise_ticket, supplier_acme, supplier_contract
):
    def at(text):
        return datetime.datetime.fromisoformat(text + "+08:00")

    ticket = supplier_raise_ticket(now=at("2026-03-02T09:00"))
    ticket = ticket_transition(
        actor=people.agent, ticket=ticket, target=Status.IN_PROGRESS, now=at("2026-03-02T09:05")
    )
    ticket = ticket_transition(
        actor=people.agent,
        ticket=ticket,
        target=Status.WAITING_SUPPLIER,
        now=at("2026-03-02T10:00"),
    )
    ticket_transition(
        actor=people.agent, ticket=ticket, target=Status.IN_PROGRESS, now=at("2026-03-02T15:00")
    )
    client = api_client_for(people.agent)

    link = client.post(
        f"{API}supplier-tickets/",
        {"ticket": ticket.reference, "supplier": str(supplier_acme.uuid), "caused_incident": True},
        format="json",
    )
    again = client.post(
        f"{API}supplier-tickets/",
        {"ticket": ticket.reference, "supplier": str(supplier_acme.uuid), "note": "carrier"},
        format="json",
    )
    listed = client.get(f"{API}supplier-tickets/?ticket={ticket.reference}").json()["results"]
    assert link.status_code == again.status_code == 201
    assert TicketSupplier.objects.count() == 1 and len(listed) == 1
    assert listed[0]["note"] == "carrier" and listed[0]["caused_incident"] is False

    review = client.post(
        f"{API}supplier-reviews/",
        {"supplier": str(supplier_acme.uuid), "period_start": "2026-03-01", "period_end": "2026-03-31"},
        format="json",
    )  # fmt: skip
    assert review.status_code == 201, review.json()
    scores = {s["measured_by"]: s for s in review.json()["scores"]}
    assert scores["waiting_hours"]["actual_value"] == "5.00"
    assert scores["waiting_hours"]["met"] is True
    assert scores["response_hours"]["met"] is False  # 5 h against 3 h
    assert scores["supplier_incidents"]["actual_value"] == "0.00"
    reference = review.json()["reference"]

    manual = scores["manual"]["id"]
    url = f"{API}supplier-reviews/{reference}/"
    assert client.post(url + "complete/", {"overall_rating": 3}, format="json").status_code == 400
    scored = client.post(
        url + "score/", {"score": manual, "met": True, "note": "On time"}, format="json"
    )
    assert scored.status_code == 200
    assert (
        client.post(url + "score/", {"score": 999999, "met": True}, format="json").status_code
        == 404
    )
    done = client.post(url + "complete/", {"overall_rating": 3}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert client.post(url + "recompute/", format="json").status_code == 400


def test_dispute_transitions_through_the_api(people, api_client_for, supplier_dispute):
    client = api_client_for(people.agent)
    url = f"{API}supplier-disputes/{supplier_dispute.reference}/transition/"

    refused = client.post(url, {"target": "resolved"}, format="json")
    resolved = client.post(url, {"target": "resolved", "resolution": "Credited"}, format="json")
    reopened = client.post(url, {"target": "in_negotiation", "reason": "Not paid"}, format="json")

    assert refused.status_code == 400 and "resolution" in refused.json()
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_on"]
    assert reopened.json()["status"] == "in_negotiation" and reopened.json()["resolution"] == ""
