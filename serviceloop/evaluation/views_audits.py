"""Internal-audit screens (clause 9.2): the programmes (lines, risk-based frequency,
coverage of the scope), the audits (plan, team, checklist, report PDF), the auditor register
and the qualification setting. Findings have their own module (views_findings_audits).

Provider staff read; the management-system owner manages the programme and the setting;
internal auditors plan and run audits (403 for other staff); customers get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.evaluation import auditors_audits as auditors
from serviceloop.evaluation import checklists_audits as checklists
from serviceloop.evaluation import pdf_audits
from serviceloop.evaluation import queries_audits as queries
from serviceloop.evaluation import services_audits as services
from serviceloop.evaluation.forms_audits import (
    AnswerForm,
    AuditFilterForm,
    AuditForm,
    AuditSettingsForm,
    LineForm,
    MoveForm,
    ProgrammeForm,
    QuestionForm,
)
from serviceloop.evaluation.models import (
    AUDIT_TRANSITIONS,
    PROGRAMME_TRANSITIONS,
    AuditStatus,
    ProgrammeStatus,
    transitions_from,
)
from serviceloop.evaluation.permissions_audits import (
    can_audit,
    can_manage_programme,
    get_audit_for,
    get_auditor_for,
    get_line_for,
    get_programme_for,
    require_audit,
    require_manage_programme,
    require_staff,
)
from serviceloop.planning.queries_assessments import evidence_link_targets


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Programmes --------------------------------------------------------------------------------

PROGRAMME_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Year"), "year"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Lines"), "n_lines"),
    Column(gettext_lazy("Audits"), "n_audits"),
    Column(gettext_lazy("Approved by"), lambda p: str(p.approved_by or "")),
    Column(gettext_lazy("Approved"), "approved_at"),
]

LINE_COLUMNS = [
    Column(gettext_lazy("Clause"), "line.clause.number"),
    Column(gettext_lazy("Subject"), "line.subject"),
    Column(gettext_lazy("Owning team"), lambda r: str(r.line.owner_team or "")),
    Column(gettext_lazy("Risk"), "line.get_risk_display"),
    Column(gettext_lazy("Frequency"), "line.frequency_label"),
    Column(gettext_lazy("Audits needed this year"), "required"),
    Column(gettext_lazy("Scheduled"), "scheduled"),
    Column(gettext_lazy("Done"), "done"),
    Column(gettext_lazy("Last audited"), "last_done_on"),
    Column(gettext_lazy("Coverage"), "state_label"),
    Column(gettext_lazy("Why this risk"), "line.risk_note"),
]


@login_required
def audit_programme_list(request):
    require_staff(request.user)
    programmes = queries.programmes_for_list(request.user).select_related("approved_by")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "audit-programmes", PROGRAMME_COLUMNS, programmes)
    return render(
        request,
        "evaluation/audit_programme_list.html",
        {"programmes": programmes, "can_manage": can_manage_programme(request.user)},
    )


@login_required
def audit_programme_new(request):
    require_manage_programme(request.user)
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s created.") % programme.reference)
            return redirect("audit_programme_detail", reference=programme.reference)
    intro = _("The lines are copied from the previous year's programme; without one, every "
              "process in scope and each other part of the standard are listed.")  # fmt: skip
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("New audit programme"), "intro": intro},
    )


@login_required
def audit_programme_detail(request, reference):
    programme = get_programme_for(request.user, reference)
    coverage = queries.programme_coverage(programme)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, f"audit-programme-{programme.year}", LINE_COLUMNS,
                               coverage.lines)  # fmt: skip
    may_manage = can_manage_programme(request.user)
    context = {
        "programme": programme,
        "coverage": coverage,
        "audits": queries.audits_for_list(request.user, programme=programme),
        "moves": transitions_from(PROGRAMME_TRANSITIONS, programme.status) if may_manage else [],
        "can_manage": may_manage and programme.status != ProgrammeStatus.CLOSED,
        "can_plan": can_audit(request.user) and programme.status == ProgrammeStatus.APPROVED,
        "out_of_scope": queries.out_of_scope_processes(),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "evaluation/audit_programme_detail.html", context)


@login_required
def audit_programme_edit(request, reference):
    programme = get_programme_for(request.user, reference, write=True)
    initial = {n: getattr(programme, n) for n in ("title", "objectives", "criteria", "version")}
    form = ProgrammeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.programme_update(
                actor=request.user, programme=programme, expected_version=version, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("audit_programme_detail", reference=programme.reference)
    title = _("Edit %s") % programme.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def audit_programme_move(request, reference):
    programme = get_programme_for(request.user, reference, write=True)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.programme_transition(
                actor=request.user,
                programme=programme,
                target=form.cleaned_data["target"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a valid next status."))
    return redirect("audit_programme_detail", reference=programme.reference)


@login_required
def audit_line_new(request, reference):
    programme = get_programme_for(request.user, reference, write=True)
    form = LineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.line_add(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Line added."))
            return redirect("audit_programme_detail", reference=programme.reference)
    title = _("New line of %s") % programme.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def audit_line_edit(request, pk):
    line = get_line_for(request.user, pk, write=True)
    initial = {"risk": line.risk, "risk_note": line.risk_note, "note": line.note,
               "owner_team": line.owner_team_id}  # fmt: skip
    form = LineForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.line_update(actor=request.user, line=line, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("audit_programme_detail", reference=line.programme.reference)
    title = f"{line.programme.reference} · {line.clause.number} {line.subject}"
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def audit_line_remove(request, pk):
    line = get_line_for(request.user, pk, write=True)
    try:
        services.line_remove(actor=request.user, line=line)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Line removed."))
    return redirect("audit_programme_detail", reference=line.programme.reference)


# --- Audits ------------------------------------------------------------------------------------

AUDIT_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Programme"), "programme.reference"),
    Column(gettext_lazy("Planned start"), "planned_start"),
    Column(gettext_lazy("Planned end"), "planned_end"),
    Column(gettext_lazy("Lead auditor"), lambda a: str(a.lead_auditor)),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Findings"), "n_findings"),
    Column(gettext_lazy("Findings not closed"), "n_open"),
    Column(gettext_lazy("Reported on"), "reported_on"),
]

CHECKLIST_COLUMNS = [
    Column(gettext_lazy("Clause"), "clause.number"),
    Column(gettext_lazy("Question"), "question"),
    Column(gettext_lazy("Result"), "get_result_display"),
    Column(gettext_lazy("Audit notes"), "notes"),
    Column(gettext_lazy("Evidence"), "evidence_links"),
    Column(gettext_lazy("Live evidence"),
           lambda i: [f"{e.get('label')}: {e.get('value')}" for e in i.live_evidence]),
    Column(gettext_lazy("Checked by"), lambda i: str(i.checked_by or "")),
    Column(gettext_lazy("Checked"), "checked_at"),
]  # fmt: skip


@login_required
def audit_list(request):
    require_staff(request.user)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    audits = queries.audits_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "audits", AUDIT_COLUMNS, audits)
    programme = (
        queries.programmes_for_list(request.user).filter(status=ProgrammeStatus.APPROVED).first()
    )
    return render(
        request,
        "evaluation/audit_list.html",
        {"form": form, "page": paginate(request, audits), "programme": programme,
         "can_audit": can_audit(request.user)},
    )  # fmt: skip


@login_required
def audit_new(request, reference):
    programme = get_programme_for(request.user, reference)
    require_audit(request.user)
    initial = {"lead_auditor": request.user.pk, "criteria": programme.criteria}
    selected = request.GET.get("line", "")
    if selected.isdigit():
        initial["lines"] = [int(selected)]
    form = AuditForm(request.POST or None, programme=programme, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.audit_create(
                actor=request.user, programme=programme, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s planned.") % audit.reference)
            return redirect("internal_audit_detail", reference=audit.reference)
    title = _("New audit in %s") % programme.reference
    intro = _("Each auditor must be qualified on the planned start and may not belong to a "
              "team that owns an audited line.")  # fmt: skip
    return render(request, "core/form_page.html", {"form": form, "title": title, "intro": intro})


def _checklist_rows(audit, items, answering: bool):
    rows = []
    for item in items:
        rows.append(
            {
                "item": item,
                "links": evidence_link_targets(item.evidence_links),
                "form": AnswerForm(
                    prefix=f"q{item.pk}",
                    initial={"result": item.result or "conforming", "notes": item.notes,
                             "evidence_links": "\n".join(item.evidence_links)},
                ) if answering else None,
            }
        )  # fmt: skip
    return rows


@login_required
def audit_detail(request, reference):
    audit = get_audit_for(request.user, reference)
    items = list(audit.checklist.select_related("clause", "checked_by"))
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, f"checklist-{audit.reference}", CHECKLIST_COLUMNS, items)
    may_audit = can_audit(request.user)
    rule = auditors.qualification_rule()
    lines = queries.audit_lines(audit)
    team = [audit.lead_auditor, *audit.auditors.order_by("username")]
    context = {
        "audit": audit,
        "lines": lines,
        "team": [
            {
                "person": p,
                "is_lead": p.pk == audit.lead_auditor_id,
                "qualification": auditors.qualification_of(p, audit.planned_start, rule=rule),
                "conflicts": auditors.independence_conflicts(p, lines),
            }
            for p in team
        ],  # fmt: skip
        "rows": _checklist_rows(audit, items, may_audit and audit.status == "in_progress"),
        "results": queries.result_counts(audit),
        "findings": audit.findings.select_related("owner").prefetch_related("clauses"),
        "moves": transitions_from(AUDIT_TRANSITIONS, audit.status) if may_audit else [],
        "question_form": QuestionForm(clauses=_audit_clauses(audit))
        if may_audit and audit.is_editable
        else None,
        "can_audit": may_audit,
        "can_record_findings": may_audit and audit.status == AuditStatus.IN_PROGRESS,
        "today": timezone.localdate(),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "evaluation/audit_detail.html", context)


def _audit_clauses(audit):
    from serviceloop.conformity.models import Clause

    numbers = [c.number for c in queries.leaves_of(
        audit.lines.values_list("clause__number", flat=True))]  # fmt: skip
    return Clause.objects.filter(number__in=numbers).order_by("position")


@login_required
def audit_edit(request, reference):
    audit = get_audit_for(request.user, reference, write=True)
    form = AuditForm(
        request.POST or None, programme=audit.programme, initial=AuditForm.initial_for(audit)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_update(
                actor=request.user, audit=audit,
                expected_version=form.cleaned_data.get("version"), **form.service_fields(),
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("internal_audit_detail", reference=audit.reference)
    title = _("Edit %s") % audit.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def audit_move(request, reference):
    audit = get_audit_for(request.user, reference, write=True)
    form = MoveForm(request.POST)
    if form.is_valid():
        conclusion = form.cleaned_data["conclusion"]
        try:
            services.audit_transition(
                actor=request.user,
                audit=audit,
                target=form.cleaned_data["target"],
                note=form.cleaned_data["note"],
                conclusion=conclusion if "conclusion" in request.POST else None,
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a valid next status."))
    return redirect("internal_audit_detail", reference=audit.reference)


@login_required
@require_POST
def audit_checklist_answer(request, reference, pk):
    audit = get_audit_for(request.user, reference, write=True)
    item = audit.checklist.filter(pk=pk).first()
    if item is None:
        raise Http404
    form = AnswerForm(request.POST, prefix=f"q{item.pk}")
    if form.is_valid():
        try:
            checklists.checklist_item_answer(
                actor=request.user,
                item=item,
                result=form.cleaned_data["result"],
                notes=form.cleaned_data["notes"],
                evidence_links=form.cleaned_data["evidence_links"].splitlines(),
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Answer saved."))
    else:
        messages.error(request, _("Choose a result."))
    return redirect(f"{audit_url(audit)}#q{item.pk}")


def audit_url(audit) -> str:
    return reverse("internal_audit_detail", args=[audit.reference])


@login_required
@require_POST
def audit_question_add(request, reference):
    audit = get_audit_for(request.user, reference, write=True)
    form = QuestionForm(request.POST, clauses=_audit_clauses(audit))
    if form.is_valid():
        try:
            checklists.checklist_item_add(actor=request.user, audit=audit, **form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Question added."))
    else:
        messages.error(request, _("Choose a clause and write the question."))
    return redirect("internal_audit_detail", reference=audit.reference)


@login_required
def audit_report_pdf(request, reference):
    audit = get_audit_for(request.user, reference)
    try:
        body = pdf_audits.audit_report_pdf(audit)
    except pdf_audits.PdfUnavailable:
        messages.error(request, _("PDF output is not available on this server."))
        return redirect("internal_audit_detail", reference=audit.reference)
    response = HttpResponse(body, content_type=pdf_audits.PDF_TYPE)
    response["Content-Disposition"] = f'inline; filename="{pdf_audits.pdf_filename(audit)}"'
    return response


# --- Auditors and the qualification setting ----------------------------------------------------

AUDITOR_COLUMNS = [
    Column(gettext_lazy("Person"), lambda r: str(r.person)),
    Column(gettext_lazy("Role"), lambda r: r.person.get_role_display()),
    Column(gettext_lazy("Qualified today"), lambda r: r.qualification.qualified),
    Column(gettext_lazy("Level"), lambda r: r.qualification.record.level
           if r.qualification.record else None),
    Column(gettext_lazy("Certificate"), lambda r: r.qualification.record.certificate
           if r.qualification.record else ""),
    Column(gettext_lazy("Expires on"), lambda r: r.qualification.record.expires_on
           if r.qualification.record else None),
    Column(gettext_lazy("Why not qualified"), lambda r: r.qualification.reason),
    Column(gettext_lazy("Teams"), lambda r: [str(t) for t in r.teams]),
]  # fmt: skip


@login_required
def audit_auditor_list(request):
    require_staff(request.user)
    rows = auditors.auditor_register()
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "auditors", AUDITOR_COLUMNS, rows)
    return render(
        request,
        "evaluation/audit_auditor_list.html",
        {"rows": rows, "rule": auditors.qualification_rule(),
         "can_manage": can_manage_programme(request.user)},
    )  # fmt: skip


@login_required
def audit_auditor_detail(request, pk):
    person = get_auditor_for(request.user, pk)
    rule = auditors.qualification_rule()
    today = timezone.localdate()
    qualification = auditors.qualification_of(person, today, rule=rule)
    context = {
        "person": person,
        "rule": rule,
        "qualification": qualification,
        "training": auditors.training_of(person, rule.competence),
        "teams": sorted({*person.teams.all(), *person.led_teams.all()}, key=str),
        "audits": queries.audits_of_person(request.user, person),
        "today": today,
    }
    return render(request, "evaluation/audit_auditor_detail.html", context)


@login_required
def audit_settings(request):
    require_manage_programme(request.user)
    setting = auditors.audit_settings()
    initial = {"competence": setting.competence_id, "minimum_level": setting.minimum_level,
               "version": setting.version if setting.updated_at else None}  # fmt: skip
    form = AuditSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            auditors.audit_settings_update(
                actor=request.user,
                competence=form.cleaned_data["competence"],
                minimum_level=form.cleaned_data["minimum_level"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Auditor qualification saved."))
            return redirect("audit_auditor_list")
    intro = _("An auditor is qualified on a day when his record of this competence is at this "
              "level or higher, assessed by then and not expired.")  # fmt: skip
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Auditor qualification"), "intro": intro},
    )
