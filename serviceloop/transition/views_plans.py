"""The service transition plan screens: the list (with export), a plan's page with its
acceptance checklist, the form, and going live."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.transition import services_plans
from serviceloop.transition.forms import PlanCriterionForm, PlanFilterForm, PlanForm, PlanMoveForm
from serviceloop.transition.lifecycle import PlanStatus, plan_transitions_from
from serviceloop.transition.models import PlanCriterion, TransitionPlan
from serviceloop.transition.permissions import (
    can_operate,
    change_role,
    get_plan_for,
    require_operate,
    staff_only,
)

PLAN_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Service"), lambda p: p.service.name),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Criteria met"), lambda p: f"{p.met_count}/{p.criteria_count}"),
    Column(gettext_lazy("Target go-live"), "target_go_live"),
    Column(gettext_lazy("Went live"), "went_live_at"),
]


@login_required
def plan_list(request):
    staff_only(request.user)
    from django.db.models import Count, Q

    form = PlanFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    plans = (
        TransitionPlan.objects.visible_to(request.user)
        .select_related("service", "owner")
        .annotate(
            criteria_count=Count("criteria"),
            met_count=Count("criteria", filter=Q(criteria__met=True)),
        )
        .order_by("-created_at", "-id")
    )
    if status:
        plans = plans.filter(status=status)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "transition-plans", PLAN_COLUMNS, plans)
    return render(
        request,
        "transition/plan_list.html",
        {"form": form, "page": paginate(request, plans), "can_create": can_operate(request.user)},
    )


@login_required
def plan_new(request):
    require_operate(request.user)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services_plans.plan_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Transition plan %s opened.") % plan.reference)
            return redirect("plan_detail", reference=plan.reference)
    return render(
        request, "core/form_page.html", {"form": form, "title": _("New service transition plan")}
    )


@login_required
def plan_detail(request, reference):
    plan = get_plan_for(request.user, reference)
    role = change_role(request.user)
    can_write = role is not None and plan.status == PlanStatus.OPEN
    criteria = list(plan.criteria.select_related("checked_by"))
    context = {
        "plan": plan,
        "criteria": criteria,
        "can_write": can_write,
        "moves": plan_transitions_from(plan.status, role) if can_write else [],
        "refusals": services_plans.go_live_refusals(plan, timezone.localdate())
        if plan.status == PlanStatus.OPEN
        else [],
        "sla_automatic": any(c.automatic for c in criteria),
    }
    return render(request, "transition/plan_detail.html", context)


@login_required
@require_POST
def plan_criterion(request, reference, pk):
    plan = get_plan_for(request.user, reference, write=True)
    criterion = PlanCriterion.objects.filter(plan=plan, pk=pk).first()
    if criterion is None:
        raise Http404
    form = PlanCriterionForm(request.POST)
    if form.is_valid():
        try:
            services_plans.plan_criterion_record(
                actor=request.user, criterion=criterion, **form.cleaned_data
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Criterion recorded."))
    return redirect("plan_detail", reference=plan.reference)


@login_required
@require_POST
def plan_move(request, reference):
    plan = get_plan_for(request.user, reference, write=True)
    form = PlanMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("plan_detail", reference=plan.reference)
    try:
        services_plans.plan_transition(
            actor=request.user,
            plan=plan,
            target=form.cleaned_data["target"],
            note=form.cleaned_data.get("note") or "",
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("plan_detail", reference=plan.reference)
