"""The agreement screens: the list (with the live services no SLA covers), an agreement's
page, a version's page (text, services, targets, how the desk implements them, history,
status moves), and the forms."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.relationship import queries_agreements
from serviceloop.relationship import services_agreements as services
from serviceloop.relationship import services_agreements_reviews as reviews
from serviceloop.relationship.agreements_sla_template import sla_template
from serviceloop.relationship.forms_agreements import (
    AgreementCreateForm,
    AgreementEditForm,
    AgreementFilterForm,
    TargetForm,
    VersionEditForm,
    VersionMoveForm,
    VersionReviewedForm,
)
from serviceloop.relationship.models import AgreementKind, AgreementTarget, VersionStatus
from serviceloop.relationship.models.agreements import version_transitions_from
from serviceloop.relationship.permissions_agreements import (
    AGREEMENT_SUBMITTER,
    agreement_roles,
    get_agreement_for,
    get_agreement_version_for,
)
from serviceloop.relationship.permissions_customers import (
    can_write_relationship,
    is_staff,
    require_relationship_writer,
)


def _current(agreement):
    return agreement.in_force_versions[0] if agreement.in_force_versions else None


def _latest(agreement):
    return agreement.visible_versions[0] if agreement.visible_versions else None


AGREEMENT_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Kind"), "get_kind_display"),
    Column(_l("Title"), "title"),
    Column(
        _l("Parties"),
        lambda a: [str(c) for c in a.customers.all()] + [str(t) for t in a.teams.all()],
    ),
    Column(_l("Version in force"), lambda a: _current(a).number if _current(a) else None),
    Column(_l("Valid from"), lambda a: _current(a).valid_from if _current(a) else None),
    Column(_l("Valid until"), lambda a: _current(a).valid_until if _current(a) else None),
    Column(_l("Next review"), lambda a: _current(a).review_on if _current(a) else None),
    Column(
        _l("Services"),
        lambda a: [str(s) for s in _current(a).services.all()] if _current(a) else [],
    ),
    Column(_l("Latest version"), lambda a: _latest(a).number if _latest(a) else None),
    Column(_l("Latest status"), lambda a: _latest(a).get_status_display() if _latest(a) else None),
]
TARGET_COLUMNS = [
    Column(_l("Metric"), "get_metric_display"),
    Column(_l("Description"), "label"),
    Column(_l("Priority"), "priority"),
    Column(_l("Service"), "service"),
    Column(_l("Target"), "target_value"),
    Column(_l("Unit"), "get_unit_display"),
    Column(_l("Desk SLA policy"), "sla_policy"),
    Column(_l("Policy version"), "sla_policy_version"),
]


@login_required
def agreement_list(request):
    form = AgreementFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    agreements = queries_agreements.agreements_for_list(
        request.user,
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        customer=filters.get("customer"),
        q=filters.get("q", ""),
        on_date=today,
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "agreements", AGREEMENT_COLUMNS, agreements)
    page = paginate(request, agreements)
    for agreement in page.object_list:
        agreement.current = _current(agreement)
        agreement.latest = _latest(agreement)
    staff = is_staff(request.user)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "is_staff": staff,
        "can_write": can_write_relationship(request.user),
        "uncovered": queries_agreements.services_without_agreement(today) if staff else None,
        "gaps": queries_agreements.service_customers_without_agreement(today) if staff else None,
    }
    return render(request, "relationship/agreement_list.html", context)


@login_required
def agreement_new(request):
    require_relationship_writer(request.user)
    today = timezone.localdate()
    initial = {
        "kind": request.GET.get("kind") or AgreementKind.SLA,
        "customers": [request.GET["customer"]] if request.GET.get("customer") else [],
        "valid_from": today,
        "review_on": today + datetime.timedelta(days=365),
        "body": sla_template(translation.get_language()),
    }
    form = AgreementCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Agreement %s drafted.") % agreement.reference)
            return redirect("agreement_version_detail", reference=agreement.reference, number=1)
    return render(
        request, "relationship/agreement_form.html", {"form": form, "title": _("New agreement")}
    )


@login_required
def agreement_detail(request, reference):
    """The agreement's page shows its version in force (or, without one, the newest the user
    may read) and the list of versions."""
    agreement = get_agreement_for(request.user, reference)
    today = timezone.localdate()
    versions = list(queries_agreements.published_versions(agreement, request.user))
    current = queries_agreements.agreements_in_force(today).filter(agreement=agreement).first()
    shown = current or (versions[0] if versions else None)
    if shown is None:
        raise Http404
    return redirect("agreement_version_detail", reference=agreement.reference, number=shown.number)


@login_required
def agreement_edit(request, reference):
    agreement = get_agreement_for(request.user, reference, write=True)
    initial = {
        "title": agreement.title,
        "customers": list(agreement.customers.values_list("pk", flat=True)),
        "teams": list(agreement.teams.values_list("pk", flat=True)),
    }
    form = AgreementEditForm(request.POST or None, initial=initial, kind=agreement.kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update(actor=request.user, agreement=agreement, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("agreement_detail", reference=agreement.reference)
    return render(
        request,
        "relationship/agreement_form.html",
        {"form": form, "title": _("Edit %s") % agreement.reference, "agreement": agreement},
    )


@login_required
def agreement_version_detail(request, reference, number):
    version = get_agreement_version_for(request.user, reference, number)
    agreement = version.agreement
    today = timezone.localdate()
    targets = list(version.targets.select_related("service", "sla_policy", "sla_policy_version"))
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, f"{agreement.reference}-v{version.number}-targets",
                               TARGET_COLUMNS, targets)  # fmt: skip
    staff = is_staff(request.user)
    roles = agreement_roles(request.user, agreement, version) if staff else set()
    can_write = can_write_relationship(request.user)
    editable = can_write and version.status == VersionStatus.DRAFT
    in_force = queries_agreements.agreements_in_force(today).filter(pk=version.pk).exists()
    context = {
        "agreement": agreement,
        "version": version,
        "targets": targets,
        "alignment": queries_agreements.desk_alignment(targets) if staff else [],
        "services": version.services.order_by("name"),
        # A customer sees his own organisation among the parties, not the others.
        "customers": agreement.customers.order_by("name")
        if staff
        else agreement.customers.filter(pk=request.user.organisation_id),
        "teams": agreement.teams.order_by("name"),
        "versions": queries_agreements.published_versions(agreement, request.user),
        "events": version.events.select_related("actor") if staff else [],
        "moves": version_transitions_from(version.status, roles) if staff else [],
        "roles": roles,
        "is_staff": staff,
        "can_write": can_write,
        "editable": editable,
        "in_force": in_force,
        "today": today,
        "target_form": TargetForm(version=version) if editable else None,
        "open_version": queries_agreements.open_version(agreement) if staff else None,
        "can_review": (
            staff and AGREEMENT_SUBMITTER in roles and version.status == VersionStatus.AGREED
        ),
        "reviewed_form": VersionReviewedForm(),
    }
    return render(request, "relationship/agreement_detail.html", context)


@login_required
def agreement_version_edit(request, reference, number):
    version = get_agreement_version_for(request.user, reference, number, write=True)
    if version.status != VersionStatus.DRAFT:
        messages.error(request, _("Only a draft version can be changed; create a new version."))
        return redirect("agreement_version_detail", reference=reference, number=number)
    initial = {
        "valid_from": version.valid_from,
        "valid_until": version.valid_until,
        "review_on": version.review_on,
        "services": list(version.services.values_list("pk", flat=True)),
        "body": version.body,
        "change_note": version.change_note,
        "version": version.version,
    }
    form = VersionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("version", None)
        try:
            services.agreement_version_update(
                actor=request.user, version=version, expected_version=expected, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("agreement_version_detail", reference=reference, number=number)
    title = _("Edit %(reference)s version %(number)s") % {
        "reference": reference,
        "number": version.number,
    }
    return render(
        request,
        "relationship/agreement_form.html",
        {"form": form, "title": title, "agreement": version.agreement},
    )


@login_required
@require_POST
def agreement_version_new(request, reference):
    agreement = get_agreement_for(request.user, reference, write=True)
    try:
        version = services.agreement_version_new(actor=request.user, agreement=agreement)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("agreement_detail", reference=reference)
    messages.success(request, _("Version %s drafted.") % version.number)
    return redirect("agreement_version_detail", reference=reference, number=version.number)


@login_required
@require_POST
def agreement_target_add(request, reference, number):
    version = get_agreement_version_for(request.user, reference, number, write=True)
    form = TargetForm(request.POST, version=version)
    if form.is_valid():
        try:
            services.agreement_target_add(actor=request.user, version=version, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Target added."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("agreement_version_detail", reference=reference, number=number)


@login_required
@require_POST
def agreement_target_remove(request, reference, number, pk):
    version = get_agreement_version_for(request.user, reference, number, write=True)
    target = AgreementTarget.objects.filter(version=version, pk=pk).first()
    if target is None:
        raise Http404
    try:
        services.agreement_target_remove(actor=request.user, target=target)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Target removed."))
    return redirect("agreement_version_detail", reference=reference, number=number)


@login_required
@require_POST
def agreement_version_move(request, reference, number):
    version = get_agreement_version_for(request.user, reference, number)
    if not is_staff(request.user):
        raise PermissionDenied
    form = VersionMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
    else:
        try:
            services.agreement_version_transition(
                actor=request.user,
                version=version,
                target=form.cleaned_data["target"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Status changed."))
    return redirect("agreement_version_detail", reference=reference, number=number)


@login_required
@require_POST
def agreement_version_reviewed(request, reference, number):
    version = get_agreement_version_for(request.user, reference, number)
    if not is_staff(request.user):
        raise PermissionDenied
    form = VersionReviewedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the next review date."))
    else:
        try:
            reviews.agreement_version_reviewed(
                actor=request.user,
                version=version,
                next_review_on=form.cleaned_data["review_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Review recorded."))
    return redirect("agreement_version_detail", reference=reference, number=number)
