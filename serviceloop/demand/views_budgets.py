"""The budgeting and accounting screens: the variance report (budget against actual per
service and period, the budget list, with export), a budget's page (costs per category and
month, chart), the forms, the cost lines (list with export, form, CSV import) and the cost
allocation to customers (with export)."""

import secrets
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.demand import queries_budgets, services_budgets, services_imports
from serviceloop.demand.forms import (
    AllocationForm,
    BudgetFilterForm,
    BudgetForm,
    CostFilterForm,
    CostLineForm,
    ImportConfirmForm,
    ImportUploadForm,
)
from serviceloop.demand.models import CostCategory, CostLine
from serviceloop.demand.permissions import (
    can_create_any,
    can_edit_service_records,
    get_budget_for,
    get_cost_line_for,
    require_staff_writer,
    staff_only,
)
from serviceloop.demand.views_capacity import _pending, import_preview_context

IMPORT_SESSION_KEY = "demand_cost_import"

BUDGET_COLUMNS = [
    Column(gettext_lazy("Service"), lambda b: b.service.name),
    Column(gettext_lazy("Period"), lambda b: b.period.label),
    Column(gettext_lazy("Currency"), "currency"),
    Column(gettext_lazy("Budget"), lambda b: queries_budgets.money(b.amount)),
    Column(gettext_lazy("Actual"), lambda b: queries_budgets.money(b.actual)),
    Column(gettext_lazy("Variance"), lambda b: queries_budgets.money(b.variance)),
    Column(gettext_lazy("Variance %"), queries_budgets.variance_percent),
    Column(gettext_lazy("Lines in other currencies"), "other_currency_lines"),
]
COST_COLUMNS = [
    Column(gettext_lazy("Date"), "date"),
    Column(gettext_lazy("Service"), lambda c: c.service.name),
    Column(gettext_lazy("Category"), "get_category_display"),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Currency"), "currency"),
    Column(gettext_lazy("Supplier"), lambda c: c.supplier.name if c.supplier_id else ""),
    Column(gettext_lazy("Note"), "note"),
    Column(gettext_lazy("Source"), "get_source_display"),
]
ALLOCATION_COLUMNS = [
    Column(gettext_lazy("Customer"), lambda r: r.organisation.name),
    Column(gettext_lazy("Driver count"), "count"),
    Column(gettext_lazy("Share %"), "share"),
    Column(gettext_lazy("Allocated amount"), "amount"),
]


# --- Budgets and the variance report -------------------------------------------------------


@login_required
def budget_list(request):
    staff_only(request.user)
    form = BudgetFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    budgets = queries_budgets.budgets_with_actuals(
        request.user,
        year=data.get("year") or None,
        service=data.get("service"),
        period_kind=data.get("period_kind", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "budget-variance", BUDGET_COLUMNS, budgets)
    page = paginate(request, budgets)
    rows = [(budget, queries_budgets.variance_percent(budget)) for budget in page]
    return render(
        request,
        "demand/budget_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "can_create": can_create_any(request.user),
        },
    )


@login_required
def budget_detail(request, pk):
    budget = get_budget_for(request.user, pk)
    budget = queries_budgets.budgets_with_actuals(request.user).get(pk=budget.pk)
    labels = dict(CostCategory.choices)
    categories = [
        {**row, "label": str(labels.get(row["category"], row["category"]))}
        for row in queries_budgets.costs_by_category(budget)
    ]
    months = queries_budgets.costs_by_month(budget)
    this_month = timezone.localdate().strftime("%Y-%m")
    monthly, cumulative, running = [], [], Decimal("0")
    for month, total in months:
        if month > this_month:  # the future: nothing spent yet, nothing drawn
            monthly.append(None)
            cumulative.append(None)
            continue
        running += total
        monthly.append(float(total))
        cumulative.append(float(running))
    lines = (
        CostLine.objects.filter(
            service=budget.service,
            date__gte=budget.period_start,
            date__lt=budget.period_end,
        )
        .select_related("supplier")
        .order_by("-date", "-id")
    )
    return render(
        request,
        "demand/budget_detail.html",
        {
            "budget": budget,
            "percent": queries_budgets.variance_percent(budget),
            "categories": categories,
            "lines": lines[:50],
            "line_count": lines.count(),
            "chart": {
                "months": [month for month, _total in months],
                "monthly": monthly,
                "cumulative": cumulative,
                "budget": float(budget.amount),
                "categories": [
                    {"name": row["label"], "value": float(row["total"])} for row in categories
                ],
                "currency": budget.currency,
            },
            "can_edit": can_edit_service_records(request.user, budget.service),
            "drivers": queries_budgets.Driver.choices,
        },
    )


@login_required
def budget_new(request):
    require_staff_writer(request.user)
    form = BudgetForm(request.POST or None, user=request.user, initial={"currency": "CNY"})
    if request.method == "POST" and form.is_valid():
        try:
            budget = services_budgets.budget_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Budget saved."))
            return redirect("budget_detail", pk=budget.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("New budget")})


@login_required
def budget_edit(request, pk):
    budget = get_budget_for(request.user, pk, write=True)
    initial = {
        "period": budget.period.label,
        "amount": budget.amount,
        "currency": budget.currency,
        "note": budget.note,
    }
    form = BudgetForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_budgets.budget_update(actor=request.user, budget=budget, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Budget saved."))
            return redirect("budget_detail", pk=budget.pk)
    return render(
        request, "core/form_page.html", {"form": form, "title": _("Edit budget: %s") % budget}
    )


# --- Cost lines ----------------------------------------------------------------------------


@login_required
def cost_line_list(request):
    staff_only(request.user)
    form = CostFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    lines = (
        CostLine.objects.visible_to(request.user)
        .select_related("service", "supplier")
        .order_by("-date", "-id")
    )
    if data.get("service"):
        lines = lines.filter(service=data["service"])
    if data.get("category"):
        lines = lines.filter(category=data["category"])
    if data.get("period"):
        lines = lines.filter(date__gte=data["period"].start, date__lt=data["period"].end)
    if data.get("q"):
        lines = lines.filter(Q(note__icontains=data["q"]) | Q(supplier__name__icontains=data["q"]))
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "cost-lines", COST_COLUMNS, lines)
    return render(
        request,
        "demand/cost_list.html",
        {
            "form": form,
            "page": paginate(request, lines),
            "can_create": can_create_any(request.user),
        },
    )


@login_required
def cost_line_new(request):
    require_staff_writer(request.user)
    form = CostLineForm(request.POST or None, user=request.user, initial={"currency": "CNY"})
    if request.method == "POST" and form.is_valid():
        try:
            services_budgets.cost_line_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Cost recorded."))
            return redirect("cost_line_list")
    return render(request, "core/form_page.html", {"form": form, "title": _("New cost line")})


@login_required
def cost_line_edit(request, pk):
    line = get_cost_line_for(request.user, pk, write=True)
    initial = {
        "service": line.service_id,
        "date": line.date,
        "category": line.category,
        "amount": line.amount,
        "currency": line.currency,
        "supplier": line.supplier_id,
        "note": line.note,
    }
    form = CostLineForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        if values.get("service") == line.service:
            values.pop("service")
        try:
            services_budgets.cost_line_update(actor=request.user, line=line, **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Cost line saved."))
            return redirect("cost_line_list")
    return render(
        request, "core/form_page.html", {"form": form, "title": _("Edit cost line: %s") % line}
    )


@login_required
def cost_import(request):
    require_staff_writer(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = services_imports.read_table(
                form.cleaned_data["file"],
                services_imports.COST_COLUMNS,
                services_imports.COST_REQUIRED,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            token = secrets.token_urlsafe(12)
            request.session[IMPORT_SESSION_KEY] = {
                "token": token,
                "filename": form.cleaned_data["file"].name[:200],
                "rows": [[number, values] for number, values in rows],
            }
            return redirect(reverse("cost_import_preview") + f"?token={token}")
    return render(
        request,
        "demand/import_upload.html",
        {
            "form": form,
            "title": _("Import cost lines"),
            "back_url": reverse("cost_line_list"),
            "template_url": reverse("cost_import_template"),
        },
    )


@login_required
def cost_import_preview(request):
    """The dry run (GET) and its confirmation (POST): all rows or none."""
    require_staff_writer(request.user)
    if request.method == "POST":
        form = ImportConfirmForm(request.POST)
        if not form.is_valid():
            raise Http404
        token = form.cleaned_data["token"]
    else:
        token = request.GET.get("token", "")
    pending = _pending(request, IMPORT_SESSION_KEY, token)
    rows = [(number, values) for number, values in pending["rows"]]
    report = services_imports.cost_line_import(
        actor=request.user, rows=rows, commit=request.method == "POST"
    )
    if report.committed:
        del request.session[IMPORT_SESSION_KEY]
        messages.success(request, _("%(n)d cost lines imported.") % {"n": report.imported})
        return redirect("cost_line_list")
    if request.method == "POST":
        messages.error(request, _("Nothing was imported: correct the file and upload it again."))
    context = import_preview_context(report, services_imports.COST_COLUMNS, pending, token)
    context |= {
        "title": _("Import preview: cost lines"),
        "upload_url": reverse("cost_import"),
        "back_url": reverse("cost_line_list"),
    }
    return render(request, "demand/import_preview.html", context)


@login_required
def cost_import_template(request):
    staff_only(request.user)
    body = (
        "\ufeffdate,service,category,amount,currency,supplier,note\r\n"
        "2026-03-31,email,licence,12000.00,CNY,,Exchange licences Q1\r\n"
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cost-lines-template.csv"'
    return response


# --- Allocation ----------------------------------------------------------------------------


@login_required
def cost_allocation(request):
    staff_only(request.user)
    form = AllocationForm(request.GET or None)
    allocation = None
    if form.is_valid():
        data = form.cleaned_data
        allocation = queries_budgets.cost_allocation(
            data["service"], data["period"], data["driver"], (data.get("currency") or "").upper()
        )
        fmt = export_format(request)
        if fmt:
            name = f"allocation-{data['service'].code}-{data['period'].label}-{data['driver']}"
            return export_response(fmt, name, ALLOCATION_COLUMNS, allocation.rows)
    return render(
        request,
        "demand/allocation.html",
        {
            "form": form,
            "allocation": allocation,
            "driver_label": dict(queries_budgets.Driver.choices).get(
                allocation.driver if allocation else ""
            ),
        },
    )
