"""The leadership screens (clause 5): the versioned service management policy with its
communication records, and the roles and responsibilities (RACI) matrix with its CSV/XLSX
export.

Provider staff read; the management-system owner and administrators write (403 for other
staff); top management approves the policy; customers get 404.
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
from serviceloop.planning import services_leadership as services
from serviceloop.planning.forms_context import ApproveForm
from serviceloop.planning.forms_leadership import (
    CommunicationForm,
    PolicyForm,
    RaciForm,
    raci_roles,
)
from serviceloop.planning.models import (
    PROCESS_AREAS,
    PROCESSES,
    PolicyCommunication,
    PolicyVersion,
    RaciAssignment,
)
from serviceloop.planning.permissions_management import (
    can_approve_policy,
    can_manage,
    get_policy_for,
    require_manage,
    require_staff,
)
from serviceloop.planning.queries_policy import policy_documents_in_force
from serviceloop.planning.queries_tailoring import disabled_modules
from serviceloop.planning.services_leadership import policy_approval_problems
from serviceloop.support.services_documents import documents_may_edit

POLICY_COLUMNS = [
    Column(gettext_lazy("Version"), "number"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("What changed"), "change_summary"),
    Column(gettext_lazy("Approved by"), lambda p: str(p.approved_by or "")),
    Column(gettext_lazy("Approved"), "approved_at"),
    Column(gettext_lazy("Superseded"), "superseded_at"),
]
COMMUNICATION_COLUMNS = [
    Column(gettext_lazy("Policy version"), "policy.number"),
    Column(gettext_lazy("Date"), "communicated_on"),
    Column(gettext_lazy("Audience"), "audience"),
    Column(gettext_lazy("Channel"), "get_channel_display"),
    Column(gettext_lazy("Note"), "note"),
    Column(gettext_lazy("Recorded by"), lambda c: str(c.recorded_by or "")),
]


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Policy --------------------------------------------------------------------------------


@login_required
def policy_list(request):
    require_staff(request.user)
    versions = PolicyVersion.objects.visible_to(request.user).select_related("approved_by")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "policy-versions", POLICY_COLUMNS, versions)
    versions = list(versions.order_by("-number"))
    context = {
        "versions": versions,
        "has_draft": any(v.is_draft for v in versions),
        "can_manage": can_manage(request.user),
        "policy_documents": policy_documents_in_force(request.user),
        "may_write_documents": documents_may_edit(request.user),
    }
    return render(request, "planning/policy_list.html", context)


@login_required
def policy_new(request):
    require_manage(request.user)
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                draft = services.policy_draft_create(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Draft version %(n)d started.") % {"n": draft.number})
                return redirect("policy_detail", number=draft.number)
    else:
        current = PolicyVersion.objects.filter(status="approved").first()
        form = PolicyForm(initial=PolicyForm.initial_for(current) if current else None)
    context = {"form": form, "title": _("New version of the policy")}
    return render(request, "core/form_page.html", context)


@login_required
def policy_detail(request, number):
    policy = get_policy_for(request.user, number)
    may_manage = can_manage(request.user)
    context = {
        "policy": policy,
        "communications": policy.communications.select_related("recorded_by"),
        "problems": policy_approval_problems(policy) if policy.is_draft else [],
        "can_manage": may_manage,
        "can_approve": can_approve_policy(request.user),
        "communication_form": CommunicationForm(initial={"communicated_on": timezone.localdate()})
        if may_manage and not policy.is_draft
        else None,
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "planning/policy_detail.html", context)


@login_required
def policy_edit(request, number):
    policy = get_policy_for(request.user, number, write=True)
    if not policy.is_draft:
        messages.error(request, _("Only a draft can be changed: start a new version."))
        return redirect("policy_detail", number=policy.number)
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.policy_update(
                actor=request.user, policy=policy, expected_version=version, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("policy_detail", number=policy.number)
    title = _("Edit the policy, version %(n)d") % {"n": policy.number}
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def policy_approve(request, number):
    policy = get_policy_for(request.user, number, approve=True)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        services.policy_approve(
            actor=request.user,
            policy=policy,
            note=form.cleaned_data.get("note", ""),
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Policy approved."))
    return redirect("policy_detail", number=policy.number)


@login_required
@require_POST
def policy_discard(request, number):
    policy = get_policy_for(request.user, number, write=True)
    try:
        services.policy_draft_discard(actor=request.user, policy=policy)
    except ValidationError as error:
        _errors(request, error)
        return redirect("policy_detail", number=policy.number)
    messages.success(request, _("Draft discarded."))
    return redirect("policy_list")


@login_required
@require_POST
def policy_communicate(request, number):
    policy = get_policy_for(request.user, number, write=True)
    form = CommunicationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("policy_detail", number=policy.number)
    try:
        services.policy_communication_record(actor=request.user, policy=policy, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Communication recorded."))
    return redirect("policy_detail", number=policy.number)


@login_required
def policy_communication_list(request):
    require_staff(request.user)
    records = PolicyCommunication.objects.visible_to(request.user).select_related(
        "policy", "recorded_by"
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "policy-communications", COMMUNICATION_COLUMNS, records)
    return render(
        request, "planning/policy_communication_list.html", {"page": paginate(request, records)}
    )


# --- RACI ----------------------------------------------------------------------------------


def _matrix() -> dict:
    return {(row.process, row.role): row.letters for row in RaciAssignment.objects.all()}


def raci_rows(matrix: dict) -> list[dict]:
    """One row per process (grouped by area), its letters per role and its warnings."""
    off = disabled_modules()
    roles = raci_roles()
    rows = []
    for process in PROCESSES:
        letters = [matrix.get((process.code, role), "") for role, _label in roles]
        accountable = sum("A" in cell for cell in letters)
        rows.append(
            {
                "process": process,
                "area": PROCESS_AREAS[process.area],
                "letters": letters,
                "by_role": dict(zip([r for r, _l in roles], letters, strict=True)),
                "no_accountable": accountable == 0,
                "no_responsible": not any("R" in cell for cell in letters),
                "module_off": bool(process.module) and process.module in off,
            }
        )
    return rows


def raci_columns() -> list[Column]:
    columns = [
        Column(gettext_lazy("Process area"), lambda r: f"{r['process'].area} {r['area']}"),
        Column(gettext_lazy("Clause"), lambda r: r["process"].code),
        Column(gettext_lazy("Process"), lambda r: str(r["process"].title)),
    ]
    for role, label in raci_roles():
        columns.append(Column(label, lambda r, role=role: r["by_role"][role]))
    return columns


@login_required
def raci_matrix(request):
    require_staff(request.user)
    rows = raci_rows(_matrix())
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "raci-matrix", raci_columns(), rows)
    context = {
        "rows": rows,
        "roles": raci_roles(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/raci_matrix.html", context)


@login_required
def raci_edit(request):
    require_manage(request.user)
    matrix = _matrix()
    form = RaciForm(request.POST or None, matrix=matrix)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.raci_update(actor=request.user, cells=form.cells())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("RACI matrix saved (%(n)d cells changed).") % {"n": changed}
            )
            return redirect("raci_matrix")
    rows = [
        {**row, "fields": [form[form.name_of(row["process"].code, role)] for role, _l in
                           raci_roles()]}
        for row in raci_rows(matrix)
    ]  # fmt: skip
    return render(
        request, "planning/raci_edit.html", {"form": form, "rows": rows, "roles": raci_roles()}
    )
