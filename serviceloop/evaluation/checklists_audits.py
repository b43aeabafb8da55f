"""Audit checklists (clause 9.2): one question per clause the audit covers, built from the
clause model, with the answer and the records that evidence it.

- The questions are the gap-analysis questions of planning (our own wording, English and
  Chinese, one per leaf clause); a clause without one gets a general question.
- The evidence of an answer is twofold: the references the auditor lists (record references
  such as INC-2026-000123, document references, web addresses: cleaned like the gap
  analysis's evidence links), and the clause's live checks of the conformity area
  (``conformity.evidence``: e.g. "live services with an SLA in force: 12 of 14"), stored
  with each answer as the auditor saw them, with the link to the records behind them.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.conformity.models import Clause
from serviceloop.core.audit import audit_record
from serviceloop.evaluation.models import (
    Audit,
    AuditStatus,
    ChecklistItem,
    ChecklistResult,
)
from serviceloop.evaluation.permissions_audits import require_audit
from serviceloop.evaluation.queries_audits import leaves_of
from serviceloop.planning.field_cleaning import clean_text, raise_if
from serviceloop.planning.services_assessments import clean_evidence_links

POSITION_STEP = 100  # custom questions of a clause go after its built question


def question_texts(clause: Clause) -> tuple[str, str]:
    """The (English, Chinese) question for a clause."""
    from serviceloop.planning.questions import question_for

    question = question_for(clause.number)
    if question is not None:
        return question.text_en, question.text_zh
    return (
        f"What shows that the requirements of clause {clause.number} ({clause.title_en}) "
        "are met in practice?",
        f"有哪些记录表明条款 {clause.number}（{clause.title_zh}）的要求在实践中得到满足？",
    )


def _ancestors_and_self(number: str) -> list[str]:
    parts = number.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def live_evidence(numbers, today: datetime.date | None = None) -> dict[str, list[dict]]:
    """``{number: [evidence as a dict]}``: the conformity checks registered for each clause
    and for the clauses above it (e.g. 8.2's check shows on 8.2.2's question)."""
    from serviceloop.conformity.evidence import evidence_for

    numbers = list(numbers)
    wanted = sorted({n for number in numbers for n in _ancestors_and_self(number)})
    found = evidence_for(wanted, today=today)
    return {
        number: [
            {key: value for key, value in item.as_dict().items()
             if key in ("clause", "label", "value", "tone", "url", "detail")}
            for n in _ancestors_and_self(number) for item in found.get(n, [])
        ]
        for number in numbers
    }  # fmt: skip


def checklist_build(*, actor, audit: Audit, today: datetime.date | None = None) -> int:
    """Add a question for every clause in scope the audit's lines cover that has none yet, and
    drop the unanswered built questions of clauses no longer covered. Answered questions and
    the auditor's own questions are kept. Returns the number added."""
    require_audit(actor)
    with transaction.atomic():
        audit = Audit.objects.select_for_update(of=("self",)).get(pk=audit.pk)
        if not audit.is_editable:
            raise ValidationError(_("A reported, closed or cancelled audit is not changed."))
        subjects = audit.lines.values_list("clause__number", flat=True)
        covered = leaves_of(subjects)
        have = set(audit.checklist.filter(is_custom=False).values_list("clause_id", flat=True))
        evidence = live_evidence([c.number for c in covered if c.pk not in have], today)
        added = []
        for clause in covered:
            if clause.pk in have:
                continue
            english, chinese = question_texts(clause)
            ChecklistItem.objects.create(
                audit=audit,
                clause=clause,
                position=clause.position * POSITION_STEP,
                question_en=english,
                question_zh=chinese,
                live_evidence=evidence.get(clause.number, []),
            )
            added.append(clause.number)
        stale = audit.checklist.filter(is_custom=False, result="", findings__isnull=True).exclude(
            clause__in=covered
        )
        removed = sorted(stale.values_list("clause__number", flat=True))
        stale.delete()
        if added or removed:
            audit_record(
                actor=actor,
                verb="audit.checklist_built",
                obj=audit,
                payload={"added": added, "removed": removed},
            )
    return len(added)


def checklist_item_add(*, actor, audit: Audit, clause: Clause, question: str) -> ChecklistItem:
    """The auditor's own question on a clause, after the clause's other questions."""
    require_audit(actor)
    errors: dict = {}
    if not isinstance(clause, Clause):
        errors["clause"] = _("Choose a clause from the list.")
    question = clean_text(question, "question", errors, limit=2000, required=True)
    raise_if(errors)
    with transaction.atomic():
        audit = Audit.objects.select_for_update(of=("self",)).get(pk=audit.pk)
        if not audit.is_editable:
            raise ValidationError(_("A reported, closed or cancelled audit is not changed."))
        last = (
            audit.checklist.filter(clause=clause)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        item = ChecklistItem.objects.create(
            audit=audit,
            clause=clause,
            position=(last + 1) if last is not None else clause.position * POSITION_STEP,
            question_en=question,
            question_zh=question,
            is_custom=True,
            live_evidence=live_evidence([clause.number]).get(clause.number, []),
        )
        audit_record(
            actor=actor,
            verb="audit.checklist_question_added",
            obj=audit,
            payload={"item": item.pk, "clause": clause.number, "question": question},
        )
    return item


ANSWERS = [value for value in ChecklistResult.values if value]
NEEDS_NOTES = (ChecklistResult.NONCONFORMING, ChecklistResult.OBSERVATION)


def checklist_item_answer(
    *, actor, item: ChecklistItem, result: str, notes: str = "", evidence_links=(),
    today: datetime.date | None = None,
) -> ChecklistItem:  # fmt: skip
    """Answer a question of an audit in progress: the result, the auditor's notes (required
    for a nonconformity or an observation) and the references of the records that evidence
    it. The clause's live checks are stored with the answer as they read now."""
    require_audit(actor)
    errors: dict = {}
    if result not in ANSWERS:
        errors["result"] = _("Choose a result.")
    notes = clean_text(notes, "notes", errors)
    links = clean_evidence_links(list(evidence_links or []), errors)
    if result in NEEDS_NOTES and not notes and "notes" not in errors:
        errors["notes"] = _("Say what you found.")
    raise_if(errors)
    with transaction.atomic():
        audit = Audit.objects.select_for_update(of=("self",)).get(pk=item.audit_id)
        if audit.status != AuditStatus.IN_PROGRESS:
            raise ValidationError(_("Questions are answered while the audit is in progress."))
        item = ChecklistItem.objects.select_related("clause").get(pk=item.pk)
        before = {"result": item.result, "notes": item.notes, "evidence_links": item.evidence_links}
        item.result = result
        item.notes = notes
        item.evidence_links = links
        item.live_evidence = live_evidence([item.clause.number], today).get(item.clause.number, [])
        item.checked_by = actor
        item.checked_at = timezone.now()
        item.save()
        audit_record(
            actor=actor,
            verb="audit.checklist_answered",
            obj=audit,
            payload={
                "item": item.pk,
                "clause": item.clause.number,
                "before": before,
                "result": result,
                "notes": notes,
                "evidence_links": links,
            },
        )
    return item
