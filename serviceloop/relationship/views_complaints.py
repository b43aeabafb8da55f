"""The complaint screens, shared by staff and the customer portal: the list (a customer sees
his own complaints, a customer manager his organisation's), lodging one, its page with the
lifecycle moves, investigation notes (staff only) and the customer's acceptance, and the
response-time targets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.relationship import services_complaints as services
from serviceloop.relationship import services_complaints_lifecycle as lifecycle
from serviceloop.relationship.forms_complaints import (
    ComplaintAcceptanceForm,
    ComplaintEditForm,
    ComplaintFilterForm,
    ComplaintForm,
    ComplaintMoveForm,
    ComplaintNoteForm,
    ComplaintPortalForm,
    ResponseTargetForm,
)
from serviceloop.relationship.models import ComplaintSeverity, ComplaintStatus
from serviceloop.relationship.models.complaints import (
    CUSTOMER,
    CUSTOMER_EVENT_KINDS,
    STAFF,
    complaint_moves_from,
)
from serviceloop.relationship.queries_complaints import (
    complaint_role,
    complaints_for_list,
    get_complaint_for,
    response_targets,
)
from serviceloop.relationship.services_complaints_targets import complaint_target_set

CUSTOMER_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Subject"), "subject"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Severity"), "get_severity_display"),
    Column(_l("Channel"), "get_channel_display"),
    Column(_l("Service"), "service"),
    Column(_l("Complainant"), "complainant_label"),
    Column(_l("Received"), "received_at"),
    Column(_l("Responded"), "responded_at"),
    Column(_l("Closed"), "closed_at"),
]
STAFF_COLUMNS = [
    *CUSTOMER_COLUMNS[:2],
    Column(_l("Customer"), "organisation.name"),
    *CUSTOMER_COLUMNS[2:],
    Column(_l("Owner"), "owner"),
    Column(_l("Response due"), "response_due_at"),
    Column(_l("Response target breached"), "response_breached"),
    Column(_l("Customer accepted"), "customer_accepted"),
]


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _is_staff(user) -> bool:
    return user.has_capability(Capability.STAFF)


@login_required
def complaint_list(request):
    user = request.user
    staff = _is_staff(user)
    if not staff and user.organisation_id is None:
        raise PermissionDenied
    form = ComplaintFilterForm(request.GET or None, staff=staff)
    filters = form.cleaned_data if form.is_valid() else {}
    complaints = complaints_for_list(
        user,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        severity=filters.get("severity", ""),
        channel=filters.get("channel", ""),
        organisation=filters.get("organisation"),
        service=filters.get("service"),
        owner=filters.get("owner"),
        breached=form.breached_value() if staff and form.is_valid() else None,
        open_only=bool(filters.get("open_only")),
    )
    fmt = export_format(request)
    if fmt:
        columns = STAFF_COLUMNS if staff else CUSTOMER_COLUMNS
        return export_response(fmt, "complaints", columns, complaints)
    role = complaint_role(user)
    context = {
        "form": form,
        "page": paginate(request, complaints),
        "staff": staff,
        "can_create": role is not None,
        "can_set_targets": staff,
        "org_wide": user.has_capability(Capability.ORG_WIDE),
    }
    return render(request, "relationship/complaint_list.html", context)


@login_required
def complaint_new(request):
    user = request.user
    role = complaint_role(user)
    if role is None:
        raise PermissionDenied
    if role == CUSTOMER:
        form = ComplaintPortalForm(request.POST or None, user=user)
    else:
        form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if role == CUSTOMER:
            fields["organisation"] = user.organisation
        try:
            complaint = services.complaint_create(actor=user, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Complaint %s registered. We will respond as soon as we can.")
                % complaint.reference
                if role == CUSTOMER
                else _("Complaint %s recorded.") % complaint.reference,
            )
            return redirect("complaint_detail", reference=complaint.reference)
    title = _("Make a complaint") if role == CUSTOMER else _("Record a complaint")
    intro = (
        _(
            "Tell us what went wrong. A complaint is handled apart from your tickets: we "
            "acknowledge it, investigate and respond, and close it once you accept our response."
        )
        if role == CUSTOMER
        else ""
    )
    return render(
        request,
        "relationship/complaint_form.html",
        {"form": form, "title": title, "intro": intro, "cancel_url": "/complaints/"},
    )


@login_required
def complaint_detail(request, reference):
    user = request.user
    complaint = get_complaint_for(user, reference)
    role = complaint_role(user, complaint)
    staff = _is_staff(user)
    events = complaint.events.select_related("actor").order_by("at", "id")
    if not staff:
        events = events.filter(kind__in=CUSTOMER_EVENT_KINDS)
    can_answer = role is not None and complaint.status == ComplaintStatus.RESPONDED
    context = {
        "complaint": complaint,
        "role": role,
        "staff": staff,
        "can_edit": role == STAFF and complaint.status != ComplaintStatus.CLOSED,
        "moves": complaint_moves_from(complaint.status, role) if role else [],
        "events": events,
        "notes": complaint.notes.select_related("author") if staff else [],
        "note_form": ComplaintNoteForm() if role == STAFF else None,
        "acceptance_form": ComplaintAcceptanceForm(customer=role == CUSTOMER)
        if can_answer
        else None,
    }
    return render(request, "relationship/complaint_detail.html", context)


@login_required
def complaint_edit(request, reference):
    complaint = get_complaint_for(request.user, reference, write=True)
    if complaint_role(request.user, complaint) != STAFF:
        raise PermissionDenied
    form = ComplaintEditForm(request.POST or None, initial=ComplaintEditForm.initial_for(complaint))
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            services.complaint_update(actor=request.user, complaint=complaint, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("complaint_detail", reference=complaint.reference)
    return render(
        request,
        "relationship/complaint_form.html",
        {
            "form": form,
            "title": _("Edit %s") % complaint.reference,
            "cancel_url": f"/complaints/{complaint.reference}/",
        },
    )


@login_required
@require_POST
def complaint_move(request, reference):
    complaint = get_complaint_for(request.user, reference, write=True)
    form = ComplaintMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("complaint_detail", reference=complaint.reference)
    try:
        lifecycle.complaint_transition(
            actor=request.user,
            complaint=complaint,
            expected_version=form.cleaned_data.get("version"),
            **form.service_fields(),
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("complaint_detail", reference=complaint.reference)


@login_required
@require_POST
def complaint_acceptance(request, reference):
    complaint = get_complaint_for(request.user, reference, write=True)
    role = complaint_role(request.user, complaint)
    form = ComplaintAcceptanceForm(request.POST, customer=role == CUSTOMER)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("complaint_detail", reference=complaint.reference)
    try:
        lifecycle.complaint_acceptance_record(
            actor=request.user,
            complaint=complaint,
            accepted=form.accepted_value(),
            acceptance_date=form.cleaned_data.get("acceptance_date"),
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("Your answer is recorded. Thank you."))
    return redirect("complaint_detail", reference=complaint.reference)


@login_required
@require_POST
def complaint_note(request, reference):
    complaint = get_complaint_for(request.user, reference, write=True)
    if complaint_role(request.user, complaint) != STAFF:
        raise PermissionDenied
    form = ComplaintNoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Write the note."))
        services.complaint_note_add(
            actor=request.user, complaint=complaint, body=form.cleaned_data["body"]
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("Note added."))
    return redirect("complaint_detail", reference=complaint.reference)


@login_required
def complaint_targets(request):
    """The response-time target of each severity: staff read them, leads change them."""
    user = request.user
    if not _is_staff(user):
        raise PermissionDenied
    can_edit = user.has_capability(Capability.LEAD) and user.has_capability(Capability.OPERATE)
    targets = response_targets()
    forms_by_severity = []
    for severity, label in ComplaintSeverity.choices:
        target = targets[severity]
        form = ResponseTargetForm(
            request.POST if request.method == "POST" else None,
            prefix=severity,
            initial={
                "hours": target.hours,
                "business_hours": target.business_hours,
                "warn_percent": target.warn_percent,
            },
        )
        forms_by_severity.append((severity, label, target, form))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if all(form.is_valid() for *_rest, form in forms_by_severity):
            try:
                for severity, _label, _target, form in forms_by_severity:
                    if form.has_changed():
                        complaint_target_set(actor=user, severity=severity, **form.cleaned_data)
            except ValidationError as error:
                _flash(request, error)
            else:
                messages.success(request, _("Response targets saved."))
                return redirect("complaint_targets")
    return render(
        request,
        "relationship/complaint_targets.html",
        {"rows": forms_by_severity, "can_edit": can_edit},
    )
