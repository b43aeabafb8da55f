"""The availability screens: availability of every service for any period, one service's
availability (with its customers, outages and a daily chart), the outage list and forms, the
monthly report (staff, and a customer's own services), and targets. (Single points of
failure: ``views_spof``.)
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.assurance import queries, services_availability
from serviceloop.assurance.forms_availability import (
    MonthForm,
    OutageAdjustForm,
    OutageCustomersForm,
    OutageDetailsForm,
    OutageEndForm,
    OutageFilterForm,
    OutageForm,
    OutageFromChangeForm,
    OutageFromIncidentForm,
    PeriodForm,
    TargetForm,
)
from serviceloop.assurance.models import AvailabilityTarget, OutageEvent
from serviceloop.assurance.permissions import (
    can_edit_service_records,
    can_operate,
    customer_report_allowed,
    get_outage_for,
    get_service_for,
    is_staff,
    require_operate,
    staff_only,
)
from serviceloop.assurance.views_common import form_page, list_filters, messages_from
from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk.models import Ticket
from serviceloop.portfolio.models import Service
from serviceloop.transition.models import ChangeRequest

CHART_MAX_DAYS = 93


def _percent(row):
    return row.result.percent


def _met(row):
    met = row.met
    return "" if met is None else (_("met") if met else _("missed"))


REPORT_COLUMNS = [
    Column(gettext_lazy("Service"), lambda r: r.service.name),
    Column(gettext_lazy("Customer"), lambda r: str(r.customer or _("all customers"))),
    Column(gettext_lazy("Agreed service time (s)"), "result.agreed_seconds"),
    Column(gettext_lazy("Downtime (s)"), "result.downtime_seconds"),
    Column(gettext_lazy("Planned maintenance not counted (s)"), "result.excluded_seconds"),
    Column(gettext_lazy("Availability (%)"), _percent),
    Column(gettext_lazy("Target (%)"), "target"),
    Column(gettext_lazy("Target from"), "target_source"),
    Column(gettext_lazy("Target"), _met),
    Column(gettext_lazy("Breaks"), "result.breaks"),
    Column(gettext_lazy("MTBF (s)"), lambda r: r.result.mtbf_seconds),
    Column(gettext_lazy("MTRS (s)"), lambda r: r.result.mtrs_seconds),
    Column(gettext_lazy("Outages"), "outages"),
]
OUTAGE_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Service"), "service.name"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Source"), "get_source_display"),
    Column(gettext_lazy("Start"), "start"),
    Column(gettext_lazy("End"), "end"),
    Column(gettext_lazy("Announced"), "announced_at"),
    Column(gettext_lazy("Counts as downtime"), lambda o: o.counts_as_downtime()),
    Column(
        gettext_lazy("Customers"),
        lambda o: _("all entitled") if o.all_customers else [str(c) for c in o.customers.all()],
    ),
    Column(
        gettext_lazy("Incident"),
        # a confidential incident the reader is not cleared for (queries.ticket_hidden_from)
        lambda o: o.ticket.reference if o.ticket_id and not o.ticket_hidden else "",
    ),
    Column(gettext_lazy("Change"), lambda o: o.change.reference if o.change_id else ""),
]
TARGET_COLUMNS = [
    Column(gettext_lazy("Service"), "name"),
    Column(gettext_lazy("Service hours"), lambda s: str(s.hours or "24×7")),
    Column(gettext_lazy("Own target (%)"), lambda s: _own_target(s)),
    Column(gettext_lazy("Note"), lambda s: _own_target(s, "note")),
]


def _own_target(service, field="target_percent"):
    try:
        return getattr(service.availability_target, field)
    except AvailabilityTarget.DoesNotExist:
        return ""


def _period(request):
    form = PeriodForm(request.GET or None, initial=PeriodForm.this_month())
    first, last = PeriodForm.this_month()["first"], PeriodForm.this_month()["last"]
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    elif not form.is_bound:
        form = PeriodForm(initial={"first": first, "last": last})
    start, end = queries.date_period(first, last)
    return form, first, last, start, end


# --- Availability of every service -------------------------------------------------------------


@login_required
def availability_home(request):
    if not is_staff(request.user):
        if customer_report_allowed(request.user):
            return redirect("availability_report")
        raise Http404
    form, first, last, start, end = _period(request)
    rows, _customers = queries.availability_report(start, end)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "availability", REPORT_COLUMNS, rows)
    context = {
        "form": form,
        "rows": rows,
        "first": first,
        "last": last,
        "ongoing": queries.outages_for_list(request.user, state="ongoing"),
        "can_operate": can_operate(request.user),
    }
    return render(request, "assurance/availability_home.html", context)


@login_required
def availability_service(request, pk):
    service = get_service_for(request.user, pk)
    form, first, last, start, end = _period(request)
    now = timezone.now()
    result = queries.service_availability(service, start, end, now=now)
    on_date = last
    target, source = queries.target_for(service, None, on_date)
    customers = []
    for organisation in service.customers.order_by("name"):
        customer_target, customer_source = queries.target_for(service, organisation, on_date)
        customer_result = queries.service_availability(
            service, start, end, customer=organisation, now=now
        )
        customers.append(
            {
                "customer": organisation,
                "result": customer_result,
                "target": customer_target,
                "source": customer_source,
                "met": customer_result.meets(customer_target),
            }
        )
    chart = (
        queries.daily_availability(service, start, end, now=now)
        if (last - first).days < CHART_MAX_DAYS
        else None
    )
    context = {
        "service": service,
        "form": form,
        "first": first,
        "last": last,
        "result": result,
        "target": target,
        "target_source": source,
        "met": result.meets(target),
        "customers": customers,
        "outages": queries.outages_for_list(request.user, service=service, start=start, end=end),
        "chart": chart,
        "chart_target": float(target) if target is not None else None,
        "can_edit_target": can_edit_service_records(request.user, service),
        "can_operate": can_operate(request.user),
    }
    return render(request, "assurance/availability_service.html", context)


# --- The monthly report ------------------------------------------------------------------------


@login_required
def availability_report(request):
    staff = is_staff(request.user)
    if not staff and not customer_report_allowed(request.user):
        raise Http404
    today = timezone.localdate()
    form = MonthForm(request.GET or None, initial={"month": today.strftime("%Y-%m")})
    if not staff:
        form.fields.pop("customer")  # a customer reads his own organisation's report only
    year, month = today.year, today.month
    customer = None if staff else request.user.organisation
    if form.is_bound and form.is_valid():
        year, month = form.cleaned_data["month"]
        if staff:
            customer = form.cleaned_data.get("customer")
    start, end = queries.month_period(year, month)
    services = None if staff else Service.objects.entitled(customer)
    per_service, per_customer = queries.availability_report(
        start, end, services=services, customer=customer
    )
    fmt = export_format(request)
    if fmt:
        by_customer = request.GET.get("table") == "customers" or customer is not None
        rows = per_customer if by_customer else per_service
        return export_response(fmt, f"availability-{year}-{month:02d}", REPORT_COLUMNS, rows)
    context = {
        "form": form,
        "month_label": f"{year}-{month:02d}",
        "per_service": per_service,
        "per_customer": per_customer,
        "customer": customer,
        "staff": staff,
    }
    return render(request, "assurance/availability_report.html", context)


# --- Outages ---------------------------------------------------------------------------------


@login_required
def outage_list(request):
    form, filters = list_filters(request, OutageFilterForm)
    start = end = None
    if filters.get("first") and filters.get("last"):
        start, end = queries.date_period(filters["first"], filters["last"])
    outages = queries.outages_for_list(
        request.user,
        service=filters.get("service"),
        kind=filters.get("kind", ""),
        source=filters.get("source", ""),
        state=filters.get("state", ""),
        customer=filters.get("customer"),
        start=start,
        end=end,
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "outages", OUTAGE_COLUMNS, outages)
    return render(
        request,
        "assurance/outage_list.html",
        {
            "form": form,
            "page": paginate(request, outages),
            "can_operate": can_operate(request.user),
        },
    )


def _customers(cleaned):
    return list(cleaned.get("customers") or [])


@login_required
def outage_new(request):
    require_operate(request.user)
    return form_page(
        request,
        OutageForm(request.POST or None),
        lambda data: services_availability.outage_create(
            actor=request.user,
            service=data["service"],
            title=data["title"],
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            announced_at=data["announced_at"],
            description=data["description"],
            all_customers=data["all_customers"],
            customers=_customers(data),
        ),
        title=_("Record an outage"),
        success=lambda outage: (
            _("Outage %(reference)s recorded.") % {"reference": outage.reference}
        ),
        done=lambda outage: redirect("outage_detail", reference=outage.reference),
    )


def _visible_ticket(user, reference):
    return Ticket.objects.visible_to(user).filter(reference=(reference or "").strip()).first()


@login_required
def outage_from_incident(request):
    require_operate(request.user)
    initial = {}
    reference = request.GET.get("ticket", "")
    ticket = _visible_ticket(request.user, reference) if reference else None
    if ticket is not None:
        initial["ticket"] = ticket.reference
        guess = queries.service_for_ticket(ticket)
        if guess is not None:
            initial["service"] = guess.pk
    form = OutageFromIncidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = _visible_ticket(request.user, data["ticket"])
        if ticket is None:
            form.add_error("ticket", _("No major incident with this reference."))
        else:
            try:
                outage = services_availability.outage_from_incident(
                    actor=request.user,
                    ticket=ticket,
                    service=data["service"],
                    start=data["start"],
                    end=data["end"],
                    reason=data["reason"],
                    all_customers=data["all_customers"],
                    customers=_customers(data),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("Outage %(reference)s recorded.") % {"reference": outage.reference}
                )
                return redirect("outage_detail", reference=outage.reference)
    intro = _(
        "The outage runs from the incident's creation to its resolution (open while the "
        "incident is unresolved). Other times need a reason, kept in the outage's history."
    )
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Outage from a major incident"), "intro": intro},
    )


@login_required
def outage_from_change(request):
    require_operate(request.user)
    initial = {}
    if request.GET.get("change"):
        initial["change"] = request.GET["change"]
    form = OutageFromChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        change = (
            ChangeRequest.objects.visible_to(request.user)
            .filter(reference=data["change"].strip())
            .first()
        )
        if change is None:
            form.add_error("change", _("No change with this reference."))
        else:
            try:
                outage = services_availability.outage_from_change(
                    actor=request.user,
                    change=change,
                    service=data["service"],
                    start=data["start"],
                    end=data["end"],
                    reason=data["reason"],
                    announced_at=data["announced_at"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("Outage %(reference)s recorded.") % {"reference": outage.reference}
                )
                return redirect("outage_detail", reference=outage.reference)
    intro = _(
        "Planned maintenance from a change: its actual window once it ran, else its planned "
        "window. Maintenance announced before it starts is not counted as downtime."
    )
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Outage from a change"), "intro": intro},
    )


def _local(instant):
    return timezone.localtime(instant) if instant else None


@login_required
def outage_detail(request, reference):
    outage = get_outage_for(request.user, reference)
    operate = can_operate(request.user)
    context = {
        "outage": outage,
        # a confidential incident the reader is not cleared for is not named
        "ticket_hidden": bool(outage.ticket_id)
        and not Ticket.objects.visible_to(request.user).filter(pk=outage.ticket_id).exists(),
        "events": OutageEvent.objects.filter(outage=outage).select_related("actor"),
        "customers": outage.customers.order_by("name"),
        "can_operate": operate,
        "counts": outage.counts_as_downtime(),
    }
    if operate:
        context |= {
            "adjust_form": OutageAdjustForm(
                initial={"start": _local(outage.start), "end": _local(outage.end)}
            ),
            "end_form": OutageEndForm() if outage.end is None else None,
            "details_form": OutageDetailsForm(
                initial={
                    "title": outage.title,
                    "description": outage.description,
                    "announced_at": _local(outage.announced_at),
                }
            ),
            "customers_form": OutageCustomersForm(
                service=outage.service,
                initial={
                    "all_customers": outage.all_customers,
                    "customers": list(outage.customers.values_list("pk", flat=True)),
                },
            ),
        }
    return render(request, "assurance/outage_detail.html", context)


def _outage_post(request, reference, form_class, call, success, form_kwargs=None):
    outage = get_outage_for(request.user, reference, write=True)
    form = form_class(request.POST, **(form_kwargs(outage) if form_kwargs else {}))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("outage_detail", reference=reference)
    try:
        call(outage, form.cleaned_data)
    except ValidationError as error:
        messages_from(request, error)
    else:
        messages.success(request, success)
    return redirect("outage_detail", reference=reference)


@require_POST
@login_required
def outage_adjust(request, reference):
    return _outage_post(
        request,
        reference,
        OutageAdjustForm,
        lambda outage, data: services_availability.outage_adjust(
            actor=request.user,
            outage=outage,
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            expected_version=request.POST.get("version") or None,
        ),
        _("Outage times adjusted."),
    )


@require_POST
@login_required
def outage_end(request, reference):
    return _outage_post(
        request,
        reference,
        OutageEndForm,
        lambda outage, data: services_availability.outage_end(
            actor=request.user, outage=outage, end=data["end"], reason=data["reason"]
        ),
        _("Outage ended."),
    )


@require_POST
@login_required
def outage_edit(request, reference):
    return _outage_post(
        request,
        reference,
        OutageDetailsForm,
        lambda outage, data: services_availability.outage_update(
            actor=request.user,
            outage=outage,
            title=data["title"],
            description=data["description"],
            announced_at=data["announced_at"],
        ),
        _("Outage saved."),
    )


@require_POST
@login_required
def outage_customers(request, reference):
    return _outage_post(
        request,
        reference,
        OutageCustomersForm,
        lambda outage, data: services_availability.outage_customers_set(
            actor=request.user,
            outage=outage,
            all_customers=data["all_customers"],
            customers=_customers(data),
        ),
        _("Affected customers saved."),
        form_kwargs=lambda outage: {"service": outage.service},
    )


# --- Targets -----------------------------------------------------------------------------------


@login_required
def target_list(request):
    staff_only(request.user)
    services = queries.targets_for_list(request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "availability-targets", TARGET_COLUMNS, services)
    today = timezone.localdate()
    rows = []
    for service in services:
        target, source = queries.target_for(service, None, today)
        rows.append(
            {
                "service": service,
                "own": _own_target(service),
                "target": target,
                "source": source,
                "can_edit": can_edit_service_records(request.user, service),
            }
        )
    return render(request, "assurance/target_list.html", {"rows": rows})


@login_required
def target_edit(request, pk):
    service = get_service_for(request.user, pk, write=True)
    current = AvailabilityTarget.objects.filter(service=service).first()
    initial = {"target_percent": current.target_percent, "note": current.note} if current else {}
    return form_page(
        request,
        TargetForm(request.POST or None, initial=initial),
        lambda data: services_availability.target_set(
            actor=request.user,
            service=service,
            target_percent=data["target_percent"],
            note=data["note"],
        ),
        title=_("Availability target: %(service)s") % {"service": service},
        intro=_(
            "The provider's own target, used when no SLA in force sets an availability "
            "target for the service."
        ),
        success=_("Availability target saved."),
        done=lambda target: redirect("availability_target_list"),
    )
