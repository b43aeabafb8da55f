"""The implementation plan screens: the overview (roll-ups, the timeline chart, milestones),
the item list, an item's page (progress, status, history), forms, milestones, and the XLSX
and PDF exports.

Provider staff read; the management-system owner and administrators write (403 for other
staff), and an item's owner reports its progress and moves its status; customers get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.planning import queries_plan as queries
from serviceloop.planning import reports
from serviceloop.planning import services_plan as services
from serviceloop.planning.forms import (
    MilestoneAchieveForm,
    MilestoneForm,
    PlanFilterForm,
    PlanItemForm,
    ProgressForm,
    TransitionForm,
)
from serviceloop.planning.models import ItemStatus, item_transitions_from
from serviceloop.planning.permissions import (
    can_manage,
    can_report_progress,
    get_milestone_for,
    get_plan_item_for,
    require_manage,
    require_staff,
)

ITEM_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Owner"), lambda i: str(i.owner)),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Percent complete"), "percent_complete"),
    Column(gettext_lazy("Start"), "start_on"),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Budget"), "budget"),
    Column(gettext_lazy("Currency"), "currency"),
    Column(gettext_lazy("Clauses"), lambda i: [c.number for c in i.clauses.all()]),
    Column(gettext_lazy("Depends on"), lambda i: [d.reference for d in i.depends_on.all()]),
]
MILESTONE_COLUMNS = [
    Column(gettext_lazy("Milestone"), "title"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Date"), "due_on"),
    Column(gettext_lazy("Achieved on"), "achieved_on"),
    Column(gettext_lazy("Items to finish first"), lambda m: [i.reference for i in m.items.all()]),
]


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def plan_overview(request):
    require_staff(request.user)
    today = timezone.localdate()
    items = list(queries.items_for_list(request.user))
    milestones = list(queries.milestones_for_list(request.user))
    context = {
        "items": items,
        "milestones": milestones,
        "progress": queries.plan_progress(items, today),
        "timeline": queries.timeline_data(items, milestones, today),
        "today": today,
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/plan_overview.html", context)


@login_required
def plan_item_list(request):
    require_staff(request.user)
    form = PlanFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = queries.items_for_list(
        request.user,
        status=filters.get("status", ""),
        owner=filters.get("owner"),
        clause=filters.get("clause", ""),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "plan-items", ITEM_COLUMNS, items)
    context = {
        "form": form,
        "page": paginate(request, items),
        "today": timezone.localdate(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/plan_item_list.html", context)


@login_required
def plan_item_new(request):
    require_manage(request.user)
    today = timezone.localdate()
    form = PlanItemForm(
        request.POST or None,
        initial={"owner": request.user.pk, "start_on": today, "currency": "CNY"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.plan_item_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Plan item %s created.") % item.reference)
            return redirect("plan_item_detail", reference=item.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("New plan item")})


@login_required
def plan_item_detail(request, reference):
    item = get_plan_item_for(request.user, reference)
    today = timezone.localdate()
    may_progress = can_report_progress(request.user, item)
    context = {
        "item": item,
        "today": today,
        "overdue": item.is_overdue(today),
        "clauses": item.clauses.order_by("position"),
        "depends_on": item.depends_on.select_related("owner").order_by("reference"),
        "dependents": item.dependents.select_related("owner").order_by("reference"),
        "milestones": item.milestones.order_by("due_on"),
        "events": item.events.select_related("actor").order_by("at", "id"),
        "source": item.source_answer,
        "can_manage": can_manage(request.user),
        "may_progress": may_progress,
        "moves": item_transitions_from(item.status) if may_progress else [],
        "progress_form": ProgressForm(
            initial={"percent_complete": item.percent_complete, "version": item.version}
        )
        if may_progress and item.status != ItemStatus.DONE
        else None,
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "planning/plan_item_detail.html", context)


@login_required
def plan_item_edit(request, reference):
    item = get_plan_item_for(request.user, reference, write=True)
    form = PlanItemForm(request.POST or None, initial=PlanItemForm.initial_for(item), item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_item_update(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("plan_item_detail", reference=item.reference)
    title = _("Edit %s") % item.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def plan_item_move(request, reference):
    item = get_plan_item_for(request.user, reference, progress=True)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("plan_item_detail", reference=item.reference)
    try:
        services.plan_item_transition(
            actor=request.user,
            item=item,
            target=form.cleaned_data["target"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("plan_item_detail", reference=item.reference)


@login_required
@require_POST
def plan_item_progress(request, reference):
    item = get_plan_item_for(request.user, reference, progress=True)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("plan_item_detail", reference=item.reference)
    try:
        services.plan_item_progress(
            actor=request.user,
            item=item,
            percent=form.cleaned_data["percent_complete"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Progress saved."))
    return redirect("plan_item_detail", reference=item.reference)


# --- Milestones ----------------------------------------------------------------------------


@login_required
def milestone_list(request):
    require_staff(request.user)
    milestones = queries.milestones_for_list(request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "milestones", MILESTONE_COLUMNS, milestones)
    context = {
        "milestones": milestones,
        "today": timezone.localdate(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/milestone_list.html", context)


@login_required
def milestone_new(request):
    require_manage(request.user)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Milestone saved."))
            return redirect("milestone_list")
    return render(request, "core/form_page.html", {"form": form, "title": _("New milestone")})


@login_required
def milestone_edit(request, pk):
    milestone = get_milestone_for(request.user, pk, write=True)
    form = MilestoneForm(request.POST or None, initial=MilestoneForm.initial_for(milestone))
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_update(actor=request.user, milestone=milestone, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Milestone saved."))
            return redirect("milestone_list")
    title = _("Edit milestone %s") % milestone.title
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def milestone_achieve(request, pk):
    milestone = get_milestone_for(request.user, pk, write=True)
    form = MilestoneAchieveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid date."))
        return redirect("milestone_list")
    try:
        services.milestone_achieve(
            actor=request.user, milestone=milestone, achieved_on=form.cleaned_data["achieved_on"]
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Milestone saved."))
    return redirect("milestone_list")


# --- Exports -------------------------------------------------------------------------------


@login_required
def plan_export(request, fmt):
    require_staff(request.user)
    today = timezone.localdate()
    if fmt == "xlsx":
        response = HttpResponse(
            reports.plan_xlsx(request.user, today), content_type=reports.XLSX_TYPE
        )
    elif fmt == "pdf":
        try:
            body = reports.plan_pdf(request.user, today)
        except reports.PdfUnavailable:
            messages.error(
                request,
                _("PDF export is not available on this server (WeasyPrint is not installed)."),
            )
            return redirect("plan_overview")
        response = HttpResponse(body, content_type=reports.PDF_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = (
        f'attachment; filename="implementation-plan-{today.strftime("%Y%m%d")}.{fmt}"'
    )
    return response
