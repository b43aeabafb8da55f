"""Building service reports (9.4): the queue's side.

``report_build(report_id)`` turns a queued report into a generated one: the data snapshot
(``sections_reports``), its checksum, the PDF and the XLSX stored as files; then e-mails it
when asked. The slow part (queries, rendering) runs outside any transaction (SQLite's writer
lock is never held for seconds); the result is written in one short transaction that first
checks the report is still queued, so a second worker building the same report changes
nothing. A failure marks the report failed with its reason (audited), never half-written.

``reports_generate_due(today)`` is the daily schedule: for each scheduled template, the
previous month or quarter (in the customer's time zone) is built and sent once its day of
generation has come, unless a report of that period exists (a failed one is tried again the
next day).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from serviceloop.core.audit import audit_record
from serviceloop.evaluation.figures_reports import (
    previous_report_period,
    report_period,
    zone_of,
)
from serviceloop.evaluation.models import ReportStatus, ReportTemplate, ServiceReport
from serviceloop.evaluation.pdf_reports import report_pdf
from serviceloop.evaluation.sections_reports import report_snapshot_build, snapshot_checksum
from serviceloop.evaluation.services_reports import report_create, report_send
from serviceloop.evaluation.xlsx_reports import report_xlsx

log = logging.getLogger(__name__)


def report_period_of(report: ServiceReport):
    """The period bounds of a stored report, recomputed in the customer's time zone."""
    zone = zone_of(report.organisation)
    return report_period(report.period_kind, report.period_start.astimezone(zone).date(), zone)


def report_contents(report: ServiceReport) -> tuple[dict, str, bytes, bytes]:
    """``(snapshot, checksum, pdf, xlsx)`` of a report as its template says now; writes
    nothing. The same records give the same snapshot and checksum."""
    template = report.template
    snapshot = report_snapshot_build(
        title=template.name,
        organisation=report.organisation,
        service=report.service,
        period=report_period_of(report),
        sections=template.sections,
        language=report.language,
        commentary=report.commentary,
    )
    report.snapshot = snapshot
    report.checksum = snapshot_checksum(snapshot)
    return snapshot, report.checksum, report_pdf(report), report_xlsx(report)


def _fail(report_id: int, reason: str) -> ServiceReport:
    with transaction.atomic():
        report = ServiceReport.objects.select_for_update(of=("self",)).get(pk=report_id)
        if report.status != ReportStatus.QUEUED:
            return report
        report.status = ReportStatus.FAILED
        report.error = reason[:2000]
        report.save(update_fields=["status", "error"])
        audit_record(
            actor=None,
            verb="service_report.failed",
            obj=report,
            organisation=report.organisation,
            payload={"error": report.error},
        )
    return report


def report_build(report_id: int, *, now=None) -> ServiceReport:
    """Build a queued report (see the module docstring); a report that is not queued any
    more is returned unchanged. E-mails it afterwards when ``send_when_generated``."""
    report = ServiceReport.objects.select_related("template", "organisation", "service").get(
        pk=report_id
    )
    if report.status != ReportStatus.QUEUED:
        return report
    try:
        snapshot, checksum, pdf, xlsx = report_contents(report)
    except Exception as error:  # the reason is kept on the report, the queue goes on
        log.exception("service report %s failed", report.reference)
        return _fail(report.pk, f"{type(error).__name__}: {error}")
    pdf_name = report.file_name("pdf")
    xlsx_name = report.file_name("xlsx")
    report.pdf.save(pdf_name, ContentFile(pdf), save=False)
    report.xlsx.save(xlsx_name, ContentFile(xlsx), save=False)
    with transaction.atomic():
        current = ServiceReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
        if current.status != ReportStatus.QUEUED:  # another worker finished it first
            report.pdf.delete(save=False)
            report.xlsx.delete(save=False)
            return current
        current.snapshot = snapshot
        current.checksum = checksum
        current.pdf = report.pdf.name
        current.xlsx = report.xlsx.name
        current.status = ReportStatus.GENERATED
        current.generated_at = now or timezone.now()
        current.error = ""
        current.save(
            update_fields=[
                "snapshot", "checksum", "pdf", "xlsx", "status", "generated_at", "error"
            ]
        )  # fmt: skip
        audit_record(
            actor=None,
            verb="service_report.generated",
            obj=current,
            organisation=current.organisation,
            payload={"period": current.period_label, "version": current.version,
                     "checksum": checksum},
        )  # fmt: skip
    if current.send_when_generated:
        try:
            current = report_send(actor=None, report=current)
        except ValidationError as error:
            ServiceReport.objects.filter(pk=current.pk).update(error=" ".join(error.messages))
            current.refresh_from_db()
    return current


def reports_generate_due(today=None, *, now=None) -> list[ServiceReport]:
    """Build (and e-mail) the previous period of every scheduled template whose day has come
    and that has no report of that period yet. Idempotent per day; returns the reports
    built. ``today``: a date, else each customer's local date."""
    now = now or timezone.now()
    built = []
    templates = ReportTemplate.objects.scheduled().select_related("organisation", "service")
    for template in templates.order_by("pk"):
        zone = zone_of(template.organisation)
        local_today = today or now.astimezone(zone).date()
        if local_today.day < template.generation_day:
            continue
        period = previous_report_period(template.period, local_today, zone)
        done = (
            ServiceReport.objects.filter(template=template, period_start=period.start)
            .exclude(status=ReportStatus.FAILED)
            .exists()
        )
        if done:
            continue
        report = report_create(
            actor=None,
            template=template,
            period=period,
            commentary=template.commentary,
            send=True,
            now=now,
        )
        built.append(report_build(report.pk))
    return built
