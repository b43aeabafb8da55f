"""The single-point-of-failure screens: the findings list (with the scan), a finding's page
(its note, its moves). The risk register fills the slots of these pages with the risks that
treat a finding (``assurance.spof_list.risk``, ``assurance.spof_detail.risk`` and
``assurance.spof_detail.side``: ``core.slots``)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.assurance import queries, services_spof
from serviceloop.assurance.forms_spof import FindingFilterForm, FindingForm
from serviceloop.assurance.lifecycle import FINDING_MOVES, moves_from
from serviceloop.assurance.permissions import can_manage, get_finding_for, require_manage
from serviceloop.assurance.views_common import list_filters, posted_move
from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate

FINDING_COLUMNS = [
    Column(gettext_lazy("Service"), "service.name"),
    Column(gettext_lazy("Configuration item"), lambda f: str(f.configuration_item)),
    Column(gettext_lazy("Type"), "configuration_item.ci_type.name"),
    Column(gettext_lazy("Dependency path"), lambda f: " → ".join(f.path)),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Risk register entry"), "risk_reference"),
    Column(gettext_lazy("Detected"), "detected_at"),
    Column(gettext_lazy("Last seen"), "last_seen_at"),
    Column(gettext_lazy("Note"), "note"),
]


@login_required
def spof_list(request):
    form, filters = list_filters(request, FindingFilterForm)
    findings = queries.findings_for_list(
        request.user, status=filters.get("status", ""), service=filters.get("service")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "single-points-of-failure", FINDING_COLUMNS, findings)
    return render(
        request,
        "assurance/spof_list.html",
        {"form": form, "page": paginate(request, findings), "can_manage": can_manage(request.user)},
    )


@require_POST
@login_required
def spof_scan(request):
    require_manage(request.user)
    counts = services_spof.spof_scan(actor=request.user)
    messages.success(
        request,
        _("CMDB scanned: %(created)s new, %(reopened)s found again, %(resolved)s resolved.")
        % counts,
    )
    return redirect("spof_list")


@login_required
def spof_detail(request, pk):
    finding = get_finding_for(request.user, pk)
    manage = can_manage(request.user)
    form = None
    if manage:
        form = FindingForm(request.POST or None, initial={"note": finding.note})
    if request.method == "POST":
        finding = get_finding_for(request.user, pk, write=True)
        if form.is_valid():
            try:
                services_spof.finding_update(
                    actor=request.user,
                    finding=finding,
                    note=form.cleaned_data["note"],
                    expected_version=request.POST.get("version") or None,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Finding saved."))
                return redirect("spof_detail", pk=finding.pk)
    context = {
        "finding": finding,
        "form": form,
        "moves": moves_from(FINDING_MOVES, finding.status) if manage else [],
    }
    return render(request, "assurance/spof_detail.html", context)


@require_POST
@login_required
def spof_move(request, pk):
    finding = get_finding_for(request.user, pk, write=True)
    posted_move(
        request,
        partial(services_spof.finding_transition, actor=request.user, finding=finding),
        _("Finding updated."),
    )
    return redirect("spof_detail", pk=finding.pk)
