"""The problem screens: the problems list with the pending proposals, a problem's page (root
cause analysis, linked incidents, transitions), the known-error search, and the incident
page's problem block."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk import queries_problems
from serviceloop.desk.confidential import events_without_hidden_references
from serviceloop.desk.forms_problems import (
    KnownErrorSearchForm,
    LinkIncidentsForm,
    ProblemEditForm,
    ProblemFilterForm,
    ProblemForm,
    ProblemTransitionForm,
    ProposalAcceptForm,
    ProposalDismissForm,
    RcaForm,
    TicketProblemLinkForm,
)
from serviceloop.desk.models import Kind, ProblemProposal, ProblemStatus, Ticket
from serviceloop.desk.models.problems import PROBLEM_MANAGER, problem_transitions_from
from serviceloop.desk.permissions import get_ticket_for
from serviceloop.desk.services import problems as services
from serviceloop.desk.services import recurrence


def _staff_only(user) -> None:
    """Problems are the provider's records: to anyone else they do not exist (404)."""
    if not user.has_capability(Capability.STAFF):
        raise Http404


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def problem_list(request):
    _staff_only(request.user)
    form = ProblemFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    problems = queries_problems.problems_for_list(
        request.user,
        status=filters.get("status", ""),
        owner=filters.get("owner"),
        q=filters.get("q", ""),
    )
    role = services.problem_role(request.user)
    proposals = (
        ProblemProposal.objects.visible_to(request.user)
        .pending()
        .select_related("category")
        .annotate(incident_count=Count("incidents"))
    )
    context = {
        "form": form,
        "page": paginate(request, problems),
        "proposals": proposals,
        "can_create": role is not None,
        "is_manager": role == PROBLEM_MANAGER,
    }
    return render(request, "desk/problem_list.html", context)


@login_required
def problem_new(request):
    _staff_only(request.user)
    if services.problem_role(request.user) is None:
        raise PermissionDenied
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Problem %s recorded.") % problem.reference)
            return redirect("problem_detail", reference=problem.reference)
    return render(request, "desk/problem_form.html", {"form": form, "title": _("New problem")})


@login_required
def problem_detail(request, reference):
    problem = services.get_problem_for(request.user, reference)
    role = services.problem_role(request.user)
    can_write = role is not None and problem.status != ProblemStatus.CLOSED
    # confidential incidents the user is not cleared for are not listed (the count is theirs)
    incident_links = (
        problem.incident_links.filter(
            incident__in=Ticket.objects.visible_to(request.user).values("pk")
        )
        .select_related("incident__organisation", "incident__assignee", "linked_by")
        .order_by("-incident__created_at", "-id")
    )
    context = {
        "problem": problem,
        "role": role,
        "can_write": can_write,
        "incident_links": incident_links,
        "events": events_without_hidden_references(
            request.user, problem.events.select_related("actor").order_by("at", "id")
        ),
        "moves": problem_transitions_from(problem.status, role) if role else [],
        "rca_form": RcaForm(initial=RcaForm.initial_for(problem)) if can_write else None,
        "link_form": LinkIncidentsForm() if can_write else None,
        "transition_form": ProblemTransitionForm(),
        "proposal": ProblemProposal.objects.filter(problem=problem).first(),
    }
    return render(request, "desk/problem_detail.html", context)


@login_required
def problem_edit(request, reference):
    problem = services.get_problem_for(request.user, reference, write=True)
    initial = {
        "title": problem.title,
        "description": problem.description,
        "service": problem.service,
        "category": problem.category_id,
        "owner": problem.owner_id,
    }
    form = ProblemEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_update(actor=request.user, problem=problem, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("problem_detail", reference=problem.reference)
    title = _("Edit %s") % problem.reference
    return render(request, "desk/problem_form.html", {"form": form, "title": title})


@login_required
@require_POST
def problem_rca(request, reference):
    problem = services.get_problem_for(request.user, reference, write=True)
    form = RcaForm(request.POST)
    if form.is_valid():
        try:
            services.problem_update(
                actor=request.user,
                problem=problem,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(problem),
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Root-cause analysis saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("problem_detail", reference=problem.reference)


@login_required
@require_POST
def problem_move(request, reference):
    problem = services.get_problem_for(request.user, reference, write=True)
    form = ProblemTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("problem_detail", reference=problem.reference)
    data = form.cleaned_data
    try:
        services.problem_transition(
            actor=request.user,
            problem=problem,
            target=data["target"],
            resolution=data["resolution"] or None,
            accepted_risk=data["accepted_risk"] or None,
            risk_justification=data["risk_justification"] or None,
            expected_version=data.get("version"),
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("problem_detail", reference=problem.reference)


def _incidents_by_reference(user, references):
    found = {
        t.reference: t for t in Ticket.objects.visible_to(user).filter(reference__in=references)
    }
    missing = [ref for ref in references if ref not in found]
    return [found[ref] for ref in references if ref in found], missing


@login_required
@require_POST
def problem_link(request, reference):
    problem = services.get_problem_for(request.user, reference, write=True)
    form = LinkIncidentsForm(request.POST)
    if not form.is_valid():
        for message in form.errors.get("references", []):
            messages.error(request, message)
        return redirect("problem_detail", reference=problem.reference)
    incidents, missing = _incidents_by_reference(request.user, form.cleaned_data["references"])
    if missing:
        messages.error(request, _("No such incident: %s.") % ", ".join(missing))
        return redirect("problem_detail", reference=problem.reference)
    try:
        linked = services.problem_link_incidents(
            actor=request.user, problem=problem, incidents=incidents
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        if linked:
            messages.success(
                request,
                _("Linked: %s.") % ", ".join(t.reference for t in linked),
            )
        else:
            messages.info(request, _("These incidents were already linked."))
    return redirect("problem_detail", reference=problem.reference)


@login_required
@require_POST
def problem_unlink(request, reference, incident):
    problem = services.get_problem_for(request.user, reference, write=True)
    ticket = (
        Ticket.objects.visible_to(request.user)
        .filter(reference=incident, kind=Kind.INCIDENT)
        .first()
    )
    if ticket is None:
        raise Http404
    try:
        if services.problem_unlink_incident(actor=request.user, problem=problem, incident=ticket):
            messages.success(request, _("Unlinked %s.") % ticket.reference)
    except ValidationError as error:
        _messages_from(request, error)
    return redirect("problem_detail", reference=problem.reference)


@login_required
def known_error_list(request):
    _staff_only(request.user)
    form = KnownErrorSearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    errors = queries_problems.known_errors_matching(request.user, q)
    return render(
        request,
        "desk/known_error_list.html",
        {"form": form, "q": q, "page": paginate(request, errors)},
    )


@login_required
def proposal_detail(request, pk):
    proposal = recurrence.get_proposal_for(request.user, pk)
    incidents = (
        proposal.incidents.filter(pk__in=Ticket.objects.visible_to(request.user).values("pk"))
        .select_related("organisation", "category")
        .order_by("-created_at", "-pk")
    )
    is_manager = services.problem_role(request.user) == PROBLEM_MANAGER
    context = {
        "proposal": proposal,
        "incidents": incidents,
        "is_manager": is_manager,
        "accept_form": ProposalAcceptForm(initial={"title": proposal.suggested_title})
        if is_manager
        else None,
        "dismiss_form": ProposalDismissForm() if is_manager else None,
    }
    return render(request, "desk/problem_proposal.html", context)


@login_required
@require_POST
def proposal_accept(request, pk):
    proposal = recurrence.get_proposal_for(request.user, pk, write=True)
    form = ProposalAcceptForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("problem_proposal_detail", pk=proposal.pk)
    try:
        problem = recurrence.problem_proposal_accept(
            actor=request.user, proposal=proposal, **form.cleaned_data
        )
    except ValidationError as error:
        _messages_from(request, error)
        return redirect("problem_proposal_detail", pk=proposal.pk)
    messages.success(request, _("Problem %s recorded.") % problem.reference)
    return redirect("problem_detail", reference=problem.reference)


@login_required
@require_POST
def proposal_dismiss(request, pk):
    proposal = recurrence.get_proposal_for(request.user, pk, write=True)
    form = ProposalDismissForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        recurrence.problem_proposal_dismiss(actor=request.user, proposal=proposal, reason=reason)
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Proposal dismissed; this cluster will not be proposed again."))
    return redirect("problem_list")


# --- The incident page's block -------------------------------------------------------------


def incident_problem_context(user, ticket) -> dict:
    """What the ticket page's problem block shows: for staff, the incident's problems (with
    their known-error workaround); for staff who work problems, the problems to link it to."""
    if not user.has_capability(Capability.STAFF) or ticket.kind != Kind.INCIDENT:
        return {}
    can_link = services.problem_role(user) is not None
    return {
        "incident_problems": queries_problems.incident_problems(ticket),
        "problems_to_link": queries_problems.problems_to_link(ticket) if can_link else None,
        "show_problem_block": True,
    }


@login_required
@require_POST
def ticket_problem_link(request, reference):
    _staff_only(request.user)
    ticket = get_ticket_for(request.user, reference, write=True)
    form = TicketProblemLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a problem."))
        return redirect("ticket_detail", reference=ticket.reference)
    problem = services.get_problem_for(request.user, form.cleaned_data["problem"], write=True)
    try:
        linked = services.problem_link_incidents(
            actor=request.user, problem=problem, incidents=[ticket]
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        if linked:
            messages.success(request, _("Linked to %s.") % problem.reference)
        else:
            messages.info(request, _("This incident was already linked to %s.") % problem.reference)
    return redirect("ticket_detail", reference=ticket.reference)
