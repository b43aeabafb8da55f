"""The signal screens: the proposals inbox (filters, CSV/XLSX export, "Run now"), a
proposal's page with its evidence and the decisions, and the rule settings.

Provider staff read; managers decide and edit the rules; problem managers decide problem
proposals; owners act on their action items (403 for other staff); customers get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.improvement import decisions_signals as decisions
from serviceloop.improvement import queries_signals as queries
from serviceloop.improvement import services_signals as services
from serviceloop.improvement.forms_signals import (
    ProposalDecideForm,
    ProposalFilterForm,
    SignalRuleForm,
)
from serviceloop.improvement.models import ProposalKind, proposal_transitions_from
from serviceloop.improvement.permissions_improvements import (
    can_manage,
    require_manage,
    require_staff,
)
from serviceloop.improvement.permissions_signals import (
    get_proposal_for,
    get_rule_for,
    proposal_roles,
)
from serviceloop.planning.forms import staff_queryset

LIST_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Proposes"), "get_kind_display"),
    Column(gettext_lazy("Signal"), "get_signal_display"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Description"), "description"),
    Column(gettext_lazy("Owner"), lambda p: str(p.owner) if p.owner else ""),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Raised"), "raised_at"),
    Column(gettext_lazy("Last seen"), "last_seen_at"),
    Column(gettext_lazy("Decided by"), lambda p: str(p.decided_by) if p.decided_by else ""),
    Column(gettext_lazy("Decided"), "decided_at"),
    Column(gettext_lazy("Note"), "decision_note"),
    Column(gettext_lazy("Record"), "record_reference"),
    Column(gettext_lazy("Cause"), "cause_key"),
]


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def proposal_list(request):
    require_staff(request.user)
    form = ProposalFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    rows = queries.proposals_for_list(
        request.user,
        status="" if status == "open" else status,
        open_only=status == "open",
        kind=filters.get("kind", ""),
        signal=filters.get("signal", ""),
        owner=filters.get("owner"),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "proposals", LIST_COLUMNS, rows)
    pending = queries.pending_counts(request.user)
    context = {
        "form": form,
        "page": paginate(request, rows),
        "pending": [(label, pending.get(value, 0)) for value, label in ProposalKind.choices],
        "can_manage": can_manage(request.user),
    }
    return render(request, "improvement/proposal_list.html", context)


@login_required
def proposal_detail(request, reference):
    proposal = get_proposal_for(request.user, reference)
    roles = proposal_roles(request.user, proposal)
    evidence = dict(proposal.evidence or {})
    periods = evidence.pop("periods", [])
    incidents = evidence.pop("incidents", [])
    evidence.pop("incident_ids", None)
    context = {
        "proposal": proposal,
        "facts": sorted(evidence.items()),
        "periods": periods,
        "incidents": incidents,
        "moves": proposal_transitions_from(proposal.kind, proposal.status, roles),
        "owner_choices": staff_queryset(),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "improvement/proposal_detail.html", context)


@login_required
@require_POST
def proposal_decide(request, reference):
    proposal = get_proposal_for(request.user, reference, write=True)
    form = ProposalDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid decision."))
        return redirect("proposal_detail", reference=proposal.reference)
    try:
        proposal = decisions.proposal_decide(
            actor=request.user,
            proposal=proposal,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
            title=form.cleaned_data["title"],
            owner=form.cleaned_data.get("owner"),
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        if proposal.record_reference:
            messages.success(request, _("%s created.") % proposal.record_reference)
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("proposal_detail", reference=proposal.reference)


@login_required
def signal_rules(request):
    """The rule settings: each rule's switch and thresholds (managers edit; staff read)."""
    require_staff(request.user)
    rules = queries.rules_in_order()
    context = {
        "rows": [(rule, SignalRuleForm(rule=rule)) for rule in rules],
        "can_manage": can_manage(request.user),
    }
    return render(request, "improvement/signal_rules.html", context)


@login_required
@require_POST
def signal_rule_update(request, kind):
    rule = get_rule_for(request.user, kind, write=True)
    form = SignalRuleForm(request.POST, rule=rule)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.signal_rule_update(
                actor=request.user,
                rule=rule,
                enabled=data["enabled"],
                threshold=data["threshold"],
                window_days=data.get("window_days"),
                margin_percent=data.get("margin_percent"),
                expected_version=data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Rule saved: %s.") % rule)
            return redirect("signal_rules")
    rows = [
        (r, form if r.pk == rule.pk else SignalRuleForm(rule=r)) for r in queries.rules_in_order()
    ]
    return render(
        request,
        "improvement/signal_rules.html",
        {"rows": rows, "can_manage": True},
        status=400,
    )


@login_required
@require_POST
def signal_run(request):
    require_manage(request.user)
    try:
        results = services.signals_run_now(actor=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        raised = sum(r.get("raised", 0) for r in results.values())
        failed = [kind for kind, r in results.items() if "error" in r]
        messages.success(
            request,
            _("Detectors run: %(n)d new proposals.") % {"n": raised},
        )
        if failed:
            messages.error(request, _("Some detectors failed: %s.") % ", ".join(failed))
    return redirect("signal_rules" if request.POST.get("next") == "rules" else "proposal_list")
