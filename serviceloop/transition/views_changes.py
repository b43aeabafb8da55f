"""The change screens: the list (with export), a change's page (impact, conflicts, CAB,
moves, incidents caused), the forms (new, edit, schedule, review), the CAB voting page and
queue, an incident's changes and releases, and the customers' planned changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk.confidential import events_without_hidden_references
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import Service
from serviceloop.transition import (
    queries,
    services_cab,
    services_change_implementation,
    services_change_links,
    services_changes,
)
from serviceloop.transition.change_moves import offered_moves
from serviceloop.transition.conflicts import change_conflicts
from serviceloop.transition.forms import (
    ChangeFilterForm,
    ChangeForm,
    ChangeMoveForm,
    ReferencesForm,
    ReviewForm,
    ScheduleForm,
    VoteForm,
)
from serviceloop.transition.lifecycle import (
    EDITABLE_CHANGE_STATUSES,
    FINAL_CHANGE_STATUSES,
    RAN_CHANGE_STATUSES,
    ChangeStatus,
)
from serviceloop.transition.models import CabVote, ChangeRequest
from serviceloop.transition.permissions import (
    can_configure,
    can_operate,
    can_sit_on_cab,
    change_role,
    get_change_for,
    get_change_for_vote,
    require_operate,
    staff_only,
)
from serviceloop.transition.risk import risk_matrix

CS = ChangeStatus

CHANGE_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Type"), "get_change_type_display"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Risk"), "get_risk_level_display"),
    Column(gettext_lazy("Requester"), lambda c: str(c.requester)),
    Column(gettext_lazy("Owner"), lambda c: str(c.owner or "")),
    Column(gettext_lazy("Planned start"), "planned_start"),
    Column(gettext_lazy("Planned end"), "planned_end"),
    Column(gettext_lazy("Outcome"), "get_outcome_display"),
    Column(gettext_lazy("Incidents caused"), "incident_count"),
    Column(gettext_lazy("Created"), "created_at"),
]


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def change_list(request):
    staff_only(request.user)
    form = ChangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    changes = queries.changes_for_list(
        request.user,
        status=filters.get("status", ""),
        change_type=filters.get("change_type", ""),
        risk_level=filters.get("risk_level", ""),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "changes", CHANGE_COLUMNS, changes)
    context = {
        "form": form,
        "page": paginate(request, changes),
        "can_create": can_operate(request.user),
        "can_configure": can_configure(request.user),
        "pending_votes": queries.changes_awaiting_vote(request.user).count()
        if can_sit_on_cab(request.user)
        else 0,
    }
    return render(request, "transition/change_list.html", context)


@login_required
def change_new(request):
    require_operate(request.user)
    form = ChangeForm(
        request.POST or None, initial={"change_type": request.GET.get("type", "normal")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services_changes.change_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Change %s recorded as a draft.") % change.reference)
            return redirect("change_detail", reference=change.reference)
    return render(
        request,
        "transition/change_form.html",
        {"form": form, "title": _("New change"), "matrix": risk_matrix()},
    )


@login_required
def change_edit(request, reference):
    change = get_change_for(request.user, reference, write=True)
    if change.status not in EDITABLE_CHANGE_STATUSES:
        messages.error(
            request, _("Once approved, a change's plan is what runs: it can no longer be edited.")
        )
        return redirect("change_detail", reference=change.reference)
    form = ChangeForm(request.POST or None, initial=ChangeForm.initial_for(change), editing=True)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if change.is_standard:
            for name in (
                "implementation_plan",
                "backout_plan",
                "test_plan",
                "likelihood",
                "impact",
            ):
                fields.pop(name)
        try:
            services_changes.change_update(
                actor=request.user, change=change, expected_version=change.version, **fields
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("change_detail", reference=change.reference)
    return render(
        request,
        "transition/change_form.html",
        {
            "form": form,
            "title": _("Edit %s") % change.reference,
            "change": change,
            "matrix": risk_matrix(),
        },
    )


def _cab_context(change: ChangeRequest, user) -> dict:
    votes = list(
        CabVote.objects.filter(change=change)
        .select_related("voter")
        .order_by("round", "decided_at")
    )
    current = [v for v in votes if v.round == change.cab_round]
    members = list(change.cab_members.all()) if change.cab_round else []
    voted = {v.voter_id for v in current}
    return {
        "votes": votes,
        "current_votes": current,
        "members": members,
        "tally": services_cab.cab_tally(change) if change.cab_round else None,
        "can_vote": change.status == CS.AWAITING_CAB
        and user.pk in {m.pk for m in members}
        and user.pk not in voted
        and can_sit_on_cab(user),
    }


@login_required
def change_detail(request, reference):
    change = get_change_for(request.user, reference)
    role = change_role(request.user)
    can_write = role is not None and change.status not in FINAL_CHANGE_STATUSES
    snapshot = change.impact_snapshot
    preview = False
    if not snapshot:
        from serviceloop.transition.change_impact import impact_snapshot

        snapshot = impact_snapshot(
            change.configuration_items.values_list("pk", flat=True),
            change.services.values_list("pk", flat=True),
        ).snapshot
        preview = True
    conflicts = (
        change_conflicts(change)
        if change.status not in FINAL_CHANGE_STATUSES and change.status not in RAN_CHANGE_STATUSES
        else []
    )
    can_link = role is not None and change.status in RAN_CHANGE_STATUSES
    context = {
        "change": change,
        "role": role,
        "can_write": can_write,
        "can_edit": can_write and change.status in EDITABLE_CHANGE_STATUSES,
        "moves": offered_moves(change, role) if can_write else [],
        "items": change.configuration_items.select_related("ci_type").order_by("reference"),
        "services": change.services.order_by("name"),
        "snapshot": snapshot,
        "snapshot_preview": preview,
        "snapshot_taken_at": parse_datetime(snapshot.get("taken_at") or ""),
        "conflicts": conflicts,
        "skip_refusals": services_changes.cab_skip_refusals(change)
        if change.status == CS.ASSESSED
        else [],
        # confidential incidents the user is not cleared for are not listed
        "incident_links": change.incident_links.filter(
            incident__in=Ticket.objects.visible_to(request.user).values("pk")
        )
        .select_related("incident__organisation", "linked_by")
        .order_by("-incident__created_at"),
        "can_link": can_link,
        # incidents on its services or items since it started, offered for linking
        "suspected": queries.incidents_suspected(change, request.user) if can_link else [],
        "link_form": ReferencesForm(),
        "releases": change.releases.order_by("-created_at"),
        "events": events_without_hidden_references(
            request.user, change.events.select_related("actor").order_by("at", "id")
        ),
        "likelihoods": ChangeForm.base_fields["likelihood"].choices[1:],
        "impacts": ChangeForm.base_fields["impact"].choices[1:],
        **_cab_context(change, request.user),
    }
    return render(request, "transition/change_detail.html", context)


@login_required
@require_POST
def change_move(request, reference):
    change = get_change_for(request.user, reference, write=True)
    form = ChangeMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("change_detail", reference=change.reference)
    data = form.cleaned_data
    try:
        services_changes.change_transition(
            actor=request.user,
            change=change,
            target=data["target"],
            expected_version=data.get("version"),
            note=data.get("note") or "",
            likelihood=data.get("likelihood"),
            impact=data.get("impact"),
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("change_detail", reference=change.reference)


@login_required
def change_schedule(request, reference):
    change = get_change_for(request.user, reference, write=True)
    form = ScheduleForm(
        request.POST or None,
        initial={
            "planned_start": change.planned_start,
            "planned_end": change.planned_end,
            "version": change.version,
        },
    )
    conflicts = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        conflicts = change_conflicts(change, data["planned_start"], data["planned_end"])
        try:
            services_change_implementation.change_schedule(
                actor=request.user,
                change=change,
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                override_reason=data["override_reason"],
                expected_version=data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            if conflicts and form.errors.get("override_reason"):
                # the conflicts are listed above the form: say only what to do about them
                first = form.errors["override_reason"].as_data()[:1]
                form.errors["override_reason"] = form.error_class(first)
        else:
            messages.success(request, _("Change scheduled."))
            return redirect("change_detail", reference=change.reference)
    elif change.planned_start and change.planned_end:
        conflicts = change_conflicts(change)
    return render(
        request,
        "transition/change_schedule.html",
        {"form": form, "change": change, "conflicts": conflicts},
    )


@login_required
def change_review(request, reference):
    change = get_change_for(request.user, reference, write=True)
    form = ReviewForm(request.POST or None, initial={"version": change.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_change_implementation.change_review(
                actor=request.user,
                change=change,
                success=data["success"],
                notes=data["notes"],
                lessons=data["lessons"],
                expected_version=data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Post-implementation review recorded."))
            return redirect("change_detail", reference=change.reference)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Post-implementation review of %s") % change.reference,
            "intro": change.outcome_note or change.title,
        },
    )


# --- CAB -----------------------------------------------------------------------------------


@login_required
def change_vote_page(request, reference):
    if request.method == "POST":
        change = get_change_for_vote(request.user, reference)
        form = VoteForm(request.POST)
        if form.is_valid():
            try:
                services_cab.change_vote(
                    actor=request.user,
                    change=change,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                _messages_from(request, error)
            else:
                messages.success(request, _("Your vote is recorded."))
                return redirect("change_vote_page", reference=change.reference)
    else:
        change = get_change_for(request.user, reference)
        form = VoteForm()
    change.refresh_from_db()
    context = {
        "change": change,
        "form": form,
        "snapshot": change.impact_snapshot,
        "snapshot_taken_at": parse_datetime(change.impact_snapshot.get("taken_at") or ""),
        "conflicts": change_conflicts(change) if change.status == CS.AWAITING_CAB else [],
        "on_vote_page": True,  # the CAB card's "Vote" link would lead here again
        **_cab_context(change, request.user),
    }
    return render(request, "transition/change_vote.html", context)


@login_required
def cab_queue(request):
    staff_only(request.user)
    mine = queries.changes_awaiting_vote(request.user) if can_sit_on_cab(request.user) else []
    waiting = (
        ChangeRequest.objects.visible_to(request.user)
        .filter(status=CS.AWAITING_CAB)
        .select_related("requester", "owner")
        .order_by("updated_at")
    )
    return render(request, "transition/cab_queue.html", {"mine": mine, "waiting": waiting})


# --- Incidents caused ----------------------------------------------------------------------


def _incidents_by_reference(user, references):
    found = {
        t.reference: t for t in Ticket.objects.visible_to(user).filter(reference__in=references)
    }
    return [found[r] for r in references if r in found], [r for r in references if r not in found]


@login_required
@require_POST
def change_link(request, reference):
    change = get_change_for(request.user, reference, write=True)
    form = ReferencesForm(request.POST)
    if not form.is_valid():
        for message in form.errors.get("references", []):
            messages.error(request, message)
        return redirect("change_detail", reference=change.reference)
    incidents, missing = _incidents_by_reference(request.user, form.cleaned_data["references"])
    if missing:
        messages.error(request, _("No such incident: %s.") % ", ".join(missing))
        return redirect("change_detail", reference=change.reference)
    try:
        linked = services_change_links.change_link_incidents(
            actor=request.user, change=change, incidents=incidents
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        if linked:
            messages.success(request, _("Linked: %s.") % ", ".join(t.reference for t in linked))
        else:
            messages.info(request, _("These incidents were already linked."))
    return redirect("change_detail", reference=change.reference)


@login_required
@require_POST
def change_unlink(request, reference, incident):
    change = get_change_for(request.user, reference, write=True)
    ticket = (
        Ticket.objects.visible_to(request.user)
        .filter(reference=incident, kind=Kind.INCIDENT)
        .first()
    )
    if ticket is None:
        raise Http404
    if services_change_links.change_unlink_incident(
        actor=request.user, change=change, incident=ticket
    ):
        messages.success(request, _("Unlinked %s.") % ticket.reference)
    return redirect("change_detail", reference=change.reference)


@login_required
def incident_changes(request, reference):
    """The incident's side of the links: the changes that caused it, the releases it is
    tagged to; staff who operate may link it to a change from here."""
    staff_only(request.user)
    incident = (
        Ticket.objects.visible_to(request.user)
        .filter(reference=reference)
        .select_related("organisation")
        .first()
    )
    if incident is None:
        raise Http404
    if request.method == "POST":
        require_operate(request.user)
        change = get_change_for(
            request.user, request.POST.get("change", "").strip().upper(), write=True
        )
        try:
            services_change_links.change_link_incidents(
                actor=request.user, change=change, incidents=[incident]
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Linked to %s.") % change.reference)
        return redirect("incident_changes", reference=incident.reference)
    context = {
        "incident": incident,
        "can_link": can_operate(request.user) and incident.kind == Kind.INCIDENT,
        **queries.incident_transition_records(incident),
    }
    return render(request, "transition/incident_changes.html", context)


# --- The customers' view -------------------------------------------------------------------


@login_required
def planned_changes(request):
    """Scheduled changes affecting the customer's services (read only: the window, the title
    and the customer's own services it touches); staff see every upcoming booked change."""
    user = request.user
    if user.has_capability(Capability.STAFF):
        changes = list(
            ChangeRequest.objects.visible_to(user)
            .booked()
            .filter(planned_end__gt=timezone.now())
            .order_by("planned_start", "id")
        )
        entitled = None
    else:
        changes = list(queries.planned_changes_for_customer(user))
        entitled = set(Service.objects.entitled(user.organisation_id).values_list("pk", flat=True))
    rows = [
        {
            "change": change,
            "services": [
                s["name"]
                for s in (change.impact_snapshot or {}).get("services", [])
                if entitled is None or s["id"] in entitled
            ],
        }
        for change in changes
    ]
    return render(request, "transition/planned_changes.html", {"rows": rows})
