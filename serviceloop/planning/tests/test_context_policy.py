"""Leadership (clause 5): the versioned policy (sanitised text, approved by top management
only, communicated), and the RACI matrix (one accountable role per process, XLSX export,
API)."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.core.models import AuditEvent
from serviceloop.planning.models import PolicyCommunication, PolicyVersion, RaciAssignment
from serviceloop.planning.services_leadership import (
    policy_approve,
    policy_communication_record,
    policy_draft_create,
    policy_update,
    raci_update,
)

pytestmark = pytest.mark.usefixtures("english")
BODY = '<p onclick="steal()">We commit to <strong>service</strong>.</p><script>x()</script>'


def approved_policy(people, title="Service management policy", body=BODY):
    draft = policy_draft_create(actor=people.owner, title=title, body=body)
    return policy_approve(actor=people.top, policy=draft)


# --- Policy --------------------------------------------------------------------------------


def test_the_policy_text_is_sanitised_when_stored(people):
    draft = policy_draft_create(actor=people.owner, title="Policy", body=BODY)
    draft = policy_update(
        actor=people.owner, policy=draft, body=BODY + '<a href="javascript:x()">link</a>'
    )

    assert "<script>" not in draft.body and "onclick" not in draft.body
    assert "javascript" not in draft.body
    assert "<strong>service</strong>" in draft.body
    event = AuditEvent.objects.get(verb="policy.updated")
    assert list(event.payload) == ["body"]  # lengths, not whole texts


def test_only_top_management_approves_the_policy(people):
    draft = policy_draft_create(actor=people.owner, title="Policy", body=BODY)

    for who in ("owner", "admin", "auditor", "agent"):
        with pytest.raises(PermissionDenied):
            policy_approve(actor=getattr(people, who), policy=draft)
    approved = policy_approve(actor=people.top, policy=draft, note="Board decision")

    assert approved.status == "approved" and approved.approved_by == people.top
    assert approved.approval_note == "Board decision"


def test_a_policy_without_text_cannot_be_approved(people):
    draft = policy_draft_create(actor=people.owner, title="Policy", body="<script>x</script>")

    with pytest.raises(ValidationError) as error:
        policy_approve(actor=people.top, policy=draft)

    assert error.value.messages == ["Write the text of the policy."]
    assert PolicyVersion.objects.get().status == "draft"


def test_a_new_version_starts_from_the_approved_one_and_supersedes_it(people):
    first = approved_policy(people)

    draft = policy_draft_create(actor=people.owner)
    with pytest.raises(ValidationError):
        policy_draft_create(actor=people.owner)
    draft = policy_update(actor=people.owner, policy=draft, change_summary="Add security")
    second = policy_approve(actor=people.top, policy=draft)
    with pytest.raises(ValidationError) as frozen:
        policy_update(actor=people.owner, policy=second, title="Changed")

    first.refresh_from_db()
    assert (draft.title, draft.body) == (first.title, first.body)
    assert first.status == "superseded" and second.status == "approved" and second.number == 2
    assert "Only a draft can be changed" in frozen.value.messages[0]


def test_communication_is_recorded_for_approved_versions_only(people):
    draft = policy_draft_create(actor=people.owner, title="Policy", body=BODY)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as not_approved:
        policy_communication_record(
            actor=people.owner, policy=draft, communicated_on=today, audience="All staff",
            channel="meeting",
        )  # fmt: skip
    policy = policy_approve(actor=people.top, policy=draft)
    with pytest.raises(ValidationError) as future:
        policy_communication_record(
            actor=people.owner, policy=policy, communicated_on=today + datetime.timedelta(days=1),
            audience="All staff", channel="pigeon",
        )  # fmt: skip
    record = policy_communication_record(
        actor=people.owner, policy=policy, communicated_on=today, audience="All staff",
        channel="meeting", note="Town hall",
    )  # fmt: skip

    assert "policy" in not_approved.value.message_dict
    assert set(future.value.message_dict) == {"communicated_on", "channel"}
    assert record.recorded_by == people.owner
    assert AuditEvent.objects.filter(verb="policy.communicated").count() == 1
    with pytest.raises(PermissionDenied):
        policy_communication_record(
            actor=people.top, policy=policy, communicated_on=today, audience="X",
            channel="email",
        )  # fmt: skip


def test_the_policy_screens(people, client_for):
    owner, top = client_for(people.owner), client_for(people.top)

    created = owner.post(
        reverse("policy_new"), {"title": "方针 Policy", "body": BODY, "change_summary": ""}
    )
    owner_approves = owner.post(reverse("policy_approve", args=[1]))
    approved = top.post(reverse("policy_approve", args=[1]), {"version": 1})
    communicated = owner.post(
        reverse("policy_communicate", args=[1]),
        {"communicated_on": timezone.localdate().isoformat(), "audience": "全体员工",
         "channel": "intranet", "note": ""},
    )  # fmt: skip
    page = client_for(people.auditor).get(reverse("policy_detail", args=[1])).content.decode()
    export = owner.get(reverse("policy_communication_list"), {"export": "csv"})

    assert created.status_code == 302 and created.url == reverse("policy_detail", args=[1])
    assert owner_approves.status_code == 403
    assert approved.status_code == 302 and PolicyVersion.objects.get().status == "approved"
    assert communicated.status_code == 302 and PolicyCommunication.objects.count() == 1
    assert "<strong>service</strong>" in page and "<script>" not in page
    assert "全体员工" in page
    assert "全体员工,Intranet" in b"".join(export.streaming_content).decode("utf-8-sig")


def test_the_policy_api(people, api_client_for):
    owner = api_client_for(people.owner)

    draft = owner.post("/api/v1/policies/", {"title": "Policy", "body": BODY}, format="json")
    by_owner = owner.post("/api/v1/policies/1/approve/", {}, format="json")
    by_top = api_client_for(people.top).post("/api/v1/policies/1/approve/", {}, format="json")
    told = owner.post(
        "/api/v1/policies/1/communications/",
        {"communicated_on": timezone.localdate().isoformat(), "audience": "Suppliers",
         "channel": "email"},
        format="json",
    )  # fmt: skip
    listed = api_client_for(people.auditor).get("/api/v1/policies/1/communications/")
    hidden = api_client_for(people.a_user).get("/api/v1/policies/1/")

    assert draft.status_code == 201 and "<script>" not in draft.json()["body"]
    assert by_owner.status_code == 403
    assert by_top.status_code == 200 and by_top.json()["status"] == "approved"
    assert told.status_code == 201 and told.json()["recorded_by"] == "owner"
    assert [c["audience"] for c in listed.json()] == ["Suppliers"]
    assert hidden.status_code == 404


# --- RACI ----------------------------------------------------------------------------------


def test_raci_cells_are_set_normalised_and_audited_once(people):
    changed = raci_update(
        actor=people.owner,
        cells={("8.6.1", "team_lead"): "a", ("8.6.1", "agent"): "r", ("9.2", "auditor"): "A/R"},
    )
    again = raci_update(actor=people.owner, cells={("8.6.1", "agent"): "R"})
    cleared = raci_update(actor=people.owner, cells={("8.6.1", "agent"): ""})

    assert (changed, again, cleared) == (3, 0, 1)
    assert dict(RaciAssignment.objects.values_list("process", "letters")) == {
        "8.6.1": "A",
        "9.2": "RA",
    }
    events = AuditEvent.objects.filter(verb="raci.updated").order_by("id")
    assert events.count() == 2
    assert events[0].payload["8.6.1 team_lead"] == ["", "A"]


def test_a_process_has_at_most_one_accountable_role(people):
    raci_update(actor=people.owner, cells={("8.5.1", "system_owner"): "A"})

    with pytest.raises(ValidationError) as doubled:
        raci_update(actor=people.owner, cells={("8.5.1", "team_lead"): "RA"})
    with pytest.raises(ValidationError) as bad:
        raci_update(
            actor=people.owner,
            cells={("8.5.1", "agent"): "X", ("7.1", "agent"): "R", ("8.5.1", "customer_user"): "I"},
        )

    assert "Only one role can be accountable (A) for a process: 8.5.1." in doubled.value.messages
    assert len(bad.value.messages) == 3
    assert RaciAssignment.objects.count() == 1


def test_the_raci_matrix_edits_and_exports_as_xlsx(people, client_for):
    client = client_for(people.owner)
    raci_update(actor=people.owner, cells={("8.6.3", "team_lead"): "RA"})

    saved = client.post(
        reverse("raci_edit"),
        {"cell-8.6.3-team_lead": "RA", "cell-8.6.3-agent": "C", "cell-9.3-top_management": "A"},
    )
    page = client.get(reverse("raci_matrix"))
    export = client.get(reverse("raci_matrix"), {"export": "xlsx"})
    refused = client_for(people.auditor).post(reverse("raci_edit"), {})

    assert saved.status_code == 302
    rows = {row["process"].code: row for row in page.context["rows"]}
    assert rows["8.6.3"]["by_role"]["agent"] == "C" and not rows["8.6.3"]["no_accountable"]
    assert rows["8.6.1"]["no_accountable"]
    sheet = load_workbook(io.BytesIO(export.content)).active
    values = list(sheet.values)
    header = values[0]
    assert header[:3] == ("Process area", "Clause", "Process")
    assert "Team lead" in header and "Top management" in header
    problem = next(r for r in values if r[1] == "8.6.3")
    assert (
        problem[header.index("Team lead")] == "RA"
        and problem[header.index("Service desk agent")] == "C"
    )
    assert len(values) == 1 + 26
    assert refused.status_code == 403


def test_the_raci_api(people, api_client_for):
    owner = api_client_for(people.owner)

    changed = owner.post(
        "/api/v1/raci/update/",
        {"cells": [{"process": "9.2", "role": "auditor", "letters": "R"},
                   {"process": "9.2", "role": "system_owner", "letters": "A"}]},
        format="json",
    )  # fmt: skip
    doubled = owner.post(
        "/api/v1/raci/update/",
        {"cells": [{"process": "9.2", "role": "auditor", "letters": "A"}]},
        format="json",
    )
    agent = api_client_for(people.agent).post("/api/v1/raci/update/", {"cells": []}, format="json")
    read = api_client_for(people.top).get("/api/v1/raci/").json()

    assert changed.status_code == 200
    assert doubled.status_code == 400 and "cells" in doubled.json()
    assert agent.status_code == 403
    audit = next(row for row in read if row["process"] == "9.2")
    assert audit["cells"] == {"auditor": "R", "system_owner": "A"}
    assert len(read) == 26
