"""The competence, training and communication REST API: levels, the matrix, the assignment
check, sessions and attendance, the communication plan, and the permission rules."""

import pytest

from serviceloop.support.models import CompetenceSettings, PersonCompetence
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
skills = fixtures.skills  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")


def results(response):
    return response.json()["results"]


def test_levels_the_matrix_and_the_assignment_check(people, skills, api_client_for):
    owner = api_client_for(people.owner)
    created = owner.post(
        "/api/v1/person-competences/",
        {
            "person": "agent",
            "competence": skills.routing.pk,
            "level": 1,
            "evidence": "观察 Observed",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["person"] == "agent" and created.json()["level"] == 1

    matrix = owner.get("/api/v1/competence-matrix/", {"team": skills.team.pk}).json()
    agent_routing = next(
        r for r in matrix if r["person"] == "agent" and r["competence"] == skills.routing.name
    )
    assert (agent_routing["level"], agent_routing["required"], agent_routing["gap"]) == (1, 3, True)

    CompetenceSettings.objects.create(assignment_check="warn")
    check = owner.get(
        "/api/v1/competence-check/", {"person": "agent", "category": skills.network.pk}
    ).json()
    assert check["level"] == "warn" and len(check["gaps"]) == 2
    mine = api_client_for(people.agent).get("/api/v1/person-competences/")
    assert [r["person"] for r in results(mine)] == ["agent"]
    other = api_client_for(people.agent).get(
        "/api/v1/competence-check/", {"person": "lead", "category": skills.network.pk}
    )
    assert other.status_code == 404


def test_permissions(people, skills, api_client_for):
    for path in (
        "/api/v1/competences/",
        "/api/v1/person-competences/",
        "/api/v1/competence-matrix/",
        "/api/v1/training-sessions/",
        "/api/v1/communication-plan/",
    ):
        assert api_client_for(people.a_manager).get(path).status_code == 404, path
        assert api_client_for(people.auditor).get(path).status_code == 200, path
    for user in (people.auditor, people.top, people.agent):
        client = api_client_for(user)
        assert client.post("/api/v1/competences/", {"name": "X"}).status_code == 403
        assert client.post(
            "/api/v1/person-competences/",
            {"person": "agent", "competence": skills.itil.pk, "level": 4, "evidence": "x"},
        ).status_code in (403, 404)
        assert (
            client.post(
                "/api/v1/communication-plan/",
                {"topic": "x", "audience": "y", "frequency": "weekly", "channel": "email"},
            ).status_code
            == 403
        )
    assert not PersonCompetence.objects.exists()
    assert api_client_for(None).get("/api/v1/competences/").status_code in (401, 403)


def test_training_sessions_and_attendance(people, skills, api_client_for):
    owner = api_client_for(people.owner)
    course = owner.post(
        "/api/v1/training-courses/",
        {
            "title": "ITIL 4 基础培训",
            "competence": skills.itil.pk,
            "raises_to_level": 2,
            "validity_months": 36,
        },
        format="json",
    ).json()
    session = owner.post(
        "/api/v1/training-sessions/",
        {
            "course": course["id"],
            "held_on": (skills.today - DAY).isoformat(),
            "trainer": "lead",
            "attendees": ["agent", "auditor"],
        },
        format="json",
    )
    assert session.status_code == 201, session.content
    reference = session.json()["reference"]
    assert session.json()["attendees"] == ["agent", "auditor"]
    held = owner.post(f"/api/v1/training-sessions/{reference}/transition/", {"target": "held"})
    assert held.json()["status"] == "held"

    recorded = api_client_for(people.lead).post(
        f"/api/v1/training-sessions/{reference}/attendance/",
        {"person": "agent", "attended": True, "result": "pass", "score": "90.5"},
        format="json",
    )
    assert recorded.status_code == 200 and recorded.json()["level_raised"] is True
    refused = api_client_for(people.agent).post(
        f"/api/v1/training-sessions/{reference}/attendance/",
        {"person": "agent", "attended": True, "result": "pass"},
        format="json",
    )
    assert refused.status_code == 403
    own = api_client_for(people.agent).get(f"/api/v1/training-sessions/{reference}/attendance/")
    assert [r["person"] for r in own.json()] == ["agent"]
    everyone = api_client_for(people.auditor).get(
        f"/api/v1/training-sessions/{reference}/attendance/"
    )
    assert len(everyone.json()) == 2


def test_the_communication_plan(people, skills, api_client_for):
    owner = api_client_for(people.owner)
    item = owner.post(
        "/api/v1/communication-plan/",
        {
            "topic": "周例会 Weekly meeting",
            "audience": "全体 All staff",
            "frequency": "weekly",
            "channel": "meeting",
            "owner": "lead",
        },
        format="json",
    )
    assert item.status_code == 201, item.content
    reference = item.json()["reference"]
    bad = owner.post(
        "/api/v1/communication-plan/",
        {"topic": "x", "audience": "y", "frequency": "hourly", "channel": "pigeon"},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()) >= {"frequency", "channel"}

    record = api_client_for(people.lead).post(
        f"/api/v1/communication-plan/{reference}/records/",
        {"held_on": skills.today.isoformat(), "summary": "评审了上周事件"},
        format="json",
    )
    assert record.status_code == 201
    detail = owner.get(f"/api/v1/communication-plan/{reference}/").json()
    assert detail["last_held_on"] == skills.today.isoformat()
    assert detail["next_due"] == (skills.today + 7 * DAY).isoformat()
    records = api_client_for(people.top).get("/api/v1/communication-records/")
    assert [r["summary"] for r in results(records)] == ["评审了上周事件"]
    patched = owner.patch(
        f"/api/v1/communication-plan/{reference}/", {"is_active": False}, format="json"
    )
    assert patched.json()["is_active"] is False
