"""The gap analysis screens: the list, a new analysis (copying the previous one), the
questionnaire with live evidence beside each question, the results (radar and bar charts,
ranked gaps, gaps into plan items), and the XLSX and PDF exports.

Provider staff read; the management-system owner and administrators write (403 for other
staff); customers get 404.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.conformity.evidence import evidence_for
from serviceloop.conformity.models import clause_group_number
from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.planning import queries_assessments as queries
from serviceloop.planning import reports
from serviceloop.planning import services_assessments as services
from serviceloop.planning.forms import (
    AnswerForm,
    AssessmentCreateForm,
    AssessmentFilterForm,
    AssessmentForm,
    GapsToPlanForm,
    TransitionForm,
)
from serviceloop.planning.models import ASSESSMENT_TRANSITIONS, AssessmentAnswer
from serviceloop.planning.permissions import (
    can_manage,
    get_assessment_for,
    require_manage,
    require_staff,
)
from serviceloop.planning.services_plan import plan_items_from_gaps

DEFAULT_ITEM_DAYS = 90  # a new item from a gap is due this many days after it starts

LIST_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Assessment date"), "assessed_on"),
    Column(gettext_lazy("Assessor"), lambda a: str(a.assessor)),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Answered"), "answered"),
    Column(gettext_lazy("Clauses"), "answer_count"),
]


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def assessment_list(request):
    require_staff(request.user)
    form = AssessmentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    assessments = queries.assessments_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "gap-analyses", LIST_COLUMNS, assessments)
    context = {
        "form": form,
        "page": paginate(request, assessments),
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/assessment_list.html", context)


@login_required
def assessment_new(request):
    require_manage(request.user)
    previous = services.previous_assessment()
    initial = {
        "assessed_on": timezone.localdate(),
        "assessor": request.user.pk,
        "copy_previous": previous is not None,
        "title": _("Gap analysis %(year)d") % {"year": timezone.localdate().year},
    }
    form = AssessmentCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_create(
                actor=request.user,
                title=data["title"],
                assessed_on=data["assessed_on"],
                assessor=data["assessor"],
                summary=data["summary"],
                copy_previous=data["copy_previous"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Gap analysis %s started.") % assessment.reference)
            return redirect("assessment_detail", reference=assessment.reference)
    intro = (
        _("The previous gap analysis is %(reference)s of %(date)s.")
        % {"reference": previous.reference, "date": previous.assessed_on.isoformat()}
        if previous
        else ""
    )
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("New gap analysis"), "intro": intro},
    )


@login_required
def assessment_edit(request, reference):
    assessment = get_assessment_for(request.user, reference, write=True)
    initial = {
        "title": assessment.title,
        "assessed_on": assessment.assessed_on,
        "assessor": assessment.assessor_id,
        "summary": assessment.summary,
    }
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_update(
                actor=request.user, assessment=assessment, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("assessment_detail", reference=assessment.reference)
    title = _("Edit %s") % assessment.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


def _detail_context(request, assessment, bound: dict | None = None) -> dict:
    answers = queries.answers_of(assessment)
    numbers = {a.clause.number for a in answers}
    numbers |= {clause_group_number(n) for n in numbers}
    groups = queries.questionnaire(answers, evidence_for(sorted(numbers)))
    editable = assessment.is_draft and can_manage(request.user)
    bound = bound or {}
    forms = {}
    if editable:
        for answer in answers:
            forms[answer.pk] = bound.get(answer.pk) or AnswerForm(
                initial=AnswerForm.initial_for(answer), prefix=f"a{answer.pk}"
            )
    for group in groups:
        for row in group.rows:
            row.form = forms.get(row.answer.pk)
    results = queries.assessment_results(answers)
    return {
        "assessment": assessment,
        "groups": groups,
        "editable": editable,
        "can_manage": can_manage(request.user),
        "moves": [t for t in ASSESSMENT_TRANSITIONS if t.source == assessment.status],
        "results": results,
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }


@login_required
def assessment_detail(request, reference):
    assessment = get_assessment_for(request.user, reference)
    return render(request, "planning/assessment_detail.html", _detail_context(request, assessment))


@login_required
@require_POST
def answer_save(request, reference, pk):
    assessment = get_assessment_for(request.user, reference, write=True)
    try:
        answer = assessment.answers.select_related("clause").get(pk=pk)
    except (AssessmentAnswer.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    form = AnswerForm(request.POST, prefix=f"a{answer.pk}")
    if form.is_valid():
        try:
            services.answer_update(
                actor=request.user,
                answer=answer,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Answer for %s saved.") % answer.clause.number)
            url = reverse("assessment_detail", args=[assessment.reference])
            return redirect(f"{url}#clause-{answer.clause.number}")
    messages.error(request, _("The answer for %s was not saved: see below.") % answer.clause.number)
    context = _detail_context(request, assessment, bound={answer.pk: form})
    return render(request, "planning/assessment_detail.html", context, status=400)


@login_required
@require_POST
def assessment_move(request, reference):
    assessment = get_assessment_for(request.user, reference, write=True)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("assessment_detail", reference=assessment.reference)
    try:
        services.assessment_transition(
            actor=request.user,
            assessment=assessment,
            target=form.cleaned_data["target"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _messages_from(request, error)
        return redirect("assessment_detail", reference=assessment.reference)
    messages.success(request, _("Status changed."))
    return redirect("assessment_results", reference=assessment.reference)


def _gap_choices(gaps):
    return [(gap.answer.pk, f"{gap.clause.number} {gap.clause.title}") for gap in gaps]


@login_required
def assessment_results(request, reference):
    assessment = get_assessment_for(request.user, reference)
    answers = queries.answers_of(assessment)
    results = queries.assessment_results(answers)
    plan_form = None
    if can_manage(request.user):
        today = timezone.localdate()
        plan_form = GapsToPlanForm(
            answer_choices=_gap_choices(results.gaps),
            initial={
                "owner": request.user.pk,
                "start_on": today,
                "due_on": today + datetime.timedelta(days=DEFAULT_ITEM_DAYS),
            },
        )
    context = {
        "assessment": assessment,
        "results": results,
        "chart_data": results.chart_data(),
        "plan_form": plan_form,
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "planning/assessment_results.html", context)


@login_required
@require_POST
def assessment_gaps_to_plan(request, reference):
    assessment = get_assessment_for(request.user, reference, write=True)
    answers = queries.answers_of(assessment)
    results = queries.assessment_results(answers)
    form = GapsToPlanForm(request.POST, answer_choices=_gap_choices(results.gaps))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("assessment_results", reference=assessment.reference)
    data = form.cleaned_data
    chosen = set(data["answers"])
    try:
        created = plan_items_from_gaps(
            actor=request.user,
            # in rank order: the most important gap gets the first reference
            answers=[gap.answer for gap in results.gaps if gap.answer.pk in chosen],
            owner=data["owner"],
            start_on=data["start_on"],
            due_on=data["due_on"],
        )
    except ValidationError as error:
        _messages_from(request, error)
        return redirect("assessment_results", reference=assessment.reference)
    if created:
        messages.success(
            request, _("Plan items created: %s.") % ", ".join(item.reference for item in created)
        )
    else:
        messages.info(request, _("These gaps already have plan items."))
    return redirect("plan_overview")


@login_required
def assessment_export(request, reference, fmt):
    assessment = get_assessment_for(request.user, reference)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(reports.assessment_xlsx(assessment), content_type=reports.XLSX_TYPE)
    elif fmt == "pdf":
        try:
            body = reports.assessment_pdf(assessment)
        except reports.PdfUnavailable:
            messages.error(
                request,
                _("PDF export is not available on this server (WeasyPrint is not installed)."),
            )
            return redirect("assessment_results", reference=assessment.reference)
        response = HttpResponse(body, content_type=reports.PDF_TYPE)
    else:
        raise Http404
    filename = f"{assessment.reference}-{stamp}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
