"""The meeting's screens (clause 9.3): text entered on an input, decisions and actions
recorded against an input (htmx swaps the input's section in place; without JavaScript the
form posts and the page reloads), their edits until the chair approves the minutes, an
action's moves and "raise as improvement", and
the actions tracker (filters open / overdue / mine, CSV/XLSX export)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.evaluation import queries_reviews as queries
from serviceloop.evaluation import services_actions_reviews as action_services
from serviceloop.evaluation import services_reviews as services
from serviceloop.evaluation.forms_reviews import (
    ActionEditForm,
    ActionFilterForm,
    ActionForm,
    ActionMoveForm,
    DecisionEditForm,
    DecisionForm,
    InputTextForm,
)
from serviceloop.evaluation.models import ActionStatus, ReviewInput
from serviceloop.evaluation.models.reviews import PREPARE, REVIEW
from serviceloop.evaluation.permissions_reviews import (
    action_roles,
    get_action_for,
    get_review_for,
    require_staff,
)
from serviceloop.evaluation.views_reviews import section_context

ACTION_COLUMNS = [
    Column(gettext_lazy("Review"), "review.reference"),
    Column(gettext_lazy("Review title"), "review.title"),
    Column(pgettext_lazy("management review", "Action"), "label"),
    Column(gettext_lazy("Input"), "review_input.get_code_display"),
    Column(gettext_lazy("Decision"), lambda a: a.decision.label if a.decision else ""),
    Column(gettext_lazy("Description"), "description"),
    Column(gettext_lazy("Owner"), lambda a: str(a.owner)),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Closed"), "closed_at"),
    Column(gettext_lazy("Closure note"), "closure_note"),
    Column(gettext_lazy("Improvement"), "improvement_reference"),
]


def _input(review, code) -> ReviewInput:
    try:
        return review.inputs.get(code=code)
    except ReviewInput.DoesNotExist as exc:
        raise Http404 from exc


def _anchor(review, code: str) -> str:
    return reverse("management_review_detail", args=[review.reference]) + f"#input-{code}"


def _section(
    request, review, code: str, bound: dict | None = None, flash: str = "", flash_error: str = ""
):
    """The input's section alone (the answer to an htmx request), with a line saying what
    happened."""
    review.refresh_from_db()
    section = queries.review_sections(review, only=code)[0]
    context = section_context(request, review, section, bound)
    context |= {"flash": flash, "flash_error": flash_error}
    return render(request, "evaluation/review_section.html", context)


def _done(request, review, code: str, message: str):
    if request.htmx:
        return _section(request, review, code, flash=message)
    messages.success(request, message)
    return redirect(_anchor(review, code))


def _failed(request, review, code: str, bound: dict, error: ValidationError | None = None):
    if request.htmx:
        return _section(request, review, code, bound)
    form = next(iter(bound.values()))
    for messages_ in ([error.messages] if error else []) + list(form.errors.values()):
        for message in messages_:
            messages.error(request, message)
    return redirect(_anchor(review, code))


@login_required
@require_POST
def input_text(request, reference, code):
    review = get_review_for(request.user, reference)
    review_input = _input(review, code)
    form = InputTextForm(request.POST, prefix=f"text-{code}")
    if not form.is_valid():
        return _failed(request, review, code, {"text_form": form})
    try:
        services.review_input_enter(
            actor=request.user, review_input=review_input, text=form.cleaned_data["text"]
        )
    except ValidationError as error:
        apply_service_errors(form, error)
        return _failed(request, review, code, {"text_form": form}, error)
    return _done(request, review, code, _("Saved."))


@login_required
@require_POST
def decision_new(request, reference, code):
    review = get_review_for(request.user, reference, hold=True)
    review_input = _input(review, code)
    form = DecisionForm(request.POST, prefix=f"decision-{code}")
    if not form.is_valid():
        return _failed(request, review, code, {"decision_form": form})
    try:
        decision = services.review_decision_record(
            actor=request.user, review_input=review_input, text=form.cleaned_data["text"]
        )
    except ValidationError as error:
        apply_service_errors(form, error)
        return _failed(request, review, code, {"decision_form": form}, error)
    return _done(request, review, code, _("Decision %s recorded.") % decision.label)


@login_required
@require_POST
def action_new(request, reference, code):
    review = get_review_for(request.user, reference, hold=True)
    review_input = _input(review, code)
    decisions = list(review_input.decisions.order_by("number"))
    form = ActionForm(request.POST, decisions=decisions, prefix=f"action-{code}")
    if not form.is_valid():
        return _failed(request, review, code, {"action_form": form})
    number = form.cleaned_data.get("decision")
    decision = next((d for d in decisions if d.number == number), None)
    try:
        action = services.review_action_add(
            actor=request.user,
            review_input=review_input,
            description=form.cleaned_data["description"],
            owner=form.cleaned_data["owner"],
            due_on=form.cleaned_data["due_on"],
            decision=decision,
        )
    except ValidationError as error:
        apply_service_errors(form, error)
        return _failed(request, review, code, {"action_form": form}, error)
    return _done(request, review, code, _("Action %s recorded.") % action.label)


def _back(request, action):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(_anchor(action.review, action.review_input.code))


@login_required
@require_POST
def action_move(request, reference, number):
    action = get_action_for(request.user, reference, number, move=True)
    form = ActionMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return _back(request, action)
    htmx = request.htmx and not request.POST.get("next")
    try:
        action_services.review_action_transition(
            actor=request.user,
            action=action,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        if htmx:
            return _section(request, action.review, action.review_input.code,
                            flash_error=" ".join(error.messages))  # fmt: skip
        for message in error.messages:
            messages.error(request, message)
    else:
        if htmx:
            return _section(request, action.review, action.review_input.code,
                            flash=_("Action %s updated.") % action.label)  # fmt: skip
        messages.success(request, _("Action %s updated.") % action.label)
    return _back(request, action)


def _record_edit_page(request, review, code: str, form, save, *, saved: str, title: str):
    """The edit page of a decision or an action on the input ``code``: ``save(cleaned
    data)`` on a valid POST, then back to the input with ``saved``; while the review's
    decisions and actions are read-only (the minutes approved), the reason instead."""
    frozen = not review.in_meeting_phase
    if not frozen and request.method == "POST" and form.is_valid():
        try:
            save(dict(form.cleaned_data))
        except ValidationError as error:
            frozen = any(getattr(e, "code", None) == "frozen"
                         for e in getattr(error, "error_list", []))  # fmt: skip
            if frozen:  # approved meanwhile
                review.refresh_from_db(fields=["status"])
            else:
                apply_service_errors(form, error)
        else:
            messages.success(request, saved)
            return redirect(_anchor(review, code))
    if frozen:
        messages.error(request, services.records_frozen_message(review))
        return redirect(_anchor(review, code))
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def decision_edit(request, reference, number):
    """Change a decision's text (top management), until the chair approves the minutes."""
    review = get_review_for(request.user, reference, hold=True)
    decision = review.decisions.select_related("review_input").filter(number=number).first()
    if decision is None:
        raise Http404
    form = DecisionEditForm(
        request.POST or None, initial={"text": decision.text, "version": decision.version}
    )
    return _record_edit_page(
        request, review, decision.review_input.code, form,
        lambda data: services.review_decision_update(
            actor=request.user, decision=decision, text=data["text"],
            expected_version=data.get("version"),
        ),
        saved=_("Decision %s saved.") % decision.label,
        title=_("Edit decision %(label)s of %(reference)s")
        % {"label": decision.label, "reference": review.reference},
    )  # fmt: skip


@login_required
def action_edit(request, reference, number):
    """Change an open action's details (top management or a preparer), until the chair
    approves the minutes."""
    action = get_action_for(request.user, reference, number)
    if not action_roles(request.user, action) & {PREPARE, REVIEW}:
        get_review_for(request.user, reference, hold=True)  # 403 for everyone else
    decisions = list(action.review_input.decisions.order_by("number"))
    form = ActionEditForm(
        request.POST or None, decisions=decisions, initial=ActionEditForm.initial_for(action)
    )

    def save(data):
        number_ = data.pop("decision", None)
        action_services.review_action_update(
            actor=request.user, action=action, expected_version=data.pop("version", None),
            decision=next((d for d in decisions if d.number == number_), None), **data,
        )  # fmt: skip

    return _record_edit_page(
        request, action.review, action.review_input.code, form, save,
        saved=_("Changes saved."),
        title=_("Edit action %(label)s of %(reference)s")
        % {"label": action.label, "reference": action.review.reference},
    )  # fmt: skip


@login_required
@require_POST
def action_improvement(request, reference, number):
    action = get_action_for(request.user, reference, number)
    try:
        improvement = action_services.review_action_raise_improvement(
            actor=request.user, action=action
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("%s added to the improvement register.") % improvement.reference
        )
    return _back(request, action)


@login_required
def action_list(request):
    """Every management review action: open, overdue or mine, with the moves each user may
    make; CSV/XLSX export."""
    require_staff(request.user)
    today = timezone.localdate()
    form = ActionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    owner = request.user if filters.get("mine") else filters.get("owner")
    actions = queries.actions_for_list(
        request.user,
        status=filters.get("status", ""),
        overdue_on=today if filters.get("overdue") else None,
        owner=owner,
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "management-review-actions", ACTION_COLUMNS, actions)
    page = paginate(request, actions)
    rows = [
        (action, bool(roles), bool(roles & {PREPARE, REVIEW}))
        for action in page
        for roles in [action_roles(request.user, action)]
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "today": today,
        "open_status": ActionStatus.OPEN,
    }
    return render(request, "evaluation/review_actions.html", context)
