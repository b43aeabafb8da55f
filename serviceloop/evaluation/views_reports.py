"""Service report screens (9.4): the report list (filters, CSV/XLSX export), a report's page
(its snapshot drawn as sections, PDF and XLSX downloads, the versions of its period, "send"),
and the report templates (list, form, page with "Generate now").

Provider staff read everything; report managers (MANAGE_SYSTEM or LEAD) write (403 for other
staff). A customer manager reads his organisation's generated reports in the portal; to
other customers the pages do not exist (404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.evaluation import queries_reports as queries
from serviceloop.evaluation import services_reports as services
from serviceloop.evaluation.forms_reports import (
    ReportFilterForm,
    ReportGenerateForm,
    ReportTemplateForm,
)
from serviceloop.evaluation.models import ReportSection
from serviceloop.evaluation.pdf_reports import PDF_TYPE
from serviceloop.evaluation.permissions_reports import (
    can_manage_reports,
    get_report_for,
    get_template_for,
    is_staff,
    require_manager,
    require_reader,
)
from serviceloop.evaluation.present_reports import report_sections_view, scope_text
from serviceloop.evaluation.xlsx_reports import XLSX_TYPE

REPORT_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Report"), "template.name"),
    Column(gettext_lazy("Customer"), lambda r: r.organisation.name if r.organisation else ""),
    Column(gettext_lazy("Service"), lambda r: r.service.name if r.service else ""),
    Column(gettext_lazy("Period"), "period_label"),
    Column(gettext_lazy("Version"), "version"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Generated"), "generated_at"),
    Column(gettext_lazy("Sent"), "sent_at"),
    Column(gettext_lazy("Snapshot checksum (SHA-256)"), "checksum"),
]
TEMPLATE_COLUMNS = [
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Customer"), lambda t: t.organisation.name if t.organisation else ""),
    Column(gettext_lazy("Service"), lambda t: t.service.name if t.service else ""),
    Column(gettext_lazy("Period"), "get_period_display"),
    Column(gettext_lazy("Language"), "get_language_display"),
    Column(gettext_lazy("Sections"), lambda t: [str(ReportSection(s).label) for s in t.sections
                                                if s in ReportSection.values]),
    Column(gettext_lazy("On a schedule"), "schedule_enabled"),
    Column(gettext_lazy("Day of generation"), "generation_day"),
    Column(gettext_lazy("Active"), "is_active"),
    Column(gettext_lazy("Reports"), "report_count"),
]  # fmt: skip


# --- Reports -------------------------------------------------------------------------------


@login_required
def report_list(request):
    require_reader(request.user)
    staff = is_staff(request.user)
    form = ReportFilterForm(request.GET or None, staff=staff)
    data = form.cleaned_data if form.is_valid() else {}
    reports = queries.reports_for_list(
        request.user,
        organisation=data.get("organisation"),
        status=data.get("status", ""),
        period_kind=data.get("period_kind", ""),
        q=data.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "service-reports", REPORT_COLUMNS, reports)
    return render(
        request,
        "evaluation/report_list.html",
        {
            "form": form,
            "page": paginate(request, reports),
            "staff": staff,
            "can_manage": can_manage_reports(request.user),
        },
    )


@login_required
def report_detail(request, reference):
    report = get_report_for(request.user, reference)
    with translation.override(report.language):
        sections = report_sections_view(report.snapshot) if report.is_ready else []
        scope = scope_text(report.snapshot)
    staff = is_staff(request.user)
    return render(
        request,
        "evaluation/report_detail.html",
        {
            "report": report,
            "sections": sections,
            "scope": scope,
            "period": report.snapshot.get("period", {}),
            "staff": staff,
            "can_manage": can_manage_reports(request.user),
            "versions": queries.versions_of(report, request.user),
            "recipients": services.report_recipients(report) if staff else [],
        },
    )


@login_required
def report_download(request, reference, kind):
    report = get_report_for(request.user, reference)
    field, content_type = {"pdf": (report.pdf, PDF_TYPE), "xlsx": (report.xlsx, XLSX_TYPE)}[kind]
    if not report.is_ready or not field:
        raise Http404
    return FileResponse(
        field.open("rb"),
        as_attachment=True,
        filename=report.file_name(kind),
        content_type=content_type,
    )


@login_required
@require_POST
def report_send(request, reference):
    report = get_report_for(request.user, reference, write=True)
    try:
        report = services.report_send(actor=request.user, report=report)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("%(reference)s sent to %(n)d recipients.")
            % {"reference": report.reference, "n": len(report.recipients)},
        )  # fmt: skip
    return redirect("service_report_detail", reference=report.reference)


# --- Templates -----------------------------------------------------------------------------


@login_required
def template_list(request):
    if not is_staff(request.user):
        raise Http404
    templates = queries.templates_for_list(request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "report-templates", TEMPLATE_COLUMNS, templates)
    return render(
        request,
        "evaluation/report_template_list.html",
        {"page": paginate(request, templates), "can_manage": can_manage_reports(request.user)},
    )


def _template_form_page(request, form, title, template=None):
    return render(
        request,
        "evaluation/report_template_form.html",
        {"form": form, "title": title, "template": template},
    )


@login_required
def template_new(request):
    require_manager(request.user)
    form = ReportTemplateForm(
        request.POST or None, initial={"send_to_contacts": True, "language": "zh-hans"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(actor=request.user, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Report template saved."))
            return redirect("report_template_detail", pk=template.pk)
    return _template_form_page(request, form, _("New report template"))


@login_required
def template_edit(request, pk):
    template = get_template_for(request.user, pk, write=True)
    form = ReportTemplateForm(
        request.POST or None, initial=ReportTemplateForm.initial_for(template)
    )
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_update(
                actor=request.user,
                template=template,
                expected_version=form.cleaned_data.get("version"),
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Report template saved."))
            return redirect("report_template_detail", pk=template.pk)
    return _template_form_page(request, form, _("Edit report template"), template)


@login_required
def template_detail(request, pk, generate_form=None):
    template = get_template_for(request.user, pk)
    may_manage = can_manage_reports(request.user)
    if may_manage and generate_form is None:
        generate_form = ReportGenerateForm(template=template)
    return render(
        request,
        "evaluation/report_template_detail.html",
        {
            "template": template,
            "sections": [ReportSection(s).label for s in template.sections
                         if s in ReportSection.values],
            "reports": queries.reports_for_list(request.user, template=template)[:24],
            "can_manage": may_manage,
            "generate_form": generate_form if may_manage else None,
        },
    )  # fmt: skip


@login_required
@require_POST
def template_generate(request, pk):
    """ "Generate now": queue the report of the chosen complete period."""
    template = get_template_for(request.user, pk, write=True)
    form = ReportGenerateForm(request.POST, template=template)
    if form.is_valid():
        try:
            report = services.report_request(
                actor=request.user,
                template=template,
                day=form.cleaned_data["day"],
                commentary=form.cleaned_data["commentary"],
                send=form.cleaned_data["send"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(reference)s queued: it is generated in the background.")
                % {"reference": report.reference},
            )
            return redirect("service_report_detail", reference=report.reference)
    return template_detail(request, pk, generate_form=form)
