"""The nonconformity and action API: the whole lifecycle over REST, who may read and write
(customers 404, read-only staff 403), validation as 400 (nothing written), If-Match as 412,
no duplicate for the same cause, and the OpenAPI schema."""

import pytest

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Action, Nonconformity

pytestmark = pytest.mark.usefixtures("english")
NCS = "/api/v1/nonconformities/"
ACTIONS = "/api/v1/improvement-actions/"


@pytest.fixture
def clauses(db):
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load()


def test_the_lifecycle_over_rest(people, api_client_for, clauses):
    owner, lead, agent = (api_client_for(u) for u in (people.owner, people.lead, people.agent))
    raised = owner.post(NCS, {"title": "SLA report late", "source": "management_review",
                              "source_reference": "MR-2026-01", "severity": "major",
                              "clauses": ["9.1", "8.3.3"], "owner": "lead"}, format="json")  # fmt: skip
    assert raised.status_code == 201, raised.json()
    body = raised.json()
    ref, url = body["reference"], f"{NCS}{body['reference']}/"
    assert (
        body["status"] == "open" and body["clauses"] == ["8.3.3", "9.1"] and raised["ETag"] == '"1"'
    )

    contained = lead.post(url + "containment/", {"containment": "Report sent by hand.",
                                                 "contained_on": "2026-05-04"}, format="json")  # fmt: skip
    assert contained.status_code == 200 and contained.json()["status"] == "contained"
    stale = lead.post(url + "analysis/", {"method": "fishbone", "root_cause": "x",
                                          "fishbone": {"process": ["a"]}},
                      format="json", HTTP_IF_MATCH='"1"')  # fmt: skip
    assert stale.status_code == 412
    bad = lead.post(url + "analysis/", {"method": "five_whys", "root_cause": "x",
                                        "whys": [{"why": "Why?", "answer": ""}]}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "whys" in bad.json()
    analysed = lead.post(
        url + "analysis/",
        {"method": "fishbone", "root_cause": "No report owner.",
         "fishbone": {"people": ["No owner"], "measurement": ["Not tracked"]}},
        format="json", HTTP_IF_MATCH=contained["ETag"],
    )  # fmt: skip
    assert analysed.status_code == 200 and analysed.json()["rca_fishbone"]["people"] == ["No owner"]

    planned = lead.post(url + "actions/", {"title": "Name a report owner", "owner": "agent",
                                           "verification_method": "manual",
                                           "verification_plan": "Next three reports on time."},
                        format="json")  # fmt: skip
    assert planned.status_code == 201, planned.json()
    action_url = f"{ACTIONS}{planned.json()['reference']}/"
    assert owner.get(url).json()["status"] == "actions_in_progress"
    assert [a["reference"] for a in owner.get(url + "actions/").json()] == [
        planned.json()["reference"]
    ]

    done = agent.post(action_url + "transition/", {"target": "done", "note": "Owner named."},
                      format="json")  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert agent.post(action_url + "verify/", {"effective": True, "note": "x"},
                      format="json").status_code == 403  # fmt: skip
    verified = api_client_for(people.auditor).post(
        action_url + "verify/", {"effective": True, "note": "Three reports on time.",
                                 "evidence_link": "https://wiki.example.cn/reports"}, format="json"
    )  # fmt: skip
    assert verified.status_code == 201 and verified.json()["met"] is True
    assert owner.get(url).json()["status"] == "closed"
    history = owner.get(action_url + "verifications/").json()
    assert [(h["kind"], h["verified_by"]) for h in history] == [("decision", "auditor")]
    listed = owner.get(NCS, {"status": "closed"}).json()["results"]
    assert [n["reference"] for n in listed] == [ref]
    assert owner.get(NCS, {"status": "not_closed"}).json()["results"] == []


def test_who_may_read_and_write(people, api_client_for, clauses):
    created = api_client_for(people.auditor).post(
        NCS, {"title": "Finding", "source": "internal_audit"}, format="json"
    )
    assert created.status_code == 201
    url = f"{NCS}{created.json()['reference']}/"
    for user in (people.a_manager, people.b_user, people.outsider):
        client = api_client_for(user)
        assert client.get(NCS).status_code == 404
        assert client.get(url).status_code == 404
        assert client.post(NCS, {"title": "x", "source": "other"}, format="json").status_code == 404
    for user in (people.top, people.agent, people.lead):
        client = api_client_for(user)
        assert client.get(url).status_code == 200
        assert client.post(NCS, {"title": "x", "source": "other"}, format="json").status_code == 403
        assert client.patch(url, {"severity": "major"}, format="json").status_code == 403
        assert client.post(url + "cancel/", {"note": "x"}, format="json").status_code == 403
        assert client.post(ACTIONS, {"title": "x", "source": "risk"},
                           format="json").status_code == 403  # fmt: skip
    assert api_client_for(None).get(NCS).status_code in (401, 403)
    assert Nonconformity.objects.count() == 1 and not Action.objects.exists()


def test_bad_input_is_400_and_writes_nothing(people, api_client_for, clauses):
    client = api_client_for(people.owner)
    for payload in (
        {"title": "", "source": "other"},
        {"title": "x", "source": "gossip"},
        {"title": "x", "source": "other", "clauses": ["77.7"]},
        {"title": "x", "source": "other", "owner": "a.manager"},
    ):
        assert client.post(NCS, payload, format="json").status_code == 400, payload
    bad_action = client.post(ACTIONS, {"title": "x", "source": "risk", "verification_method": "kpi",
                                       "kpi_comparator": "<="}, format="json")  # fmt: skip
    assert bad_action.status_code == 400 and "kpi" in bad_action.json()
    assert not Nonconformity.objects.exists() and not Action.objects.exists()
    assert not AuditEvent.objects.filter(
        verb__in=["nonconformity.raised", "action.created"]
    ).exists()


def test_no_duplicate_for_the_same_cause_and_a_preventive_action_by_kpi(people, api_client_for):
    kpi = KpiDefinition.objects.create(code="p1", name_en="P1", aggregate="count",
                                       source="desk.tickets", slices=["organisation"])  # fmt: skip
    client = api_client_for(people.owner)
    payload = {"title": "Breach", "source": "kpi", "cause_key": "kpi:p1"}
    first, again = (client.post(NCS, payload, format="json") for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]

    created = client.post(ACTIONS, {
        "title": "Trend of P1 at customer A", "source": "kpi", "source_reference": "p1",
        "owner": "lead", "verification_method": "kpi", "kpi": "p1",
        "kpi_slice": {"organisation": people.customer_a.pk}, "kpi_comparator": "<=",
        "kpi_threshold": "2", "kpi_periods": 2,
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["kind"] == "preventive" and body["reference"].startswith("PA-")
    org = people.customer_a.pk
    assert body["condition"] == f"P1 (organisation={org}) ≤ 2 per month, 2 periods in a row"
    patched = api_client_for(people.lead).patch(
        f"{ACTIONS}{body['reference']}/", {"kpi_periods": 3}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200 and patched.json()["kpi_periods"] == 3
    assert patched["ETag"] == '"2"'
    mine = api_client_for(people.lead).get(ACTIONS, {"mine": "true"}).json()["results"]
    assert [a["reference"] for a in mine] == [body["reference"]]
    assert kpi.pk


def test_the_schema_builds(people, api_client_for):
    response = api_client_for(people.owner).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/nonconformities/{reference}/analysis/" in paths
    assert "/api/v1/improvement-actions/{reference}/verify/" in paths
