"""The planning API: gap analyses and answers, results, plan items and milestones; who may
read and write (customers 404, read-only staff 403), validation as 400, If-Match as 412."""

import pytest
from django.utils import timezone

from serviceloop.planning.models import Assessment, PlanItem

pytestmark = pytest.mark.usefixtures("english")


def test_the_owner_creates_an_analysis_copying_the_previous_one(people, api_client_for, assessment):
    client = api_client_for(people.owner)

    fresh = client.post(
        "/api/v1/assessments/",
        {"title": "Gap analysis 2027", "assessed_on": "2027-03-01", "assessor": "auditor"},
        format="json",
    )

    assert fresh.status_code == 201, fresh.json()
    body = fresh.json()
    assert body["reference"] == "GAP-2027-000001" and body["copied_from"] == assessment.reference
    assert (
        body["assessor"] == "auditor" and body["status"] == "draft" and "copy_previous" not in body
    )
    assert fresh["ETag"] == '"1"'
    listed = client.get("/api/v1/assessments/").json()["results"]
    assert [a["reference"] for a in listed] == ["GAP-2027-000001", assessment.reference]


def test_answers_are_read_and_recorded(people, api_client_for, assessment):
    client = api_client_for(people.owner)
    answers = client.get(f"/api/v1/assessments/{assessment.reference}/answers/").json()
    target = next(a for a in answers if a["clause"] == "8.3.4.2")
    url = f"/api/v1/assessment-answers/{target['id']}/"

    missing = client.patch(url, {"not_applicable": True}, format="json")
    saved = client.patch(
        url,
        {
            "not_applicable": True,
            "justification": "没有内部供方",
            "evidence_links": ["SUP-LIST-2026"],
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    stale = client.patch(url, {"gap": "x"}, format="json", HTTP_IF_MATCH='"1"')
    out_of_range = client.patch(url, {"not_applicable": False, "maturity": 7}, format="json")

    assert len(answers) == 57 and target["question"].startswith("Are there agreements (OLAs)")
    assert missing.status_code == 400 and "justification" in missing.json()
    assert saved.status_code == 200 and saved["ETag"] == '"2"'
    assert saved.json()["not_applicable"] is True and saved.json()["evidence_links"] == [
        "SUP-LIST-2026"
    ]
    assert stale.status_code == 412
    assert out_of_range.status_code == 400
    by_filter = client.get(
        "/api/v1/assessment-answers/", {"assessment": assessment.reference, "page_size": 100}
    )
    assert len(by_filter.json()["results"]) == 57


def test_completing_and_the_results(people, api_client_for, assessment, answer_all):
    client = api_client_for(people.owner)
    url = f"/api/v1/assessments/{assessment.reference}/"

    early = client.post(url + "transition/", {"target": "completed"}, format="json")
    answer_all(assessment, default=3, **{"9.2": 0, "4.1": 1})
    done = client.post(url + "transition/", {"target": "completed"}, format="json")
    results = client.get(url + "results/").json()

    assert early.status_code == 400 and "Still open" in early.json()["non_field_errors"][0]
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert [g["clause"] for g in results["gaps"]] == ["9.2", "4.1"]
    assert results["gaps"][0]["score"] == "7.50"
    assert next(g for g in results["groups"] if g["number"] == "9")["average"] == "2.25"
    assert results["unanswered"] == 0


def test_read_only_staff_read_and_get_403_on_writes(people, api_client_for, assessment):
    row = assessment.answers.first()
    for name in ("auditor", "top", "agent", "lead"):
        client = api_client_for(getattr(people, name))
        assert client.get("/api/v1/assessments/").status_code == 200
        assert client.get(f"/api/v1/assessments/{assessment.reference}/results/").status_code == 200
        assert client.post("/api/v1/assessments/", {}, format="json").status_code == 403
        assert (
            client.patch(
                f"/api/v1/assessment-answers/{row.pk}/", {"maturity": 3}, format="json"
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/assessments/{assessment.reference}/transition/",
                {"target": "completed"},
                format="json",
            ).status_code
            == 403
        )
        assert client.post("/api/v1/plan-items/", {}, format="json").status_code == 403
        assert client.post("/api/v1/milestones/", {}, format="json").status_code == 403


def test_customers_get_404_everywhere(people, api_client_for, assessment):
    row = assessment.answers.first()
    for name in ("a_manager", "a_user", "outsider"):
        client = api_client_for(getattr(people, name))
        for url in (
            "/api/v1/assessments/",
            f"/api/v1/assessments/{assessment.reference}/",
            f"/api/v1/assessments/{assessment.reference}/results/",
            "/api/v1/assessment-answers/",
            f"/api/v1/assessment-answers/{row.pk}/",
            "/api/v1/plan-items/",
            "/api/v1/milestones/",
        ):
            assert client.get(url).status_code == 404, url
        assert client.post("/api/v1/assessments/", {"title": "x"}, format="json").status_code == 404
        assert (
            client.patch(
                f"/api/v1/assessment-answers/{row.pk}/", {"maturity": 1}, format="json"
            ).status_code
            == 404
        )
    assert api_client_for(None).get("/api/v1/assessments/").status_code in (401, 403)


def test_plan_items_through_the_api(people, api_client_for, clauses):
    client = api_client_for(people.owner)

    created = client.post(
        "/api/v1/plan-items/",
        {
            "title": "建立内部审核方案", "owner": "lead", "start_on": "2026-03-01",
            "due_on": "2026-04-30", "clauses": ["9.2"], "budget": "8000.00",
        },
        format="json",
    )  # fmt: skip
    reference = created.json()["reference"]
    url = f"/api/v1/plan-items/{reference}/"
    bad = client.post(
        "/api/v1/plan-items/",
        {"title": "x", "owner": "lead", "start_on": "2026-03-01", "due_on": "2026-02-01"},
        format="json",
    )
    lead = api_client_for(people.lead)
    progress = lead.post(url + "progress/", {"percent_complete": 40}, format="json")
    edit_by_lead = lead.patch(url, {"title": "mine"}, format="json")
    blocked = lead.post(url + "transition/", {"target": "blocked"}, format="json")
    done = lead.post(url + "transition/", {"target": "done"}, format="json", HTTP_IF_MATCH='"2"')
    changed = client.patch(url, {"depends_on": [], "clauses": ["9.2", "9.3"]}, format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["clauses"] == ["9.2"] and created.json()["status"] == "not_started"
    assert bad.status_code == 400 and "due_on" in bad.json()
    assert progress.status_code == 200 and progress.json()["percent_complete"] == 40
    assert progress.json()["status"] == "in_progress"
    assert edit_by_lead.status_code == 403
    assert blocked.status_code == 400 and "reason" in blocked.json()
    assert done.status_code == 200 and done.json()["percent_complete"] == 100
    assert changed.status_code == 200 and changed.json()["clauses"] == ["9.2", "9.3"]
    assert (
        api_client_for(people.auditor)
        .post(url + "progress/", {"percent_complete": 1}, format="json")
        .status_code
        == 403
    )
    assert PlanItem.objects.get().completed_on == timezone.localdate()


def test_milestones_through_the_api(people, api_client_for):
    client = api_client_for(people.owner)

    created = client.post(
        "/api/v1/milestones/",
        {"title": "认证审核", "kind": "certification_audit", "due_on": "2026-09-01"},
        format="json",
    )
    milestone = created.json()
    future = client.post(
        f"/api/v1/milestones/{milestone['id']}/achieve/",
        {"achieved_on": "2999-01-01"},
        format="json",
    )
    achieved = client.post(
        f"/api/v1/milestones/{milestone['id']}/achieve/",
        {"achieved_on": "2026-01-05"},
        format="json",
    )
    renamed = client.patch(
        f"/api/v1/milestones/{milestone['id']}/", {"title": "认证审核（第二阶段）"}, format="json"
    )

    assert created.status_code == 201 and milestone["kind"] == "certification_audit"
    assert future.status_code == 400
    assert achieved.status_code == 200 and achieved.json()["achieved_on"] == "2026-01-05"
    assert renamed.json()["title"] == "认证审核（第二阶段）" and renamed.json()["version"] == 3


def test_the_schema_documents_the_planning_endpoints(db, client):
    schema = client.get("/api/schema/").content.decode()

    for path in (
        "/api/v1/clauses/{number}/evidence/",
        "/api/v1/assessments/{reference}/results/",
        "/api/v1/assessments/{reference}/transition/",
        "/api/v1/assessment-answers/{id}/",
        "/api/v1/plan-items/{reference}/progress/",
        "/api/v1/milestones/{id}/achieve/",
    ):
        assert path in schema
    assert Assessment.objects.count() == 0
