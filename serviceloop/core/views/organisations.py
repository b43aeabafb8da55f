"""Screens for organisations, people and teams."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core import queries
from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.forms import (
    AttachmentForm,
    OrganisationEditForm,
    OrganisationForm,
    PersonCreateForm,
    PersonForm,
    TeamEditForm,
    TeamForm,
)
from serviceloop.core.models import Attachment, Organisation
from serviceloop.core.permissions import (
    get_organisation_for,
    get_person_for,
    get_team_for,
    require,
    user_can,
)
from serviceloop.core.roles import Capability
from serviceloop.core.services import attachments as attachment_services
from serviceloop.core.services import organisations as services
from serviceloop.core.views.helpers import apply_service_errors, paginate

ORGANISATION_COLUMNS = [
    Column(_l("Name"), "name"),
    Column(_l("Kind"), "get_kind_display"),
    Column(_l("Time zone"), "time_zone"),
    Column(_l("Calendar"), "calendar"),
    Column(_l("People"), "people_count"),
    Column(_l("Active"), "is_active"),
]
TEAM_COLUMNS = [
    Column(_l("Team"), "name"),
    Column(_l("Organisation"), "organisation"),
    Column(_l("Team lead"), "lead"),
    Column(_l("Members"), "member_count"),
    Column(_l("Active"), "is_active"),
]


@login_required
def organisation_list(request):
    organisations = queries.organisations_for_list(request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "organisations", ORGANISATION_COLUMNS, organisations)
    return render(request, "core/organisation_list.html", {"organisations": organisations})


@login_required
def my_organisation(request):
    if request.user.organisation_id is None:
        raise Http404
    return redirect("organisation_detail", pk=request.user.organisation_id)


@login_required
def organisation_detail(request, pk):
    organisation = get_organisation_for(request.user, pk)
    attachments = Attachment.objects.visible_to(request.user).filter(
        content_type=ContentType.objects.get_for_model(Organisation), object_id=str(organisation.pk)
    )
    context = {
        "organisation": organisation,
        "people": queries.people_for_list(request.user, organisation_id=organisation.pk),
        "teams": organisation.teams.all(),
        "attachments": attachments,
        "attachment_form": AttachmentForm(),
        "can_attach": attachment_services.can_attach(request.user, organisation),
        "can_edit": user_can(request.user, Capability.ADMINISTER),
    }
    return render(request, "core/organisation_detail.html", context)


@login_required
def organisation_create(request):
    require(request.user, Capability.ADMINISTER)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("kind", "name")}
        try:
            organisation = services.organisation_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                **fields,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Organisation created."))
            return redirect("organisation_detail", pk=organisation.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("New organisation")})


@login_required
def organisation_edit(request, pk):
    organisation = get_organisation_for(request.user, pk, write=True)
    form = OrganisationEditForm(request.POST or None, instance=Organisation.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("organisation_detail", pk=organisation.pk)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Edit %s") % organisation},
    )


@login_required
@require_POST
def organisation_attachment_add(request, pk):
    organisation = get_organisation_for(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment_services.attachment_add(
                actor=request.user,
                organisation=organisation,
                uploaded_file=form.cleaned_data["file"],
                target=organisation,
                is_internal=form.cleaned_data["is_internal"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("File attached."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("organisation_detail", pk=organisation.pk)


@login_required
def person_list(request):
    search = request.GET.get("q", "").strip()
    people = paginate(request, queries.people_for_list(request.user, search=search))
    return render(request, "core/person_list.html", {"people": people, "q": search})


@login_required
def person_detail(request, pk):
    person = get_person_for(request.user, pk)
    return render(
        request,
        "core/person_detail.html",
        {
            "person": person,
            "teams": person.teams.select_related("organisation"),
            "can_edit": user_can(request.user, Capability.ADMINISTER),
        },
    )


@login_required
def person_create(request):
    require(request.user, Capability.ADMINISTER)
    form = PersonCreateForm(
        request.POST or None, initial={"organisation": request.GET.get("organisation")}
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        organisation = fields.pop("organisation")
        username = fields.pop("username")
        password = fields.pop("password") or None
        try:
            person = services.person_create(
                actor=request.user,
                organisation=organisation,
                username=username,
                password=password,
                **fields,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Person created."))
            return redirect("person_detail", pk=person.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("New person")})


@login_required
def person_edit(request, pk):
    person = get_person_for(request.user, pk)
    require(request.user, Capability.ADMINISTER)
    form = PersonForm(request.POST or None, instance=type(person).objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("person_detail", pk=person.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("Edit %s") % person})


@login_required
def team_list(request):
    teams = queries.teams_for_list(request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "teams", TEAM_COLUMNS, teams)
    return render(request, "core/team_list.html", {"teams": teams})


@login_required
def team_detail(request, pk):
    team = get_team_for(request.user, pk)
    return render(
        request,
        "core/team_detail.html",
        {
            "team": team,
            "members": team.members.select_related("organisation"),
            "can_edit": user_can(request.user, Capability.ADMINISTER),
        },
    )


@login_required
def team_create(request):
    require(request.user, Capability.ADMINISTER)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            team = services.team_create(
                actor=request.user,
                organisation=fields.pop("organisation"),
                name=fields.pop("name"),
                members=fields.pop("members"),
                **fields,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Team created."))
            return redirect("team_detail", pk=team.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("New team")})


@login_required
def team_edit(request, pk):
    team = get_team_for(request.user, pk, write=True)
    form = TeamEditForm(request.POST or None, instance=type(team).objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            services.team_update(
                actor=request.user, team=team, members=fields.pop("members"), **fields
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("team_detail", pk=team.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("Edit %s") % team})
