"""Nonconformities and corrective and preventive actions (clause 10.1), through the services:
the lifecycle from raising to closure (and reopening), who may do what (403 for read-only
staff), bad input writing nothing, audit rows, and never a duplicate for the same cause."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from serviceloop.core.models import Attachment, AuditEvent, Notification
from serviceloop.improvement.models import Action, ActionVerification, Nonconformity
from serviceloop.improvement.services_actions_nonconformities import (
    action_create,
    action_transition,
    action_update,
    action_verify,
)
from serviceloop.improvement.services_nonconformities import (
    nonconformity_analyse,
    nonconformity_cancel,
    nonconformity_contain,
    nonconformity_raise,
    nonconformity_reopen,
    nonconformity_update,
    preventive_action_raise,
)

pytestmark = pytest.mark.usefixtures("english")
TODAY = datetime.date(2026, 5, 4)
WHYS = [
    {"why": "Why did the change go live unapproved?", "answer": "The CAB met after the date."},
    {"why": "Why so late?", "answer": "The CAB meets monthly only."},
]


@pytest.fixture
def clauses(db):
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load()


def raise_nc(people, **values):
    defaults = {"title": "Change implemented without CAB approval", "source": "internal_audit",
                "source_reference": "AUD-2026-F01", "severity": "major",
                "clause_numbers": ["8.5.1.2"], "owner": people.lead}  # fmt: skip
    return nonconformity_raise(people.owner, **(defaults | values))


def analysed(people, **values):
    nc = raise_nc(people, **values)
    nc = nonconformity_contain(actor=people.lead, nonconformity=nc, containment="Rolled back.",
                               contained_on=TODAY, today=TODAY)  # fmt: skip
    return nonconformity_analyse(actor=people.lead, nonconformity=nc, method="five_whys",
                                 whys=WHYS, root_cause="The CAB meets too rarely.", today=TODAY)  # fmt: skip


def plan(people, nc, **values):
    defaults = {"title": "Weekly CAB", "owner": people.agent, "due_on": TODAY,
                "verification_method": "manual",
                "verification_plan": "Sample ten changes next quarter."}  # fmt: skip
    return action_create(actor=people.lead, nonconformity=nc, today=TODAY, **(defaults | values))


def verbs(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- Raising ---------------------------------------------------------------------------------


def test_raising_gives_a_reference_links_the_clauses_and_writes_an_audit_row(people, clauses):
    nc = raise_nc(people, clause_numbers=["8.5.1.2", "10.1"])

    assert nc.reference.startswith("NC-") and nc.status == "open"
    assert sorted(nc.clauses.values_list("number", flat=True)) == ["10.1", "8.5.1.2"]
    event = AuditEvent.objects.get(verb="nonconformity.raised", object_id=str(nc.pk))
    assert event.actor == people.owner
    assert event.payload["clauses"] == ["8.5.1.2", "10.1"] and event.payload["severity"] == "major"


def test_auditors_and_the_system_raise_read_only_staff_may_not(people, clauses):
    by_auditor = nonconformity_raise(people.auditor, title="Finding", source="internal_audit")
    by_system = nonconformity_raise(None, title="KPI breach", source="kpi")

    assert by_auditor.raised_by == people.auditor
    system_event = AuditEvent.objects.get(verb="nonconformity.raised", object_id=str(by_system.pk))
    assert system_event.actor is None and system_event.actor_label == "system"
    for user in (people.top, people.agent, people.lead, people.a_manager):
        with pytest.raises(PermissionDenied):
            nonconformity_raise(user, title="x", source="other")
    assert Nonconformity.objects.count() == 2


@pytest.mark.parametrize(
    "values, field",
    [
        ({"title": "  "}, "title"),
        ({"source": "rumour"}, "source"),
        ({"severity": "huge"}, "severity"),
        ({"clause_numbers": ["8.5.1.2", "42.7"]}, "clause_numbers"),
        ({"due_on": "tomorrow"}, "due_on"),
        ({"owner": "a.manager"}, "owner"),
    ],
)
def test_bad_input_raises_nothing(people, clauses, values, field):
    if values.get("owner") == "a.manager":
        values = {"owner": people.a_manager}  # a customer cannot own it
    with pytest.raises(ValidationError) as error:
        raise_nc(people, **values)

    assert field in error.value.message_dict
    assert not Nonconformity.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="nonconformity").exists()


def test_the_same_cause_is_never_raised_twice_while_open(people, clauses):
    first = nonconformity_raise(None, title="Breach", source="kpi", cause_key="kpi:sla:org-1")
    again = nonconformity_raise(None, title="Breach again", source="kpi", cause_key="kpi:sla:org-1")
    other = nonconformity_raise(None, title="Other", source="kpi", cause_key="kpi:sla:org-2")

    assert again.pk == first.pk and fresh(first).title == "Breach" and other.pk != first.pk
    nonconformity_cancel(actor=people.owner, nonconformity=first, note="Raised in error")
    after_cancel = nonconformity_raise(
        None, title="Breach", source="kpi", cause_key="kpi:sla:org-1"
    )
    assert after_cancel.pk != first.pk
    assert Nonconformity.objects.filter(cause_key="kpi:sla:org-1").count() == 2


def test_a_preventive_action_from_a_risk_is_not_duplicated_either(people):
    first = preventive_action_raise(None, title="Load-test alert rules", source="risk",
                                    source_reference="RSK-2026-000003", cause_key="risk:3")  # fmt: skip
    again = preventive_action_raise(None, title="Other words", source="risk", cause_key="risk:3")

    assert again.pk == first.pk
    assert (first.kind, first.reference[:3], first.nonconformity, first.status) == (
        "preventive", "PA-", None, "planned",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        preventive_action_raise(people.auditor, title="x", source="risk")
    with pytest.raises(ValidationError):
        preventive_action_raise(people.owner, title="x", source="")
    assert Action.objects.count() == 1


# --- The lifecycle ---------------------------------------------------------------------------


def test_from_raising_to_closure(people, clauses):
    nc = raise_nc(people)
    nc = nonconformity_contain(actor=people.lead, nonconformity=nc, containment="Rolled back.",
                               contained_on=TODAY, today=TODAY)  # fmt: skip
    assert nc.status == "contained"
    nc = nonconformity_analyse(actor=people.lead, nonconformity=nc, method="five_whys", whys=WHYS,
                               root_cause="The CAB meets too rarely.", today=TODAY)  # fmt: skip
    assert (nc.status, nc.rca_whys, nc.analysed_on) == ("analysed", WHYS, TODAY)

    action = plan(people, nc)
    assert action.reference.startswith("CA-") and fresh(nc).status == "actions_in_progress"
    assert Notification.objects.filter(
        recipient=people.agent, kind="nonconformity_action_assigned"
    ).exists()
    action = action_transition(actor=people.agent, action=action, target="in_progress", today=TODAY)
    action = action_transition(actor=people.agent, action=action, target="done",
                               note="CAB now weekly.", today=TODAY)  # fmt: skip
    assert (action.status, action.done_on) == ("done", TODAY)
    assert fresh(nc).status == "verifying"

    row = action_verify(actor=people.auditor, action=action, effective=True,
                        note="Ten changes sampled, all approved.", evidence_note="Sample list",
                        today=TODAY)  # fmt: skip

    nc = fresh(nc)
    assert (fresh(action).status, fresh(action).verified_on) == ("verified_effective", TODAY)
    assert (nc.status, nc.closed_on) == ("closed", TODAY)
    assert row.met is True and row.verified_by == people.auditor
    assert verbs(nc) == [
        "nonconformity.raised", "nonconformity.contained", "nonconformity.status_changed",
        "nonconformity.analysed", "nonconformity.status_changed",
        "nonconformity.status_changed", "nonconformity.status_changed",
        "nonconformity.status_changed",
    ]  # fmt: skip
    moves = AuditEvent.objects.filter(verb="nonconformity.status_changed", object_id=str(nc.pk))
    assert [e.payload["to"] for e in moves.order_by("id")] == [
        "contained", "analysed", "actions_in_progress", "verifying", "closed",
    ]  # fmt: skip
    assert verbs(action) == ["action.created", "action.status_changed", "action.status_changed",
                             "action.verified"]  # fmt: skip


def test_not_effective_reopens_then_a_new_action_closes_it(people, clauses):
    nc = analysed(people)
    first = plan(people, nc)
    first = action_transition(actor=people.agent, action=first, target="done", note="Done.",
                              today=TODAY)  # fmt: skip
    action_verify(actor=people.owner, action=first, effective=False,
                  note="Two changes still skipped the CAB.", today=TODAY)  # fmt: skip

    nc = fresh(nc)
    assert (fresh(first).status, nc.status, nc.reopen_count) == ("not_effective", "reopened", 1)
    assert set(
        Notification.objects.filter(kind="nonconformity_reopened").values_list(
            "recipient__username", flat=True
        )
    ) == {"lead", "agent"}

    second = plan(people, nc, title="Block deployments without approval")
    assert fresh(nc).status == "actions_in_progress"
    action_transition(actor=people.agent, action=second, target="done", note="Gate in the pipeline.",
                      today=TODAY)  # fmt: skip
    action_verify(actor=people.auditor, action=fresh(second), effective=True, note="Gate works.",
                  evidence_link="https://ci.example.cn/gate", today=TODAY)  # fmt: skip
    assert fresh(nc).status == "closed"


def test_two_actions_close_only_when_both_are_verified(people, clauses):
    nc = analysed(people)
    one, two = plan(people, nc), plan(people, nc, title="Train the team")
    action_transition(actor=people.agent, action=one, target="done", note="ok", today=TODAY)
    assert fresh(nc).status == "actions_in_progress"  # the other is still planned
    action_transition(actor=people.agent, action=two, target="done", note="ok", today=TODAY)
    assert fresh(nc).status == "verifying"
    action_verify(actor=people.owner, action=fresh(one), effective=True, note="ok",
                  evidence_note="seen", today=TODAY)  # fmt: skip
    assert fresh(nc).status == "verifying"
    action_verify(actor=people.owner, action=fresh(two), effective=True, note="ok",
                  evidence_note="seen", today=TODAY)  # fmt: skip
    assert fresh(nc).status == "closed"


def test_preconditions_of_the_moves(people, clauses):
    nc = raise_nc(people)
    with pytest.raises(ValidationError, match="Analyse the root cause first"):
        plan(people, nc)
    nc = analysed(people, title="Second")
    unstated = plan(people, nc, verification_method="", verification_plan="")
    with pytest.raises(ValidationError) as error:
        action_transition(actor=people.agent, action=unstated, target="done", note="x", today=TODAY)
    assert "State how the effect will be verified" in str(error.value)
    action = plan(people, nc)
    with pytest.raises(ValidationError) as error:
        action_transition(actor=people.agent, action=action, target="done", note="",
                          done_on=TODAY + datetime.timedelta(days=1), today=TODAY)  # fmt: skip
    assert set(error.value.message_dict) == {"note", "done_on"}
    with pytest.raises(ValidationError):
        action_transition(actor=people.agent, action=action, target="verified_effective")
    with pytest.raises(ValidationError, match="Only a done action"):
        action_verify(actor=people.auditor, action=action, effective=True, note="x",
                      evidence_note="y")  # fmt: skip
    assert fresh(action).version == action.version and fresh(action).status == "planned"


def test_a_manual_verification_needs_evidence_and_a_kpi_one_is_left_to_the_data(people, clauses):
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.evaluation.models import KpiDefinition

    kpi_library_load()
    nc = analysed(people)
    manual = plan(people, nc)
    action_transition(actor=people.agent, action=manual, target="done", note="ok", today=TODAY)
    with pytest.raises(ValidationError) as error:
        action_verify(actor=people.auditor, action=fresh(manual), effective=True, note="fine")
    assert "evidence_note" in error.value.message_dict
    assert not ActionVerification.objects.exists()

    by_kpi = plan(people, nc, verification_method="kpi", kpi=KpiDefinition.objects.get(
        code="response-within-sla"), kpi_comparator=">=", kpi_threshold=95, kpi_periods=3)  # fmt: skip
    action_transition(actor=people.agent, action=by_kpi, target="done", note="ok", today=TODAY)
    with pytest.raises(ValidationError, match="KPI condition"):
        action_verify(actor=people.auditor, action=fresh(by_kpi), effective=True, note="fine",
                      evidence_note="x")  # fmt: skip


def test_evidence_file_is_attached_to_the_verification(people, clauses):
    nc = analysed(people)
    action = plan(people, nc)
    action_transition(actor=people.agent, action=action, target="done", note="ok", today=TODAY)
    upload = SimpleUploadedFile("sample.txt", "抽查记录 sample".encode(), "text/plain")

    row = action_verify(actor=people.auditor, action=fresh(action), effective=True, note="ok",
                        evidence_file=upload, today=TODAY)  # fmt: skip

    attachment = Attachment.objects.get()
    assert attachment.target == row and attachment.is_internal
    assert attachment.organisation == people.provider


def test_root_cause_analysis_fishbone_and_bad_input(people, clauses):
    nc = raise_nc(people)
    with pytest.raises(ValidationError) as error:
        nonconformity_analyse(actor=people.lead, nonconformity=nc, method="five_whys",
                              whys=[{"why": "Why?", "answer": ""}], root_cause="x")  # fmt: skip
    assert "whys" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        nonconformity_analyse(actor=people.lead, nonconformity=nc, method="fishbone",
                              fishbone={"money": ["budget"]}, root_cause="")  # fmt: skip
    assert set(error.value.message_dict) == {"fishbone", "root_cause"}
    assert fresh(nc).version == nc.version and fresh(nc).status == "open"

    nc = nonconformity_analyse(
        actor=people.lead, nonconformity=nc, method="fishbone",
        fishbone={"people": ["New staff", " "], "supplier": "Late patch\nNo SLA"},
        root_cause="No onboarding.", today=TODAY,
    )  # fmt: skip
    assert nc.status == "analysed"
    assert nc.rca_fishbone == {"people": ["New staff"], "supplier": ["Late patch", "No SLA"]}
    assert dict(nc.fishbone_rows())["Supplier"] == ["Late patch", "No SLA"]


# --- Who may do what -------------------------------------------------------------------------


def test_who_writes_what(people, clauses):
    nc = analysed(people)  # owned by lead
    action = plan(people, nc)  # owned by agent
    for user in (people.top, people.agent, people.auditor):
        with pytest.raises(PermissionDenied):
            nonconformity_contain(actor=user, nonconformity=nc, containment="x", contained_on=TODAY)
        with pytest.raises(PermissionDenied):
            action_create(actor=user, nonconformity=nc, title="x")
    for user in (people.top, people.auditor, people.a_manager):
        with pytest.raises(PermissionDenied):
            action_transition(actor=user, action=action, target="in_progress")
    for user in (people.lead, people.agent, people.top):
        with pytest.raises(PermissionDenied):
            nonconformity_cancel(actor=user, nonconformity=nc, note="x")
    action_transition(actor=people.agent, action=action, target="done", note="ok", today=TODAY)
    for user in (people.agent, people.lead, people.top):
        with pytest.raises(PermissionDenied):
            action_verify(actor=user, action=fresh(action), effective=True, note="x",
                          evidence_note="y")  # fmt: skip
    nonconformity_update(actor=people.lead, nonconformity=nc, severity="minor")
    assert fresh(nc).severity == "minor" and fresh(action).status == "done"


def test_an_action_is_edited_until_done(people, clauses):
    nc = analysed(people)
    action = plan(people, nc)
    action = action_update(actor=people.agent, action=action, owner=people.lead,
                           verification_plan="Sample twenty changes.")  # fmt: skip
    event = AuditEvent.objects.filter(verb="action.updated").get()
    assert event.payload["owner"] == [people.agent.pk, people.lead.pk]
    with pytest.raises(PermissionDenied):  # the agent no longer owns it
        action_update(actor=people.agent, action=action, title="x")
    action_transition(actor=people.lead, action=action, target="done", note="ok", today=TODAY)
    with pytest.raises(ValidationError):
        action_update(actor=people.owner, action=fresh(action), title="Too late")


def test_cancelling_and_reopening(people, clauses):
    nc = analysed(people)
    action = plan(people, nc)
    with pytest.raises(ValidationError):
        nonconformity_cancel(actor=people.owner, nonconformity=nc, note="  ")
    nonconformity_cancel(actor=people.owner, nonconformity=nc, note="Duplicate of NC-1")
    assert (fresh(nc).status, fresh(action).status) == ("cancelled", "cancelled")
    with pytest.raises(ValidationError):
        nonconformity_reopen(actor=people.owner, nonconformity=fresh(nc), note="x")

    closed = analysed(people, title="Closed one")
    done = plan(people, closed)
    action_transition(actor=people.agent, action=done, target="done", note="ok", today=TODAY)
    action_verify(actor=people.owner, action=fresh(done), effective=True, note="ok",
                  evidence_note="seen", today=TODAY)  # fmt: skip
    with pytest.raises(PermissionDenied):
        nonconformity_reopen(actor=people.auditor, nonconformity=fresh(closed), note="Again")
    reopened = nonconformity_reopen(actor=people.owner, nonconformity=fresh(closed),
                                    note="The cause showed again.")  # fmt: skip
    assert (reopened.status, reopened.reopen_count, reopened.closed_on) == ("reopened", 1, None)
