"""The CMDB screens: items (list, record, page with relations, services, history and impact,
edit, status), relations, types, the CSV/XLSX import (upload → preview → confirm) and the
impact page. Staff only: to customers these pages do not exist (404)."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.portfolio import cmdb_import, queries
from serviceloop.portfolio import services_cmdb as services
from serviceloop.portfolio.forms_cmdb import (
    CiFilterForm,
    CiForm,
    CiMoveForm,
    CiTypeChoiceForm,
    CiTypeForm,
    ImportConfirmForm,
    ImportUploadForm,
    RelationForm,
)
from serviceloop.portfolio.history import history_rows
from serviceloop.portfolio.impact import Impact, impact_of
from serviceloop.portfolio.lifecycle import CiStatus
from serviceloop.portfolio.models import Asset, CiType, ConfigurationItem, RelationKind
from serviceloop.portfolio.permissions import (
    can_write_ci_types,
    can_write_cmdb,
    get_ci_for,
    get_ci_type_for,
    get_relation_for,
    staff_only,
)

GRAPH_LIMIT = 150  # items drawn on the item page; the impact page lists everything
GRAPH_OTHERS_LIMIT = 60  # services, and customers, drawn at most
IMPORT_SESSION_KEY = "portfolio_ci_import"

CI_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Name"), "name"),
    Column(_l("Type"), "ci_type.name"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Owner"), "owner"),
    Column(_l("Customer"), "organisation"),
    Column(_l("Location"), "location"),
    Column(_l("Supplier"), "supplier"),
    Column(_l("Version"), "version_label"),
    Column(
        _l("Attributes"), lambda item: "; ".join(f"{k}={v}" for k, v in item.attributes.items())
    ),
    Column(_l("Updated"), "updated_at"),
]
TYPE_COLUMNS = [
    Column(_l("Code"), "code"),
    Column(_l("Name"), "name"),
    Column(_l("Attributes"), lambda t: ", ".join(d["key"] for d in t.attributes)),
    Column(_l("Items"), "item_count"),
    Column(_l("In use"), "is_active"),
]
IMPACT_COLUMNS = [
    Column(_l("Kind"), "kind"),
    Column(_l("Reference"), "reference"),
    Column(_l("Name"), "name"),
    Column(_l("Type or status"), "detail"),
    Column(_l("Distance"), "depth"),
]


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Items ---------------------------------------------------------------------------------


@login_required
def ci_list(request):
    staff_only(request.user)
    form = CiFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = queries.cis_for_list(
        request.user,
        ci_type=filters.get("type"),
        status=filters.get("status", ""),
        owner=filters.get("owner"),
        customer=filters.get("customer"),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "configuration-items", CI_COLUMNS, items)
    context = {
        "form": form,
        "page": paginate(request, items),
        "can_write": can_write_cmdb(request.user),
        "can_write_types": can_write_ci_types(request.user),
    }
    return render(request, "portfolio/ci_list.html", context)


@login_required
def ci_new(request):
    staff_only(request.user)
    if not can_write_cmdb(request.user):
        raise PermissionDenied
    chooser = CiTypeChoiceForm(request.GET or None)
    if not chooser.is_valid():
        return render(
            request,
            "portfolio/ci_type_choose.html",
            {"form": chooser, "title": _("New configuration item")},
        )
    ci_type = chooser.cleaned_data["type"]
    form = CiForm(request.POST or None, ci_type=ci_type, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.ci_create(
                actor=request.user,
                ci_type=ci_type,
                status=form.cleaned_data["status"],
                **form.service_fields(),
            )
        except ValidationError as error:
            _apply_ci_errors(form, error)
        else:
            messages.success(request, _("Configuration item %s recorded.") % item.reference)
            return redirect("ci_detail", reference=item.reference)
    title = _("New configuration item: %(type)s") % {"type": ci_type.name}
    return render(request, "portfolio/ci_form.html", {"form": form, "title": title})


def _apply_ci_errors(form: CiForm, error: ValidationError) -> None:
    """Attribute messages ("key: message") go under their own field when it is on the form."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            if field == "attributes":
                for text in texts:
                    key, _sep, message = text.partition(": ")
                    name = f"attr_{key}"
                    form.add_error(name if name in form.fields else None, message or text)
            else:
                form.add_error(field if field in form.fields else None, texts)
    else:
        apply_service_errors(form, error)


def _graph(impact: Impact, limit: int = GRAPH_LIMIT) -> dict:
    """Nodes and links for the ECharts graph (impact.js): the nearest items first, every
    service and customer, and the edges between the nodes drawn."""
    nodes, truncated = [], False
    for item in impact.items:
        if len(nodes) >= limit:
            truncated = True
            break
        nodes.append(
            {
                "id": item.key,
                "name": f"{item.reference} {item.name}",
                "category": 0 if item.depth == 0 else 1,
                "depth": item.depth,
            }
        )
    truncated = truncated or len(impact.services) > GRAPH_OTHERS_LIMIT
    truncated = truncated or len(impact.customers) > GRAPH_OTHERS_LIMIT
    for service in impact.services[:GRAPH_OTHERS_LIMIT]:
        nodes.append({"id": service.key, "name": service.name, "category": 2})
    for customer in impact.customers[:GRAPH_OTHERS_LIMIT]:
        nodes.append(
            {"id": customer.key, "name": customer.short_name or customer.name, "category": 3}
        )
    drawn = {node["id"] for node in nodes}
    links = [
        {"source": edge.source, "target": edge.target, "kind": edge.kind}
        for edge in impact.edges
        if edge.source in drawn and edge.target in drawn
    ]
    return {
        "nodes": nodes,
        "links": links,
        "truncated": truncated,
        "categories": [
            str(_("failing item")),
            str(_("impacted item")),
            str(_("service")),
            str(_("customer")),
        ],
        "kinds": {
            **{str(k): str(label) for k, label in RelationKind.choices},
            "component": str(_("component")),
            "entitled": str(_("entitled")),
        },
    }


@login_required
def ci_detail(request, reference):
    staff_only(request.user)
    item = get_ci_for(request.user, reference)
    outgoing, incoming = queries.relations_of(item)
    impact = impact_of([item.pk])
    can_write = can_write_cmdb(request.user) and item.status != CiStatus.RETIRED
    context = {
        "item": item,
        "outgoing": outgoing,
        "incoming": incoming,
        "components": item.service_components.select_related("service").order_by("service__name"),
        "asset": Asset.objects.filter(configuration_item=item).first(),
        "history": history_rows(queries.ci_history(item)),
        "impact": impact,
        "impact_items": impact.dependent_items[:20],
        "graph": _graph(impact),
        "can_write": can_write,
        "can_move": can_write_cmdb(request.user),
        "moves": services.ci_moves(item) if can_write_cmdb(request.user) else [],
        "relation_form": RelationForm() if can_write else None,
        "attributes": [
            (definition.get("label") or definition["key"], item.attributes.get(definition["key"]))
            for definition in item.ci_type.attributes
        ],
    }
    return render(request, "portfolio/ci_detail.html", context)


@login_required
def ci_edit(request, reference):
    staff_only(request.user)
    item = get_ci_for(request.user, reference, write=True)
    form = CiForm(
        request.POST or None,
        ci_type=item.ci_type,
        creating=False,
        initial=CiForm.initial_for(item),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.ci_update(
                actor=request.user,
                item=item,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            _apply_ci_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("ci_detail", reference=item.reference)
    title = _("Edit %s") % item.reference
    return render(request, "portfolio/ci_form.html", {"form": form, "title": title, "item": item})


@login_required
@require_POST
def ci_move(request, reference):
    staff_only(request.user)
    item = get_ci_for(request.user, reference, write=True)
    form = CiMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
    else:
        try:
            services.ci_transition(
                actor=request.user,
                item=item,
                target=form.cleaned_data["target"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            _errors_to_messages(request, error)
        else:
            messages.success(request, _("Status changed."))
    return redirect("ci_detail", reference=item.reference)


@login_required
@require_POST
def relation_add(request, reference):
    staff_only(request.user)
    item = get_ci_for(request.user, reference, write=True)
    form = RelationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("ci_detail", reference=item.reference)
    other = ConfigurationItem.objects.filter(reference=form.cleaned_data["other"]).first()
    if other is None:
        messages.error(request, _("No such configuration item: %s.") % form.cleaned_data["other"])
        return redirect("ci_detail", reference=item.reference)
    source, target = (item, other) if form.cleaned_data["direction"] == "out" else (other, item)
    try:
        services.relation_add(
            actor=request.user,
            source=source,
            kind=form.cleaned_data["kind"],
            target=target,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        _errors_to_messages(request, error)
    else:
        messages.success(request, _("Relation added."))
    return redirect("ci_detail", reference=item.reference)


@login_required
@require_POST
def relation_remove(request, pk):
    staff_only(request.user)
    relation = get_relation_for(request.user, pk, write=True)
    back = request.POST.get("back") or relation.source.reference
    services.relation_remove(actor=request.user, relation=relation)
    messages.success(request, _("Relation removed."))
    if not ConfigurationItem.objects.filter(reference=back).exists():
        back = relation.source.reference
    return redirect("ci_detail", reference=back)


@login_required
def ci_impact(request, reference):
    """Everything a failure of the item reaches, as lists (with export)."""
    staff_only(request.user)
    item = get_ci_for(request.user, reference)
    impact = impact_of([item.pk])
    fmt = export_format(request)
    if fmt:
        rows = [
            {
                "kind": _("item"),
                "reference": i.reference,
                "name": i.name,
                "detail": i.type_name,
                "depth": i.depth,
            }
            for i in impact.items
        ]
        rows += [
            {
                "kind": _("service"),
                "reference": s.code,
                "name": s.name,
                "detail": s.status,
                "depth": s.depth,
            }
            for s in impact.services
        ]
        rows += [
            {"kind": _("customer"), "reference": c.short_name, "name": c.name, "detail": ""}
            for c in impact.customers
        ]
        return export_response(fmt, f"impact-{item.reference}", IMPACT_COLUMNS, rows)
    service_names = {s.id: s.name for s in impact.services}
    customers = [
        (customer, [service_names.get(pk, "") for pk in customer.service_ids])
        for customer in impact.customers
    ]
    return render(
        request,
        "portfolio/ci_impact.html",
        {"item": item, "impact": impact, "customers": customers},
    )


# --- Types ---------------------------------------------------------------------------------


@login_required
def ci_type_list(request):
    staff_only(request.user)
    types = CiType.objects.visible_to(request.user).annotate(item_count=Count("items"))
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "ci-types", TYPE_COLUMNS, types)
    return render(
        request,
        "portfolio/ci_type_list.html",
        {"types": types, "can_write": can_write_ci_types(request.user)},
    )


@login_required
def ci_type_edit(request, pk=None):
    staff_only(request.user)
    if pk is None:
        if not can_write_ci_types(request.user):
            raise PermissionDenied
        ci_type, initial = None, {"is_active": True}
    else:
        ci_type = get_ci_type_for(request.user, pk, write=True)
        initial = CiTypeForm.initial_for(ci_type)
    form = CiTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            if ci_type is None:
                services.ci_type_create(actor=request.user, **data)
            else:
                services.ci_type_update(
                    actor=request.user, ci_type=ci_type, expected_version=version, **data
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Type saved."))
            return redirect("ci_type_list")
    title = _("New type") if ci_type is None else _("Edit %s") % ci_type.name
    return render(request, "core/form_page.html", {"form": form, "title": title})


# --- Import --------------------------------------------------------------------------------


def _require_writer(user) -> None:
    staff_only(user)
    if not can_write_cmdb(user):
        raise PermissionDenied


@login_required
def ci_import(request):
    _require_writer(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = cmdb_import.read_rows(form.cleaned_data["file"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            token = secrets.token_urlsafe(12)
            request.session[IMPORT_SESSION_KEY] = {
                "token": token,
                "filename": form.cleaned_data["file"].name[:200],
                "rows": [[number, values] for number, values in rows],
            }
            return redirect(f"{reverse('ci_import_preview')}?token={token}")
    return render(request, "portfolio/ci_import.html", {"form": form})


def _pending_import(request, token: str):
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or not token or pending.get("token") != token:
        raise Http404
    return pending


@login_required
def ci_import_preview(request):
    """The dry run of the uploaded rows (GET) and its confirmation (POST)."""
    _require_writer(request.user)
    if request.method == "POST":
        form = ImportConfirmForm(request.POST)
        if not form.is_valid():
            raise Http404
        pending = _pending_import(request, form.cleaned_data["token"])
        rows = [(number, values) for number, values in pending["rows"]]
        report = cmdb_import.ci_import(
            actor=request.user,
            rows=rows,
            commit=True,
            valid_only=form.cleaned_data["valid_only"],
        )
        if report.committed:
            del request.session[IMPORT_SESSION_KEY]
            messages.success(
                request,
                _("%(n)d configuration items imported.") % {"n": report.imported},
            )
            return render(
                request,
                "portfolio/ci_import_done.html",
                {"report": report, "filename": pending["filename"]},
            )
        messages.error(
            request,
            _("Nothing was imported: correct the rows below, or import only the valid rows."),
        )
    else:
        pending = _pending_import(request, request.GET.get("token", ""))
        rows = [(number, values) for number, values in pending["rows"]]
        report = cmdb_import.ci_import(actor=request.user, rows=rows, commit=False)
    labels = {key: str(label) for key, (label, _aliases) in cmdb_import.COLUMNS.items()}
    columns = [(key, labels.get(key, key)) for key in report.columns]
    table = []
    for row in report.rows:
        bad = {column for column, _message in row.errors}
        table.append((row, [(row.values.get(key, ""), key in bad) for key, _label in columns]))
    return render(
        request,
        "portfolio/ci_import_preview.html",
        {
            "report": report,
            "columns": columns,
            "table": table,
            "token": pending["token"],
            "filename": pending["filename"],
        },
    )


@login_required
def ci_import_template(request):
    """A CSV with the import's column names and one example row."""
    staff_only(request.user)
    header = "name,type,status,owner,location,supplier,version,organisation,description"
    example = "erp-db-01,database,active,admin,DC1 room 2,Oracle,19c,,ERP database"
    response = HttpResponse(
        "\ufeff" + header + "\r\n" + example + "\r\n", content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="configuration-items-template.csv"'
    return response
