"""Service report writes (9.4): report templates, queuing a report's generation, sending it.

Each service checks the actor's right (report managers: MANAGE_SYSTEM or LEAD; 403 for
other staff), validates (ValidationError with translated messages, nothing written), writes
the change and one audit row in one transaction. Building a report (the snapshot, the PDF
and the XLSX) is the queue's work: ``build_reports.report_build``.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.core.numbering import reference_allocate
from serviceloop.evaluation.figures_reports import report_period, zone_of
from serviceloop.evaluation.models import (
    REPORT_MANAGER,
    REPORT_SYSTEM,
    ReportPeriod,
    ReportSection,
    ReportStatus,
    ReportTemplate,
    ServiceReport,
    report_transition_for,
)
from serviceloop.evaluation.permissions_reports import can_manage_reports
from serviceloop.portfolio.models import Service

REFERENCE_KIND = "RPT"
TEMPLATE_FIELDS = (
    "name", "organisation", "service", "period", "sections", "language", "send_to_contacts",
    "extra_recipients", "schedule_enabled", "generation_day", "commentary", "is_active",
)  # fmt: skip
TEXT_LIMIT = 20_000


def _require_manager(actor) -> None:
    if not can_manage_reports(actor):
        raise PermissionDenied


def _text(value, field, errors, *, limit=TEXT_LIMIT, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def parse_addresses(text: str) -> list[str]:
    """E-mail addresses separated by lines, commas or semicolons, lower-cased, in order."""
    out = []
    for part in re.split(r"[\s,;]+", text or ""):
        address = part.strip().lower()
        if address and address not in out:
            out.append(address)
    return out


def _clean(values: dict, errors: dict, template: ReportTemplate | None = None) -> dict:
    cleaned = {}
    if "name" in values:
        cleaned["name"] = _text(values["name"], "name", errors, limit=200, required=True)
    if "organisation" in values:
        organisation = values["organisation"]
        if organisation is not None and not (
            isinstance(organisation, Organisation)
            and organisation.kind == OrganisationKind.CUSTOMER
        ):
            errors["organisation"] = _("Choose a customer organisation.")
        cleaned["organisation"] = organisation
    if "service" in values:
        if values["service"] is not None and not isinstance(values["service"], Service):
            errors["service"] = _("Choose a service from the list.")
        cleaned["service"] = values["service"]
    organisation = cleaned.get("organisation", template.organisation if template else None)
    service = cleaned.get("service", template.service if template else None)
    if not errors.keys() & {"organisation", "service"}:
        if organisation is None and service is None:
            errors["organisation"] = _("Choose a customer, a service or both.")
        elif (
            organisation is not None
            and service is not None
            and not service.customers.filter(pk=organisation.pk).exists()
        ):
            errors["service"] = _("The customer is not entitled to this service.")
    if "period" in values:
        if values["period"] not in ReportPeriod.values:
            errors["period"] = _("Choose a value from the list.")
        cleaned["period"] = values["period"]
    if "sections" in values:
        sections = values["sections"]
        if (
            not isinstance(sections, list | tuple)
            or not sections
            or any(s not in ReportSection.values for s in sections)
            or len(set(sections)) != len(sections)
        ):
            errors["sections"] = _("Choose at least one section, each once.")
        cleaned["sections"] = (
            [str(s) for s in sections] if isinstance(sections, list | tuple) else []
        )
    if "language" in values:
        if values["language"] not in dict(settings.LANGUAGES):
            errors["language"] = _("Choose a value from the list.")
        cleaned["language"] = values["language"]
    if "extra_recipients" in values:
        text = _text(values["extra_recipients"], "extra_recipients", errors, limit=4000)
        addresses = parse_addresses(text)
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                errors["extra_recipients"] = _("Not an e-mail address: %(address)s") % {
                    "address": address
                }
                break
        cleaned["extra_recipients"] = "\n".join(addresses)
    if "generation_day" in values:
        day = values["generation_day"]
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
            errors["generation_day"] = _("Choose a day from 1 to 28.")
        cleaned["generation_day"] = day
    if "commentary" in values:
        cleaned["commentary"] = _text(values["commentary"], "commentary", errors)
    for name in ("send_to_contacts", "schedule_enabled", "is_active"):
        if name in values:
            cleaned[name] = bool(values[name])
    return cleaned


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _locked(template: ReportTemplate, expected_version: int | None) -> ReportTemplate:
    """The template re-read under a row lock; ValidationError ``stale`` when
    ``expected_version`` is given and no longer its version."""
    template = ReportTemplate.objects.select_for_update(of=("self",)).get(pk=template.pk)
    if expected_version is not None and expected_version != template.version:
        raise ValidationError(
            _("Someone changed this record since you opened it. Reload and try again."),
            code="stale",
        )
    return template


def _payload(template: ReportTemplate) -> dict:
    return snapshot(template, TEMPLATE_FIELDS)


def template_create(*, actor, name: str, organisation=None, service=None, period="month",
                    sections=None, language="zh-hans", send_to_contacts=True,
                    extra_recipients="", schedule_enabled=False, generation_day=3,
                    commentary="", is_active=True) -> ReportTemplate:  # fmt: skip
    """A new report template (what to report about whom, to whom, when)."""
    _require_manager(actor)
    errors: dict = {}
    cleaned = _clean(
        {
            "name": name, "organisation": organisation, "service": service, "period": period,
            "sections": list(ReportSection.values) if sections is None else sections,
            "language": language, "send_to_contacts": send_to_contacts,
            "extra_recipients": extra_recipients, "schedule_enabled": schedule_enabled,
            "generation_day": generation_day, "commentary": commentary, "is_active": is_active,
        },
        errors,
    )  # fmt: skip
    _raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        template = ReportTemplate.objects.create(
            created_by=actor, created_at=now, updated_at=now, **cleaned
        )
        audit_record(
            actor=actor,
            verb="report_template.created",
            obj=template,
            organisation=template.organisation,
            payload=_payload(template),
        )
    return template


def template_update(
    *, actor, template: ReportTemplate, expected_version: int | None = None, **changes
) -> ReportTemplate:
    """Change a template; reports already generated keep their snapshot."""
    _require_manager(actor)
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        template = _locked(template, expected_version)
        cleaned = _clean(changes, errors, template)
        _raise_if(errors)
        before = _payload(template)
        for name, value in cleaned.items():
            setattr(template, name, value)
        made = field_changes(template, before, TEMPLATE_FIELDS)
        if not made:
            return template
        template.version += 1
        template.updated_at = timezone.now()
        template.save()
        audit_record(
            actor=actor,
            verb="report_template.updated",
            obj=template,
            organisation=template.organisation,
            payload={"changes": made},
        )
    return template


def template_delete(
    *, actor, template: ReportTemplate, expected_version: int | None = None
) -> None:
    """Delete a template that has never produced a report (a report is evidence and keeps
    its template: deactivate such a template instead). One audit row with what it held."""
    _require_manager(actor)
    with transaction.atomic():
        template = _locked(template, expected_version)
        if template.reports.exists():
            raise ValidationError(
                _("Reports were generated from this template: deactivate it instead."),
                code="has_reports",
            )
        audit_record(
            actor=actor,
            verb="report_template.deleted",
            obj=template,
            organisation=template.organisation,
            payload=_payload(template),
        )
        template.delete()


# --- Requesting a report -----------------------------------------------------------------


def report_create(*, actor, template: ReportTemplate, period, commentary: str,
                  send: bool, now=None) -> ServiceReport:  # fmt: skip
    """A queued report of ``period`` (the next version for that period). Internal: the
    callers check the actor's right and the period."""
    now = now or timezone.now()
    with transaction.atomic():
        template = ReportTemplate.objects.select_for_update(of=("self",)).get(pk=template.pk)
        last = ServiceReport.objects.filter(template=template, period_start=period.start).aggregate(
            n=Max("version")
        )["n"]
        report = ServiceReport.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localdate(now).year),
            template=template,
            organisation=template.organisation,
            service=template.service,
            period_kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            period_label=period.label,
            version=(last or 0) + 1,
            language=template.language,
            commentary=commentary,
            send_when_generated=send,
            requested_by=actor,
            requested_at=now,
        )
        audit_record(
            actor=actor,
            verb="service_report.requested",
            obj=report,
            organisation=report.organisation,
            payload={
                "template": template.pk,
                "period": period.label,
                "version": report.version,
                "send": send,
            },
        )
    return report


def report_request(*, actor, template: ReportTemplate, day: datetime.date,
                   commentary: str | None = None, send: bool = False,
                   now=None) -> ServiceReport:  # fmt: skip
    """Queue the report of the month or quarter containing ``day`` (a complete period: one
    that has ended); the queue builds it after the commit and e-mails it when ``send``.
    Requesting a period again makes its next version."""
    _require_manager(actor)
    now = now or timezone.now()
    errors: dict = {}
    if not template.is_active:
        errors["template"] = _("This template is not active.")
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors["day"] = _("Enter a valid date.")
        _raise_if(errors)
    period = report_period(template.period, day, zone_of(template.organisation))
    if period.end > now:
        errors["day"] = _(
            "Only a complete period can be reported: choose a month or quarter that has ended."
        )
    text = template.commentary if commentary is None else commentary
    text = _text(text, "commentary", errors)
    _raise_if(errors)
    report = report_create(
        actor=actor, template=template, period=period, commentary=text, send=send, now=now
    )
    from serviceloop.evaluation.tasks_reports import service_report_build

    transaction.on_commit(lambda pk=report.pk: service_report_build(pk), robust=True)
    return report


# --- Sending -----------------------------------------------------------------------------


def report_recipients(report: ServiceReport) -> list[str]:
    """The active contacts' e-mail addresses of the report's customer (when the template
    sends to them) and the template's other recipients, each once, in order."""
    from serviceloop.relationship.models import CustomerContact

    addresses = []
    template = report.template
    if template.send_to_contacts and report.organisation_id:
        contacts = CustomerContact.objects.filter(
            account__organisation_id=report.organisation_id, is_active=True
        ).exclude(email="")
        addresses += [c.email.lower() for c in contacts.order_by("-is_primary", "name", "pk")]
    addresses += parse_addresses(template.extra_recipients)
    return list(dict.fromkeys(addresses))


def _messages(report: ServiceReport, addresses: list[str]) -> list:
    with translation.override(report.language):
        context = {"report": report, "snapshot": report.snapshot, "site_url": settings.SITE_URL}
        subject = render_to_string("evaluation/email/report_subject.txt", context)
        body = render_to_string("evaluation/email/report_body.txt", context)
    subject = " ".join(subject.split())[:250]
    files = []
    for field, extension, kind in (
        (report.pdf, "pdf", "application/pdf"),
        (report.xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        if field:
            with field.open("rb") as handle:
                files.append((report.file_name(extension), handle.read(), kind))
    out = []
    for address in addresses:  # one message each: recipients never see each other
        message = mail.EmailMessage(subject, body.strip(), to=[address])
        for name, content, kind in files:
            message.attach(name, content, kind)
        out.append(message)
    return out


def report_send(*, actor, report: ServiceReport, now=None) -> ServiceReport:
    """E-mail a generated report (PDF and XLSX attached) to its recipients, one message
    each; ``actor`` None is the queue. Raises ValidationError when the report is not
    generated, has no recipient, or the mail server refuses (nothing recorded then)."""
    roles = {REPORT_SYSTEM} if actor is None else set()
    if actor is not None:
        _require_manager(actor)
        roles.add(REPORT_MANAGER)
    report = ServiceReport.objects.select_related("template").get(pk=report.pk)
    if report_transition_for(report.status, ReportStatus.SENT, roles) is None:
        raise ValidationError(_("Only a generated report can be sent."))
    addresses = report_recipients(report)
    if not addresses:
        raise ValidationError(
            _("The report has no recipient: give the customer's contacts an e-mail address or "
              "add other recipients to the template.")
        )  # fmt: skip
    try:
        mail.get_connection().send_messages(_messages(report, addresses))
    except OSError as error:
        raise ValidationError(
            _("The e-mail could not be sent: %(error)s") % {"error": error}
        ) from error
    now = now or timezone.now()
    with transaction.atomic():
        report = ServiceReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
        report.status = ReportStatus.SENT
        report.sent_at = now
        report.recipients = addresses
        report.error = ""
        report.save(update_fields=["status", "sent_at", "recipients", "error"])
        audit_record(
            actor=actor,
            verb="service_report.sent",
            obj=report,
            organisation=report.organisation,
            payload={"recipients": addresses},
        )
    return report
