"""Audit findings (clause 9.2): kinds and their rules, the nonconformity or improvement they
raise in the same transaction, the action and closure, evidence files, overdue reminders,
and the KPI "audit findings closed on time"."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.evaluation.engine import EXTERNALS
from serviceloop.evaluation.findings_audits import (
    finding_attach,
    finding_create,
    finding_overdue_remind,
    finding_transition,
    finding_update,
)
from serviceloop.evaluation.models import Finding
from serviceloop.evaluation.queries_audits import finding_attachments, findings_closed_on_time
from serviceloop.evaluation.services_audits import audit_transition
from serviceloop.evaluation.tests.steps_audits import DAY, TODAY, line_of
from serviceloop.improvement.models import Improvement, Nonconformity

pytestmark = pytest.mark.usefixtures("english")


def record(people, audit, catalogue, kind="minor_nc", **values):
    defaults = {
        "title": "Major incidents not reviewed",
        "description": "INC-2026-000123 and INC-2026-000140 have no review.",
        "clauses": [catalogue["8.6.1"]],
        "owner": people.lead,
        "due_on": TODAY + 30 * DAY,
    }
    return finding_create(actor=people.auditor, audit=audit, kind=kind, **(defaults | values))


def test_a_nonconformity_finding_opens_a_nonconformity_record(people, started, clauses):
    finding = record(people, started, clauses, kind="major_nc")
    nonconformity = Nonconformity.objects.get()

    assert finding.reference.startswith(f"AF-{TODAY.year}-")
    assert finding.nonconformity_reference == nonconformity.reference
    assert (nonconformity.source, nonconformity.source_reference, nonconformity.severity) == (
        "internal_audit", finding.reference, "major",
    )  # fmt: skip
    assert (nonconformity.owner, nonconformity.due_on) == (people.lead, TODAY + 30 * DAY)
    assert [c.number for c in nonconformity.clauses.all()] == ["8.6.1"]
    assert nonconformity.cause_key == f"audit-finding:{finding.reference}"
    event = AuditEvent.objects.get(verb="finding.created")
    assert event.payload["nonconformity"] == nonconformity.reference
    # the owner is told
    assert Notification.objects.filter(recipient=people.lead, url__contains=finding.reference)


def test_a_minor_nonconformity_raises_a_minor_one(people, started, clauses):
    record(people, started, clauses, kind="minor_nc")

    assert Nonconformity.objects.get().severity == "minor"


def test_an_opportunity_for_improvement_is_proposed_to_the_register(people, started, clauses):
    finding = record(people, started, clauses, kind="ofi", title="Use a major incident template",
                     owner=None, due_on=None)  # fmt: skip
    improvement = Improvement.objects.get()

    assert finding.improvement_reference == improvement.reference
    assert (improvement.source, improvement.source_reference) == ("audit", finding.reference)
    assert not Nonconformity.objects.exists()


def test_an_observation_raises_nothing_and_needs_no_owner(people, started, clauses):
    finding = record(people, started, clauses, kind="observation", clauses=[], owner=None,
                     due_on=None)  # fmt: skip

    assert (finding.nonconformity_reference, finding.improvement_reference) == ("", "")
    assert not Nonconformity.objects.exists() and not Improvement.objects.exists()


def test_a_nonconformity_needs_clauses_an_owner_and_a_due_date(people, started, clauses):
    with pytest.raises(ValidationError) as error:
        record(people, started, clauses, clauses=[], owner=None, due_on=None)
    with pytest.raises(ValidationError) as past:
        record(people, started, clauses, due_on=TODAY - DAY, owner=people.b_user)

    assert error.value.message_dict == {
        "clauses": ["Name the clauses a nonconformity breaks."],
        "owner": ["A nonconformity needs an owner for its correction."],
        "due_on": ["A nonconformity needs a due date."],
    }
    assert past.value.message_dict == {
        "due_on": ["The due date cannot be in the past."],
        "owner": ["The owner must be an active member of the provider's staff."],
    }
    assert not Finding.objects.exists() and not Nonconformity.objects.exists()


def test_findings_are_recorded_while_the_audit_is_in_progress(people, audit, clauses):
    with pytest.raises(ValidationError) as error:
        record(people, audit, clauses)

    assert error.value.messages == ["Findings are recorded while the audit is in progress."]
    assert not Nonconformity.objects.exists()


def test_a_finding_links_a_question_of_its_own_audit_only(people, started, clauses, programme):
    from serviceloop.evaluation.services_audits import audit_create

    other = audit_create(
        actor=people.auditor, programme=programme, title="Other", lines=[line_of(programme, "4")],
        planned_start=TODAY, planned_end=TODAY, lead_auditor=people.auditor,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        record(people, started, clauses, checklist_item=other.checklist.first())

    assert error.value.message_dict == {
        "checklist_item": ["Choose a question of this audit's checklist."]
    }
    finding = record(people, started, clauses, checklist_item=started.checklist.first())
    assert finding.checklist_item.clause.number == "8.6.1"


def test_the_owner_plans_the_action_and_the_auditor_closes_it(people, started, clauses):
    finding = record(people, started, clauses)

    with pytest.raises(ValidationError) as no_action:
        finding_transition(actor=people.lead, finding=finding, target="action_planned")
    assert no_action.value.message_dict == {"action_plan": ["Describe the action."]}
    with pytest.raises(PermissionDenied):  # the owner does not close it himself
        finding_transition(
            actor=people.lead, finding=finding, target="closed", note="Done", action_plan="x"
        )

    finding = finding_transition(
        actor=people.lead, finding=finding, target="action_planned",
        action_plan="Review both incidents; add the review step to the MI procedure.",
    )  # fmt: skip
    assert finding.status == "action_planned"
    with pytest.raises(PermissionDenied):  # another agent is neither owner nor auditor
        finding_transition(actor=people.agent, finding=finding, target="open", note="No")

    finding = finding_transition(
        actor=people.auditor, finding=finding, target="closed", note="Reviews seen on file",
        today=TODAY + 10 * DAY,
    )  # fmt: skip
    assert (finding.status, finding.closed_on) == ("closed", TODAY + 10 * DAY)
    moves = list(
        AuditEvent.objects.filter(verb="finding.status_changed")
        .order_by("id")
        .values_list("payload__to", flat=True)
    )
    assert moves == ["action_planned", "closed"]


def test_a_nonconformity_is_not_closed_without_an_action(people, started, clauses):
    nc = record(people, started, clauses)
    observation = record(people, started, clauses, kind="observation")

    with pytest.raises(ValidationError) as error:
        finding_transition(actor=people.auditor, finding=nc, target="closed", note="Fine")
    closed = finding_transition(
        actor=people.auditor, finding=observation, target="closed", note="Noted by the desk"
    )

    assert error.value.message_dict == {
        "target": ["A nonconformity is closed once its action is planned and verified."]
    }
    assert closed.status == "closed"


def test_an_audit_closes_once_no_finding_is_left_without_action(people, started, clauses):
    finding = record(people, started, clauses)
    for item in started.checklist.all():
        from serviceloop.evaluation.checklists_audits import checklist_item_answer

        checklist_item_answer(actor=people.auditor, item=item, result="conforming")
    reported = audit_transition(
        actor=people.auditor, audit=started, target="reported", conclusion="One minor NC."
    )

    with pytest.raises(ValidationError) as error:
        audit_transition(actor=people.auditor, audit=reported, target="closed")
    assert error.value.message_dict == {
        "target": ["1 findings have no action yet: plan their actions or close them first."]
    }

    finding_transition(actor=people.lead, finding=finding, target="action_planned",
                       action_plan="Fix")  # fmt: skip
    assert audit_transition(actor=people.auditor, audit=reported, target="closed").status == (
        "closed"
    )


def test_a_finding_is_changed_while_open_and_keeps_its_kind(people, started, clauses):
    finding = record(people, started, clauses)

    finding = finding_update(
        actor=people.auditor, finding=finding, clauses=[clauses["8.6.1"], clauses["7.5.3"]],
        owner=people.agent, expected_version=finding.version,
    )  # fmt: skip
    with pytest.raises(ValidationError) as stale:
        finding_update(actor=people.auditor, finding=finding, title="X", expected_version=1)
    with pytest.raises(TypeError):
        finding_update(actor=people.auditor, finding=finding, kind="observation")

    assert sorted(c.number for c in finding.clauses.all()) == ["7.5.3", "8.6.1"]
    assert finding.owner == people.agent
    assert stale.value.error_list[0].code == "stale"
    event = AuditEvent.objects.get(verb="finding.updated")
    assert event.payload["clauses"] == [["8.6.1"], ["7.5.3", "8.6.1"]]


def test_evidence_files_are_attached_by_the_auditor_or_the_owner(people, started, clauses):
    finding = record(people, started, clauses)

    attached = finding_attach(
        actor=people.auditor, finding=finding,
        uploaded_file=SimpleUploadedFile("mi-review.txt", "事件回顾缺失 missing".encode()),
    )  # fmt: skip
    finding_attach(
        actor=people.lead, finding=finding,
        uploaded_file=SimpleUploadedFile("action.txt", b"done"),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        finding_attach(actor=people.agent, finding=finding,
                       uploaded_file=SimpleUploadedFile("x.txt", b"x"))  # fmt: skip

    files = finding_attachments(finding)
    assert sorted(a.filename for a in files) == ["action.txt", "mi-review.txt"]
    assert attached.is_internal and attached.organisation == people.provider
    assert AuditEvent.objects.filter(verb="finding.evidence_attached").count() == 2


def test_the_owner_of_an_overdue_finding_is_reminded_once(people, started, clauses):
    finding = record(people, started, clauses, due_on=TODAY + DAY)
    closed = record(people, started, clauses, kind="observation", due_on=TODAY + DAY)
    finding_transition(actor=people.auditor, finding=closed, target="closed", note="ok")

    assert finding_overdue_remind(today=TODAY + DAY) == 0  # due today: not overdue yet
    assert finding_overdue_remind(today=TODAY + 2 * DAY) == 1
    assert finding_overdue_remind(today=TODAY + 3 * DAY) == 0

    reminder = Notification.objects.get(dedupe_key__startswith="evaluation.finding_overdue")
    assert reminder.recipient == people.lead
    assert reminder.subject == f"Audit finding overdue: {finding.reference} {finding.title}"
    assert AuditEvent.objects.filter(verb="finding.overdue_reminded").count() == 1


def test_the_kpi_counts_findings_closed_by_their_due_date(people, started, clauses):
    on_time = record(people, started, clauses, due_on=TODAY + 5 * DAY)
    late = record(people, started, clauses, due_on=TODAY + 6 * DAY)
    open_overdue = record(people, started, clauses, due_on=TODAY + 7 * DAY)
    not_due_yet = record(people, started, clauses, due_on=TODAY + 40 * DAY)  # noqa: F841
    for finding in (on_time, late):
        finding_transition(actor=people.lead, finding=finding, target="action_planned",
                           action_plan="Fix")  # fmt: skip
    finding_transition(actor=people.auditor, finding=on_time, target="closed", note="ok",
                       today=TODAY + 5 * DAY)  # fmt: skip
    finding_transition(actor=people.auditor, finding=late, target="closed", note="ok",
                       today=TODAY + 9 * DAY)  # fmt: skip
    assert open_overdue.status == "open"

    start, end = TODAY, TODAY + 60 * DAY
    percent, part, whole = findings_closed_on_time(start, end, today=TODAY + 10 * DAY)

    # the finding not due yet and still open is not judged
    assert (percent, part, whole) == (Decimal("33.33"), 1, 3)
    assert findings_closed_on_time(start - 99 * DAY, start, today=TODAY) == (None, 0, 0)
    assert "evaluation.audit_findings_closed_on_time" in EXTERNALS


def test_the_kpi_is_evaluated_by_the_engine(people, started, clauses):
    from django.utils import timezone

    from serviceloop.evaluation.engine import kpi_evaluate
    from serviceloop.evaluation.models import KpiDefinition

    finding = record(people, started, clauses, due_on=TODAY)
    finding_transition(actor=people.lead, finding=finding, target="action_planned",
                       action_plan="Fix")  # fmt: skip
    finding_transition(actor=people.auditor, finding=finding, target="closed", note="ok")
    definition = KpiDefinition(
        code="audit-findings-on-time", name_en="Audit findings closed on time",
        aggregate="external", external="evaluation.audit_findings_closed_on_time",
        unit="%", target=90,
    )  # fmt: skip
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(TODAY, datetime.time.min, tzinfo=zone)

    result = kpi_evaluate(definition, start, start + datetime.timedelta(days=1))

    assert (result.value, result.numerator, result.denominator) == (100.0, 1, 1)
