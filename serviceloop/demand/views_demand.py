"""The demand screens: forecast against actual consumption per customer, service and period
(list with chart and export), a record's page with its history, and the forms.

Staff see every record; a customer manager sees his own organisation's (read only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.models import Organisation
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.demand import queries, services_demand
from serviceloop.demand.forms import DemandFilterForm, DemandForm
from serviceloop.demand.permissions import (
    can_create_any,
    can_edit_service_records,
    get_demand_record_for,
    is_staff,
    require_staff_writer,
)


def _variance_percent(record):
    if record.variance_amount is None or not record.forecast_quantity:
        return None
    return round(record.variance_amount * 100 / record.forecast_quantity, 1)


DEMAND_COLUMNS = [
    Column(gettext_lazy("Period"), lambda r: r.period.label),
    Column(gettext_lazy("Customer"), lambda r: r.organisation.name),
    Column(gettext_lazy("Service"), lambda r: r.service.name),
    Column(gettext_lazy("Unit"), "unit"),
    Column(gettext_lazy("Forecast"), "forecast_quantity"),
    Column(gettext_lazy("Actual"), "actual_quantity"),
    Column(gettext_lazy("Variance"), "variance_amount"),
    Column(gettext_lazy("Variance %"), _variance_percent),
    Column(gettext_lazy("Note"), "note"),
]


def _may_read_demand(user) -> bool:
    return is_staff(user) or (user.is_authenticated and user.has_capability(Capability.ORG_WIDE))


@login_required
def demand_list(request):
    if not _may_read_demand(request.user):
        raise Http404
    staff = is_staff(request.user)
    organisations = None if staff else Organisation.objects.filter(pk=request.user.organisation_id)
    form = DemandFilterForm(request.GET or None, organisations=organisations)
    data = form.cleaned_data if form.is_valid() else {}
    filters = {
        "organisation": data.get("organisation"),
        "service": data.get("service"),
        "period_kind": data.get("period_kind", ""),
        "year": data.get("year") or None,
    }
    records = queries.demand_for_list(request.user, **filters)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "demand", DEMAND_COLUMNS, records)
    page = paginate(request, records)
    rows = [(record, _variance_percent(record)) for record in page]
    summary = queries.demand_summary(request.user, **filters)
    return render(
        request,
        "demand/demand_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "summary": summary,
            "chart": queries.demand_chart(summary),
            "can_create": staff and can_create_any(request.user),
            "is_staff": staff,
        },
    )


@login_required
def demand_detail(request, pk):
    record = get_demand_record_for(request.user, pk)
    history = queries.demand_history(record)
    for item in history:
        item.variance_amount = item.variance
    return render(
        request,
        "demand/demand_detail.html",
        {
            "record": record,
            "history": [(item, _variance_percent(item)) for item in history],
            "chart": {
                "labels": [item.period.label for item in history],
                "forecast": [float(item.forecast_quantity) for item in history],
                "actual": [
                    float(item.actual_quantity) if item.actual_quantity is not None else None
                    for item in history
                ],
            },
            "can_edit": is_staff(request.user)
            and can_edit_service_records(request.user, record.service),
        },
    )


@login_required
def demand_new(request):
    require_staff_writer(request.user)
    form = DemandForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            record = services_demand.demand_record_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Demand record saved."))
            return redirect("demand_detail", pk=record.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("New demand record")})


@login_required
def demand_edit(request, pk):
    record = get_demand_record_for(request.user, pk, write=True)
    initial = {
        "period": record.period.label,
        "unit": record.unit,
        "forecast_quantity": record.forecast_quantity,
        "actual_quantity": record.actual_quantity,
        "note": record.note,
    }
    form = DemandForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_demand.demand_record_update(
                actor=request.user, record=record, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Demand record saved."))
            return redirect("demand_detail", pk=record.pk)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Edit demand record: %s") % record},
    )
