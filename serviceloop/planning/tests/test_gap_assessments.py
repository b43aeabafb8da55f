"""Gap analysis writes: creating (and copying the previous analysis), answering (N/A needs a
justification, never both), evidence references, completing and reopening, permissions and
audit rows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.planning.models import Assessment, AssessmentAnswer, AssessmentStatus
from serviceloop.planning.services_assessments import (
    answer_update,
    assessed_clauses,
    assessment_create,
    assessment_transition,
    assessment_update,
)

pytestmark = pytest.mark.usefixtures("english")


def audit_verbs(assessment):
    return list(
        AuditEvent.objects.filter(object_type="planning.assessment", object_id=str(assessment.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_a_new_analysis_has_one_blank_answer_per_leaf_clause_of_4_to_10(people, assessment):
    numbers = list(
        assessment.answers.order_by("clause__position").values_list("clause__number", flat=True)
    )

    assert assessment.reference == "GAP-2026-000001" and assessment.status == "draft"
    assert assessment.assessor == people.owner and assessment.copied_from is None
    assert len(numbers) == 57 and numbers[0] == "4.1" and numbers[-1] == "10.2"
    assert "8.3.4.1" in numbers and "8.3.4" not in numbers and "8" not in numbers
    assert numbers == [c.number for c in assessed_clauses()]
    assert not assessment.answers.filter(maturity__isnull=False).exists()
    assert audit_verbs(assessment) == ["assessment.created"]


def test_a_new_analysis_copies_the_previous_one(people, assessment, answer):
    answer_update(
        actor=people.owner, answer=answer(assessment, "6.1"), maturity=1,
        current_practice="项目风险清单", evidence_links=["RISK-01"], gap="无体系风险登记表",
    )  # fmt: skip
    answer_update(
        actor=people.owner, answer=answer(assessment, "8.3.4.2"), not_applicable=True,
        justification="没有内部供方",
    )  # fmt: skip

    second = assessment_create(
        actor=people.owner, title="2027", assessed_on=datetime.date(2027, 3, 1)
    )

    copied = answer(second, "6.1")
    assert second.copied_from == assessment and second.reference == "GAP-2027-000001"
    assert (copied.maturity, copied.current_practice, copied.evidence_links, copied.gap) == (
        1, "项目风险清单", ["RISK-01"], "无体系风险登记表",
    )  # fmt: skip
    na = answer(second, "8.3.4.2")
    assert na.not_applicable and na.justification == "没有内部供方"
    assert second.answers.count() == 57 and answer(assessment, "6.1").pk != copied.pk
    [row] = AuditEvent.objects.filter(verb="assessment.created", object_id=str(second.pk))
    assert (
        row.payload["copied_from"] == assessment.reference and row.payload["copied_answers"] == 57
    )


def test_the_previous_one_is_the_most_recent_by_date(people, assessment, answer):
    answer_update(actor=people.owner, answer=answer(assessment, "4.1"), maturity=4)
    older = assessment_create(
        actor=people.owner, title="old", assessed_on=datetime.date(2025, 3, 1), copy_previous=False
    )
    answer_update(actor=people.owner, answer=answer(older, "4.1"), maturity=1)

    newest = assessment_create(
        actor=people.owner, title="new", assessed_on=datetime.date(2026, 9, 1)
    )

    assert newest.copied_from == assessment and answer(newest, "4.1").maturity == 4


def test_a_fresh_start_copies_nothing(people, assessment, answer):
    answer_update(actor=people.owner, answer=answer(assessment, "4.1"), maturity=4)

    fresh = assessment_create(
        actor=people.owner,
        title="fresh",
        assessed_on=datetime.date(2026, 9, 1),
        copy_previous=False,
    )

    assert fresh.copied_from is None and answer(fresh, "4.1").maturity is None


def test_not_applicable_needs_a_justification_and_writes_nothing_without_it(
    people, assessment, answer
):
    row = answer(assessment, "8.3.4.2")

    with pytest.raises(ValidationError) as error:
        answer_update(actor=people.owner, answer=row, not_applicable=True, justification="  ")

    assert "justification" in error.value.message_dict
    assert "needs a justification" in error.value.message_dict["justification"][0]
    row.refresh_from_db()
    assert not row.not_applicable and row.version == 1
    assert audit_verbs(assessment) == ["assessment.created"]


def test_an_answer_is_a_maturity_or_not_applicable_never_both(people, assessment, answer):
    row = answer(assessment, "7.6")
    answer_update(actor=people.owner, answer=row, maturity=3)

    with pytest.raises(ValidationError) as error:
        answer_update(
            actor=people.owner, answer=row, not_applicable=True, maturity=2, justification="x"
        )
    assert "not both" in error.value.message_dict["maturity"][0]

    # marking N/A alone clears the old maturity; choosing a maturity again needs N/A off
    answer_update(actor=people.owner, answer=row, not_applicable=True, justification="外包给集团")
    row.refresh_from_db()
    assert row.not_applicable and row.maturity is None
    answer_update(actor=people.owner, answer=row, not_applicable=False, maturity=2)
    row.refresh_from_db()
    assert not row.not_applicable and row.maturity == 2


@pytest.mark.parametrize("maturity", [-1, 6, "3", True, 2.5])
def test_maturity_is_a_whole_number_from_0_to_5(people, assessment, answer, maturity):
    with pytest.raises(ValidationError) as error:
        answer_update(actor=people.owner, answer=answer(assessment, "4.1"), maturity=maturity)

    assert set(error.value.message_dict) == {"maturity"}


def test_evidence_references_are_web_addresses_or_record_references(people, assessment, answer):
    row = answer(assessment, "8.6.1")

    answer_update(
        actor=people.owner,
        answer=row,
        evidence_links="https://wiki.example.cn/incidents\nINC-2026-000123\n\n质量手册 QM-01 v2\nINC-2026-000123",
    )
    row.refresh_from_db()
    assert row.evidence_links == [
        "https://wiki.example.cn/incidents", "INC-2026-000123", "质量手册 QM-01 v2",
    ]  # fmt: skip

    for bad in ("javascript:alert(1)", "ftp://files.example.cn/x", "https://", "data:text/html,x"):
        with pytest.raises(ValidationError) as error:
            answer_update(actor=people.owner, answer=row, evidence_links=[bad])
        assert set(error.value.message_dict) == {"evidence_links"}, bad


def test_completing_needs_every_clause_answered(people, assessment, answer, answer_all):
    answer_update(actor=people.owner, answer=answer(assessment, "4.1"), maturity=2)

    with pytest.raises(ValidationError) as error:
        assessment_transition(actor=people.owner, assessment=assessment, target="completed")

    assert "Still open: 4.2, 4.3" in error.value.messages[0] and error.value.messages[0].endswith(
        "…."
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_a_completed_analysis_is_frozen_until_reopened(people, assessment, answer, answer_all):
    answer_all(assessment, **{"8.3.4.2": "na"})

    completed = assessment_transition(actor=people.owner, assessment=assessment, target="completed")

    assert completed.status == "completed" and completed.completed_at is not None
    with pytest.raises(ValidationError, match="frozen"):
        answer_update(actor=people.owner, answer=answer(assessment, "4.1"), maturity=5)
    with pytest.raises(ValidationError, match="frozen"):
        assessment_update(actor=people.owner, assessment=completed, title="x")
    with pytest.raises(ValidationError):
        assessment_transition(actor=people.owner, assessment=completed, target="completed")

    reopened = assessment_transition(actor=people.owner, assessment=completed, target="draft")
    answer_update(actor=people.owner, answer=answer(assessment, "4.1"), maturity=5)
    assert reopened.status == "draft" and reopened.completed_at is None
    assert audit_verbs(assessment)[-3:] == [
        "assessment.status_changed", "assessment.status_changed", "assessment.answer_updated",
    ]  # fmt: skip


def test_only_the_system_owner_and_administrators_write(people, assessment, answer):
    for name in ("auditor", "top", "lead", "agent", "a_manager"):
        user = getattr(people, name)
        with pytest.raises(PermissionDenied):
            assessment_create(actor=user, title="x", assessed_on=datetime.date(2026, 1, 1))
        with pytest.raises(PermissionDenied):
            answer_update(actor=user, answer=answer(assessment, "4.1"), maturity=3)
        with pytest.raises(PermissionDenied):
            assessment_transition(actor=user, assessment=assessment, target="completed")
    answer_update(actor=people.admin, answer=answer(assessment, "4.1"), maturity=3)
    assert Assessment.objects.count() == 1


def test_bad_input_on_create_is_refused_with_every_message(people, clauses):
    with pytest.raises(ValidationError) as error:
        assessment_create(
            actor=people.owner, title=" ", assessed_on="2026-01-01", assessor=people.a_user
        )

    assert set(error.value.message_dict) == {"title", "assessed_on", "assessor"}
    assert not Assessment.objects.exists() and not AuditEvent.objects.exists()


def test_without_the_clause_list_nothing_can_be_assessed(people):
    from serviceloop.conformity.models import Clause

    # the data migration loads the list into every new database; children go first
    for level in sorted(set(Clause.objects.values_list("level", flat=True)), reverse=True):
        Clause.objects.filter(level=level).delete()
    with pytest.raises(ValidationError, match="clause list is not loaded"):
        assessment_create(actor=people.owner, title="x", assessed_on=datetime.date(2026, 1, 1))


def test_a_stale_version_is_refused(people, assessment, answer):
    row = answer(assessment, "4.1")
    answer_update(actor=people.owner, answer=row, maturity=2)

    with pytest.raises(ValidationError) as error:
        answer_update(actor=people.owner, answer=row, maturity=3, expected_version=1)

    assert error.value.error_list[0].code == "stale"
    assert AssessmentAnswer.objects.get(pk=row.pk).maturity == 2
