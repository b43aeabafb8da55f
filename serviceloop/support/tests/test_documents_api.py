"""The documents REST API: the register and its filters, writing and moving versions, the
approval rules, campaigns and acknowledgements, the rate, concurrency and permissions."""

import pytest
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.support.models import Document
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
docs = fixtures.docs  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")

BASE = "/api/v1/documents/"


def results(response):
    return response.json()["results"]


def test_staff_create_write_and_approve_a_document(people, api_client_for):
    owner = api_client_for(people.owner)
    created = owner.post(
        BASE,
        {
            "title": "变更管理程序 Change procedure",
            "kind": "procedure",
            "clauses": "8.5.1",
            "body": "<p>所有变更须经评估。</p>",
            "approvers": ["top"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert created["ETag"] == '"1"' and created.json()["status"] == "draft"

    versions = owner.get(f"{BASE}{reference}/versions/").json()
    version_id = versions[0]["id"]
    assert versions[0]["approvers"] == ["top"] and versions[0]["status"] == "draft"
    patched = owner.patch(
        f"/api/v1/document-versions/{version_id}/",
        {"change_summary": "首版", "body": "所有变更须经评估和批准。"},
        format="json",
    )
    assert patched.json()["body"] == "<p>所有变更须经评估和批准。</p>"
    moved = owner.post(
        f"/api/v1/document-versions/{version_id}/transition/", {"target": "in_review"}
    )
    assert moved.json()["status"] == "in_review"
    own = owner.post(f"/api/v1/document-versions/{version_id}/transition/", {"target": "approved"})
    assert own.status_code == 400 and "author" in str(own.json())

    approved = api_client_for(people.top).post(
        f"/api/v1/document-versions/{version_id}/transition/",
        {"target": "approved", "comment": "同意"},
    )
    assert approved.status_code == 200 and approved.json()["status"] == "effective"
    document = owner.get(f"{BASE}{reference}/").json()
    assert document["status"] == "effective" and document["effective_version"] == 1
    signoffs = owner.get(f"/api/v1/document-versions/{version_id}/signoffs/").json()
    assert [(s["person"], s["kind"], s["decision"]) for s in signoffs] == [
        ("top", "approval", "approved")
    ]


def test_the_register_filters_and_hides_drafts_from_operational_staff(people, docs, api_client_for):
    policy = docs.document(clauses="5.2")
    draft = docs.document(title="草稿 Draft", kind="procedure", effective=False)

    everything = api_client_for(people.auditor).get(BASE)
    agent = api_client_for(people.agent).get(BASE)
    procedures = api_client_for(people.owner).get(BASE, {"kind": "procedure"})
    by_clause = api_client_for(people.owner).get(BASE, {"clause": "5.2"})

    assert {d["reference"] for d in results(everything)} == {policy.reference, draft.reference}
    assert [d["reference"] for d in results(agent)] == [policy.reference]
    assert results(agent)[0]["newest_version"] is None  # workflow detail hidden
    assert [d["reference"] for d in results(procedures)] == [draft.reference]
    assert [d["reference"] for d in results(by_clause)] == [policy.reference]
    assert api_client_for(people.agent).get(f"{BASE}{draft.reference}/").status_code == 404


def test_customers_get_404_and_read_only_roles_403(people, docs, api_client_for):
    policy = docs.document()
    customer = api_client_for(people.a_manager)
    version_id = policy.effective_version.uuid

    assert customer.get(BASE).json()["results"] == []
    assert customer.get(f"{BASE}{policy.reference}/").status_code == 404
    assert customer.get(f"/api/v1/document-versions/{version_id}/").status_code == 404
    assert customer.post(BASE, {"title": "x", "kind": "policy"}).status_code == 404
    assert customer.get("/api/v1/acknowledgement-rate/").status_code == 404
    for user in (people.auditor, people.top, people.agent):
        client = api_client_for(user)
        assert client.post(BASE, {"title": "x", "kind": "policy"}).status_code == 403
        assert client.patch(f"{BASE}{policy.reference}/", {"title": "y"}).status_code == 403
        assert client.post(f"{BASE}{policy.reference}/versions/", {}).status_code == 403
        assert (
            client.post(
                "/api/v1/acknowledgement-campaigns/",
                {"document": policy.reference, "deadline": "2099-01-01", "roles": ["agent"]},
                format="json",
            ).status_code
            == 403
        )
    assert api_client_for(None).get(BASE).status_code in (401, 403)
    assert not AuditEvent.objects.filter(verb="document.updated").exists()


def test_patch_honours_if_match(people, docs, api_client_for):
    policy = docs.document()
    client = api_client_for(people.owner)
    url = f"{BASE}{policy.reference}/"
    etag = client.get(url)["ETag"]

    first = client.patch(url, {"title": "新标题"}, format="json", HTTP_IF_MATCH=etag)
    stale = client.patch(url, {"title": "另一个"}, format="json", HTTP_IF_MATCH=etag)

    assert first.status_code == 200 and first["ETag"] != etag
    assert stale.status_code == 412
    assert Document.objects.get(pk=policy.pk).title == "新标题"


def test_campaigns_acknowledgements_and_the_rate(people, docs, api_client_for):
    policy = docs.document()
    owner = api_client_for(people.owner)
    deadline = (timezone.localdate() + 7 * DAY).isoformat()
    created = owner.post(
        "/api/v1/acknowledgement-campaigns/",
        {"document": policy.reference, "deadline": deadline, "people": ["agent", "a.user"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert (created.json()["asked"], created.json()["acknowledged"]) == (2, 0)

    mine = api_client_for(people.a_user).post(
        f"{BASE}{policy.reference}/acknowledge/", {"campaign": reference}
    )
    again = api_client_for(people.a_user).post(
        f"/api/v1/acknowledgement-campaigns/{reference}/acknowledge/"
    )
    stranger = api_client_for(people.b_user).post(
        f"/api/v1/acknowledgement-campaigns/{reference}/acknowledge/"
    )
    assert mine.status_code == 200 and mine.json()["acknowledged_at"]
    assert again.status_code == 400
    assert stranger.status_code == 404

    seen_by_customer = api_client_for(people.a_user).get("/api/v1/acknowledgement-campaigns/")
    assert [c["reference"] for c in results(seen_by_customer)] == [reference]
    rows = owner.get(f"/api/v1/acknowledgement-campaigns/{reference}/acknowledgements/").json()
    assert {r["person"]: bool(r["acknowledged_at"]) for r in rows} == {
        "agent": False,
        "a.user": True,
    }
    rate = api_client_for(people.top).get(
        "/api/v1/acknowledgement-rate/",
        {"start": timezone.localdate().isoformat(), "end": "2099-01-01"},
    )
    assert (rate.json()["asked"], rate.json()["on_time"], rate.json()["rate"]) == (2, 1, 50.0)
    closed = owner.post(f"/api/v1/acknowledgement-campaigns/{reference}/close/")
    assert closed.json()["status"] == "closed"


def test_reviewers_review_through_the_api(people, docs, api_client_for):
    document = docs.document(effective=False, reviewers=[people.lead])
    version = document.current_version
    docs.version_services.version_transition(
        actor=people.owner, version=version, target="in_review"
    )
    url = f"/api/v1/document-versions/{version.uuid}/review/"

    agent = api_client_for(people.agent).post(url, {"decision": "endorsed"})
    lead_read = api_client_for(people.lead).get(f"/api/v1/document-versions/{version.uuid}/")
    lead = api_client_for(people.lead).post(url, {"decision": "endorsed", "comment": "好"})

    assert agent.status_code == 404  # not named: the draft does not exist for him
    assert lead_read.status_code == 200
    assert lead.status_code == 200 and lead.json()["decision"] == "endorsed"


@pytest.mark.parametrize("path", ["documents", "document-versions", "acknowledgement-campaigns"])
def test_the_schema_documents_the_endpoints(db, client, path):
    schema = client.get("/api/schema/").content.decode()
    assert f"/api/v1/{path}/" in schema
