"""The service catalogue screens: the staff list (filters, export), a service's page (plan,
dependencies, components, entitled customers, checklist, history), create and edit, status
changes; and the customers' catalogue in the portal (live, entitled services, customer
description only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.portfolio import queries
from serviceloop.portfolio import services_catalogue as services
from serviceloop.portfolio.forms_catalogue import (
    ChecklistAddForm,
    ChecklistToggleForm,
    ComponentForm,
    DependencyForm,
    ServiceFilterForm,
    ServiceForm,
    ServiceMoveForm,
)
from serviceloop.portfolio.history import history_rows
from serviceloop.portfolio.models import (
    ConfigurationItem,
    ServiceChecklistItem,
    ServiceComponent,
    ServiceDependency,
    ServiceStatus,
)
from serviceloop.portfolio.permissions import (
    can_edit_service,
    can_manage_services,
    get_portal_service_for,
    get_service_for,
    is_staff,
    staff_only,
)

SERVICE_COLUMNS = [
    Column(_l("Code"), "code"),
    Column(_l("Name"), "name"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Owner"), "owner"),
    Column(_l("Service hours"), "hours.label"),
    Column(_l("Customers"), "customer_count"),
    Column(_l("Components"), "component_count"),
    Column(_l("Budget"), "budget_amount"),
    Column(_l("Budget currency"), "budget_currency"),
    Column(_l("Live since"), "live_since"),
    Column(_l("Description for customers"), "summary"),
]


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def service_list(request):
    staff_only(request.user)
    form = ServiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    services_qs = queries.services_for_list(
        request.user,
        status=filters.get("status", ""),
        owner=filters.get("owner"),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "services", SERVICE_COLUMNS, services_qs)
    return render(
        request,
        "portfolio/service_list.html",
        {
            "form": form,
            "page": paginate(request, services_qs),
            "can_create": can_manage_services(request.user),
        },
    )


@login_required
def service_new(request):
    staff_only(request.user)
    if not can_manage_services(request.user):
        raise PermissionDenied
    form = ServiceForm(request.POST or None, initial={"budget_currency": "CNY"})
    if request.method == "POST" and form.is_valid():
        try:
            service = services.service_create(
                actor=request.user,
                customers=form.cleaned_data["customers"],
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Service recorded in the pipeline."))
            return redirect("service_detail", pk=service.pk)
    return render(request, "portfolio/service_form.html", {"form": form, "title": _("New service")})


@login_required
def service_detail(request, pk):
    service = get_service_for(request.user, pk)
    can_edit = can_edit_service(request.user, service)
    editable = can_edit and service.status != ServiceStatus.RETIRED
    checklist = list(service.checklist.select_related("done_by"))
    context = {
        "service": service,
        "can_edit": can_edit,
        "editable": editable,
        "moves": services.service_moves(service) if can_edit else [],
        "checklist": checklist,
        "checklist_open": sum(1 for item in checklist if not item.done),
        "checklist_workable": editable and service.status == ServiceStatus.PIPELINE,
        "customers": service.customers.order_by("name"),
        "dependencies": service.dependencies.select_related("depends_on").order_by(
            "depends_on__name"
        ),
        "dependents": service.dependents.select_related("service").order_by("service__name"),
        "components": service.components.select_related("configuration_item__ci_type").order_by(
            "configuration_item__name"
        ),
        "history": history_rows(queries.service_history(service)),
        "dependency_form": DependencyForm(service=service) if editable else None,
        "component_form": ComponentForm() if editable else None,
        "checklist_form": ChecklistAddForm() if editable else None,
    }
    return render(request, "portfolio/service_detail.html", context)


@login_required
def service_edit(request, pk):
    service = get_service_for(request.user, pk, write=True)
    form = ServiceForm(request.POST or None, initial=ServiceForm.initial_for(service))
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(
                actor=request.user,
                service=service,
                expected_version=form.cleaned_data.get("version"),
                customers=form.cleaned_data["customers"],
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("service_detail", pk=service.pk)
    return render(
        request,
        "portfolio/service_form.html",
        {"form": form, "title": _("Edit %s") % service.name, "service": service},
    )


@login_required
@require_POST
def service_move(request, pk):
    service = get_service_for(request.user, pk, write=True)
    form = ServiceMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
    else:
        try:
            services.service_transition(
                actor=request.user,
                service=service,
                target=form.cleaned_data["target"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Status changed."))
    return redirect("service_detail", pk=service.pk)


@login_required
@require_POST
def checklist_toggle(request, pk, item_pk):
    service = get_service_for(request.user, pk, write=True)
    item = ServiceChecklistItem.objects.filter(service=service, pk=item_pk).first()
    if item is None:
        raise Http404
    form = ChecklistToggleForm(request.POST)
    form.is_valid()
    try:
        services.checklist_set_done(
            actor=request.user, item=item, done=form.cleaned_data.get("done", False)
        )
    except ValidationError as error:
        _messages_from(request, error)
    return redirect("service_detail", pk=service.pk)


@login_required
@require_POST
def checklist_add(request, pk):
    service = get_service_for(request.user, pk, write=True)
    form = ChecklistAddForm(request.POST)
    if form.is_valid():
        try:
            services.checklist_add(
                actor=request.user, service=service, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            _messages_from(request, error)
    else:
        messages.error(request, _("Describe the step."))
    return redirect("service_detail", pk=service.pk)


@login_required
@require_POST
def dependency_add(request, pk):
    service = get_service_for(request.user, pk, write=True)
    form = DependencyForm(request.POST, service=service)
    if not form.is_valid():
        messages.error(request, _("Choose the service it depends on."))
        return redirect("service_detail", pk=service.pk)
    try:
        services.dependency_add(
            actor=request.user,
            service=service,
            depends_on=form.cleaned_data["depends_on"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Dependency added."))
    return redirect("service_detail", pk=service.pk)


@login_required
@require_POST
def dependency_remove(request, pk, dependency_pk):
    service = get_service_for(request.user, pk, write=True)
    dependency = ServiceDependency.objects.filter(service=service, pk=dependency_pk).first()
    if dependency is None:
        raise Http404
    services.dependency_remove(actor=request.user, dependency=dependency)
    messages.success(request, _("Dependency removed."))
    return redirect("service_detail", pk=service.pk)


@login_required
@require_POST
def component_add(request, pk):
    service = get_service_for(request.user, pk, write=True)
    form = ComponentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the configuration item's reference."))
        return redirect("service_detail", pk=service.pk)
    reference = form.cleaned_data["configuration_item"]
    item = ConfigurationItem.objects.filter(reference=reference).first()
    if item is None:
        messages.error(request, _("No such configuration item: %s.") % reference)
        return redirect("service_detail", pk=service.pk)
    try:
        services.component_add(
            actor=request.user,
            service=service,
            configuration_item=item,
            role=form.cleaned_data["role"],
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Component added."))
    return redirect("service_detail", pk=service.pk)


@login_required
@require_POST
def component_remove(request, pk, component_pk):
    service = get_service_for(request.user, pk, write=True)
    component = ServiceComponent.objects.filter(service=service, pk=component_pk).first()
    if component is None:
        raise Http404
    services.component_remove(actor=request.user, component=component)
    messages.success(request, _("Component removed."))
    return redirect("service_detail", pk=service.pk)


# --- The customers' catalogue --------------------------------------------------------------


@login_required
def portal_service_list(request):
    """The live services the customer's organisation is entitled to (customers only)."""
    if is_staff(request.user) or request.user.organisation_id is None:
        raise Http404
    return render(
        request,
        "portfolio/portal_service_list.html",
        {"services": queries.portal_services_for(request.user)},
    )


@login_required
def portal_service_detail(request, pk):
    service = get_portal_service_for(request.user, pk)
    return render(request, "portfolio/portal_service_detail.html", {"service": service})
