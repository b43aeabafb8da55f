"""Gap analysis writes: create an assessment (copying the previous one), answer a clause,
complete or reopen it.

Each service checks the actor's right, validates, writes the change and one audit row in one
transaction, and raises ValidationError (translated messages, nothing written) on bad input.
"""

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.conformity.models import Clause
from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.planning.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    assessment_transition_for,
)
from serviceloop.planning.permissions import can_manage

REFERENCE_KIND = "GAP"
ASSESSED_TOP_LEVELS = ("4", "5", "6", "7", "8", "9", "10")
TEXT_LIMIT = 20_000
MAX_EVIDENCE_LINKS = 30
EVIDENCE_LINK_LIMIT = 500
# Text that names a scheme is treated as a web address and must be http(s); anything else is
# a reference to a record or document, shown as text (or linked when ServiceLoop knows it).
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://|^(javascript|data|vbscript|file):", re.IGNORECASE)
ANSWER_FIELDS = (
    "maturity",
    "not_applicable",
    "justification",
    "current_practice",
    "evidence_links",
    "gap",
)
COPIED_FIELDS = ANSWER_FIELDS
UNSET = object()


def assessed_clauses():
    """The clauses a gap analysis answers: the leaf clauses of clauses 4–10, in order."""
    within = Q()
    for top in ASSESSED_TOP_LEVELS:
        within |= Q(number=top) | Q(number__startswith=f"{top}.")
    return Clause.objects.leaves().filter(within).in_order()


def _require_manager(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied


def _text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def _clean_assessor(assessor, errors: dict):
    if assessor is None or not (
        isinstance(assessor, User)
        and assessor.is_active
        and assessor.has_capability(Capability.STAFF)
    ):
        errors["assessor"] = _("The assessor must be an active member of the provider's staff.")
    return assessor


def _clean_date(value, field: str, errors: dict):
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[field] = _("Enter a valid date.")
        return None
    return value


def clean_evidence_links(value, errors: dict, field: str = "evidence_links") -> list[str]:
    """A list of evidence references (or text with one per line), without blanks and repeats.

    A web address must start with http:// or https://; other text is kept as a reference to
    a record or a document (e.g. INC-2026-000123, "质量手册 QM-01 v2")."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[field] = _("List the evidence as text, one reference or web address per line.")
        return []
    links: list[str] = []
    validate_url = URLValidator(schemes=["http", "https"])
    for raw in value:
        link = raw.strip()
        if not link or link in links:
            continue
        if len(link) > EVIDENCE_LINK_LIMIT:
            errors[field] = _("Keep each reference under %(n)d characters.") % {
                "n": EVIDENCE_LINK_LIMIT
            }
            continue
        if SCHEME.match(link):
            try:
                validate_url(link)
            except ValidationError:
                errors[field] = _(
                    "%(link)s is not a valid web address: use one starting with http:// or "
                    "https://, or a record reference such as INC-2026-000123."
                ) % {"link": link[:80]}
                continue
        links.append(link)
    if len(links) > MAX_EVIDENCE_LINKS:
        errors[field] = _("List at most %(n)d references.") % {"n": MAX_EVIDENCE_LINKS}
    return links


def previous_assessment() -> Assessment | None:
    """The assessment a new one copies: the most recent by date (then by creation)."""
    return Assessment.objects.order_by("-assessed_on", "-created_at", "-pk").first()


# --- Writes --------------------------------------------------------------------------------


def assessment_create(
    *,
    actor,
    title: str,
    assessed_on: datetime.date,
    assessor=None,
    summary: str = "",
    copy_previous: bool = True,
    copy_from: Assessment | None = None,
) -> Assessment:
    """A new draft gap analysis with one answer per assessed clause.

    With ``copy_from`` (or, by default, the previous assessment when ``copy_previous``), each
    answer starts as that assessment's answer for the same clause (maturity or N/A with its
    justification, current practice, evidence and gap), so a yearly re-assessment only
    records what changed. ``assessor`` defaults to the actor."""
    _require_manager(actor)
    errors: dict = {}
    title = _text(title, "title", errors, limit=200, required=True)
    summary = _text(summary, "summary", errors)
    assessed_on = _clean_date(assessed_on, "assessed_on", errors)
    assessor = _clean_assessor(assessor or actor, errors)
    clauses = list(assessed_clauses())
    if not clauses:
        errors["__all__"] = _(
            "The clause list is not loaded yet: an administrator must load it first."
        )
    if errors:
        raise ValidationError(errors)
    source = copy_from or (previous_assessment() if copy_previous else None)
    copied = {}
    if source is not None:
        copied = {answer.clause_id: answer for answer in source.answers.all()}
    now = timezone.now()
    with transaction.atomic():
        assessment = Assessment.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=assessed_on.year),
            title=title,
            assessed_on=assessed_on,
            assessor=assessor,
            summary=summary,
            copied_from=source,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        answers = []
        for clause in clauses:
            answer = AssessmentAnswer(assessment=assessment, clause=clause)
            old = copied.get(clause.pk)
            if old is not None:
                for field in COPIED_FIELDS:
                    setattr(answer, field, getattr(old, field))
            answers.append(answer)
        AssessmentAnswer.objects.bulk_create(answers)
        audit_record(
            actor=actor,
            verb="assessment.created",
            obj=assessment,
            payload={
                "reference": assessment.reference,
                "copied_from": source.reference if source else None,
                "answers": len(answers),
                "copied_answers": sum(1 for c in clauses if c.pk in copied),
            },
        )
    return assessment


def _check_version(record, expected_version) -> None:
    if expected_version is not None and expected_version != record.version:
        raise ValidationError(
            _("Someone changed this record since you opened it. Reload and try again."),
            code="stale",
        )


def _require_draft(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            _("This gap analysis is completed and its answers are frozen. Reopen it to change it.")
        )


def assessment_update(
    *,
    actor,
    assessment: Assessment,
    title=UNSET,
    assessed_on=UNSET,
    assessor=UNSET,
    summary=UNSET,
    expected_version: int | None = None,
) -> Assessment:
    """Change the title, date, assessor or summary of a draft gap analysis."""
    _require_manager(actor)
    errors: dict = {}
    values = {}
    if title is not UNSET:
        values["title"] = _text(title, "title", errors, limit=200, required=True)
    if assessed_on is not UNSET:
        values["assessed_on"] = _clean_date(assessed_on, "assessed_on", errors)
    if assessor is not UNSET:
        values["assessor"] = _clean_assessor(assessor, errors)
    if summary is not UNSET:
        values["summary"] = _text(summary, "summary", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update(of=("self",)).get(pk=assessment.pk)
        _check_version(assessment, expected_version)
        _require_draft(assessment)
        fields = ("title", "assessed_on", "assessor", "summary")
        before = snapshot(assessment, fields)
        for name, value in values.items():
            setattr(assessment, name, value)
        changes = field_changes(assessment, before, fields)
        if not changes:
            return assessment
        assessment.updated_at = timezone.now()
        assessment.version += 1
        assessment.save()
        audit_record(actor=actor, verb="assessment.updated", obj=assessment, payload=changes)
    return assessment


def answer_update(
    *,
    actor,
    answer: AssessmentAnswer,
    maturity=UNSET,
    not_applicable=UNSET,
    justification=UNSET,
    current_practice=UNSET,
    evidence_links=UNSET,
    gap=UNSET,
    expected_version: int | None = None,
) -> AssessmentAnswer:
    """Record the answer for one clause of a draft gap analysis.

    The answer is either a maturity from 0 to 5 or "not applicable" — never both — and "not
    applicable" needs a justification (an auditor will ask why the clause does not apply).
    Fields left out keep their value."""
    _require_manager(actor)
    errors: dict = {}
    with transaction.atomic():
        answer = (
            AssessmentAnswer.objects.select_for_update(of=("self",))
            .select_related("assessment", "clause")
            .get(pk=answer.pk)
        )
        _check_version(answer, expected_version)
        _require_draft(answer.assessment)
        before = snapshot(answer, ANSWER_FIELDS)
        if not_applicable is not UNSET:
            answer.not_applicable = bool(not_applicable)
        if maturity is not UNSET:
            if maturity in (None, ""):
                answer.maturity = None
            elif (
                isinstance(maturity, bool)
                or not isinstance(maturity, int)
                or not 0 <= maturity <= 5
            ):
                errors["maturity"] = _("Choose a maturity from 0 to 5.")
            else:
                answer.maturity = maturity
        elif not_applicable is not UNSET and answer.not_applicable:
            answer.maturity = None  # marking N/A without a maturity clears the old one
        if justification is not UNSET:
            answer.justification = _text(justification, "justification", errors)
        if current_practice is not UNSET:
            answer.current_practice = _text(current_practice, "current_practice", errors)
        if gap is not UNSET:
            answer.gap = _text(gap, "gap", errors)
        if evidence_links is not UNSET:
            answer.evidence_links = clean_evidence_links(evidence_links, errors)
        if answer.not_applicable:
            if answer.maturity is not None and "maturity" not in errors:
                errors["maturity"] = _("Choose either a maturity or “not applicable”, not both.")
            if not answer.justification and "justification" not in errors:
                errors["justification"] = _(
                    "Explain why this clause does not apply: “not applicable” needs a "
                    "justification."
                )
        if errors:
            raise ValidationError(errors)
        changes = field_changes(answer, before, ANSWER_FIELDS)
        if not changes:
            return answer
        now = timezone.now()
        answer.updated_at = now
        answer.updated_by = actor
        answer.version += 1
        answer.save()
        Assessment.objects.filter(pk=answer.assessment_id).update(updated_at=now)
        audit_record(
            actor=actor,
            verb="assessment.answer_updated",
            obj=answer.assessment,
            payload={"clause": answer.clause.number, "changes": changes},
        )
    return answer


def assessment_transition(
    *, actor, assessment: Assessment, target: str, expected_version: int | None = None
) -> Assessment:
    """Complete a draft (every clause answered: a maturity, or N/A with its justification)
    or reopen a completed gap analysis."""
    _require_manager(actor)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update(of=("self",)).get(pk=assessment.pk)
        _check_version(assessment, expected_version)
        transition = assessment_transition_for(assessment.status, target)
        if transition is None:
            raise ValidationError(
                {"target": _("This gap analysis cannot move from its current status to that one.")}
            )
        if transition.needs == "all_answered":
            open_answers = list(
                assessment.answers.filter(maturity__isnull=True, not_applicable=False)
                .order_by("clause__position")
                .values_list("clause__number", flat=True)
            )
            if open_answers:
                shown = ", ".join(open_answers[:10]) + (" …" if len(open_answers) > 10 else "")
                raise ValidationError(
                    _("Answer every clause before completing. Still open: %(clauses)s.")
                    % {"clauses": shown}
                )
            if assessment.answers.filter(not_applicable=True, justification="").exists():
                raise ValidationError(_("Every “not applicable” answer needs a justification."))
        previous = assessment.status
        now = timezone.now()
        assessment.status = target
        assessment.completed_at = now if target == AssessmentStatus.COMPLETED else None
        assessment.updated_at = now
        assessment.version += 1
        assessment.save()
        audit_record(
            actor=actor,
            verb="assessment.status_changed",
            obj=assessment,
            payload={"from": previous, "to": target},
        )
    return assessment
