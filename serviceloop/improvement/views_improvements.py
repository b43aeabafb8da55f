"""The improvement register screens (clause 10.2): the list (filters, CSV/XLSX export), an
improvement's page, the suggestion form (any staff member), the manager's form, the owner's
form, status moves and the measured benefit.

Provider staff read and suggest; managers decide and edit; owners update their own (403 for
other staff); customers get 404.
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
from serviceloop.improvement import queries_improvements as queries
from serviceloop.improvement import services_improvements as services
from serviceloop.improvement.forms_improvements import (
    ImprovementFilterForm,
    ImprovementForm,
    ImprovementMoveForm,
    MeasureForm,
    SuggestionForm,
)
from serviceloop.improvement.models import ImprovementSource, improvement_transitions_from
from serviceloop.improvement.models.improvements import MANAGER
from serviceloop.improvement.permissions_improvements import (
    can_manage,
    get_improvement_for,
    improvement_roles,
    require_staff,
)

LIST_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Source"), "get_source_display"),
    Column(gettext_lazy("Source reference"), "source_reference"),
    Column(gettext_lazy("Description"), "description"),
    Column(gettext_lazy("Expected benefit"), "benefit"),
    Column(gettext_lazy("Benefit rating"), "get_benefit_rating_display"),
    Column(gettext_lazy("Effort"), "get_effort_display"),
    Column(gettext_lazy("Priority"), "get_priority_display"),
    Column(gettext_lazy("Owner"), lambda i: str(i.owner) if i.owner else ""),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Target date"), "target_on"),
    Column(gettext_lazy("Implemented on"), "implemented_on"),
    Column(gettext_lazy("Measured benefit"), "measured_benefit"),
    Column(gettext_lazy("Figure"), "measured_figure"),
    Column(gettext_lazy("Unit"), "measured_unit"),
    Column(gettext_lazy("KPI"), lambda i: i.kpi.code if i.kpi else ""),
    Column(gettext_lazy("KPI before"), "kpi_before"),
    Column(gettext_lazy("KPI after"), "kpi_after"),
    Column(gettext_lazy("Suggested by"), lambda i: str(i.suggested_by) if i.suggested_by else ""),
    Column(gettext_lazy("Created"), "created_at"),
]


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def improvement_list(request):
    require_staff(request.user)
    today = timezone.localdate()
    form = ImprovementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    rows = queries.improvements_for_list(
        request.user,
        status="" if status == "open" else status,
        open_only=status == "open",
        source=filters.get("source", ""),
        priority=filters.get("priority", ""),
        owner=filters.get("owner"),
        overdue_on=today if filters.get("overdue") else None,
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "improvements", LIST_COLUMNS, rows)
    page = paginate(request, rows)
    context = {
        "form": form,
        "page": page,
        "rows": [(improvement, improvement.is_overdue(today)) for improvement in page],
        "today": today,
        "counts": queries.status_counts(request.user),
        "overdue_count": queries.improvements_for_list(request.user, overdue_on=today).count(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "improvement/improvement_list.html", context)


@login_required
def improvement_new(request):
    """A manager records any improvement; other staff suggest one (source: staff
    suggestion)."""
    require_staff(request.user)
    manager = can_manage(request.user)
    if manager:
        form = ImprovementForm(request.POST or None, initial={"source": "other"})
    else:
        form = SuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if not manager:
            fields["source"] = ImprovementSource.STAFF_SUGGESTION
        try:
            improvement = services.improvement_propose(request.user, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s recorded.") % improvement.reference)
            return redirect("improvement_detail", reference=improvement.reference)
    title = _("New improvement") if manager else _("Suggest an improvement")
    intro = (
        ""
        if manager
        else _(
            "Anyone on the staff may suggest how our services or the way we run them could be "
            "better. The management-system owner decides and names an owner."
        )
    )
    return render(request, "core/form_page.html", {"form": form, "title": title, "intro": intro})


@login_required
def improvement_detail(request, reference):
    improvement = get_improvement_for(request.user, reference)
    roles = improvement_roles(request.user, improvement)
    moves = improvement_transitions_from(improvement.status, roles)
    context = {
        "improvement": improvement,
        "today": timezone.localdate(),
        "overdue": improvement.is_overdue(timezone.localdate()),
        "moves": [m for m in moves if m.needs != "measurement"],
        "measure_form": MeasureForm(
            initial={"kpi": improvement.kpi_id, "version": improvement.version}
        )
        if any(m.needs == "measurement" for m in moves)
        else None,
        "owner_choices": ImprovementMoveForm().fields["owner"].queryset,
        "can_edit": bool(roles) and improvement.is_open,
        "can_manage": MANAGER in roles,
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "improvement/improvement_detail.html", context)


@login_required
def improvement_edit(request, reference):
    improvement = get_improvement_for(request.user, reference, write=True)
    owner_only = MANAGER not in improvement_roles(request.user, improvement)
    form = ImprovementForm(
        request.POST or None,
        owner_only=owner_only,
        initial=ImprovementForm.initial_for(improvement),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.improvement_update(
                actor=request.user,
                improvement=improvement,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("improvement_detail", reference=improvement.reference)
    title = _("Edit %s") % improvement.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def improvement_move(request, reference):
    improvement = get_improvement_for(request.user, reference, write=True)
    form = ImprovementMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("improvement_detail", reference=improvement.reference)
    try:
        services.improvement_transition(
            actor=request.user,
            improvement=improvement,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
            owner=form.cleaned_data.get("owner"),
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("improvement_detail", reference=improvement.reference)


@login_required
@require_POST
def improvement_measure(request, reference):
    improvement = get_improvement_for(request.user, reference, write=True)
    form = MeasureForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("improvement_detail", reference=improvement.reference)
    try:
        services.improvement_measure(
            actor=request.user,
            improvement=improvement,
            measured_benefit=form.cleaned_data["measured_benefit"],
            measured_figure=form.cleaned_data.get("measured_figure"),
            measured_unit=form.cleaned_data.get("measured_unit", ""),
            kpi=form.cleaned_data.get("kpi"),
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Benefit recorded."))
    return redirect("improvement_detail", reference=improvement.reference)
