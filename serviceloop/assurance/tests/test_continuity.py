"""Service continuity: plans, tests with issues, the annual schedule and its reminders (exactly
once per plan and due date), invocations from a major incident; screens and API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from serviceloop.assurance.lifecycle import IssueStatus, PlanStatus
from serviceloop.assurance.models import (
    ContinuityIssue,
    ContinuityPlan,
    ContinuityTest,
    Invocation,
    ReminderSent,
)
from serviceloop.assurance.services_continuity import (
    continuity_tests_remind,
    invocation_stand_down,
    issue_transition,
    next_test_due,
    one_year_after,
    plan_create,
    plan_invoke,
    plan_test_record,
    plan_transition,
    plan_update,
)
from serviceloop.assurance.tests.factories import ContinuityIssueFactory, ContinuityPlanFactory
from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.tests.factories import TicketFactory

TODAY = timezone.localdate()
D = datetime.date


def fields(people, **overrides):
    return {
        "title": "ERP recovery",
        "rto_minutes": 240,
        "rpo_minutes": 60,
        "invocation_criteria": "ERP down for an hour in business hours.",
        "owner": people.lead,
        "review_on": TODAY + datetime.timedelta(days=180),
        "test_due_on": TODAY + datetime.timedelta(days=30),
        **overrides,
    }


@pytest.fixture
def plan(people, world):
    plan = plan_create(
        actor=people.owner,
        service=world.erp,
        steps=[("Fail over to the standby database", "DBA"), ("Tell the customers", "")],
        contacts=[{"name": "Duty manager", "role": "decides", "phone": "+86 21 5555 0199"}],
        **fields(people),
    )
    return plan_transition(actor=people.owner, plan=plan, target=PlanStatus.ACTIVE)


@pytest.fixture
def major(people):
    return TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        is_major=True,
        status=Status.IN_PROGRESS,
        service="ERP",
    )


# --- Plans ---------------------------------------------------------------------------------------


def test_a_plan_keeps_its_steps_in_order_and_its_contacts(people, plan):
    assert plan.reference.startswith("BCP-") and plan.status == PlanStatus.ACTIVE
    assert [(s.position, s.action) for s in plan.steps.all()] == [
        (1, "Fail over to the standby database"),
        (2, "Tell the customers"),
    ]
    assert plan.contacts.get().name == "Duty manager"
    verbs = AuditEvent.objects.filter(object_type="assurance.continuityplan").values_list(
        "verb", flat=True
    )
    assert sorted(verbs) == ["continuity_plan.active", "continuity_plan.created"]


def test_steps_can_be_reordered_and_an_active_plan_needs_them(people, plan):
    plan = plan_update(
        actor=people.lead,  # the plan's owner (and the service's)
        plan=plan,
        steps=[("Tell the customers", ""), ("Fail over", "DBA"), ("Fail back", "DBA")],
        rto_minutes=120,
    )

    assert [s.action for s in plan.steps.all()] == ["Tell the customers", "Fail over", "Fail back"]
    assert plan.rto_minutes == 120 and plan.version == 3
    with pytest.raises(ValidationError):
        plan_update(actor=people.lead, plan=plan, steps=[])


def test_a_draft_needs_steps_before_approval_and_retiring_needs_a_reason(people, world):
    draft = plan_create(
        actor=people.admin, service=world.mail, **fields(people, owner=people.agent)
    )

    with pytest.raises(ValidationError) as no_steps:
        plan_transition(actor=people.admin, plan=draft, target=PlanStatus.ACTIVE)
    with pytest.raises(ValidationError):
        plan_transition(actor=people.admin, plan=draft, target=PlanStatus.RETIRED)
    retired = plan_transition(
        actor=people.admin, plan=draft, target=PlanStatus.RETIRED, note="Mail moves to the cloud."
    )

    assert "steps" in no_steps.value.message_dict
    assert retired.retire_reason == "Mail moves to the cloud."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rto_minutes": -5}, "rto_minutes"),
        ({"rpo_minutes": "soon"}, "rpo_minutes"),
        ({"title": " "}, "title"),
        ({"invocation_criteria": ""}, "invocation_criteria"),
        ({"review_on": "next year"}, "review_on"),
    ],
)
def test_bad_plans_are_refused(change, field, people, world):
    with pytest.raises(ValidationError) as refused:
        plan_create(actor=people.owner, service=world.erp, **fields(people, **change))

    assert field in refused.value.message_dict
    assert not ContinuityPlan.objects.exists()


def test_a_customer_cannot_own_a_plan(people, world):
    with pytest.raises(ValidationError) as refused:
        plan_create(actor=people.owner, service=world.erp, **fields(people, owner=people.a_user))

    assert "owner" in refused.value.message_dict


@pytest.mark.parametrize("role", ["agent", "auditor", "top"])
def test_plans_are_written_by_managers_and_owners_only(role, people, world, plan):
    with pytest.raises(PermissionDenied):
        plan_create(actor=getattr(people, role), service=world.erp, **fields(people))
    with pytest.raises(PermissionDenied):
        plan_update(actor=getattr(people, role), plan=plan, title="Mine now")


def test_the_service_owner_writes_plans_of_his_own_services_only(people, world):
    plan_create(actor=people.lead, service=world.erp, **fields(people))  # he owns ERP

    with pytest.raises(PermissionDenied):
        plan_create(actor=people.lead, service=world.mail, **fields(people))


# --- Tests and the schedule ----------------------------------------------------------------------


def test_the_next_test_falls_due_a_year_after_a_test_and_sooner_after_a_failure():
    assert one_year_after(D(2024, 2, 29)) == D(2025, 2, 28)
    assert next_test_due(D(2026, 3, 10), "pass") == D(2027, 3, 10)
    assert next_test_due(D(2026, 3, 10), "partial") == D(2027, 3, 10)
    assert next_test_due(D(2026, 3, 10), "fail") == D(2026, 6, 8)


def test_recording_a_test_with_an_issue_moves_the_schedule(people, plan):
    tested_on = TODAY - datetime.timedelta(days=3)

    test = plan_test_record(
        actor=people.lead,
        plan=plan,
        kind="live",
        tested_on=tested_on,
        result="partial",
        summary="Fail-over took 5 hours.",
        participants=[people.agent, people.lead],
        other_participants="Supplier DBA",
        recovery_minutes=300,
        issues=[
            {
                "description": "Standby database was 2 versions behind",
                "action": "Patch the standby with the primary",
                "owner": people.agent,
                "due_on": TODAY + datetime.timedelta(days=14),
            }
        ],
    )

    plan.refresh_from_db()
    assert plan.test_due_on == one_year_after(tested_on)
    assert test.met_rto is False
    assert set(test.participants.all()) == {people.agent, people.lead}
    issue = test.issues.get()
    assert (issue.owner, issue.status) == (people.agent, IssueStatus.OPEN)
    payload = AuditEvent.objects.get(verb="continuity_plan.tested").payload
    assert payload["result"] == "partial" and payload["issues"] == 1


def test_a_test_that_did_not_pass_must_record_an_issue(people, plan):
    with pytest.raises(ValidationError) as refused:
        plan_test_record(
            actor=people.lead, plan=plan, kind="tabletop", tested_on=TODAY, result="fail",
            summary="Nobody knew the steps.", participants=[people.agent],
        )  # fmt: skip

    assert "issues" in refused.value.message_dict
    assert not ContinuityTest.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tested_on": TODAY + datetime.timedelta(days=1)}, "tested_on"),
        ({"kind": "rehearsal"}, "kind"),
        ({"result": "great"}, "result"),
        ({"participants": [], "other_participants": ""}, "participants"),
    ],
)
def test_bad_tests_are_refused(change, field, people, plan):
    values = {
        "kind": "tabletop",
        "tested_on": TODAY,
        "result": "pass",
        "summary": "Fine.",
        "participants": [people.agent],
        **change,
    }

    with pytest.raises(ValidationError) as refused:
        plan_test_record(actor=people.lead, plan=plan, **values)

    assert field in refused.value.message_dict


def test_an_older_test_does_not_move_the_schedule_back(people, plan):
    plan_test_record(
        actor=people.lead, plan=plan, kind="tabletop", tested_on=TODAY, result="pass",
        summary="ok", participants=[people.agent],
    )  # fmt: skip
    plan_test_record(
        actor=people.lead, plan=plan, kind="tabletop", tested_on=TODAY - datetime.timedelta(days=100),
        result="pass", summary="late record", participants=[people.agent],
    )  # fmt: skip

    plan.refresh_from_db()
    assert plan.test_due_on == one_year_after(TODAY)


def test_the_owner_reminder_goes_out_exactly_once_per_plan_and_due_date(people, world):
    overdue = ContinuityPlanFactory(
        service=world.erp, owner=people.lead, test_due_on=TODAY - datetime.timedelta(days=3)
    )
    ContinuityPlanFactory(service=world.mail, owner=people.agent)  # not due
    ContinuityPlanFactory(
        service=world.mail,
        owner=people.agent,
        status=PlanStatus.RETIRED,
        test_due_on=TODAY - datetime.timedelta(days=300),
    )

    first = continuity_tests_remind(today=TODAY)
    again = continuity_tests_remind(today=TODAY + datetime.timedelta(days=1))
    ContinuityPlan.objects.filter(pk=overdue.pk).update(
        test_due_on=TODAY - datetime.timedelta(days=1)
    )
    moved = continuity_tests_remind(today=TODAY + datetime.timedelta(days=2))

    assert (first, again, moved) == (1, 0, 1)
    notes = Notification.objects.filter(kind="continuity_test_overdue")
    assert [n.recipient for n in notes] == [people.lead, people.lead]
    assert overdue.reference in notes.first().subject
    assert ReminderSent.objects.filter(kind="continuity_test_due").count() == 2


def test_issues_are_closed_by_the_plans_editors_or_their_owner(people, plan):
    issue = ContinuityIssueFactory(test__plan=plan, owner=people.agent)

    with pytest.raises(PermissionDenied):
        issue_transition(actor=people.auditor, issue=issue, target=IssueStatus.DONE)
    issue = issue_transition(actor=people.agent, issue=issue, target=IssueStatus.DONE)
    with pytest.raises(ValidationError):
        issue_transition(actor=people.agent, issue=issue, target=IssueStatus.CANCELLED)
    issue = issue_transition(actor=people.lead, issue=issue, target=IssueStatus.OPEN)

    assert issue.status == IssueStatus.OPEN and issue.closed_at is None


# --- Invocations ---------------------------------------------------------------------------------


def test_invoking_a_plan_for_a_major_incident_and_standing_it_down(people, plan, major):
    invocation = plan_invoke(actor=people.agent, plan=plan, ticket=major, notes="DB server lost")

    with pytest.raises(ValidationError):
        plan_invoke(actor=people.agent, plan=plan, ticket=major)
    invocation = invocation_stand_down(actor=people.agent, invocation=invocation, notes="Back")

    assert invocation.invoked_by == people.agent and invocation.stood_down_by == people.agent
    assert invocation.notes == "DB server lost\nBack"
    assert Notification.objects.filter(kind="continuity_invoked", recipient=people.lead).exists()
    assert plan_invoke(actor=people.agent, plan=plan, ticket=major).is_active  # again, later
    with pytest.raises(ValidationError):
        invocation_stand_down(actor=people.agent, invocation=invocation)


def test_a_plan_is_invoked_for_an_active_plan_and_a_major_incident_only(people, plan, world):
    minor = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    draft = ContinuityPlanFactory(service=world.mail, status=PlanStatus.DRAFT)
    major = TicketFactory(organisation=people.customer_a, requester=people.a_user, is_major=True)

    with pytest.raises(ValidationError):
        plan_invoke(actor=people.agent, plan=plan, ticket=minor)
    with pytest.raises(ValidationError):
        plan_invoke(actor=people.agent, plan=draft, ticket=major)
    with pytest.raises(PermissionDenied):
        plan_invoke(actor=people.auditor, plan=plan, ticket=major)
    assert not Invocation.objects.exists()


# --- Screens -------------------------------------------------------------------------------------


def test_the_screens_for_staff_customers_and_read_only_roles(people, plan, client_for):
    pages = [
        reverse("continuity_plan_list"),
        reverse("continuity_plan_detail", args=[plan.reference]),
        reverse("continuity_schedule"),
        reverse("continuity_issue_list"),
    ]
    for url in pages:
        assert client_for(people.auditor).get(url).status_code == 200, url
        assert client_for(people.a_manager).get(url).status_code == 404, url
    auditor = client_for(people.auditor)
    assert auditor.get(reverse("continuity_plan_edit", args=[plan.reference])).status_code == 403
    assert auditor.get(reverse("continuity_plan_new")).status_code == 403
    assert auditor.get(reverse("continuity_test_new", args=[plan.reference])).status_code == 403


def test_creating_a_plan_through_the_form(people, world, client_for):
    response = client_for(people.owner).post(
        reverse("continuity_plan_new"),
        {
            "service": world.mail.pk,
            "title": "Mail continuity",
            "rto_minutes": "120",
            "rpo_minutes": "15",
            "invocation_criteria": "Mail down for 30 minutes.",
            "owner": people.agent.pk,
            "review_on": "2027-01-31",
            "test_due_on": "2027-03-01",
            "steps": "Switch MX to the backup relay | On-call engineer\nTell customers",
            "contacts": "Duty manager | decides | +86 21 5555 0199 | duty@example.org",
        },
    )

    plan = ContinuityPlan.objects.get()
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    assert [(s.action, s.responsible) for s in plan.steps.all()] == [
        ("Switch MX to the backup relay", "On-call engineer"),
        ("Tell customers", ""),
    ]
    assert plan.contacts.get().email == "duty@example.org"
    edit = client_for(people.owner).get(reverse("continuity_plan_edit", args=[plan.reference]))
    assert "Switch MX to the backup relay | On-call engineer" in edit.content.decode()


def test_recording_a_test_through_the_form_and_the_overdue_warning(people, plan, client_for):
    ContinuityPlan.objects.filter(pk=plan.pk).update(test_due_on=TODAY - datetime.timedelta(days=2))
    client = client_for(people.lead)
    listing = client.get(reverse("continuity_plan_list"))
    schedule = client.get(reverse("continuity_schedule"))

    response = client.post(
        reverse("continuity_test_new", args=[plan.reference]),
        {
            "kind": "tabletop",
            "tested_on": TODAY.isoformat(),
            "result": "partial",
            "summary": "Contact list out of date",
            "participants": [people.agent.pk],
            "issue_description": "Two phone numbers wrong",
            "issue_action": "Update the list",
            "issue_owner": people.agent.pk,
            "issue_due_on": (TODAY + datetime.timedelta(days=7)).isoformat(),
        },
    )

    assert 'data-testid="overdue-warning"' in listing.content.decode()
    assert plan in schedule.context["overdue"]
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.test_due_on == one_year_after(TODAY)
    assert ContinuityIssue.objects.get().description == "Two phone numbers wrong"
    detail = client.get(reverse("continuity_plan_detail", args=[plan.reference])).content.decode()
    assert "Two phone numbers wrong" in detail and 'data-testid="test-overdue"' not in detail


def test_the_lists_export(people, plan, client_for):
    client = client_for(people.agent)

    plans = client.get(reverse("continuity_plan_list"), {"export": "csv"})
    schedule = client.get(reverse("continuity_schedule"), {"export": "xlsx", "year": TODAY.year})

    assert plan.reference in b"".join(plans.streaming_content).decode("utf-8-sig")
    assert schedule.status_code == 200 and schedule["Content-Type"].startswith("application/vnd")


def test_invoking_from_the_incidents_page(people, plan, major, client_for):
    client = client_for(people.agent)
    panel = client.get(reverse("ticket_detail", args=[major.reference])).content.decode()

    response = client.post(
        reverse("continuity_ticket_invoke", args=[major.reference]),
        {"plan": plan.reference, "notes": "Site A lost"},
    )

    assert 'data-testid="invoke-plan"' in panel and plan.reference in panel
    assert response.status_code == 302 and response.url.endswith(
        f"/desk/tickets/{major.reference}/"
    )
    assert Invocation.objects.get().notes == "Site A lost"
    assert (
        client_for(people.auditor)
        .post(reverse("continuity_ticket_invoke", args=[major.reference]), {"plan": plan.reference})
        .status_code
        == 403
    )


# --- API -----------------------------------------------------------------------------------------


def test_the_api_creates_tests_and_invokes(people, world, major, api_client_for):
    client = api_client_for(people.owner)
    created = client.post(
        "/api/v1/continuity-plans/",
        {
            "service": "erp",
            "title": "ERP plan",
            "rto_minutes": 240,
            "rpo_minutes": 30,
            "invocation_criteria": "Down an hour",
            "owner": "lead",
            "review_on": "2027-06-30",
            "test_due_on": "2027-03-31",
            "steps": [{"action": "Fail over"}, {"action": "Tell customers", "responsible": "Desk"}],
            "contacts": [{"name": "Duty", "phone": "1"}],
        },
        format="json",
    )
    reference = created.json()["reference"]
    activated = client.post(
        f"/api/v1/continuity-plans/{reference}/transition/", {"target": "active"}, format="json"
    )
    tested = client.post(
        f"/api/v1/continuity-plans/{reference}/tests/",
        {
            "kind": "tabletop",
            "tested_on": TODAY.isoformat(),
            "result": "pass",
            "summary": "Fine",
            "participants": ["agent"],
        },
        format="json",
    )
    invoked = api_client_for(people.agent).post(
        f"/api/v1/continuity-plans/{reference}/invoke/", {"ticket": major.reference}, format="json"
    )
    refused = api_client_for(people.auditor).post(
        f"/api/v1/continuity-plans/{reference}/invoke/", {"ticket": major.reference}, format="json"
    )
    hidden = api_client_for(people.a_manager).get(f"/api/v1/continuity-plans/{reference}/")

    assert created.status_code == 201, created.content
    assert [s["action"] for s in created.json()["steps"]] == ["Fail over", "Tell customers"]
    assert activated.json()["status"] == "active"
    assert tested.status_code == 201 and tested.json()["participants"] == ["agent"]
    assert invoked.status_code == 201 and invoked.json()["ticket"] == major.reference
    assert refused.status_code == 403 and hidden.status_code == 404
    invocation = invoked.json()["id"]
    stood = api_client_for(people.agent).post(
        f"/api/v1/continuity-invocations/{invocation}/stand-down/", {"notes": "ok"}, format="json"
    )
    assert stood.status_code == 200 and stood.json()["stood_down_by"] == "agent"
