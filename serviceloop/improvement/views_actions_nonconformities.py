"""The corrective and preventive action screens (clause 10.1): the list of every action and
"my actions" (filters, overdue, CSV/XLSX export), an action's page (its verification: the KPI
condition's periods against the threshold, or the manual outcome and evidence), planning an
action on a nonconformity, raising a preventive action, editing, moving and verifying.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.models import Attachment
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.improvement import queries_nonconformities as queries
from serviceloop.improvement import services_actions_nonconformities as services
from serviceloop.improvement.forms_nonconformities import (
    ActionFilterForm,
    ActionForm,
    ActionMoveForm,
    VerifyForm,
)
from serviceloop.improvement.models import (
    ActionStatus,
    VerificationKind,
    VerificationMethod,
    action_transitions_from,
)
from serviceloop.improvement.permissions_nonconformities import (
    can_manage,
    can_verify,
    can_write_action,
    get_action_for,
    get_nonconformity_for,
    require,
    require_staff,
)
from serviceloop.improvement.services_actions_nonconformities import TAKES_ACTIONS
from serviceloop.improvement.verification import kpi_condition_progress

LIST_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Title"), "title"),
    Column(
        gettext_lazy("Nonconformity"),
        lambda a: a.nonconformity.reference if a.nonconformity else "",
    ),
    Column(gettext_lazy("Source"), "get_source_display"),
    Column(gettext_lazy("Source reference"), "source_reference"),
    Column(gettext_lazy("Owner"), lambda a: str(a.owner) if a.owner else ""),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Done on"), "done_on"),
    Column(gettext_lazy("Verification"), "get_verification_method_display"),
    Column(gettext_lazy("KPI condition"), lambda a: a.condition_text()),
    Column(gettext_lazy("Verified on"), "verified_on"),
]


def _list(request, *, mine: bool):
    require_staff(request.user)
    today = timezone.localdate()
    form = ActionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    rows = queries.actions_for_list(
        request.user,
        owner=request.user if mine else None,
        status="" if status == "open" else status,
        open_only=status == "open",
        kind=filters.get("kind", ""),
        overdue_on=today if filters.get("overdue") else None,
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "my-actions" if mine else "actions", LIST_COLUMNS, rows)
    page = paginate(request, rows)
    for action in page:
        action.overdue = action.is_overdue(today)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "mine": mine,
        "can_manage": can_manage(request.user),
    }
    return render(request, "improvement/action_list.html", context)


@login_required
def action_list(request):
    return _list(request, mine=False)


@login_required
def my_actions(request):
    return _list(request, mine=True)


def _form_page(request, form, title, intro=""):
    context = {"form": form, "title": title, "intro": intro}
    return render(request, "improvement/action_form.html", context)


@login_required
def nonconformity_action_new(request, reference):
    nonconformity = get_nonconformity_for(request.user, reference, write=True)
    if nonconformity.status not in TAKES_ACTIONS:
        messages.error(request, _("Analyse the root cause first."))
        return redirect("nonconformity_detail", reference=nonconformity.reference)
    form = ActionForm(request.POST or None, initial={"owner": nonconformity.owner_id})
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(
                actor=request.user, nonconformity=nonconformity, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s planned.") % action.reference)
            return redirect("nonconformity_detail", reference=nonconformity.reference)
    title = _("Corrective action for %s") % nonconformity.reference
    return _form_page(request, form, title, nonconformity.title)


@login_required
def preventive_action_new(request):
    require(request.user, can_manage(request.user))
    form = ActionForm(
        request.POST or None, preventive=True, initial={"owner": request.user.pk, "source": "risk"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(
                actor=request.user, nonconformity=None, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s raised.") % action.reference)
            return redirect("action_detail", reference=action.reference)
    return _form_page(request, form, _("Raise a preventive action"))


@login_required
def action_detail(request, reference):
    action = get_action_for(request.user, reference)
    user = request.user
    history = list(
        action.verifications.select_related("verified_by").order_by("period_start", "id")
    )
    outcomes = [r for r in history if r.kind == VerificationKind.DECISION]
    attachments = Attachment.objects.visible_to(user).filter(
        content_type__app_label="improvement",
        content_type__model="actionverification",
        object_id__in=[str(r.pk) for r in outcomes],
    )
    may_write = can_write_action(user, action)
    today = timezone.localdate()
    action.overdue = action.is_overdue(today)
    context = {
        "action": action,
        "today": today,
        "progress": kpi_condition_progress(
            action, [r for r in history if r.kind == VerificationKind.PERIOD]
        ),
        "outcomes": outcomes,
        "attachments": {a.object_id: a for a in attachments},
        "may_edit": may_write and action.status in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS),
        "moves": action_transitions_from(action.status) if may_write else [],
        "may_verify": can_verify(user)
        and action.status == ActionStatus.DONE
        and action.verification_method == VerificationMethod.MANUAL,
        "perms_audit": user_can(user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "improvement/action_detail.html", context)


@login_required
def action_edit(request, reference):
    action = get_action_for(request.user, reference, write=True)
    preventive = action.nonconformity_id is None
    form = ActionForm(
        request.POST or None, preventive=preventive, initial=ActionForm.initial_for(action)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(
                actor=request.user,
                action=action,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("action_detail", reference=action.reference)
    return _form_page(request, form, _("Edit %s") % action.reference, action.title)


@login_required
@require_POST
def action_move(request, reference):
    action = get_action_for(request.user, reference, write=True)
    form = ActionMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("action_detail", reference=action.reference)
    try:
        services.action_transition(
            actor=request.user,
            action=action,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
            done_on=form.cleaned_data.get("done_on"),
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("action_detail", reference=action.reference)


@login_required
def action_verify(request, reference):
    action = get_action_for(request.user, reference, verify=True)
    form = VerifyForm(request.POST or None, request.FILES or None, initial={
        "version": action.version
    })  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.action_verify(
                actor=request.user,
                action=action,
                effective=data["effective"],
                note=data["note"],
                evidence_note=data["evidence_note"],
                evidence_link=data["evidence_link"],
                evidence_file=data.get("evidence_file"),
                expected_version=data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Verification recorded."))
            return redirect("action_detail", reference=action.reference)
    context = {
        "form": form,
        "title": _("Verify the effect of %s") % action.reference,
        "intro": action.verification_plan or action.title,
    }
    return render(request, "core/form_page.html", context)
