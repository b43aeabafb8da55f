"""Customer satisfaction surveys: every write (campaigns, questions, status moves, responses).

Staff who keep the relationship draft a survey, open it and close it. Responses are entered
by those staff on behalf of a contact (a call, a paper form), or by a signed-in customer for
himself while the survey is open. Each write is one transaction with one audit row.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import OrganisationKind
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.relationship.models import (
    SCORE_MAX,
    SCORE_MIN,
    CustomerContact,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    survey_transition_for,
)
from serviceloop.relationship.permissions_customers import (
    can_write_relationship,
    require_relationship_writer,
)
from serviceloop.relationship.services_customers import (
    check_version,
    clean_date,
    clean_text,
    customer_contact_for_self,
)

SURVEY_REFERENCE_KIND = "CSAT"
MAX_QUESTIONS = 30
SURVEY_FIELDS = ("title", "intro", "period_start", "period_end", "per_service")


def _clean_survey(fields: dict, errors: dict, survey: Survey | None = None) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = clean_text(
            fields["title"], "title", errors, limit=200, required=_("Give the survey a title.")
        )
    if "intro" in fields:
        cleaned["intro"] = clean_text(fields["intro"], "intro", errors, limit=5000)
    for name in ("period_start", "period_end"):
        if name in fields:
            cleaned[name] = clean_date(
                fields[name], name, errors, required=_("Give the survey's period.")
            )
    if "per_service" in fields:
        cleaned["per_service"] = bool(fields["per_service"])
    start = cleaned.get("period_start", getattr(survey, "period_start", None))
    end = cleaned.get("period_end", getattr(survey, "period_end", None))
    if start and end and end < start:
        errors["period_end"] = _("The period ends before it starts.")
    if "customers" in fields:
        customers = list(fields["customers"] or [])
        if any(c.kind != OrganisationKind.CUSTOMER for c in customers):
            errors["customers"] = _("Choose customer organisations only.")
        cleaned["customers"] = customers
    if "services" in fields:
        cleaned["services"] = list(fields["services"] or [])
    return cleaned


def _clean_questions(texts, errors: dict) -> list[str]:
    if texts is None:
        return []
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        errors["questions"] = _("Questions are a list of texts.")
        return []
    questions = [t.strip() for t in texts if t and t.strip()]
    if any(len(t) > 300 for t in questions):
        errors["questions"] = _("Keep each question under 300 characters.")
    if len(questions) > MAX_QUESTIONS:
        errors["questions"] = _("Ask at most %(n)d questions.") % {"n": MAX_QUESTIONS}
    return questions


def survey_create(
    *,
    actor,
    title: str,
    period_start,
    period_end,
    intro: str = "",
    per_service: bool = False,
    services=(),
    customers=(),
    questions=(),
) -> Survey:
    """Draft a survey (reference ``CSAT-YYYY-NNNNNN``) with its questions (1–5 scale each)."""
    require_relationship_writer(actor)
    errors = {}
    cleaned = _clean_survey(
        {
            "title": title,
            "intro": intro,
            "period_start": period_start,
            "period_end": period_end,
            "per_service": per_service,
            "services": services,
            "customers": customers,
        },
        errors,
    )
    texts = _clean_questions(list(questions or []), errors)
    if errors:
        raise ValidationError(errors)
    customers, services = cleaned.pop("customers"), cleaned.pop("services")
    with transaction.atomic():
        survey = Survey.objects.create(
            reference=reference_allocate(
                kind=SURVEY_REFERENCE_KIND, year=cleaned["period_start"].year
            ),
            created_by=actor,
            **cleaned,
        )
        survey.customers.set(customers)
        survey.services.set(services)
        SurveyQuestion.objects.bulk_create(
            SurveyQuestion(survey=survey, position=n, text=text)
            for n, text in enumerate(texts, start=1)
        )
        audit_record(
            actor=actor,
            verb="customer_survey.created",
            obj=survey,
            payload={
                "reference": survey.reference,
                **snapshot(survey, SURVEY_FIELDS),
                "customers": [c.pk for c in customers],
                "services": [s.pk for s in services],
                "questions": texts,
            },
        )
    return survey


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError(_("Only a draft survey can be changed."))


def survey_update(
    *, actor, survey: Survey, expected_version: int | None = None, **fields
) -> Survey:
    """Change a draft survey (title, introduction, period, per service, services, customers)."""
    require_relationship_writer(actor)
    unknown = set(fields) - {*SURVEY_FIELDS, "customers", "services"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
        check_version(survey.version, expected_version)
        _require_draft(survey)
        errors = {}
        cleaned = _clean_survey(fields, errors, survey)
        if errors:
            raise ValidationError(errors)
        before = snapshot(survey, SURVEY_FIELDS)
        changes = {}
        for name in ("customers", "services"):
            if name in cleaned:
                values = cleaned.pop(name)
                old = sorted(getattr(survey, name).values_list("pk", flat=True))
                new = sorted(v.pk for v in values)
                if old != new:
                    getattr(survey, name).set(values)
                    changes[name] = [old, new]
        for name, value in cleaned.items():
            setattr(survey, name, value)
        changes.update(field_changes(survey, before, SURVEY_FIELDS))
        if changes:
            survey.version = F("version") + 1
            survey.save()
            survey.refresh_from_db()
            audit_record(actor=actor, verb="customer_survey.updated", obj=survey, payload=changes)
    return survey


def survey_question_add(*, actor, survey: Survey, text: str) -> SurveyQuestion:
    """Append a question to a draft survey."""
    require_relationship_writer(actor)
    errors = {}
    text = clean_text(text, "text", errors, limit=300, required=_("Write the question."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
        _require_draft(survey)
        if survey.questions.count() >= MAX_QUESTIONS:
            raise ValidationError(_("Ask at most %(n)d questions.") % {"n": MAX_QUESTIONS})
        position = (survey.questions.aggregate(last=Max("position"))["last"] or 0) + 1
        question = SurveyQuestion.objects.create(survey=survey, position=position, text=text)
        audit_record(
            actor=actor,
            verb="customer_survey.question_added",
            obj=survey,
            payload={"question": question.pk, "text": text},
        )
    return question


def survey_question_remove(*, actor, question: SurveyQuestion) -> None:
    """Remove a question from a draft survey."""
    require_relationship_writer(actor)
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).get(pk=question.survey_id)
        _require_draft(survey)
        audit_record(
            actor=actor,
            verb="customer_survey.question_removed",
            obj=survey,
            payload={"question": question.pk, "text": question.text},
        )
        question.delete()


def survey_transition(*, actor, survey: Survey, target: str, now=None) -> Survey:
    """Open a draft (it needs at least one question), close an open survey, or reopen it."""
    require_relationship_writer(actor)
    now = now or timezone.now()
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
        move = survey_transition_for(survey.status, target)
        if move is None:
            raise ValidationError(_("This status change is not allowed."))
        if target == SurveyStatus.OPEN and not survey.questions.exists():
            raise ValidationError(_("Add at least one question before opening the survey."))
        source = survey.status
        survey.status = target
        if target == SurveyStatus.OPEN:
            survey.opened_at = survey.opened_at or now
            survey.closed_at = None
        else:
            survey.closed_at = now
        survey.version = F("version") + 1
        survey.save()
        survey.refresh_from_db()
        audit_record(
            actor=actor,
            verb="customer_survey.status",
            obj=survey,
            payload={"status": [source, target]},
        )
    return survey


def response_services_for(survey: Survey, organisation_id) -> list:
    """The services a customer answers a per-service survey for: those it uses, limited to the
    survey's services when it names some."""
    from serviceloop.portfolio.models import Service

    services = Service.objects.filter(customers=organisation_id)
    named = list(survey.services.values_list("pk", flat=True))
    if named:
        services = services.filter(pk__in=named)
    return list(services.order_by("name"))


def survey_response_submit(
    *,
    actor,
    survey: Survey,
    scores: dict,
    contact: CustomerContact | None = None,
    service=None,
    comment: str = "",
    now=None,
) -> SurveyResponse:
    """Record one contact's answers (every question, 1–5) to an open survey.

    Staff who keep the relationship answer for a contact of a customer the survey is
    addressed to. A customer answers for himself: his contact record (created from his
    profile when missing) is used, and naming anyone else's contact is refused (403). Once
    per contact, and per service when the survey is answered per service.
    """
    now = now or timezone.now()
    is_staff = actor.is_authenticated and actor.has_capability(Capability.STAFF)
    if is_staff and not can_write_relationship(actor):
        raise PermissionDenied
    errors = {}
    comment = clean_text(comment, "comment", errors, limit=5000)
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
        if survey.status != SurveyStatus.OPEN:
            raise ValidationError(_("This survey is not open for answers."))
        if is_staff:
            if contact is None:
                raise ValidationError({"contact": _("Choose the contact who answered.")})
        else:
            if not survey.is_addressed_to(actor.organisation_id):
                raise PermissionDenied
            own = customer_contact_for_self(user=actor)
            if contact is not None and contact.pk != own.pk:
                raise PermissionDenied
            contact = own
        organisation_id = contact.account.organisation_id
        if not contact.is_active:
            errors["contact"] = _("This contact is no longer active.")
        elif not survey.is_addressed_to(organisation_id):
            errors["contact"] = _("The survey is not addressed to this contact's organisation.")
        if survey.per_service:
            allowed = {s.pk for s in response_services_for(survey, organisation_id)}
            if service is None:
                errors["service"] = _("Choose the service the answers are about.")
            elif service.pk not in allowed:
                errors["service"] = _("This customer does not use that service in this survey.")
        elif service is not None:
            errors["service"] = _("This survey is not answered per service.")
        questions = list(survey.questions.all())
        answers = _clean_scores(questions, scores, errors)
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    survey=survey,
                    organisation_id=organisation_id,
                    contact=contact,
                    service=service,
                    comment=comment,
                    submitted_at=now,
                    entered_by=actor,
                )
        except IntegrityError:
            raise ValidationError(
                _("This contact has already answered this survey for this service.")
                if service is not None
                else _("This contact has already answered this survey.")
            ) from None
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(response=response, question=question, score=score)
            for question, score in answers
        )
        audit_record(
            actor=actor,
            verb="customer_survey.response",
            obj=response,
            organisation=contact.account.organisation,
            payload={
                "survey": survey.reference,
                "contact": contact.pk,
                "service": getattr(service, "pk", None),
                "scores": {str(q.pk): s for q, s in answers},
            },
        )
    return response


def _clean_scores(questions, scores, errors: dict) -> list:
    if not isinstance(scores, dict):
        errors["scores"] = _("Answer every question with a score from 1 to 5.")
        return []
    by_id = {}
    for key, value in scores.items():
        try:
            by_id[int(key)] = value
        except (TypeError, ValueError):
            errors["scores"] = _("Unknown question.")
            return []
    unknown = set(by_id) - {q.pk for q in questions}
    if unknown:
        errors["scores"] = _("Unknown question.")
        return []
    answers = []
    for question in questions:
        value = by_id.get(question.pk)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            errors["scores"] = _("Answer every question with a score from 1 to 5.")
            return []
        if not SCORE_MIN <= value <= SCORE_MAX:
            errors["scores"] = _("Scores run from 1 to 5.")
            return []
        answers.append((question, value))
    return answers
