"""The supplier screens: suppliers and their contacts, the tickets that waited on them,
contracts and their obligations. (Reviews and disputes: ``views_suppliers_records``.)

Every screen is staff only (404 for customers); changes need the operate capability (403
for the read-only roles). Lists export to CSV and XLSX with their filters."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column
from serviceloop.desk.models import Ticket
from serviceloop.relationship import queries_suppliers as queries
from serviceloop.relationship import services_suppliers as services
from serviceloop.relationship import services_suppliers_contracts as contract_services
from serviceloop.relationship.forms_suppliers import (
    ContactForm,
    ContractFilterForm,
    ContractForm,
    ContractMoveForm,
    ObligationEditForm,
    ObligationForm,
    SupplierFilterForm,
    SupplierForm,
    TicketLinkFilterForm,
    TicketLinkForm,
)
from serviceloop.relationship.models.suppliers import CONTRACT_TRANSITIONS, moves_from
from serviceloop.relationship.permissions_suppliers import (
    get_contact_for,
    get_contract_for,
    get_obligation_for,
    get_supplier_for,
    get_ticket_link_for,
    require_supplier_writer,
    staff_only,
    supplier_role,
)
from serviceloop.relationship.views_suppliers_common import (
    changed_fields,
    filtered_list_page,
    flash_errors,
    flash_form_errors,
    posted_form_apply,
    record_form_page,
    status_move_apply,
)

SUPPLIER_COLUMNS = [
    Column(_l("Name"), "name"),
    Column(_l("Kind"), "get_kind_display"),
    Column(_l("Customer acting as a supplier"), "is_customer_as_supplier"),
    Column(_l("Organisation"), "organisation"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Supplier manager"), "manager"),
    Column(_l("Active contracts"), "active_contracts"),
    Column(_l("Open disputes"), "open_disputes"),
    Column(_l("What the supplier provides"), "services_provided"),
]
CONTRACT_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "title"),
    Column(_l("Supplier"), "supplier.name"),
    Column(_l("Supplier's contract number"), "supplier_reference"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Start"), "start_date"),
    Column(_l("End"), "end_date"),
    Column(_l("Renewal notice (days)"), "notice_period_days"),
    Column(_l("Notice period begins"), "notice_date"),
    Column(_l("Value"), "value"),
    Column(_l("Currency"), "currency"),
    Column(_l("Owner"), "owner"),
    Column(_l("Obligations"), "obligation_count"),
]
TICKET_LINK_COLUMNS = [
    Column(_l("Ticket"), "ticket.reference"),
    Column(_l("Title"), "ticket.title"),
    Column(_l("Type"), "ticket.get_kind_display"),
    Column(_l("Status"), "ticket.get_status_display"),
    Column(_l("Customer"), "ticket.organisation"),
    Column(_l("Supplier"), "supplier.name"),
    Column(_l("Caused by the supplier"), "caused_incident"),
    Column(_l("Note"), "note"),
    Column(_l("Recorded"), "recorded_at"),
    Column(_l("Recorded by"), "recorded_by"),
]


# --- Suppliers -----------------------------------------------------------------------------


@login_required
def supplier_list(request):
    return filtered_list_page(
        request,
        SupplierFilterForm,
        lambda filters: queries.suppliers_for_list(
            request.user,
            q=filters.get("q", ""),
            kind=filters.get("kind", ""),
            status=filters.get("status", ""),
        ),
        export_name="suppliers",
        columns=SUPPLIER_COLUMNS,
        template="relationship/supplier_list.html",
    )


@login_required
def supplier_new(request):
    staff_only(request.user)
    require_supplier_writer(request.user)
    form = SupplierForm(request.POST or None, initial={"kind": "external", "status": "active"})
    return record_form_page(
        request,
        form,
        save=lambda data: services.supplier_create(actor=request.user, **data),
        saved=_("Supplier recorded."),
        done=lambda supplier: redirect("supplier_detail", pk=supplier.pk),
        title=_("New supplier"),
        cancel_url="/suppliers/",
    )


@login_required
def supplier_detail(request, pk):
    supplier = get_supplier_for(request.user, pk=pk)
    can_write = supplier_role(request.user) is not None
    context = {
        "supplier": supplier,
        "can_write": can_write,
        "contacts": supplier.contacts.all(),
        "contracts": supplier.contracts.select_related("owner").order_by("-end_date", "-id"),
        "reviews": supplier.reviews.select_related("reviewer").order_by("-period_end", "-id")[:10],
        "disputes": supplier.disputes.select_related("owner").order_by("-raised_on", "-id")[:10],
        "ticket_links": queries.ticket_links_for(request.user, supplier=supplier)[:50],
        "contact_form": ContactForm(prefix="contact") if can_write else None,
        "link_form": TicketLinkForm(prefix="link") if can_write else None,
    }
    return render(request, "relationship/supplier_detail.html", context)


@login_required
def supplier_edit(request, pk):
    supplier = get_supplier_for(request.user, pk=pk, write=True)
    form = SupplierForm(request.POST or None, initial=SupplierForm.initial_for(supplier))
    return record_form_page(
        request,
        form,
        save=lambda data: services.supplier_update(
            actor=request.user, supplier=supplier, **changed_fields(form)
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("supplier_detail", pk=supplier.pk),
        title=_("Edit %s") % supplier,
        cancel_url=f"/suppliers/{supplier.pk}/",
    )


@login_required
@require_POST
def supplier_contact_add(request, pk):
    supplier = get_supplier_for(request.user, pk=pk, write=True)
    posted_form_apply(
        request,
        ContactForm(request.POST, prefix="contact"),
        save=lambda data: services.supplier_contact_add(
            actor=request.user, supplier=supplier, **data
        ),
        saved=_("Contact added."),
    )
    return redirect("supplier_detail", pk=supplier.pk)


@login_required
def supplier_contact_edit(request, pk, contact):
    contact = get_contact_for(request.user, pk=contact, supplier_id=pk, write=True)
    initial = {f: getattr(contact, f) for f in services.CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial=initial)
    return record_form_page(
        request,
        form,
        save=lambda data: services.supplier_contact_update(
            actor=request.user, contact=contact, **data
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("supplier_detail", pk=pk),
        title=_("Edit %s") % contact,
        cancel_url=f"/suppliers/{pk}/",
    )


@login_required
@require_POST
def supplier_contact_remove(request, pk, contact):
    contact = get_contact_for(request.user, pk=contact, supplier_id=pk, write=True)
    services.supplier_contact_remove(actor=request.user, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect("supplier_detail", pk=pk)


# --- Tickets waiting on a supplier ---------------------------------------------------------


@login_required
@require_POST
def supplier_ticket_link(request, pk):
    supplier = get_supplier_for(request.user, pk=pk, write=True)
    form = TicketLinkForm(request.POST, prefix="link")
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("supplier_detail", pk=supplier.pk)
    reference = form.cleaned_data["reference"]
    ticket = Ticket.objects.visible_to(request.user).filter(reference=reference).first()
    if ticket is None:
        messages.error(request, _("No such ticket: %s.") % reference)
        return redirect("supplier_detail", pk=supplier.pk)
    try:
        services.ticket_supplier_link(
            actor=request.user,
            ticket=ticket,
            supplier=supplier,
            caused_incident=form.cleaned_data["caused_incident"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Ticket %s recorded.") % ticket.reference)
    return redirect("supplier_detail", pk=supplier.pk)


@login_required
@require_POST
def supplier_ticket_unlink(request, link):
    link = get_ticket_link_for(request.user, pk=link, write=True)
    services.ticket_supplier_unlink(actor=request.user, link=link)
    messages.success(request, _("Ticket %s unlinked.") % link.ticket.reference)
    return redirect("supplier_detail", pk=link.supplier_id)


def _ticket_links_filtered(user, filters):
    links = queries.ticket_links_for(user, supplier=filters.get("supplier"))
    if filters.get("caused"):
        links = links.filter(caused_incident=True)
    return links


@login_required
def supplier_ticket_list(request):
    return filtered_list_page(
        request,
        TicketLinkFilterForm,
        lambda filters: _ticket_links_filtered(request.user, filters),
        export_name="supplier-tickets",
        columns=TICKET_LINK_COLUMNS,
        template="relationship/supplier_ticket_list.html",
    )


# --- Contracts -----------------------------------------------------------------------------


@login_required
def contract_list(request):
    return filtered_list_page(
        request,
        ContractFilterForm,
        lambda filters: queries.contracts_for_list(
            request.user,
            q=filters.get("q", ""),
            status=filters.get("status", ""),
            supplier=filters.get("supplier"),
            renewal_due=bool(filters.get("renewal_due")),
        ),
        export_name="supplier-contracts",
        columns=CONTRACT_COLUMNS,
        template="relationship/contract_list.html",
        context={"today": timezone.localdate()},
    )


@login_required
def contract_new(request):
    staff_only(request.user)
    require_supplier_writer(request.user)
    form = ContractForm(request.POST or None, initial={"supplier": request.GET.get("supplier")})
    return record_form_page(
        request,
        form,
        save=lambda data: contract_services.contract_create(actor=request.user, **data),
        saved=lambda contract: _("Contract %s recorded.") % contract.reference,
        done=lambda contract: redirect("contract_detail", reference=contract.reference),
        title=_("New supplier contract"),
        cancel_url="/suppliers/contracts/",
    )


@login_required
def contract_detail(request, reference):
    contract = get_contract_for(request.user, reference=reference)
    role = supplier_role(request.user)
    can_write = role is not None and contract.status != "terminated"
    context = {
        "contract": contract,
        "can_write": can_write,
        "services": contract.services.order_by("name"),
        "obligations": contract.obligations.order_by("id"),
        "disputes": contract.disputes.order_by("-raised_on", "-id"),
        "moves": moves_from(CONTRACT_TRANSITIONS, contract.status, role) if role else [],
        "obligation_form": ObligationForm(prefix="obligation") if can_write else None,
        "renewal_due": contract.renewal_due_on(timezone.localdate()),
    }
    return render(request, "relationship/contract_detail.html", context)


@login_required
def contract_edit(request, reference):
    contract = get_contract_for(request.user, reference=reference, write=True)
    form = ContractForm(
        request.POST or None, initial=ContractForm.initial_for(contract), editing=True
    )
    return record_form_page(
        request,
        form,
        save=lambda data: contract_services.contract_update(
            actor=request.user, contract=contract, **changed_fields(form)
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("contract_detail", reference=contract.reference),
        title=_("Edit %s") % contract.reference,
        cancel_url=f"/suppliers/contracts/{contract.reference}/",
    )


@login_required
@require_POST
def contract_move(request, reference):
    contract = get_contract_for(request.user, reference=reference, write=True)
    status_move_apply(
        request,
        ContractMoveForm(request.POST),
        lambda data: contract_services.contract_transition(
            actor=request.user,
            contract=contract,
            target=data["target"],
            reason=data["reason"],
            expected_version=data.get("version"),
        ),
    )
    return redirect("contract_detail", reference=contract.reference)


@login_required
@require_POST
def obligation_add(request, reference):
    contract = get_contract_for(request.user, reference=reference, write=True)
    posted_form_apply(
        request,
        ObligationForm(request.POST, prefix="obligation"),
        save=lambda data: contract_services.obligation_create(
            actor=request.user, contract=contract, **data
        ),
        saved=_("Obligation added."),
    )
    return redirect("contract_detail", reference=contract.reference)


@login_required
def obligation_edit(request, pk):
    obligation = get_obligation_for(request.user, pk=pk, write=True)
    contract = obligation.contract
    if contract.status == "terminated":
        raise Http404
    initial = {f: getattr(obligation, f) for f in contract_services.OBLIGATION_FIELDS}
    form = ObligationEditForm(request.POST or None, initial=initial)
    return record_form_page(
        request,
        form,
        save=lambda data: contract_services.obligation_update(
            actor=request.user, obligation=obligation, **data
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("contract_detail", reference=contract.reference),
        title=_("Edit obligation of %s") % contract.reference,
        cancel_url=f"/suppliers/contracts/{contract.reference}/",
    )
