"""The satisfaction survey screens: the list, a survey's page (questions, results per
customer, service and question, responses), the answer form, and the exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.relationship import queries_customers
from serviceloop.relationship import services_customers_surveys as services
from serviceloop.relationship.forms_customers import (
    QuestionForm,
    SurveyAnswerForm,
    SurveyCreateForm,
    SurveyEditForm,
    SurveyFilterForm,
    SurveyMoveForm,
    contacts_for_survey,
)
from serviceloop.relationship.models import (
    SURVEY_TRANSITIONS,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from serviceloop.relationship.permissions_customers import (
    can_write_relationship,
    get_survey_for,
    is_staff,
    require_relationship_writer,
)
from serviceloop.relationship.services_customers import contact_for_user

SURVEY_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "title"),
    Column(_l("Period from"), "period_start"),
    Column(_l("Period until"), "period_end"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Per service"), "per_service"),
    Column(_l("Questions"), "question_count"),
    Column(_l("Responses"), "response_count"),
]
RESULT_COLUMNS = [
    Column(_l("Scope"), "scope"),
    Column(_l("Name"), "label"),
    Column(_l("Responses"), "responses"),
    Column(_l("Average (1–5)"), "average"),
]


def _response_columns(questions) -> list[Column]:
    columns = [
        Column(_l("Customer"), "organisation.name"),
        Column(_l("Contact"), "contact.name"),
        Column(_l("Service"), "service.name"),
        Column(_l("Submitted"), "submitted_at"),
    ]
    for question in questions:
        columns.append(
            Column(
                question.text,
                lambda r, q=question.pk: next(
                    (a.score for a in r.answers.all() if a.question_id == q), None
                ),
            )
        )
    columns.append(Column(_l("Comment"), "comment"))
    return columns


@login_required
def survey_list(request):
    form = SurveyFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    surveys = queries_customers.surveys_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "customer-surveys", SURVEY_COLUMNS, surveys)
    context = {
        "form": form,
        "page": paginate(request, surveys),
        "can_write": can_write_relationship(request.user),
    }
    return render(request, "relationship/survey_list.html", context)


@login_required
def survey_new(request):
    require_relationship_writer(request.user)
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Survey %s drafted.") % survey.reference)
            return redirect("survey_detail", reference=survey.reference)
    return render(
        request, "relationship/survey_form.html", {"form": form, "title": _("New survey")}
    )


@login_required
def survey_detail(request, reference):
    survey = get_survey_for(request.user, reference)
    questions = list(survey.questions.all())
    results = queries_customers.survey_results(request.user, survey)
    fmt = export_format(request)
    if fmt:
        what = request.GET.get("what")
        if what == "responses":
            return export_response(
                fmt,
                f"survey-responses-{survey.reference}",
                _response_columns(questions),
                queries_customers.survey_responses_for(request.user, survey),
            )
        return export_response(
            fmt,
            f"survey-results-{survey.reference}",
            RESULT_COLUMNS,
            queries_customers.survey_result_rows(results),
        )
    can_write = can_write_relationship(request.user)
    staff = is_staff(request.user)
    own = None if staff else contact_for_user(user=request.user)
    responses = queries_customers.survey_responses_for(request.user, survey)
    context = {
        "survey": survey,
        "questions": questions,
        "results": results,
        "responses": paginate(request, responses),
        "can_write": can_write,
        "is_staff": staff,
        "moves": [m for m in SURVEY_TRANSITIONS if m.source == survey.status] if can_write else [],
        "question_form": QuestionForm() if can_write and survey.status == "draft" else None,
        "can_answer": survey.status == SurveyStatus.OPEN and (can_write or not staff),
        "own_responses": SurveyResponse.objects.filter(survey=survey, contact=own).count()
        if own
        else 0,
        "customers": list(survey.customers.all()),
        "services": list(survey.services.all()),
    }
    return render(request, "relationship/survey_detail.html", context)


@login_required
def survey_edit(request, reference):
    survey = get_survey_for(request.user, reference, write=True)
    initial = {
        "title": survey.title,
        "intro": survey.intro,
        "period_start": survey.period_start,
        "period_end": survey.period_end,
        "per_service": survey.per_service,
        "services": list(survey.services.values_list("pk", flat=True)),
        "customers": list(survey.customers.values_list("pk", flat=True)),
        "version": survey.version,
    }
    form = SurveyEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("version", None)
        try:
            services.survey_update(
                actor=request.user, survey=survey, expected_version=expected, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("survey_detail", reference=survey.reference)
    return render(
        request,
        "relationship/survey_form.html",
        {"form": form, "title": _("Edit %s") % survey.reference, "survey": survey},
    )


@login_required
@require_POST
def survey_question_add(request, reference):
    survey = get_survey_for(request.user, reference, write=True)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.survey_question_add(
                actor=request.user, survey=survey, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Question added."))
    else:
        messages.error(request, _("Write the question."))
    return redirect("survey_detail", reference=survey.reference)


@login_required
@require_POST
def survey_question_remove(request, reference, pk):
    survey = get_survey_for(request.user, reference, write=True)
    question = SurveyQuestion.objects.filter(survey=survey, pk=pk).first()
    if question is None:
        raise Http404
    try:
        services.survey_question_remove(actor=request.user, question=question)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Question removed."))
    return redirect("survey_detail", reference=survey.reference)


@login_required
@require_POST
def survey_move(request, reference):
    survey = get_survey_for(request.user, reference, write=True)
    form = SurveyMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        try:
            services.survey_transition(
                actor=request.user, survey=survey, target=form.cleaned_data["target"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Status changed."))
    return redirect("survey_detail", reference=survey.reference)


@login_required
def survey_answer(request, reference):
    """Answer an open survey: staff for a contact, a customer for himself."""
    from serviceloop.portfolio.models import Service

    survey = get_survey_for(request.user, reference)
    staff = is_staff(request.user)
    if staff:
        require_relationship_writer(request.user)
    elif not survey.is_addressed_to(request.user.organisation_id):
        raise Http404
    if survey.status != SurveyStatus.OPEN:
        messages.error(request, _("This survey is not open for answers."))
        return redirect("survey_detail", reference=survey.reference)
    questions = list(survey.questions.all())
    contacts = contacts_for_survey(survey) if staff else None
    services_qs = None
    if survey.per_service:
        if staff:
            services_qs = Service.objects.order_by("name")
            named = list(survey.services.values_list("pk", flat=True))
            if named:
                services_qs = services_qs.filter(pk__in=named)
        else:
            allowed = services.response_services_for(survey, request.user.organisation_id)
            services_qs = Service.objects.filter(pk__in=[s.pk for s in allowed]).order_by("name")
    form = SurveyAnswerForm(
        request.POST or None,
        survey=survey,
        questions=questions,
        contacts=contacts,
        services=services_qs,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_response_submit(
                actor=request.user,
                survey=survey,
                scores=form.scores(),
                contact=form.cleaned_data.get("contact"),
                service=form.cleaned_data.get("service"),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Thank you: the answers are recorded."))
            return redirect("survey_detail", reference=survey.reference)
    return render(
        request,
        "relationship/survey_answer.html",
        {"form": form, "survey": survey, "is_staff": staff},
    )
