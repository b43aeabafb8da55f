"""The capacity screens: the plan list (with export), a plan's page with its chart and
forecast, the plan form, recording a measurement, the measurement list (with export), the
CSV import (upload → dry-run preview → confirm), alerts and capacity actions."""

import secrets

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

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.demand import queries, services_capacity, services_imports
from serviceloop.demand.forecast import ForecastStatus
from serviceloop.demand.forms import (
    ActionCloseForm,
    ActionForm,
    ForecastWindowForm,
    ImportConfirmForm,
    ImportUploadForm,
    MeasurementForm,
    PlanFilterForm,
    PlanForm,
)
from serviceloop.demand.permissions import (
    can_create_any,
    can_edit_plan,
    can_record_measurements,
    get_action_for,
    get_plan_for,
    get_plan_for_measuring,
    require_staff_writer,
    staff_only,
)
from serviceloop.demand.services_capacity_alerts import capacity_evaluate
from serviceloop.demand.validation import plain_number

IMPORT_SESSION_KEY = "demand_measurement_import"

PLAN_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Service"), lambda p: p.service.name if p.service_id else ""),
    Column(
        gettext_lazy("Configuration item"),
        lambda p: p.configuration_item.reference if p.configuration_item_id else "",
    ),
    Column(gettext_lazy("Resource"), "resource"),
    Column(gettext_lazy("Unit"), "unit"),
    Column(gettext_lazy("Warning threshold"), "warning_threshold"),
    Column(gettext_lazy("Critical threshold"), "critical_threshold"),
    Column(gettext_lazy("Direction"), "get_direction_display"),
    Column(gettext_lazy("Latest value"), "latest_value"),
    Column(gettext_lazy("Measured at"), "latest_at"),
    Column(gettext_lazy("Alert open"), lambda p: p.open_trigger or ""),
    Column(gettext_lazy("Owner"), lambda p: str(p.owner)),
    Column(gettext_lazy("Next review"), "review_date"),
    Column(gettext_lazy("Active"), "is_active"),
]
MEASUREMENT_COLUMNS = [
    Column(gettext_lazy("Measured at"), "at"),
    Column(gettext_lazy("Value"), "value"),
    Column(gettext_lazy("Source"), "get_source_display"),
    Column(gettext_lazy("Recorded by"), lambda m: str(m.recorded_by or "")),
]


@login_required
def plan_list(request):
    staff_only(request.user)
    form = PlanFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    plans = queries.plans_for_list(
        request.user,
        service=data.get("service"),
        status=data.get("status", ""),
        alert=data.get("alert", ""),
        search=data.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "capacity-plans", PLAN_COLUMNS, plans)
    return render(
        request,
        "demand/capacity_list.html",
        {
            "form": form,
            "page": paginate(request, plans),
            "can_create": can_create_any(request.user),
            "today": timezone.localdate(),
        },
    )


def _plan_form_values(form) -> dict:
    return dict(form.cleaned_data)


@login_required
def plan_new(request):
    require_staff_writer(request.user)
    form = PlanForm(request.POST or None, user=request.user, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services_capacity.plan_create(actor=request.user, **_plan_form_values(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Capacity plan %s opened.") % plan.reference)
            return redirect("capacity_plan_detail", reference=plan.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("New capacity plan")})


@login_required
def plan_edit(request, reference):
    plan = get_plan_for(request.user, reference, write=True)
    initial = {
        name: getattr(plan, name)
        for name in services_capacity.PLAN_FIELDS
        if name not in ("service", "configuration_item", "owner", "alert_team")
    } | {
        "service": plan.service_id,
        "configuration_item": plan.configuration_item_id,
        "owner": plan.owner_id,
        "alert_team": plan.alert_team_id,
    }
    form = PlanForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = _plan_form_values(form)
        if values.get("service") == plan.service:
            values.pop("service")  # unchanged: no right over another service needed
        try:
            services_capacity.plan_update(actor=request.user, plan=plan, **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Capacity plan saved."))
            return redirect("capacity_plan_detail", reference=plan.reference)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Edit capacity plan %s") % plan.reference},
    )


@login_required
def plan_detail(request, reference):
    plan = get_plan_for(request.user, reference)
    now = timezone.now()
    window_form = ForecastWindowForm(request.GET or None)
    window = (
        window_form.cleaned_data.get("window") if window_form.is_valid() else None
    ) or plan.forecast_window_days
    forecast = queries.plan_forecast(plan, now=now, window_days=window)
    warning = queries.plan_forecast(
        plan, now=now, window_days=window, threshold=plan.warning_threshold
    )
    recent = list(plan.measurements.select_related("recorded_by").order_by("-at")[:20])
    may_record = can_record_measurements(request.user, plan)
    context = {
        "plan": plan,
        "window": window,
        "window_choices": [
            value for value, _label in ForecastWindowForm.base_fields["window"].choices
        ],
        "forecast": queries.forecast_summary(forecast, now=now),
        "warning_forecast": queries.forecast_summary(warning, now=now),
        "statuses": ForecastStatus,
        "chart": queries.plan_chart(plan, forecast, now=now),
        "recent": recent,
        "latest": recent[0] if recent else None,
        "measurement_count": plan.measurements.count(),
        "alerts": list(plan.alerts.select_related("ticket", "action")[:20]),
        "actions": list(plan.actions.select_related("owner")),
        "can_edit": can_edit_plan(request.user, plan),
        "can_record": may_record,
        "measurement_form": MeasurementForm(
            initial={"at": timezone.localtime(now).replace(second=0, microsecond=0)}
        )
        if may_record
        else None,
        "warning_value": plain_number(plan.warning_threshold),
        "critical_value": plain_number(plan.critical_threshold),
    }
    return render(request, "demand/capacity_detail.html", context)


@login_required
def measurement_add(request, reference):
    plan = get_plan_for_measuring(request.user, reference)
    form = MeasurementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_capacity.measurement_record(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Measurement recorded."))
            return redirect("capacity_plan_detail", reference=plan.reference)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Record a measurement: %s") % plan.name},
    )


@login_required
def measurement_list(request, reference):
    plan = get_plan_for(request.user, reference)
    measurements = plan.measurements.select_related("recorded_by").order_by("-at", "-id")
    fmt = export_format(request)
    if fmt:
        return export_response(
            fmt, f"measurements-{plan.reference}", MEASUREMENT_COLUMNS, measurements
        )
    return render(
        request,
        "demand/measurement_list.html",
        {"plan": plan, "page": paginate(request, measurements, per_page=100)},
    )


@login_required
@require_POST
def plan_evaluate(request, reference):
    """Check the plan's alert now (the daily task does it for every plan)."""
    plan = get_plan_for_measuring(request.user, reference)
    try:
        outcome = capacity_evaluate(plan, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.info(
            request,
            {
                "opened": _("The plan is in alert: an alert was raised."),
                "open": _("The plan is in alert; its alert was already raised."),
                "cleared": _("The plan is no longer in alert: the alert is re-armed."),
                "quiet": _("The plan is not in alert."),
            }[outcome],
        )
    return redirect("capacity_plan_detail", reference=plan.reference)


# --- Import --------------------------------------------------------------------------------


@login_required
def measurement_import(request, reference):
    plan = get_plan_for_measuring(request.user, reference)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = services_imports.read_table(
                form.cleaned_data["file"],
                services_imports.MEASUREMENT_COLUMNS,
                services_imports.MEASUREMENT_REQUIRED,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            token = secrets.token_urlsafe(12)
            request.session[IMPORT_SESSION_KEY] = {
                "token": token,
                "plan": plan.pk,
                "filename": form.cleaned_data["file"].name[:200],
                "rows": [[number, values] for number, values in rows],
            }
            return redirect(
                reverse("capacity_import_preview", args=[plan.reference]) + f"?token={token}"
            )
    return render(
        request,
        "demand/import_upload.html",
        {
            "form": form,
            "title": _("Import measurements: %s") % plan.name,
            "back_url": reverse("capacity_plan_detail", args=[plan.reference]),
            "template_url": reverse("capacity_import_template"),
        },
    )


def _pending(request, key: str, token: str, **expected) -> dict:
    pending = request.session.get(key)
    if not pending or not token or pending.get("token") != token:
        raise Http404
    if any(pending.get(name) != value for name, value in expected.items()):
        raise Http404
    return pending


def import_preview_context(report, columns_spec, pending, token) -> dict:
    labels = {key: str(label) for key, (label, _aliases) in columns_spec.items()}
    columns = [(key, labels.get(key, key)) for key in report.columns]
    table = []
    for row in report.rows:
        bad = {column for column, _message in row.errors}
        table.append((row, [(row.values.get(key, ""), key in bad) for key, _label in columns]))
    return {
        "report": report,
        "columns": columns,
        "table": table,
        "token": token,
        "filename": pending["filename"],
    }


@login_required
def measurement_import_preview(request, reference):
    """The dry run of the uploaded rows (GET) and its confirmation (POST): all rows are
    imported together, and only when none is bad."""
    plan = get_plan_for_measuring(request.user, reference)
    if request.method == "POST":
        form = ImportConfirmForm(request.POST)
        if not form.is_valid():
            raise Http404
        token = form.cleaned_data["token"]
    else:
        token = request.GET.get("token", "")
    pending = _pending(request, IMPORT_SESSION_KEY, token, plan=plan.pk)
    rows = [(number, values) for number, values in pending["rows"]]
    report = services_imports.measurement_import(
        actor=request.user, plan=plan, rows=rows, commit=request.method == "POST"
    )
    if report.committed:
        del request.session[IMPORT_SESSION_KEY]
        messages.success(request, _("%(n)d measurements imported.") % {"n": report.imported})
        return redirect("capacity_plan_detail", reference=plan.reference)
    if request.method == "POST":
        messages.error(request, _("Nothing was imported: correct the file and upload it again."))
    context = import_preview_context(report, services_imports.MEASUREMENT_COLUMNS, pending, token)
    context |= {
        "title": _("Import preview: %s") % plan.name,
        "upload_url": reverse("capacity_import", args=[plan.reference]),
        "back_url": reverse("capacity_plan_detail", args=[plan.reference]),
    }
    return render(request, "demand/import_preview.html", context)


@login_required
def measurement_import_template(request):
    staff_only(request.user)
    body = "\ufeffat,value\r\n2026-03-01 12:00,42.5\r\n2026-03-02 12:00,43.1\r\n"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="measurements-template.csv"'
    return response


# --- Actions -------------------------------------------------------------------------------


@login_required
def action_new(request, reference):
    plan = get_plan_for_measuring(request.user, reference)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_capacity.action_create(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Capacity action recorded."))
            return redirect("capacity_plan_detail", reference=plan.reference)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("New capacity action: %s") % plan.name},
    )


@login_required
@require_POST
def action_close(request, reference, pk):
    plan = get_plan_for(request.user, reference)
    action = get_action_for(request.user, plan, pk, write=True)
    form = ActionCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose done or cancelled."))
        return redirect("capacity_plan_detail", reference=plan.reference)
    try:
        services_capacity.action_close(actor=request.user, action=action, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Capacity action closed."))
    return redirect("capacity_plan_detail", reference=plan.reference)
