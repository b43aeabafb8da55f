"""The nonconformity screens (clause 10.1): the register (filters, overdue, CSV/XLSX export),
a nonconformity's page (containment, root cause, actions with their verification), raising
and editing it, the containment and root cause analysis forms, cancelling and reopening.
The action screens are in ``views_actions_nonconformities``.

Provider staff read; who writes what is in ``permissions_nonconformities`` (403 for other
staff); customers get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.improvement import queries_nonconformities as queries
from serviceloop.improvement import services_nonconformities as services
from serviceloop.improvement.forms_nonconformities import (
    AnalysisForm,
    ContainmentForm,
    MoveForm,
    NonconformityFilterForm,
    NonconformityForm,
)
from serviceloop.improvement.models import NcStatus, nc_transition_for
from serviceloop.improvement.permissions_nonconformities import (
    can_manage,
    can_raise,
    can_verify,
    can_write_action,
    can_write_nonconformity,
    get_nonconformity_for,
    require,
    require_staff,
)
from serviceloop.improvement.services_actions_nonconformities import TAKES_ACTIONS

LIST_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Source"), "get_source_display"),
    Column(gettext_lazy("Source reference"), "source_reference"),
    Column(gettext_lazy("Severity"), "get_severity_display"),
    Column(gettext_lazy("Clauses"), lambda n: [c.number for c in n.clauses.all()]),
    Column(gettext_lazy("Owner"), lambda n: str(n.owner) if n.owner else ""),
    Column(gettext_lazy("Raised on"), "raised_on"),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Containment"), "containment"),
    Column(gettext_lazy("Root cause"), "root_cause"),
    Column(gettext_lazy("Actions"), "action_count"),
    Column(gettext_lazy("Actions not decided"), "actions_open"),
    Column(gettext_lazy("Times reopened"), "reopen_count"),
    Column(gettext_lazy("Closed on"), "closed_on"),
]


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def nonconformity_list(request):
    require_staff(request.user)
    today = timezone.localdate()
    form = NonconformityFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = queries.nonconformities_for_list(
        request.user,
        status=filters.get("status", ""),
        source=filters.get("source", ""),
        severity=filters.get("severity", ""),
        owner=filters.get("owner"),
        overdue_on=today if filters.get("overdue") else None,
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(
            fmt, "nonconformities", LIST_COLUMNS, rows.prefetch_related("clauses")
        )
    page = paginate(request, rows)
    for nonconformity in page:
        nonconformity.overdue = nonconformity.is_overdue(today)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "overdue_count": queries.nonconformities_for_list(request.user, overdue_on=today).count(),
        "can_raise": can_raise(request.user),
    }
    return render(request, "improvement/nonconformity_list.html", context)


@login_required
def nonconformity_new(request):
    require(request.user, can_raise(request.user))
    form = NonconformityForm(
        request.POST or None, initial={"owner": request.user.pk, "severity": "minor"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            nonconformity = services.nonconformity_raise(request.user, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s raised.") % nonconformity.reference)
            return redirect("nonconformity_detail", reference=nonconformity.reference)
    title = _("Raise a nonconformity")
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def nonconformity_detail(request, reference):
    nonconformity = get_nonconformity_for(request.user, reference)
    user = request.user
    today = timezone.localdate()
    may_write = can_write_nonconformity(user, nonconformity)
    actions = queries.nonconformity_actions(nonconformity)
    for row in actions:
        row["may_write"] = can_write_action(user, row["action"])
    context = {
        "nc": nonconformity,
        "today": today,
        "overdue": nonconformity.is_overdue(today),
        "clauses": nonconformity.clauses.order_by("position"),
        "actions": actions,
        "may_write": may_write and not nonconformity.is_closed,
        "may_plan": may_write and nonconformity.status in TAKES_ACTIONS,
        "may_cancel": can_manage(user)
        and nc_transition_for(nonconformity.status, NcStatus.CANCELLED) is not None,
        "may_reopen": can_manage(user) and nonconformity.status == NcStatus.CLOSED,
        "may_verify": can_verify(user),
        "perms_audit": user_can(user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "improvement/nonconformity_detail.html", context)


@login_required
def nonconformity_edit(request, reference):
    nonconformity = get_nonconformity_for(request.user, reference, write=True)
    form = NonconformityForm(
        request.POST or None, initial=NonconformityForm.initial_for(nonconformity)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.nonconformity_update(
                actor=request.user,
                nonconformity=nonconformity,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("nonconformity_detail", reference=nonconformity.reference)
    title = _("Edit %s") % nonconformity.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def nonconformity_contain(request, reference):
    nonconformity = get_nonconformity_for(request.user, reference, write=True)
    initial = {
        "containment": nonconformity.containment,
        "contained_on": nonconformity.contained_on or timezone.localdate(),
        "version": nonconformity.version,
    }
    form = ContainmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.nonconformity_contain(
                actor=request.user,
                nonconformity=nonconformity,
                containment=form.cleaned_data["containment"],
                contained_on=form.cleaned_data["contained_on"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Containment recorded."))
            return redirect("nonconformity_detail", reference=nonconformity.reference)
    context = {
        "form": form,
        "title": _("Containment and correction: %s") % nonconformity.reference,
        "intro": nonconformity.title,
    }
    return render(request, "core/form_page.html", context)


@login_required
def nonconformity_analyse(request, reference):
    nonconformity = get_nonconformity_for(request.user, reference, write=True)
    form = AnalysisForm(request.POST or None, initial=AnalysisForm.initial_for(nonconformity))
    if request.method == "POST" and form.is_valid():
        try:
            services.nonconformity_analyse(
                actor=request.user,
                nonconformity=nonconformity,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Root cause analysis recorded."))
            return redirect("nonconformity_detail", reference=nonconformity.reference)
    context = {"form": form, "nc": nonconformity}
    return render(request, "improvement/nonconformity_analysis.html", context)


def _move(request, reference, service, done_message):
    nonconformity = get_nonconformity_for(request.user, reference, manage=True)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why."))
        return redirect("nonconformity_detail", reference=nonconformity.reference)
    try:
        service(
            actor=request.user,
            nonconformity=nonconformity,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, done_message)
    return redirect("nonconformity_detail", reference=nonconformity.reference)


@login_required
@require_POST
def nonconformity_cancel(request, reference):
    return _move(request, reference, services.nonconformity_cancel, _("Nonconformity cancelled."))


@login_required
@require_POST
def nonconformity_reopen(request, reference):
    return _move(request, reference, services.nonconformity_reopen, _("Nonconformity reopened."))
