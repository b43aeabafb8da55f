"""Management review screens (clause 9.3): the list (filters, CSV/XLSX export), planning a
review, the review's page (the pack on screen, input by input, with the meeting's forms; see
``views_meeting_reviews``), generating the pack, the status moves, the minutes page with the
chair's approval, and the PDF.

Provider staff read; the management-system owner and administrators prepare; top
management holds the meeting; only the chair approves (403 for anyone else); customers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.evaluation import pdf_reviews
from serviceloop.evaluation import queries_reviews as queries
from serviceloop.evaluation import services_reviews as services
from serviceloop.evaluation.forms_reviews import (
    ActionForm,
    DecisionForm,
    GenerateForm,
    InputTextForm,
    MinutesForm,
    MoveForm,
    ReviewFilterForm,
    ReviewForm,
)
from serviceloop.evaluation.models import ReviewStatus, review_transitions_from
from serviceloop.evaluation.models.reviews import CHAIR, PREPARE, REVIEW
from serviceloop.evaluation.permissions_reviews import (
    action_roles,
    can_hold,
    can_prepare,
    get_review_for,
    is_chair,
    require_prepare,
    require_staff,
    review_roles,
)

LIST_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Period from"), "period_start"),
    Column(gettext_lazy("Period until"), "period_end"),
    Column(gettext_lazy("Meeting date"), "scheduled_on"),
    Column(gettext_lazy("Chair"), lambda r: str(r.chair)),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Pack generated"), "pack_generated_at"),
    Column(gettext_lazy("Approved"), "approved_at"),
    Column(gettext_lazy("Actions"), "action_count"),
    Column(gettext_lazy("Open actions"), "open_action_count"),
]


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def review_list(request):
    require_staff(request.user)
    form = ReviewFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    reviews = queries.reviews_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "management-reviews", LIST_COLUMNS, reviews)
    context = {
        "form": form,
        "page": paginate(request, reviews),
        "can_prepare": can_prepare(request.user),
        "overdue_actions": queries.actions_for_list(
            request.user, overdue_on=timezone.localdate()
        ).count(),
    }
    return render(request, "evaluation/review_list.html", context)


@login_required
def review_new(request):
    require_prepare(request.user)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(actor=request.user, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s planned.") % review.reference)
            return redirect("management_review_detail", reference=review.reference)
    title = _("New management review")
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def review_edit(request, reference):
    review = get_review_for(request.user, reference, prepare=True)
    form = ReviewForm(request.POST or None, initial=ReviewForm.initial_for(review))
    if request.method == "POST" and form.is_valid():
        try:
            services.review_update(
                actor=request.user,
                review=review,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("management_review_detail", reference=review.reference)
    title = _("Edit %s") % review.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


def section_forms(request, review, section, bound: dict | None = None) -> dict:
    """The forms shown under one input: the entered text, a decision, an action."""
    bound = bound or {}
    roles = review_roles(request.user, review)
    text_open = (review.pack_is_open and bool(roles)) or (
        review.in_meeting_phase and can_hold(request.user)
    )
    forms = {}
    if text_open:
        forms["text_form"] = bound.get("text_form") or InputTextForm(
            initial={"text": section.review_input.entered_text},
            prefix=f"text-{section.code}",
        )
    if review.in_meeting_phase and can_hold(request.user):
        forms["decision_form"] = bound.get("decision_form") or DecisionForm(
            prefix=f"decision-{section.code}"
        )
        forms["action_form"] = bound.get("action_form") or ActionForm(
            decisions=section.decisions, prefix=f"action-{section.code}"
        )
    return forms


def section_context(request, review, section, bound: dict | None = None) -> dict:
    today = timezone.localdate()
    return {
        "review": review,
        "section": section,
        "today": today,
        "action_rows": [
            (action, bool(roles), bool(roles & {PREPARE, REVIEW}))
            for action in section.actions
            for roles in [action_roles(request.user, action)]
        ],
        "may_edit_decisions": review.in_meeting_phase and can_hold(request.user),
        **section_forms(request, review, section, bound),
    }


@login_required
def review_detail(request, reference):
    review = get_review_for(request.user, reference)
    sections = queries.review_sections(review)
    user = request.user
    context = {
        "review": review,
        "sections": [section_context(request, review, s) for s in sections],
        "attendees": review.attendees.order_by("display_name", "username"),
        "can_prepare": can_prepare(user),
        "can_hold": can_hold(user),
        "is_chair": is_chair(user, review),
        "moves": [
            m for m in review_transitions_from(review.status) if m.by in review_roles(user, review)
        ],  # fmt: skip
        "generate_form": GenerateForm(initial={"language": review.language})
        if can_prepare(user) and review.pack_is_open
        else None,
        "today": timezone.localdate(),
    }
    return render(request, "evaluation/review_detail.html", context)


@login_required
@require_POST
def review_generate(request, reference):
    review = get_review_for(request.user, reference, prepare=True)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the pack's language."))
        return redirect("management_review_detail", reference=review.reference)
    regenerate = review.has_pack
    try:
        services.review_pack_generate(
            actor=request.user, review=review, language=form.cleaned_data["language"]
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(
            request, _("The pack was regenerated.") if regenerate else _("The pack was generated.")
        )
    return redirect("management_review_detail", reference=review.reference)


@login_required
@require_POST
def review_move(request, reference):
    review = get_review_for(request.user, reference)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("management_review_detail", reference=review.reference)
    target = form.cleaned_data["target"]
    # the service checks who may make the move: 403 for anyone else (only the chair approves)
    try:
        services.review_transition(
            actor=request.user,
            review=review,
            target=target,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _flash(request, error)
        if target == ReviewStatus.APPROVED:
            return redirect("management_review_minutes", reference=review.reference)
    else:
        messages.success(request, _("Status changed."))
        if target in (ReviewStatus.MINUTES_DRAFT, ReviewStatus.APPROVED):
            return redirect("management_review_minutes", reference=review.reference)
    return redirect("management_review_detail", reference=review.reference)


@login_required
def review_minutes(request, reference):
    """The minutes: attendees, decisions and actions by input, the conclusions (editable by
    top management during the meeting) and the chair's approval."""
    review = get_review_for(request.user, reference)
    may_write = can_hold(request.user) and review.in_meeting_phase
    form = None
    if may_write:
        form = MinutesForm(
            request.POST or None,
            initial={"minutes_summary": review.minutes_summary, "version": review.version},
        )
    elif request.method == "POST":
        get_review_for(request.user, reference, hold=True)  # 403 for read-only staff
        messages.error(request, _("The minutes are written during the meeting."))
        return redirect("management_review_minutes", reference=review.reference)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.review_minutes_update(
                actor=request.user,
                review=review,
                summary=form.cleaned_data["minutes_summary"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Conclusions saved."))
            return redirect("management_review_minutes", reference=review.reference)
    sections = [s for s in queries.review_sections(review) if s.decisions or s.actions]
    roles = review_roles(request.user, review)
    context = {
        "review": review,
        "sections": sections,
        "attendees": review.attendees.order_by("display_name", "username"),
        "form": form,
        "can_approve": review.status == ReviewStatus.MINUTES_DRAFT and CHAIR in roles,
        "moves": [
            m
            for m in review_transitions_from(review.status)
            if m.by in roles and m.target != ReviewStatus.APPROVED
        ],  # fmt: skip
        "today": timezone.localdate(),
    }
    return render(request, "evaluation/review_minutes.html", context)


@login_required
def review_pdf(request, reference):
    review = get_review_for(request.user, reference)
    if not review.has_pack:
        messages.error(request, _("Generate the pack first."))
        return redirect("management_review_detail", reference=review.reference)
    try:
        content = pdf_reviews.review_pdf(review)
    except pdf_reviews.PdfUnavailable:
        messages.error(request, _("PDF export is not available on this server."))
        return redirect("management_review_detail", reference=review.reference)
    response = HttpResponse(content, content_type=pdf_reviews.PDF_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{pdf_reviews.review_pdf_filename(review)}"'
    )
    return response
