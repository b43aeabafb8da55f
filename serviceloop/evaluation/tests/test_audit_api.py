"""The internal-audit API: programmes and coverage, lines, audits, checklist answers,
findings (raising nonconformities), attachments and the auditor register; 404 to customers,
403 to staff without the right, 400 on bad input, ETag / If-Match."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from serviceloop.evaluation.models import Audit, Finding
from serviceloop.evaluation.tests.steps_audits import DAY, TODAY, line_of

pytestmark = pytest.mark.usefixtures("english")
BASE = "/api/v1"


def test_customers_get_404_and_anonymous_callers_are_refused(people, started, api_client_for):
    urls = [
        f"{BASE}/audit-programmes/{started.programme.reference}/",
        f"{BASE}/audits/{started.reference}/",
        f"{BASE}/audit-findings/",
        f"{BASE}/auditors/",
        f"{BASE}/audit-checklist/",
        f"{BASE}/audit-programme-lines/",
    ]
    for url in urls:
        assert api_client_for(people.a_manager).get(url).status_code == 404, url
        assert api_client_for(None).get(url).status_code in (401, 403), url


def test_the_programme_with_its_coverage(people, programme, api_client_for):
    client = api_client_for(people.top)

    listed = client.get(f"{BASE}/audit-programmes/").json()["results"]
    coverage = client.get(f"{BASE}/audit-programmes/{programme.reference}/coverage/").json()

    assert [p["reference"] for p in listed] == [programme.reference]
    assert listed[0]["status"] == "approved"
    assert coverage["gaps"] == []
    line = next(x for x in coverage["lines"] if x["clause"] == "8.6.1")
    assert (line["risk"], line["required"], line["state"]) == ("high", 2, "unscheduled")


def test_the_owner_creates_a_programme_and_adds_a_line(people, clauses, api_client_for):
    client = api_client_for(people.owner)

    created = client.post(f"{BASE}/audit-programmes/", {"year": TODAY.year}, format="json")
    reference = created.json()["reference"]
    lines = client.get(f"{BASE}/audit-programme-lines/", {"programme": reference}).json()
    line_id = next(x["id"] for x in lines["results"] if x["clause"] == "4")
    removed = client.delete(f"{BASE}/audit-programme-lines/{line_id}/")
    added = client.post(
        f"{BASE}/audit-programme-lines/",
        {"programme": reference, "clause": "4", "risk": "high", "risk_note": "New scope"},
        format="json",
    )
    duplicate = client.post(
        f"{BASE}/audit-programme-lines/", {"programme": reference, "clause": "4"}, format="json"
    )

    assert created.status_code == 201 and created["ETag"] == '"1"'
    assert removed.status_code == 204
    assert added.status_code == 201 and added.json()["frequency"] == "Twice a year"
    assert duplicate.status_code == 400
    assert duplicate.json() == {"clause": ["The programme already has this clause."]}


def test_auditors_cannot_manage_the_programme(people, programme, api_client_for):
    client = api_client_for(people.auditor)

    assert (
        client.post(f"{BASE}/audit-programmes/", {"year": 2030}, format="json").status_code == 403
    )
    response = client.post(
        f"{BASE}/audit-programmes/{programme.reference}/transition/",
        {"target": "closed", "note": "x"}, format="json",
    )  # fmt: skip
    assert response.status_code == 403


def test_an_audit_is_planned_started_and_answered(people, programme, api_client_for):
    client = api_client_for(people.auditor)
    body = {
        "programme": programme.reference, "title": "Desk audit",
        "lines": [line_of(programme, "8.6.2").pk], "planned_start": TODAY.isoformat(),
        "planned_end": TODAY.isoformat(), "lead_auditor": "auditor",
    }  # fmt: skip

    created = client.post(f"{BASE}/audits/", body, format="json")
    reference = created.json()["reference"]
    stale = client.post(f"{BASE}/audits/{reference}/transition/", {"target": "in_progress"},
                        format="json", HTTP_IF_MATCH='"9"')  # fmt: skip
    started = client.post(f"{BASE}/audits/{reference}/transition/", {"target": "in_progress"},
                          format="json", HTTP_IF_MATCH='"1"')  # fmt: skip
    items = client.get(f"{BASE}/audit-checklist/", {"audit": reference}).json()["results"]
    answered = client.patch(
        f"{BASE}/audit-checklist/{items[0]['id']}/",
        {"result": "conforming", "notes": "Sampled 5", "evidence_links": ["REQ-2026-000001"]},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert stale.status_code == 412
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert [i["clause"] for i in items] == ["8.6.2"]
    assert answered.status_code == 200
    assert (answered.json()["result"], answered.json()["checked_by"]) == ("conforming", "auditor")


def test_an_unqualified_lead_auditor_gets_400(people, programme, api_client_for):
    response = api_client_for(people.auditor).post(
        f"{BASE}/audits/",
        {"programme": programme.reference, "title": "X", "lines": [line_of(programme, "4").pk],
         "planned_start": TODAY.isoformat(), "planned_end": TODAY.isoformat(),
         "lead_auditor": "agent"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "not qualified" in response.json()["lead_auditor"][0]
    assert not Audit.objects.exists()


def test_findings_raise_nonconformities_and_carry_files(people, started, clauses, api_client_for):
    client = api_client_for(people.auditor)
    created = client.post(
        f"{BASE}/audit-findings/",
        {"audit": started.reference, "kind": "minor_nc", "title": "No MI review",
         "clauses": ["8.6.1"], "owner": "lead", "due_on": (TODAY + 9 * DAY).isoformat()},
        format="json",
    )  # fmt: skip
    reference = created.json()["reference"]
    upload = api_client_for(people.lead).post(
        f"{BASE}/audit-findings/{reference}/attachments/",
        {"file": SimpleUploadedFile("evidence.txt", b"screenshot notes")},
        format="multipart",
    )
    planned = api_client_for(people.lead).post(
        f"{BASE}/audit-findings/{reference}/transition/",
        {"target": "action_planned", "action_plan": "Add the review step"}, format="json",
    )  # fmt: skip
    files = client.get(f"{BASE}/audit-findings/{reference}/attachments/").json()
    overdue = client.get(f"{BASE}/audit-findings/", {"overdue": "true"}).json()["results"]

    assert created.status_code == 201
    assert created.json()["nonconformity_reference"].startswith("NC-")
    assert upload.status_code == 201 and [f["filename"] for f in files] == ["evidence.txt"]
    assert planned.status_code == 200 and planned.json()["status"] == "action_planned"
    assert overdue == []
    assert Finding.objects.get().owner == people.lead


def test_a_finding_with_bad_input_gets_400_and_nothing_is_written(people, started, api_client_for):
    response = api_client_for(people.auditor).post(
        f"{BASE}/audit-findings/",
        {"audit": started.reference, "kind": "major_nc", "title": "No clauses"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"clauses", "owner", "due_on"}
    assert not Finding.objects.exists()


def test_read_only_staff_get_403_on_finding_writes(people, started, api_client_for):
    response = api_client_for(people.top).post(
        f"{BASE}/audit-findings/",
        {"audit": started.reference, "kind": "observation", "title": "x"},
        format="json",
    )

    assert response.status_code == 403


def test_the_auditor_register(people, auditing, api_client_for):
    rows = api_client_for(people.top).get(f"{BASE}/auditors/").json()

    auditor = next(r for r in rows if r["username"] == "auditor")
    assert (auditor["qualified"], auditor["level"]) == (True, 3)
