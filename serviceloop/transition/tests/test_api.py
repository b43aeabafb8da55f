"""The transition API: changes (create, update with If-Match, transitions, votes, incidents,
conflicts), templates, CAB rules, blackout periods, releases and transition plans;
customers 404, read-only staff 403; the OpenAPI schema."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import BlackoutPeriod, ChangeRequest, ChangeTemplate
from serviceloop.transition.tests.factories import ChangeRequestFactory, ChangeTemplateFactory

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus
API = "/api/v1"


def etag(response):
    return response["ETag"]


@pytest.fixture
def created(people, cmdb, api_client_for):
    response = api_client_for(people.agent).post(
        f"{API}/changes/",
        {
            "title": "Upgrade erp-db",
            "description": "Minor version.",
            "reason": "Support ends.",
            "configuration_items": [cmdb.db.reference],
            "services": ["erp"],
            "implementation_plan": "Upgrade.",
            "backout_plan": "Restore.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response


def test_create_and_read_a_change(people, created, api_client_for):
    body = created.json()
    assert body["reference"].startswith("CHG-") and body["status"] == "draft"
    assert body["configuration_items"] == ["CI-2000-000102"] and body["services"] == ["erp"]
    assert body["transitions"] == ["submitted", "cancelled"]
    assert etag(created) == '"1"'
    listed = api_client_for(people.auditor).get(f"{API}/changes/").json()
    assert [c["reference"] for c in listed["results"]] == [body["reference"]]
    one = api_client_for(people.top).get(f"{API}/changes/{body['reference']}/")
    assert one.status_code == 200 and one.json()["transitions"] == []


def test_customers_get_404_and_read_only_staff_403(people, created, api_client_for):
    reference = created.json()["reference"]
    for user in (people.a_manager, people.b_user):
        client = api_client_for(user)
        assert client.get(f"{API}/changes/").status_code == 404
        assert client.get(f"{API}/changes/{reference}/").status_code == 404
        assert client.post(f"{API}/changes/", {"title": "x"}, format="json").status_code == 404
        assert client.get(f"{API}/releases/").status_code == 404
        assert client.get(f"{API}/blackout-periods/").status_code == 404
    for user in (people.auditor, people.top):
        client = api_client_for(user)
        assert client.post(f"{API}/changes/", {"title": "x"}, format="json").status_code == 403
        response = client.post(
            f"{API}/changes/{reference}/transition/",
            {"target": "submitted"},
            format="json",
            HTTP_IF_MATCH='"1"',
        )
        assert response.status_code == 403
    assert api_client_for(None).get(f"{API}/changes/").status_code in (401, 403)


def test_update_needs_if_match(people, created, api_client_for):
    reference = created.json()["reference"]
    client = api_client_for(people.agent)
    url = f"{API}/changes/{reference}/"
    assert client.patch(url, {"title": "New"}, format="json").status_code == 428
    assert (
        client.patch(url, {"title": "New"}, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    )
    response = client.patch(
        url, {"title": "New", "likelihood": 3, "impact": 3}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New" and response.json()["risk_level"] == "high"
    assert etag(response) == '"2"'


def test_transitions_votes_and_schedule(people, cab, created, window, api_client_for):
    reference = created.json()["reference"]
    client = api_client_for(people.agent)

    def move(target, tag, **fields):
        return client.post(
            f"{API}/changes/{reference}/transition/",
            {"target": target, **fields},
            format="json",
            HTTP_IF_MATCH=tag,
        )

    bad = move("implemented", '"1"')
    assert bad.status_code == 400 and "status" in bad.json()
    submitted = move("submitted", '"1"')
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["impact_snapshot"]["summary"]["customers"] == 1
    assessed = move("assessed", etag(submitted), likelihood=2, impact=2)
    assert assessed.json()["risk_level"] == "medium"
    sent = move("awaiting_cab", etag(assessed))
    assert sorted(sent.json()["cab_members"]) == ["admin", "lead", "owner"]

    vote_url = f"{API}/changes/{reference}/votes/"
    assert client.post(vote_url, {"decision": "approve"}, format="json").status_code == 403
    assert (
        api_client_for(people.auditor)
        .post(vote_url, {"decision": "approve"}, format="json")
        .status_code
        == 403
    )
    assert (
        api_client_for(people.a_user)
        .post(vote_url, {"decision": "approve"}, format="json")
        .status_code
        == 404
    )
    first = api_client_for(people.admin).post(vote_url, {"decision": "approve"}, format="json")
    assert first.status_code == 201 and first.json()["voter"] == "admin"
    bad_vote = api_client_for(people.lead).post(vote_url, {"decision": "maybe"}, format="json")
    assert bad_vote.status_code == 400
    api_client_for(people.lead).post(vote_url, {"decision": "approve"}, format="json")
    votes = client.get(vote_url).json()
    assert [v["voter"] for v in votes] == ["admin", "lead"]

    change = client.get(f"{API}/changes/{reference}/")
    assert change.json()["status"] == "approved"
    other = ChangeRequestFactory(
        requester=people.agent,
        status=CS.SCHEDULED,
        planned_start=window(0)[0],
        planned_end=window(0)[1],
        items=list(ChangeRequest.objects.get(reference=reference).configuration_items.all()),
    )
    start, end = (t.isoformat() for t in window(1))
    conflicts = client.get(f"{API}/changes/{reference}/conflicts/", {"start": start, "end": end})
    assert [c["reference"] for c in conflicts.json()] == [other.reference]
    refused = move("scheduled", etag(change), planned_start=start, planned_end=end)
    assert refused.status_code == 400 and "override_reason" in refused.json()
    scheduled = move(
        "scheduled", etag(change), planned_start=start, planned_end=end, override_reason="Agreed."
    )
    assert scheduled.status_code == 200
    assert scheduled.json()["schedule_conflicts"][0]["reference"] == other.reference


def test_incidents_caused_and_the_filter(people, new_change, walk, api_client_for):
    change = walk(new_change(), CS.IMPLEMENTING)
    incident = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    client = api_client_for(people.agent)
    response = client.post(
        f"{API}/changes/{change.reference}/transition/",
        {"target": "failed", "note": "Broke logins."},
        format="json",
        HTTP_IF_MATCH=f'"{change.version}"',
    )
    assert response.json()["outcome"] == "failed"
    linked = client.post(
        f"{API}/changes/{change.reference}/incidents/",
        {"incidents": [incident.reference]},
        format="json",
    )
    assert linked.json()["caused_incidents"] == [incident.reference]
    unknown = client.post(
        f"{API}/changes/{change.reference}/incidents/",
        {"incidents": ["INC-1999-000001"]},
        format="json",
    )
    assert unknown.status_code == 400
    found = client.get(f"{API}/changes/", {"caused_incident": incident.reference}).json()
    assert [c["reference"] for c in found["results"]] == [change.reference]


def test_templates_cab_rules_and_blackouts(people, api_client_for):
    template = {
        "name": "Add a mailbox",
        "implementation_plan": "Create.",
        "backout_plan": "Delete.",
    }
    assert (
        api_client_for(people.agent)
        .post(f"{API}/change-templates/", template, format="json")
        .status_code
        == 403
    )
    created = api_client_for(people.owner).post(f"{API}/change-templates/", template, format="json")
    assert created.status_code == 201 and created.json()["risk_level"] == "low"
    pk = created.json()["id"]
    patched = api_client_for(people.admin).patch(
        f"{API}/change-templates/{pk}/", {"is_active": False}, format="json"
    )
    assert patched.json()["is_active"] is False and not ChangeTemplate.objects.get().is_active
    duplicate = api_client_for(people.owner).post(
        f"{API}/change-templates/", template, format="json"
    )
    assert duplicate.status_code == 400

    rule = api_client_for(people.owner).post(
        f"{API}/cab-rules/",
        {"risk_level": "medium", "approvers": ["admin", "lead"], "quorum": 2},
        format="json",
    )
    assert rule.status_code == 201 and rule.json()["approvers"] == ["admin", "lead"]
    too_many = api_client_for(people.owner).patch(
        f"{API}/cab-rules/{rule.json()['id']}/", {"quorum": 3}, format="json"
    )
    assert too_many.status_code == 400 and "quorum" in too_many.json()

    start = timezone.now() + datetime.timedelta(days=5)
    blackout = {
        "organisation": str(people.customer_a.uuid),
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(days=1)).isoformat(),
        "reason": "Quarter close",
    }
    assert (
        api_client_for(people.lead)
        .post(f"{API}/blackout-periods/", blackout, format="json")
        .status_code
        == 403
    )
    made = api_client_for(people.admin).post(f"{API}/blackout-periods/", blackout, format="json")
    assert made.status_code == 201
    backwards = {**blackout, "end": (start - datetime.timedelta(days=1)).isoformat()}
    assert (
        api_client_for(people.admin)
        .post(f"{API}/blackout-periods/", backwards, format="json")
        .status_code
        == 400
    )
    listed = api_client_for(people.auditor).get(f"{API}/blackout-periods/").json()
    assert [b["reason"] for b in listed["results"]] == ["Quarter close"]
    assert (
        api_client_for(people.admin)
        .delete(f"{API}/blackout-periods/{made.json()['id']}/")
        .status_code
        == 204
    )
    assert not BlackoutPeriod.objects.exists()


def test_a_standard_change_through_the_api(people, cmdb, api_client_for):
    template = ChangeTemplateFactory()
    client = api_client_for(people.agent)
    created = client.post(
        f"{API}/changes/",
        {
            "change_type": "standard",
            "template": template.pk,
            "configuration_items": [cmdb.printer.reference],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["title"] == template.name
    approved = client.post(
        f"{API}/changes/{created.json()['reference']}/transition/",
        {"target": "submitted"},
        format="json",
        HTTP_IF_MATCH=etag(created),
    )
    assert approved.json()["status"] == "approved" and approved.json()["cab_round"] == 0


def test_releases_and_plans_through_the_api(people, cmdb, new_change, walk, api_client_for):
    change = walk(new_change(), CS.APPROVED)
    client = api_client_for(people.agent)
    created = client.post(
        f"{API}/releases/",
        {
            "name": "ERP 5.2",
            "changes": [change.reference],
            "services": ["erp"],
            "els_end": (timezone.now() + datetime.timedelta(days=14)).isoformat(),
            "criteria": ["Logins work"],
        },
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    url = f"{API}/releases/{body['reference']}/"
    assert client.post(f"{url}transition/", {"target": "testing"}, format="json").status_code == 428
    testing = client.post(
        f"{url}transition/", {"target": "testing"}, format="json", HTTP_IF_MATCH=etag(created)
    )
    assert testing.json()["status"] == "testing"
    criterion = body["criteria"][0]["id"]
    result = client.post(
        f"{url}criteria/", {"criterion": criterion, "result": "pass"}, format="json"
    )
    assert result.json()["result"] == "pass"
    client.post(
        f"{url}deployments/", {"environment": "test", "outcome": "succeeded"}, format="json"
    )
    current = client.get(url)
    deploying = client.post(
        f"{url}transition/", {"target": "deploying"}, format="json", HTTP_IF_MATCH=etag(current)
    )
    assert deploying.json()["status"] == "deploying"
    prod = client.post(
        f"{url}deployments/", {"environment": "prod", "outcome": "succeeded"}, format="json"
    )
    assert prod.status_code == 201
    deployed = client.post(
        f"{url}transition/",
        {"target": "deployed"},
        format="json",
        HTTP_IF_MATCH=etag(client.get(url)),
    )
    assert deployed.json()["status"] == "deployed" and deployed.json()["actual_deploy_at"]
    incident = TicketFactory(organisation=people.customer_a, requester=people.a_user, service="ERP")
    tagged = client.post(f"{url}incidents/", {"incidents": [incident.reference]}, format="json")
    assert tagged.json()["els_incidents"] == [incident.reference]
    rollback = client.post(
        f"{url}rollbacks/", {"environment": "prod", "reason": "Slow."}, format="json"
    )
    assert rollback.status_code == 201
    assert client.get(url).json()["status"] == "rolled_back"
    assert (
        api_client_for(people.auditor)
        .post(f"{url}deployments/", {"environment": "test", "outcome": "succeeded"}, format="json")
        .status_code
        == 403
    )

    plan = client.post(
        f"{API}/transition-plans/",
        {"service": "print", "title": "Print v2", "kind": "changed"},
        format="json",
    )
    assert plan.status_code == 201 and len(plan.json()["criteria"]) == 4
    plan_url = f"{API}/transition-plans/{plan.json()['reference']}/"
    recorded = client.post(
        f"{plan_url}criteria/",
        {"key": "monitoring", "met": True, "evidence": "Dashboards."},
        format="json",
    )
    monitoring = [c for c in recorded.json()["criteria"] if c["key"] == "monitoring"][0]
    assert monitoring["met"] is True and monitoring["checked_by"] == "agent"
    refused = client.post(f"{plan_url}transition/", {"target": "live"}, format="json")
    assert refused.status_code == 400


def test_the_openapi_schema_lists_the_transition_api(db, tmp_path):
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
        "/api/v1/changes/{reference}/transition/",
        "/api/v1/changes/{reference}/votes/",
        "/api/v1/changes/{reference}/conflicts/",
        "/api/v1/change-templates/",
        "/api/v1/cab-rules/",
        "/api/v1/blackout-periods/",
        "/api/v1/releases/{reference}/deployments/",
        "/api/v1/transition-plans/{reference}/criteria/",
    ):
        assert path in schema
