"""The asset screens (clause 8.2.5): list with export, record, page with the financial record
and the lifecycle, edit. Staff only (customers: 404); read-only staff may look (403 on writes).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.models import AuditEvent
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.portfolio import queries
from serviceloop.portfolio import services_assets as services
from serviceloop.portfolio.forms_cmdb import AssetFilterForm, AssetForm, AssetMoveForm
from serviceloop.portfolio.history import history_rows
from serviceloop.portfolio.models import Asset, AssetStatus, ConfigurationItem
from serviceloop.portfolio.permissions import can_write_cmdb, get_asset_for, staff_only

ASSET_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Name"), "name"),
    Column(_l("Tag"), "tag"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Configuration item"), "configuration_item.reference"),
    Column(_l("Purchase date"), "purchase_date"),
    Column(_l("Cost"), "cost"),
    Column(_l("Currency"), "currency"),
    Column(_l("Supplier"), "supplier"),
    Column(_l("Warranty end"), "warranty_end"),
    Column(_l("Depreciation (months)"), "depreciation_months"),
    Column(_l("Book value today"), lambda a: a.book_value(timezone.localdate())),
]


@login_required
def asset_list(request):
    staff_only(request.user)
    form = AssetFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    assets = queries.assets_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "assets", ASSET_COLUMNS, assets)
    return render(
        request,
        "portfolio/asset_list.html",
        {
            "form": form,
            "page": paginate(request, assets),
            "can_write": can_write_cmdb(request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
def asset_new(request):
    staff_only(request.user)
    if not can_write_cmdb(request.user):
        raise PermissionDenied
    form = AssetForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create(
                actor=request.user, status=form.cleaned_data["status"], **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Asset %s recorded.") % asset.reference)
            return redirect("asset_detail", reference=asset.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("New asset")})


@login_required
def asset_detail(request, reference):
    staff_only(request.user)
    asset = get_asset_for(request.user, reference)
    today = timezone.localdate()
    can_write = can_write_cmdb(request.user)
    events = (
        AuditEvent.objects.filter(object_type=Asset._meta.label_lower, object_id=str(asset.pk))
        .select_related("actor")
        .order_by("id")
    )
    context = {
        "asset": asset,
        "book_value": asset.book_value(today),
        "warranty_active": asset.warranty_active(today),
        "can_write": can_write and asset.status != AssetStatus.DISPOSED,
        "moves": services.asset_moves(asset) if can_write else [],
        "history": history_rows(events),
    }
    return render(request, "portfolio/asset_detail.html", context)


@login_required
def asset_edit(request, reference):
    staff_only(request.user)
    asset = get_asset_for(request.user, reference, write=True)
    form = AssetForm(request.POST or None, creating=False, initial=AssetForm.initial_for(asset))
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_update(
                actor=request.user,
                asset=asset,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("asset_detail", reference=asset.reference)
    return render(
        request, "core/form_page.html", {"form": form, "title": _("Edit %s") % asset.reference}
    )


@login_required
@require_POST
def asset_move(request, reference):
    staff_only(request.user)
    asset = get_asset_for(request.user, reference, write=True)
    form = AssetMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("asset_detail", reference=asset.reference)
    item = None
    wanted = form.cleaned_data["configuration_item"].strip().upper()
    if wanted:
        item = ConfigurationItem.objects.filter(reference=wanted).first()
        if item is None:
            messages.error(request, _("No such configuration item: %s.") % wanted)
            return redirect("asset_detail", reference=asset.reference)
    try:
        services.asset_transition(
            actor=request.user,
            asset=asset,
            target=form.cleaned_data["target"],
            configuration_item=item,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("asset_detail", reference=asset.reference)
