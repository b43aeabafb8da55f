"""Audits (clause 9.2): the plan, the checklist built from the clause model with its live
evidence, the auditor qualification from the competence records, the independence check,
the answers and the lifecycle."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.auditors_audits import qualification_of, qualification_rule
from serviceloop.evaluation.checklists_audits import checklist_item_add, checklist_item_answer
from serviceloop.evaluation.models import Audit, ChecklistItem
from serviceloop.evaluation.services_audits import audit_create, audit_transition, audit_update
from serviceloop.evaluation.tests.steps_audits import DAY, TODAY, line_of
from serviceloop.support.models import PersonCompetence
from serviceloop.support.services_competence import person_competence_set, requirement_set

pytestmark = pytest.mark.usefixtures("english")
INCIDENT_QUESTION = (
    "Are all incidents recorded, prioritised and resolved within the agreed targets, with major "
    "incidents reviewed?"
)


def plan(people, programme, *numbers, lead=None, auditors=(), start=TODAY):
    return audit_create(
        actor=people.auditor,
        programme=programme,
        title="Audit",
        lines=[line_of(programme, n) for n in numbers or ("8.6.1",)],
        planned_start=start,
        planned_end=start,
        lead_auditor=lead or people.auditor,
        auditors=auditors,
    )


def qualify(people, person, level=3, **values):
    return person_competence_set(
        actor=people.owner, person=person, competence=qualification_rule().competence,
        level=level, evidence="Assessed", assessed_on=TODAY - 10 * DAY, **values,
    )  # fmt: skip


def answer_all(people, audit, result="conforming"):
    for item in audit.checklist.all():
        checklist_item_answer(actor=people.auditor, item=item, result=result, notes="Seen")


# --- The plan and its checklist ------------------------------------------------------------


def test_an_audit_gets_a_checklist_built_from_the_clauses_its_lines_cover(people, audit):
    items = list(audit.checklist.select_related("clause"))
    first = items[0]

    assert audit.reference.startswith(f"AU-{TODAY.year}-") and audit.status == "planned"
    assert [i.clause.number for i in items] == ["8.6.1", "8.6.2"]
    assert first.question_en == INCIDENT_QUESTION
    assert first.question_zh.startswith("是否所有事件都被记录")
    # the conformity check of 8.6.1 pre-fills the records that evidence the answer
    assert [e["label"] for e in first.live_evidence] == [
        "Incidents resolved within the SLA (last 90 days)"
    ]
    assert first.live_evidence[0]["url"]
    assert audit.criteria == audit.programme.criteria
    verbs = set(AuditEvent.objects.filter(object_id=str(audit.pk), object_type="evaluation.audit")
                .values_list("verb", flat=True))  # fmt: skip
    assert verbs == {"audit.created", "audit.checklist_built"}


def test_a_clause_group_line_gives_one_question_per_sub_clause(people, programme):
    audit = plan(people, programme, "7")

    assert list(audit.checklist.values_list("clause__number", flat=True)) == [
        "7.1", "7.2", "7.3", "7.4", "7.5.1", "7.5.2", "7.5.3", "7.5.4", "7.6",
    ]  # fmt: skip


def test_changing_the_lines_of_a_planned_audit_rebuilds_its_checklist(people, audit):
    audit_update(
        actor=people.auditor, audit=audit,
        lines=[line_of(audit.programme, "8.6.1"), line_of(audit.programme, "8.6.3")],
    )  # fmt: skip

    assert list(audit.checklist.values_list("clause__number", flat=True)) == ["8.6.1", "8.6.3"]
    event = AuditEvent.objects.filter(verb="audit.checklist_built").latest("id")
    assert event.payload == {"added": ["8.6.3"], "removed": ["8.6.2"]}


def test_the_lines_of_an_audit_in_progress_stay(people, started):
    with pytest.raises(ValidationError) as error:
        audit_update(actor=people.auditor, audit=started,
                     lines=[line_of(started.programme, "8.6.3")])  # fmt: skip

    assert error.value.message_dict == {
        "lines": ["The lines of an audit in progress are not changed."]
    }


def test_the_plan_is_validated_and_nothing_is_written_on_bad_input(people, programme):
    before = (Audit.objects.count(), ChecklistItem.objects.count())
    with pytest.raises(ValidationError) as error:
        audit_create(
            actor=people.auditor, programme=programme, title=" ", lines=[],
            planned_start=TODAY.replace(year=TODAY.year + 1), planned_end=TODAY,
            lead_auditor=people.auditor,
        )  # fmt: skip

    assert error.value.message_dict == {
        "title": ["This field is required."],
        "lines": ["Choose at least one line of the programme."],
        "planned_end": ["The audit cannot end before it starts."],
        "planned_start": [f"Plan the audit within {TODAY.year}, the programme's year."],
    }
    assert (Audit.objects.count(), ChecklistItem.objects.count()) == before


def test_audits_are_planned_only_in_an_approved_programme(people, clauses, auditing):
    from serviceloop.evaluation.services_audits import programme_create

    draft = programme_create(actor=people.owner, year=TODAY.year)
    with pytest.raises(ValidationError) as error:
        plan(people, draft, "4")

    assert error.value.messages == ["Audits are planned in an approved programme."]


# --- Qualification -------------------------------------------------------------------------


def test_an_auditor_without_a_qualification_record_is_refused(people, programme):
    with pytest.raises(ValidationError) as error:
        plan(people, programme, "4", lead=people.agent)

    assert error.value.message_dict == {
        "lead_auditor": [
            f"Agent is not qualified to audit on {TODAY.isoformat()}: No record of Internal "
            "auditing."
        ]
    }
    assert not Audit.objects.exists()


def test_a_level_below_the_qualifying_level_is_refused(people, programme):
    qualify(people, people.top, level=2)

    with pytest.raises(ValidationError) as error:
        plan(people, programme, "4", auditors=[people.top])

    assert error.value.message_dict["auditors"] == [
        f"Top is not qualified to audit on {TODAY.isoformat()}: Level 2 of Internal auditing; 3 "
        "or higher is required."
    ]


def test_a_certification_that_expires_before_the_audit_does_not_qualify(people, programme):
    PersonCompetence.objects.filter(person=people.auditor).update(expires_on=TODAY + 5 * DAY)

    assert plan(people, programme, "4", start=TODAY + 5 * DAY)  # still valid that day
    with pytest.raises(ValidationError) as error:
        plan(people, programme, "5", start=TODAY + 6 * DAY)

    expiry = (TODAY + 5 * DAY).isoformat()
    assert error.value.message_dict["lead_auditor"] == [
        f"Auditor is not qualified to audit on {(TODAY + 6 * DAY).isoformat()}: The "
        f"certification expired on {expiry}."
    ]


def test_the_team_is_checked_again_when_the_audit_starts(people, audit):
    PersonCompetence.objects.filter(person=people.auditor).update(
        expires_on=audit.planned_start - DAY
    )

    with pytest.raises(ValidationError) as error:
        audit_transition(actor=people.auditor, audit=audit, target="in_progress")

    assert "The certification expired on" in error.value.message_dict["target"][0]
    assert Audit.objects.get(pk=audit.pk).status == "planned"


def test_without_a_setting_the_auditor_role_requirement_qualifies(people, clauses):
    from serviceloop.support.services_competence import competence_create

    assert qualification_of(people.auditor, TODAY).reason == (
        "No auditor qualification is defined yet."
    )
    competence = competence_create(actor=people.owner, name="ISO 20000 auditor")
    requirement_set(actor=people.owner, competence=competence, level=2, role="auditor")
    person_competence_set(
        actor=people.owner, person=people.auditor, competence=competence, level=2,
        evidence="Course", assessed_on=TODAY,
    )  # fmt: skip

    rule = qualification_rule()
    assert (rule.competence, rule.minimum_level, rule.source) == (competence, 2, "requirement")
    assert qualification_of(people.auditor, TODAY).qualified


# --- Independence --------------------------------------------------------------------------


def test_an_auditor_never_audits_his_own_teams_process(people, programme):
    qualify(people, people.lead, level=4)
    qualify(people, people.agent)

    with pytest.raises(ValidationError) as error:
        plan(people, programme, "8.6.1", "8.6.2", lead=people.lead, auditors=[people.agent])

    message = (
        "{} cannot audit 8.6.1 Incident management: he or she is a member of Service Desk 服务台, "
        "the team that owns it, and an auditor never audits his own team's process."
    )
    assert error.value.message_dict == {
        "lead_auditor": [message.format("Lead")],
        "auditors": [message.format("Agent")],
    }
    # a line the team does not own is fine for them
    assert plan(people, programme, "8.6.2", lead=people.lead, auditors=[people.agent])


def test_giving_a_line_to_the_auditors_team_is_refused_while_it_is_planned(
    people, programme, desk_team
):
    from serviceloop.evaluation.services_audits import line_update

    qualify(people, people.lead)
    plan(people, programme, "8.6.3", lead=people.lead)

    with pytest.raises(ValidationError) as error:
        line_update(actor=people.owner, line=line_of(programme, "8.6.3"), owner_team=desk_team)

    assert "is planned with an auditor of that team" in error.value.messages[0]
    assert line_of(programme, "8.6.3").owner_team is None


# --- Answers and the lifecycle -------------------------------------------------------------


def test_questions_are_answered_while_the_audit_is_in_progress(people, audit):
    item = audit.checklist.first()
    with pytest.raises(ValidationError) as planned:
        checklist_item_answer(actor=people.auditor, item=item, result="conforming")
    assert planned.value.messages == ["Questions are answered while the audit is in progress."]

    audit_transition(actor=people.auditor, audit=audit, target="in_progress")
    with pytest.raises(ValidationError) as bad:
        checklist_item_answer(
            actor=people.auditor, item=item, result="nonconforming",
            evidence_links=["ftp://files/x"],
        )  # fmt: skip
    assert set(bad.value.message_dict) == {"notes", "evidence_links"}

    item = checklist_item_answer(
        actor=people.auditor, item=item, result="nonconforming",
        notes="Two P1 incidents without a major incident review",
        evidence_links=["INC-2026-000123", "INC-2026-000123", "https://wiki.example/mi"],
    )  # fmt: skip

    assert (item.result, item.checked_by) == ("nonconforming", people.auditor)
    assert item.evidence_links == ["INC-2026-000123", "https://wiki.example/mi"]
    event = AuditEvent.objects.filter(verb="audit.checklist_answered").get()
    assert (event.payload["clause"], event.payload["result"]) == ("8.6.1", "nonconforming")


def test_the_lifecycle_start_report_close(people, started):
    assert (started.status, started.started_on) == ("in_progress", TODAY)

    with pytest.raises(ValidationError) as unanswered:
        audit_transition(actor=people.auditor, audit=started, target="reported")
    assert unanswered.value.message_dict == {
        "target": ["2 checklist questions are not answered yet."],
        "conclusion": ["Write the audit's conclusion first."],
    }

    answer_all(people, started)
    reported = audit_transition(
        actor=people.auditor, audit=started, target="reported",
        conclusion="The desk process is effective.",
    )  # fmt: skip
    assert (reported.status, reported.reported_on, reported.conclusion) == (
        "reported", TODAY, "The desk process is effective.",
    )  # fmt: skip

    closed = audit_transition(actor=people.auditor, audit=reported, target="closed")
    assert (closed.status, closed.closed_on) == ("closed", TODAY)
    with pytest.raises(ValidationError):
        audit_update(actor=people.auditor, audit=closed, title="Changed")
    moves = list(
        AuditEvent.objects.filter(verb="audit.status_changed")
        .order_by("id")
        .values_list("payload__to", flat=True)
    )
    assert moves == ["in_progress", "reported", "closed"]


def test_cancelling_needs_a_reason(people, audit):
    with pytest.raises(ValidationError) as error:
        audit_transition(actor=people.auditor, audit=audit, target="cancelled")
    assert error.value.message_dict == {"note": ["Say why."]}

    cancelled = audit_transition(
        actor=people.auditor, audit=audit, target="cancelled", note="Desk migration week"
    )
    assert (cancelled.status, cancelled.status_note) == ("cancelled", "Desk migration week")


def test_an_own_question_is_added_after_the_clauses_questions(people, audit, clauses):
    item = checklist_item_add(
        actor=people.auditor, audit=audit, clause=clauses["8.6.1"],
        question="Are major incidents communicated to customers?",
    )  # fmt: skip

    numbers = list(audit.checklist.values_list("clause__number", "is_custom"))
    assert numbers == [("8.6.1", False), ("8.6.1", True), ("8.6.2", False)]
    assert item.question == "Are major incidents communicated to customers?"


def test_only_internal_auditors_write_audits(people, programme, audit):
    for user in (people.owner, people.admin, people.agent, people.top):
        with pytest.raises(PermissionDenied):
            plan_as(user, programme)
        with pytest.raises(PermissionDenied):
            audit_transition(actor=user, audit=audit, target="in_progress")
    with pytest.raises(Http404):
        plan_as(people.b_user, programme)
    assert Audit.objects.count() == 1


def plan_as(user, programme):
    return audit_create(
        actor=user, programme=programme, title="X", lines=[line_of(programme, "4")],
        planned_start=TODAY, planned_end=TODAY, lead_auditor=user,
    )  # fmt: skip


def test_a_past_audit_is_checked_against_the_qualification_then(people, programme):
    """The demo's case: an audit held when the auditor's certificate was valid, which has
    lapsed since."""
    start = TODAY - 60 * DAY if (TODAY - 60 * DAY).year == TODAY.year else TODAY
    PersonCompetence.objects.filter(person=people.auditor).update(
        assessed_on=start - 300 * DAY, expires_on=start + DAY
    )
    if start + DAY >= TODAY:
        pytest.skip("too early in the year for a past audit")

    audit = plan(people, programme, "4", start=start)

    assert audit.planned_start == start
    assert not qualification_of(people.auditor, TODAY).qualified
    assert qualification_of(people.auditor, start).qualified
