"""The complaints API: customers lodge and read only their own organisation's complaints
(404 otherwise; a customer user only his own), read-only staff get 403 on writes, the
lifecycle with closure refused without the customer's acceptance, notes staff only,
If-Match (412), filters, and the OpenAPI schema of the whole relationship app."""

import io

import pytest
from django.core.management import call_command

from serviceloop.relationship.models import Complaint

pytestmark = pytest.mark.usefixtures("english")

URL = "/api/v1/complaints/"


@pytest.fixture
def complaints(people, complaint_portal):
    return {
        "a_user": complaint_portal(subject="Slow answers"),
        "a_manager": complaint_portal(actor=people.a_manager, subject="Wrong invoice"),
        "b_user": complaint_portal(actor=people.b_user, subject="Rude engineer"),
    }


def subjects(client, query=""):
    return {c["subject"] for c in client.get(URL + query).json()["results"]}


def test_customers_lodge_complaints_for_their_own_organisation(people, api_client_for):
    client = api_client_for(people.a_user)

    created = client.post(
        URL,
        {
            "subject": "Hotline",
            "description": "Nobody answered.",
            "severity": "high",
            "channel": "phone",
            "organisation": str(people.customer_b.uuid),
        },
        format="json",
    )

    # another organisation does not exist for him
    assert created.status_code == 400 and "organisation" in created.json()
    created = client.post(
        URL, {"subject": "Hotline", "description": "Nobody answered."}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"].startswith("CMP-") and body["channel"] == "portal"
    assert body["complainant"] == str(people.a_user.uuid) and body["status"] == "received"
    assert created["ETag"] == '"1"'


def test_who_sees_which_complaint(people, api_client_for, complaints):
    assert subjects(api_client_for(people.a_user)) == {"Slow answers"}
    assert subjects(api_client_for(people.a_manager)) == {"Slow answers", "Wrong invoice"}
    assert subjects(api_client_for(people.b_manager)) == {"Rude engineer"}
    assert subjects(api_client_for(people.top)) == {
        "Slow answers",
        "Wrong invoice",
        "Rude engineer",
    }
    assert subjects(api_client_for(people.agent), "?organisation=" + str(people.customer_b.uuid)) == {
        "Rude engineer"
    }  # fmt: skip

    b_url = f"{URL}{complaints['b_user'].reference}/"
    client = api_client_for(people.a_manager)
    assert client.get(b_url).status_code == 404
    assert (
        client.post(b_url + "transition/", {"target": "investigating"}, format="json").status_code
        == 404
    )
    assert client.post(b_url + "acceptance/", {"accepted": True}, format="json").status_code == 404
    colleague = f"{URL}{complaints['a_manager'].reference}/"
    assert api_client_for(people.a_user).get(colleague).status_code == 404


def test_read_only_staff_get_403_on_writes(people, api_client_for, complaints):
    client = api_client_for(people.auditor)
    url = f"{URL}{complaints['a_user'].reference}/"
    assert client.get(url).status_code == 200
    assert client.post(URL, {"subject": "x"}, format="json").status_code == 403
    assert client.patch(url, {"severity": "high"}, format="json").status_code == 403
    assert (
        client.post(url + "transition/", {"target": "acknowledged"}, format="json").status_code
        == 403
    )
    assert client.post(url + "notes/", {"body": "x"}, format="json").status_code == 403
    assert Complaint.objects.get(pk=complaints["a_user"].pk).version == 1


def test_customers_may_not_change_or_work_a_complaint(people, api_client_for, complaints):
    client = api_client_for(people.a_manager)
    url = f"{URL}{complaints['a_user'].reference}/"
    assert client.patch(url, {"severity": "high"}, format="json").status_code == 403
    assert (
        client.post(url + "transition/", {"target": "acknowledged"}, format="json").status_code
        == 403
    )
    assert client.get(url + "notes/").status_code == 404


def test_the_lifecycle_through_the_api(people, api_client_for, complaints):
    agent = api_client_for(people.agent)
    customer = api_client_for(people.a_user)
    url = f"{URL}{complaints['a_user'].reference}/"

    assert (
        agent.post(url + "transition/", {"target": "acknowledged"}, format="json").status_code
        == 200
    )
    note = agent.post(url + "notes/", {"body": "Checked the call log"}, format="json")
    assert note.status_code == 201
    assert [n["body"] for n in agent.get(url + "notes/").json()] == ["Checked the call log"]
    missing = agent.post(url + "transition/", {"target": "responded"}, format="json")
    assert missing.status_code == 400 and "response" in missing.json()
    responded = agent.post(
        url + "transition/", {"target": "responded", "response": "Sorry, fixed."}, format="json"
    )
    assert responded.json()["status"] == "responded"

    refused = agent.post(url + "transition/", {"target": "closed"}, format="json")
    assert refused.status_code == 400 and "accepted" in refused.json()
    stale = customer.post(
        url + "acceptance/", {"accepted": True}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 412
    answered = customer.post(url + "acceptance/", {"accepted": True, "note": "OK"}, format="json")
    assert answered.status_code == 200 and answered.json()["customer_accepted"] is True
    closed = agent.post(url + "transition/", {"target": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["closed_at"]

    reopen = customer.post(
        url + "transition/", {"target": "investigating", "reason": "x"}, format="json"
    )
    assert reopen.status_code == 403  # only the provider reopens a closed complaint


def test_staff_record_and_change_complaints(people, api_client_for):
    client = api_client_for(people.agent)
    missing = client.post(URL, {"subject": "Noise", "description": "Loud"}, format="json")
    assert missing.status_code == 400 and set(missing.json()) == {"organisation", "channel"}
    created = client.post(
        URL,
        {
            "organisation": str(people.customer_b.uuid),
            "channel": "email",
            "complainant": str(people.b_user.uuid),
            "subject": "Noise",
            "description": "Loud",
            "received_at": "2026-03-02T09:00:00+08:00",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["owner"] == str(people.agent.uuid)
    assert body["response_due_at"] == "2026-03-03T09:00:00+08:00"

    url = f"{URL}{body['reference']}/"
    changed = client.patch(url, {"severity": "high", "owner": str(people.lead.uuid)}, format="json")
    assert changed.status_code == 200
    assert changed.json()["response_due_at"] == "2026-03-02T17:00:00+08:00"
    fixed = client.patch(url, {"organisation": str(people.customer_a.uuid)}, format="json")
    assert fixed.status_code == 400


def test_the_openapi_schema_builds_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    schema = target.read_text()
    for path in (
        "/api/v1/complaints/{reference}/transition/",
        "/api/v1/complaints/{reference}/acceptance/",
        "/api/v1/suppliers/{id}/",
        "/api/v1/supplier-contracts/{reference}/transition/",
        "/api/v1/supplier-reviews/{reference}/complete/",
        "/api/v1/supplier-tickets/",
        "/api/v1/supplier-disputes/{reference}/transition/",
    ):
        assert path in schema
