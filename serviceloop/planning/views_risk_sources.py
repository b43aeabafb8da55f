"""The risk register's actions on a single point of failure, posted from the finding's page
(the panel ``slots_assurance`` puts there) or from the risk's page: add the finding to the
register in one click, link an open risk to it, unlink a risk from it.

Staff who may see the finding reach them; the management-system owner and administrators
act (403 for other staff); customers get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.assurance.permissions import get_finding_for
from serviceloop.planning import services_risk_sources as services
from serviceloop.planning.forms_risks import SpofRiskLinkForm
from serviceloop.planning.models import Risk
from serviceloop.planning.permissions_management import get_risk_for, require_manage


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _version(request) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


@login_required
@require_POST
def risk_from_spof(request, pk):
    """ "Add to risk register": one click, the risk pre-filled from the finding."""
    finding = get_finding_for(request.user, pk)
    require_manage(request.user)
    try:
        risk = services.risk_from_spof_create(actor=request.user, finding=finding)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("Risk %(reference)s added to the risk register.") % {"reference": risk.reference},
        )
    return redirect("spof_detail", pk=finding.pk)


@login_required
@require_POST
def risk_spof_link(request, pk):
    """Link the open risk named by its reference to the finding."""
    finding = get_finding_for(request.user, pk)
    require_manage(request.user)
    form = SpofRiskLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("spof_detail", pk=finding.pk)
    risk = Risk.objects.visible_to(request.user).filter(reference=form.cleaned_data["risk"]).first()
    if risk is None:
        messages.error(request, _("No risk in the register has this reference."))
        return redirect("spof_detail", pk=finding.pk)
    try:
        services.risk_spof_link(actor=request.user, risk=risk, finding=finding)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Risk register entry linked."))
    return redirect("spof_detail", pk=finding.pk)


@login_required
@require_POST
def risk_spof_unlink(request, reference):
    """Take its single point of failure off the risk; back to the finding's page when posted
    from there (``back=finding``), else to the risk's."""
    risk = get_risk_for(request.user, reference, write=True)
    finding_pk = risk.spof_finding_id
    try:
        services.risk_spof_unlink(actor=request.user, risk=risk, expected_version=_version(request))
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The risk register entry is no longer linked."))
    if request.POST.get("back") == "finding" and finding_pk is not None:
        return redirect("spof_detail", pk=finding_pk)
    return redirect("risk_detail", reference=risk.reference)
