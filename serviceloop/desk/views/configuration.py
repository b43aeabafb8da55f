"""Desk configuration screens for administrators (read access for all staff)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.permissions import require, user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors
from serviceloop.desk.forms_configuration import (
    CannedResponseForm,
    CategoryForm,
    PriorityMatrixForm,
    RequestTypeForm,
    SlaPolicyForm,
    SlaVersionForm,
)
from serviceloop.desk.models import CannedResponse, Category, PriorityMatrix, RequestType, SlaPolicy
from serviceloop.desk.services.configuration import (
    config_save,
    priority_matrix_set,
    sla_policy_publish,
)

KINDS = {
    "categories": (Category, CategoryForm, gettext_lazy("Categories")),
    "request-types": (RequestType, RequestTypeForm, gettext_lazy("Request types")),
    "canned-responses": (CannedResponse, CannedResponseForm, gettext_lazy("Canned responses")),
    "sla-policies": (SlaPolicy, SlaPolicyForm, gettext_lazy("SLA policies")),
}


def _kind(kind):
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


@login_required
def settings_home(request):
    require(request.user, Capability.STAFF)
    sections = [
        (kind, title, model.objects.count()) for kind, (model, _form, title) in KINDS.items()
    ]
    return render(
        request,
        "desk/settings_home.html",
        {
            "sections": sections,
            "matrix": PriorityMatrix.current(),
            "can_edit": user_can(request.user, Capability.ADMINISTER),
            "policies": SlaPolicy.objects.prefetch_related("versions__calendar"),
        },
    )


@login_required
def config_list(request, kind):
    require(request.user, Capability.STAFF)
    model, _form, title = _kind(kind)
    return render(
        request,
        "desk/settings_list.html",
        {
            "kind": kind,
            "title": title,
            "records": model.objects.all(),
            "can_edit": user_can(request.user, Capability.ADMINISTER),
        },
    )


@login_required
def config_edit(request, kind, pk=None):
    require(request.user, Capability.ADMINISTER)
    model, form_class, title = _kind(kind)
    instance = None
    if pk is not None:
        instance = model.objects.filter(pk=pk).first()
        if instance is None:
            raise Http404
    form = form_class(request.POST or None, instance=model.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        try:
            config_save(actor=request.user, model=model, instance=instance, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("desk_config_list", kind=kind)
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def sla_publish(request, pk):
    require(request.user, Capability.ADMINISTER)
    policy = SlaPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise Http404
    latest = policy.versions.order_by("-number").first()
    initial = {}
    if latest is not None:
        initial = {
            "calendar": latest.calendar_id,
            "warn_percent": latest.warn_percent,
            "pause_statuses": latest.pause_statuses,
            "escalation": latest.escalation,
            **{
                f"{priority}_{key}": minutes
                for priority, target in latest.targets.items()
                for key, minutes in target.items()
            },
        }
    form = SlaVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = sla_policy_publish(
                actor=request.user,
                policy=policy,
                calendar=form.cleaned_data["calendar"],
                targets=form.targets(),
                warn_percent=form.cleaned_data["warn_percent"],
                pause_statuses=form.cleaned_data["pause_statuses"],
                escalation=form.cleaned_data["escalation"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Version %s published; new tickets get it.") % version.number
            )
            return redirect("desk_settings")
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Publish a new version of %s") % policy,
            "intro": _("Existing tickets keep the version they started with."),
        },
    )


@login_required
def priority_matrix(request):
    require(request.user, Capability.ADMINISTER)
    form = PriorityMatrixForm(request.POST or None, matrix=PriorityMatrix.current())
    if request.method == "POST" and form.is_valid():
        try:
            priority_matrix_set(actor=request.user, matrix=form.matrix())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("desk_settings")
    return render(request, "core/form_page.html", {"form": form, "title": _("Priority matrix")})
