"""The objectives screens (clause 6.2): the list with each objective's value and status
computed from its figure (filters, CSV/XLSX export), an objective's page with its trend,
the forms, withdrawing and reinstating.

Provider staff read; the management-system owner and administrators write (403 for other
staff); customers get 404.
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
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.planning import queries_objectives as queries
from serviceloop.planning import services_objectives as services
from serviceloop.planning.figures import figure_for
from serviceloop.planning.forms_objectives import ObjectiveFilterForm, ObjectiveForm, StateForm
from serviceloop.planning.models import ObjectiveState
from serviceloop.planning.permissions_management import (
    can_manage,
    get_objective_for,
    require_manage,
    require_staff,
)
from serviceloop.planning.queries_tailoring import disabled_modules


def _figure_label(code: str) -> str:
    figure = figure_for(code)
    return str(figure.label) if figure else code


COLUMNS = [
    Column(gettext_lazy("Reference"), lambda r: r[0].reference),
    Column(gettext_lazy("Title"), lambda r: r[0].title),
    Column(gettext_lazy("Owner"), lambda r: str(r[0].owner)),
    Column(gettext_lazy("Due"), lambda r: r[0].due_on),
    Column(gettext_lazy("Measured by"), lambda r: _figure_label(r[0].figure)),
    Column(gettext_lazy("Direction"), lambda r: r[0].get_direction_display()),
    Column(gettext_lazy("Target"), lambda r: r[0].target),
    Column(gettext_lazy("Unit"), lambda r: r[0].unit),
    Column(gettext_lazy("Current value"), lambda r: r[1].value),
    Column(gettext_lazy("Basis"), lambda r: r[1].basis),
    Column(gettext_lazy("Status"), lambda r: r[1].status_label),
    Column(gettext_lazy("KPI code"), lambda r: r[0].kpi_code),
    Column(gettext_lazy("State"), lambda r: r[0].get_state_display()),
]


@login_required
def objective_list(request):
    require_staff(request.user)
    form = ObjectiveFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    objectives = queries.objectives_for_list(
        request.user,
        state=filters.get("state", ""),
        owner=filters.get("owner"),
        figure=filters.get("figure", ""),
        q=filters.get("q", ""),
    )
    rows = queries.evaluated(objectives, status=filters.get("status", ""))
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "objectives", COLUMNS, rows)
    context = {
        "form": form,
        "page": paginate(request, rows),
        "counts": [
            (status, queries.STATUS_LABELS[status], n)
            for status, n in queries.status_counts(rows).items()
            if n
        ],
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/objective_list.html", context)


@login_required
def objective_new(request):
    require_manage(request.user)
    form = ObjectiveForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_create(actor=request.user, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Objective %s created.") % objective.reference)
            return redirect("objective_detail", reference=objective.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("New objective")})


@login_required
def objective_detail(request, reference):
    objective = get_objective_for(request.user, reference)
    figure = figure_for(objective.figure)
    now = timezone.now()
    context = {
        "objective": objective,
        "figure": figure,
        "evaluation": queries.evaluate(objective, now=now),
        "trend": queries.history(objective, now=now),
        "module_off": bool(figure) and figure.module in disabled_modules(),
        "risks": objective.risks.select_related("owner").order_by("-score"),
        "can_manage": can_manage(request.user),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "planning/objective_detail.html", context)


@login_required
def objective_edit(request, reference):
    objective = get_objective_for(request.user, reference, write=True)
    form = ObjectiveForm(request.POST or None, initial=ObjectiveForm.initial_for(objective))
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        if data["unit"] is None:
            figure = figure_for(data["figure"])
            data["unit"] = figure.unit if figure else ""
        try:
            services.objective_update(actor=request.user, objective=objective, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("objective_detail", reference=objective.reference)
    title = _("Edit %s") % objective.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def objective_state(request, reference):
    objective = get_objective_for(request.user, reference, write=True)
    form = StateForm(request.POST)
    if not form.is_valid() or form.cleaned_data["state"] not in ObjectiveState.values:
        messages.error(request, _("Choose a valid state."))
        return redirect("objective_detail", reference=objective.reference)
    try:
        services.objective_set_state(
            actor=request.user,
            objective=objective,
            state=form.cleaned_data["state"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Changes saved."))
    return redirect("objective_detail", reference=objective.reference)
