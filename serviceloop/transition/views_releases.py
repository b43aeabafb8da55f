"""The release screens: the list (with export), a release's page (changes, acceptance
criteria and results, deployments per environment, rollbacks, early-life support and its
incidents, moves) and its forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk.confidential import events_without_hidden_references
from serviceloop.desk.models import Kind, Ticket
from serviceloop.transition import queries, services_release_deployments, services_releases
from serviceloop.transition.forms import (
    CriterionForm,
    CriterionResultForm,
    DeploymentForm,
    ReferencesForm,
    ReleaseFilterForm,
    ReleaseForm,
    ReleaseMoveForm,
    RollbackForm,
)
from serviceloop.transition.lifecycle import (
    EDITABLE_RELEASE_STATUSES,
    ReleaseStatus,
    release_transitions_from,
)
from serviceloop.transition.models import AcceptanceCriterion, Environment
from serviceloop.transition.permissions import (
    can_operate,
    change_role,
    get_release_for,
    require_operate,
    staff_only,
)

RELEASE_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Release manager"), lambda r: str(r.owner or "")),
    Column(gettext_lazy("Changes"), "change_count"),
    Column(gettext_lazy("Planned deployment"), "planned_deploy_at"),
    Column(gettext_lazy("Actual deployment"), "actual_deploy_at"),
    Column(gettext_lazy("End of early-life support"), "els_end"),
    Column(gettext_lazy("Early-life incidents"), "incident_count"),
]


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


@login_required
def release_list(request):
    staff_only(request.user)
    form = ReleaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    releases = queries.releases_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "releases", RELEASE_COLUMNS, releases)
    return render(
        request,
        "transition/release_list.html",
        {
            "form": form,
            "page": paginate(request, releases),
            "can_create": can_operate(request.user),
        },
    )


@login_required
def release_new(request):
    require_operate(request.user)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            release = services_releases.release_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Release %s planned.") % release.reference)
            return redirect("release_detail", reference=release.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("New release")})


@login_required
def release_edit(request, reference):
    release = get_release_for(request.user, reference, write=True)
    form = ReleaseForm(request.POST or None, initial=ReleaseForm.initial_for(release), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services_releases.release_update(
                actor=request.user,
                release=release,
                expected_version=release.version,
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("release_detail", reference=release.reference)
    title = _("Edit %s") % release.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def release_detail(request, reference):
    release = get_release_for(request.user, reference)
    role = change_role(request.user)
    can_write = role is not None and release.status not in (
        ReleaseStatus.CLOSED,
        ReleaseStatus.CANCELLED,
    )
    # confidential incidents the user is not cleared for are not listed
    visible = Ticket.objects.visible_to(request.user).values("pk")
    tagged = list(
        release.incident_links.filter(incident__in=visible)
        .select_related("incident__organisation", "linked_by")
        .order_by("incident__created_at")
    )
    tagged_ids = {link.incident_id for link in tagged}
    during_els = list(queries.els_incidents(release, user=request.user))
    deployments = release.deployments.select_related("deployed_by").order_by("deployed_at", "id")
    by_environment = [
        (label, [d for d in deployments if d.environment == value])
        for value, label in Environment.choices
    ]
    context = {
        "release": release,
        "can_write": can_write,
        "can_edit_criteria": can_write and release.status in EDITABLE_RELEASE_STATUSES,
        "moves": release_transitions_from(release.status, role) if can_write else [],
        "changes": release.changes.select_related("owner").order_by("reference"),
        "services": release.services.order_by("name"),
        "criteria": release.criteria.select_related("tested_by"),
        "deployments": deployments,
        "by_environment": by_environment,
        "rollbacks": release.rollbacks.select_related("rolled_back_by"),
        "tagged": tagged,
        "untagged_els": [t for t in during_els if t.pk not in tagged_ids],
        "els_running": release.actual_deploy_at is not None
        and (release.els_end is None or release.els_end > timezone.now()),
        "events": events_without_hidden_references(
            request.user, release.events.select_related("actor").order_by("at", "id")
        ),
        "deploy_form": DeploymentForm(),
        "rollback_form": RollbackForm(),
        "criterion_form": CriterionForm(),
        "result_choices": CriterionResultForm.base_fields["result"].choices,
        "tag_form": ReferencesForm(),
        "plans": release.transition_plans.select_related("service"),
    }
    return render(request, "transition/release_detail.html", context)


@login_required
@require_POST
def release_move(request, reference):
    release = get_release_for(request.user, reference, write=True)
    form = ReleaseMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("release_detail", reference=release.reference)
    try:
        services_release_deployments.release_transition(
            actor=request.user,
            release=release,
            target=form.cleaned_data["target"],
            note=form.cleaned_data.get("note") or "",
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("release_detail", reference=release.reference)


@login_required
@require_POST
def release_deploy(request, reference):
    release = get_release_for(request.user, reference, write=True)
    form = DeploymentForm(request.POST)
    if form.is_valid():
        try:
            services_release_deployments.release_deploy(
                actor=request.user, release=release, **form.cleaned_data
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Deployment recorded."))
    else:
        _form_errors(request, form)
    return redirect("release_detail", reference=release.reference)


@login_required
@require_POST
def release_rollback(request, reference):
    release = get_release_for(request.user, reference, write=True)
    form = RollbackForm(request.POST)
    if form.is_valid():
        try:
            services_release_deployments.release_rollback(
                actor=request.user, release=release, **form.cleaned_data
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Rollback recorded."))
    else:
        _form_errors(request, form)
    return redirect("release_detail", reference=release.reference)


@login_required
@require_POST
def release_criterion_add(request, reference):
    release = get_release_for(request.user, reference, write=True)
    form = CriterionForm(request.POST)
    if form.is_valid():
        try:
            services_releases.release_criterion_add(
                actor=request.user, release=release, description=form.cleaned_data["description"]
            )
        except ValidationError as error:
            _messages_from(request, error)
    else:
        _form_errors(request, form)
    return redirect("release_detail", reference=release.reference)


@login_required
@require_POST
def release_criterion_result(request, reference, pk):
    release = get_release_for(request.user, reference, write=True)
    criterion = AcceptanceCriterion.objects.filter(release=release, pk=pk).first()
    if criterion is None:
        raise Http404
    form = CriterionResultForm(request.POST)
    if form.is_valid():
        try:
            services_releases.release_criterion_record(
                actor=request.user, criterion=criterion, **form.cleaned_data
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Test result recorded."))
    else:
        _form_errors(request, form)
    return redirect("release_detail", reference=release.reference)


@login_required
@require_POST
def release_tag(request, reference):
    release = get_release_for(request.user, reference, write=True)
    form = ReferencesForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("release_detail", reference=release.reference)
    references = form.cleaned_data["references"]
    found = {
        t.reference: t
        for t in Ticket.objects.visible_to(request.user).filter(reference__in=references)
    }
    missing = [r for r in references if r not in found]
    if missing:
        messages.error(request, _("No such incident: %s.") % ", ".join(missing))
        return redirect("release_detail", reference=release.reference)
    try:
        tagged = services_releases.release_tag_incidents(
            actor=request.user, release=release, incidents=list(found.values())
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        if tagged:
            messages.success(request, _("Tagged: %s.") % ", ".join(t.reference for t in tagged))
        else:
            messages.info(request, _("These incidents were already tagged."))
    return redirect("release_detail", reference=release.reference)


@login_required
@require_POST
def release_untag(request, reference, incident):
    release = get_release_for(request.user, reference, write=True)
    ticket = (
        Ticket.objects.visible_to(request.user)
        .filter(reference=incident, kind=Kind.INCIDENT)
        .first()
    )
    if ticket is None:
        raise Http404
    if services_releases.release_untag_incident(
        actor=request.user, release=release, incident=ticket
    ):
        messages.success(request, _("Untagged %s.") % ticket.reference)
    return redirect("release_detail", reference=release.reference)
