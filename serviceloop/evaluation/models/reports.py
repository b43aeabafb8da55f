"""Models of evaluation: service reports (9.4).

A *report template* says what to report to whom: the scope (a customer organisation, a
portfolio service, or a customer's use of one service), the period (month or quarter), the
sections in their order, the language, the recipients (the customer's contacts and extra
addresses) and the schedule (on or off, and the day of the month it is generated).

A *service report* is one generated document: the period (``[period_start, period_end)``,
instants at midnight in the organisation's time zone), the data snapshot it was built from
(every figure the document shows, as JSON) with the SHA-256 of its canonical text, and the
PDF and XLSX files. Re-generating a period writes a new report with the next ``version``;
its snapshot (and checksum) equal the previous one's when the records have not changed.
The status moves along ``REPORT_TRANSITIONS`` (declared data), each move one service call.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "REPORT_SYSTEM",
    "REPORT_MANAGER",
    "REPORT_TRANSITIONS",
    "ReportPeriod",
    "ReportSection",
    "ReportStatus",
    "ReportTemplate",
    "ReportTemplateQuerySet",
    "ReportTransition",
    "ServiceReport",
    "ServiceReportQuerySet",
    "default_report_sections",
    "report_transition_for",
]


class ReportPeriod(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class ReportSection(models.TextChoices):
    SLA = "sla", _("SLA attainment per target")
    VOLUMES = "volumes", _("Volumes and trends")
    MAJOR_INCIDENTS = "major_incidents", _("Major incidents")
    CHANGES = "changes", _("Changes")
    AVAILABILITY = "availability", _("Availability")
    CSAT = "csat", _("Customer satisfaction and complaints")
    PROBLEMS = "problems", _("Open problems")
    IMPROVEMENTS = "improvements", _("Improvement actions")
    COMMENTARY = "commentary", _("Commentary")


def default_report_sections() -> list[str]:
    """Every section, in the order of ``ReportSection``."""
    return list(ReportSection.values)


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    GENERATED = "generated", _("Generated")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# Who moves a report: the queue (``system``) builds it; a report manager (MANAGE_SYSTEM or
# LEAD) sends a generated report (again).
REPORT_SYSTEM, REPORT_MANAGER = "system", "manager"


@dataclass(frozen=True)
class ReportTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]


RS = ReportStatus
REPORT_TRANSITIONS: tuple[ReportTransition, ...] = (
    ReportTransition(RS.QUEUED, RS.GENERATED, _("Generate"), frozenset({REPORT_SYSTEM})),
    ReportTransition(RS.QUEUED, RS.FAILED, _("Fail"), frozenset({REPORT_SYSTEM})),
    ReportTransition(RS.GENERATED, RS.SENT, _("Send"), frozenset({REPORT_SYSTEM, REPORT_MANAGER})),
    ReportTransition(RS.SENT, RS.SENT, _("Send again"), frozenset({REPORT_MANAGER})),
)


def report_transition_for(source: str, target: str, roles) -> ReportTransition | None:
    """The declared move from ``source`` to ``target`` that one of ``roles`` may make."""
    for move in REPORT_TRANSITIONS:
        if move.source == source and move.target == target and move.who & set(roles):
            return move
    return None


def _no_one(user) -> bool:
    return not user.is_authenticated or not user.is_active


class ReportTemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Templates are the provider's working records: staff only."""
        if _no_one(user) or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def scheduled(self):
        return self.filter(is_active=True, schedule_enabled=True)


class ReportTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_templates",
        limit_choices_to={"kind": "customer"},
        help_text=_("Empty: every customer of the service."),
    )
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_templates",
        help_text=_("Empty: every service of the customer."),
    )
    period = models.CharField(
        _("period"), max_length=8, choices=ReportPeriod.choices, default=ReportPeriod.MONTH
    )
    sections = models.JSONField(_("sections"), default=default_report_sections)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    send_to_contacts = models.BooleanField(_("send to the customer's contacts"), default=True)
    extra_recipients = models.TextField(
        _("other recipients"), blank=True, help_text=_("E-mail addresses, one per line.")
    )
    schedule_enabled = models.BooleanField(_("generate on a schedule"), default=False)
    generation_day = models.PositiveSmallIntegerField(
        _("day of generation"),
        default=3,
        help_text=_("Day of the month after the period (1–28) on which the queue generates it."),
    )
    commentary = models.TextField(
        _("commentary"), blank=True, help_text=_("The free commentary section's text.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ReportTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(service__isnull=False),
                name="report_template_has_scope",
            ),
            models.CheckConstraint(
                condition=Q(generation_day__gte=1, generation_day__lte=28),
                name="report_template_generation_day_range",
            ),
        ]

    def __str__(self):
        return self.name


class ServiceReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every report; a customer manager (organisation-wide) the generated
        reports of his own organisation; everyone else none."""
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.has_capability(Capability.ORG_WIDE) and user.organisation_id:
            return self.filter(
                organisation_id=user.organisation_id,
                status__in=(ReportStatus.GENERATED, ReportStatus.SENT),
            )
        return self.none()

    def ready(self):
        """Generated (sent or not): the files exist."""
        return self.filter(status__in=(ReportStatus.GENERATED, ReportStatus.SENT))


def report_file_path(instance, filename):
    return f"service-reports/{instance.uuid}/{filename}"


class ServiceReport(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    template = models.ForeignKey(
        ReportTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    # The template's scope when the report was requested (what the customer may read).
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_reports",
    )
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_reports",
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=ReportPeriod.choices)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    period_label = models.CharField(_("period"), max_length=16)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    commentary = models.TextField(_("commentary"), blank=True)
    send_when_generated = models.BooleanField(_("e-mail when generated"), default=False)
    snapshot = models.JSONField(_("data snapshot"), default=dict, blank=True)
    checksum = models.CharField(_("snapshot checksum (SHA-256)"), max_length=64, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=report_file_path, max_length=300, blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to=report_file_path, max_length=300, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the schedule."),
    )
    requested_at = models.DateTimeField(_("requested"))

    objects = ServiceReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("service report")
        verbose_name_plural = _("service reports")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "period_start", "version"], name="service_report_version"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "-period_start"], name="service_report_org"),
        ]

    def __str__(self):
        return f"{self.reference} {self.period_label}"

    @property
    def is_ready(self) -> bool:
        return self.status in (ReportStatus.GENERATED, ReportStatus.SENT)

    def file_name(self, extension: str) -> str:
        return f"{self.reference}-{self.period_label}.{extension}"
