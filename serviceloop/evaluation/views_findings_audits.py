"""Audit finding screens (clause 9.2): the list (filters, CSV/XLSX export), a finding's page
(clauses, action, evidence files, the nonconformity or improvement it raised), the forms and
the status moves.

Provider staff read; internal auditors record and close findings; a finding's owner (and
the management-system owner) may plan its action and attach evidence; customers get 404.
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
from serviceloop.evaluation import findings_audits as services
from serviceloop.evaluation import queries_audits as queries
from serviceloop.evaluation.forms_audits import (
    AttachmentForm,
    FindingFilterForm,
    FindingForm,
    MoveForm,
)
from serviceloop.evaluation.models import FINDING_TRANSITIONS, AuditStatus, transitions_from
from serviceloop.evaluation.permissions_audits import (
    can_audit,
    can_plan_action,
    get_audit_for,
    get_finding_for,
    require_staff,
)

FINDING_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Audit"), "audit.reference"),
    Column(gettext_lazy("Clauses"), lambda f: [c.number for c in f.clauses.all()]),
    Column(gettext_lazy("Owner"), lambda f: str(f.owner or "")),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Closed on"), "closed_on"),
    Column(gettext_lazy("Nonconformity"), "nonconformity_reference"),
    Column(gettext_lazy("Improvement"), "improvement_reference"),
    Column(gettext_lazy("Description"), "description"),
    Column(gettext_lazy("Action"), "action_plan"),
]


@login_required
def audit_finding_list(request):
    require_staff(request.user)
    today = timezone.localdate()
    form = FindingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    findings = queries.findings_for_list(
        request.user,
        kind=filters.get("kind", ""),
        status="" if status == "open" else status,
        open_only=status == "open",
        overdue_on=today if filters.get("overdue") else None,
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "audit-findings", FINDING_COLUMNS, findings)
    context = {
        "form": form,
        "page": paginate(request, findings),
        "today": today,
        "overdue_count": queries.findings_for_list(request.user, overdue_on=today).count(),
    }
    return render(request, "evaluation/audit_finding_list.html", context)


@login_required
def audit_finding_new(request, reference):
    audit = get_audit_for(request.user, reference, write=True)
    initial = {"kind": request.GET.get("kind", "minor_nc")}
    item_id = request.GET.get("item", "")
    item = (
        audit.checklist.select_related("clause").filter(pk=item_id).first()
        if (item_id.isdigit())
        else None
    )
    if item is not None:
        initial |= {"checklist_item": item.pk, "clauses": [item.clause_id]}
    form = FindingForm(request.POST or None, audit=audit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(
                actor=request.user, audit=audit, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s recorded.") % finding.reference)
            return redirect("audit_finding_detail", reference=finding.reference)
    title = _("New finding of %s") % audit.reference
    intro = _("A major or minor nonconformity opens a nonconformity record; an opportunity for "
              "improvement is proposed to the improvement register.")  # fmt: skip
    if audit.status != AuditStatus.IN_PROGRESS:
        intro = _("Findings are recorded while the audit is in progress.")
    return render(request, "core/form_page.html", {"form": form, "title": title, "intro": intro})


@login_required
def audit_finding_detail(request, reference):
    finding = get_finding_for(request.user, reference)
    may_audit = can_audit(request.user)
    may_act = can_plan_action(request.user, finding)
    moves = [
        move for move in transitions_from(FINDING_TRANSITIONS, finding.status)
        if may_audit or (move.by == "owner" and may_act)
    ]  # fmt: skip
    context = {
        "finding": finding,
        "clauses": finding.clauses.order_by("position"),
        "attachments": queries.finding_attachments(finding),
        "moves": moves,
        "can_audit": may_audit and finding.is_open,
        "can_attach": may_audit or may_act,
        "attach_form": AttachmentForm() if (may_audit or may_act) else None,
        "overdue": finding.is_overdue(timezone.localdate()),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "evaluation/audit_finding_detail.html", context)


@login_required
def audit_finding_edit(request, reference):
    finding = get_finding_for(request.user, reference, write=True)
    form = FindingForm(
        request.POST or None, audit=finding.audit, editing=True,
        initial=FindingForm.initial_for(finding),
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_update(
                actor=request.user, finding=finding,
                expected_version=form.cleaned_data.get("version"), **form.service_fields(),
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("audit_finding_detail", reference=finding.reference)
    title = _("Edit %s") % finding.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def audit_finding_move(request, reference):
    finding = get_finding_for(request.user, reference)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.finding_transition(
                actor=request.user,
                finding=finding,
                target=form.cleaned_data["target"],
                note=form.cleaned_data["note"],
                action_plan=form.cleaned_data["action_plan"]
                if "action_plan" in request.POST
                else None,
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a valid next status."))
    return redirect("audit_finding_detail", reference=finding.reference)


@login_required
@require_POST
def audit_finding_attach(request, reference):
    finding = get_finding_for(request.user, reference, action=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.finding_attach(
                actor=request.user, finding=finding, uploaded_file=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("File attached."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect("audit_finding_detail", reference=finding.reference)
