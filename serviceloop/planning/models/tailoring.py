"""Tailoring (how the organisation fits ServiceLoop to its kind of service): the profile it
picked at set-up, the modules it switched on or off, the KPIs it measures and the widgets of
its dashboard. One row (a singleton); the profiles, modules, KPI codes and widgets are data.

A profile is a starting point: applying it sets every module, the KPI set and the widgets at
once; each can still be changed afterwards. A module switched off disappears from the
navigation, and the scope statement (4.3) records it as an exclusion with its reason.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "KPI_CATALOGUE",
    "Module",
    "PROFILES",
    "Profile",
    "ProfileSpec",
    "TailoringSetting",
    "WIDGET_CATALOGUE",
]


class Module(models.TextChoices):
    """The parts of ServiceLoop an organisation may switch off (the core — catalogue,
    agreements, customers and the management system itself — is always on)."""

    DESK = "desk", _("Service desk (incidents and requests)")
    PROBLEMS = "problems", _("Problem management")
    CHANGES = "changes", _("Change management")
    RELEASES = "releases", _("Release and deployment management")
    CMDB = "cmdb", _("Configuration management")
    ASSETS = "assets", _("Asset management")
    CAPACITY = "capacity", _("Capacity management")
    BUDGET = "budget", _("Budgeting and accounting")
    AVAILABILITY = "availability", _("Availability management")
    CONTINUITY = "continuity", _("Service continuity management")
    SECURITY = "security", _("Information security management")
    SUPPLIERS = "suppliers", _("Supplier management")
    KNOWLEDGE = "knowledge", _("Knowledge management")
    COMPLAINTS = "complaints", _("Complaints")
    SURVEYS = "surveys", _("Satisfaction surveys")


class Profile(models.TextChoices):
    ONLINE = "online", _("Online services")
    CONSULTING = "consulting", _("Offline services and consulting")
    MIXED = "mixed", _("Mixed")


# KPI codes for the KPI engine (clause 9.1), with the module whose records they read.
KPI_CATALOGUE: dict[str, tuple] = {
    "availability_pct": (_("Service availability (%)"), Module.AVAILABILITY),
    "first_response_within_sla_pct": (_("First responses within the SLA (%)"), Module.DESK),
    "resolution_within_sla_pct": (_("Tickets resolved within the SLA (%)"), Module.DESK),
    "mttr_hours": (_("Mean time to restore service (hours)"), Module.DESK),
    "major_incident_count": (_("Major incidents"), Module.DESK),
    "capacity_utilisation_pct": (_("Capacity utilisation (%)"), Module.CAPACITY),
    "change_success_rate": (_("Successful changes (%)"), Module.CHANGES),
    "emergency_change_ratio": (_("Emergency changes (%)"), Module.CHANGES),
    "problems_with_root_cause_pct": (_("Problems with a root cause (%)"), Module.PROBLEMS),
    "knowledge_reuse_rate": (_("Tickets resolved with a knowledge article (%)"), Module.KNOWLEDGE),
    "csat_avg": (_("Average customer satisfaction (1–5)"), Module.DESK),
    "survey_response_rate": (_("Survey response rate (%)"), Module.SURVEYS),
    "complaint_rate": (_("Complaints per 100 tickets"), Module.COMPLAINTS),
    "complaint_response_within_target_pct": (
        _("Complaints answered within target (%)"),
        Module.COMPLAINTS,
    ),
    "process_conformance_pct": (_("Process conformance (audit checks passed, %)"), ""),
    "audit_findings_overdue": (_("Audit findings past their due date"), ""),
    "corrective_actions_on_time_pct": (_("Corrective actions closed on time (%)"), ""),
    "supplier_review_score": (_("Supplier performance score"), Module.SUPPLIERS),
    "budget_variance_pct": (_("Budget variance (%)"), Module.BUDGET),
    "continuity_tests_passed_pct": (_("Continuity tests passed (%)"), Module.CONTINUITY),
    "security_incident_count": (_("Information security incidents"), Module.SECURITY),
}

# Dashboard widgets, with the module they need ("" = always available).
WIDGET_CATALOGUE: dict[str, tuple] = {
    "sla_compliance": (_("SLA compliance"), Module.DESK),
    "ticket_backlog": (_("Open tickets"), Module.DESK),
    "major_incidents": (_("Major incidents"), Module.DESK),
    "availability": (_("Availability"), Module.AVAILABILITY),
    "capacity": (_("Capacity"), Module.CAPACITY),
    "change_success": (_("Change success"), Module.CHANGES),
    "change_calendar": (_("Change calendar"), Module.CHANGES),
    "csat_trend": (_("Customer satisfaction trend"), Module.DESK),
    "survey_results": (_("Survey results"), Module.SURVEYS),
    "complaints": (_("Complaints"), Module.COMPLAINTS),
    "knowledge_use": (_("Knowledge use"), Module.KNOWLEDGE),
    "process_conformance": (_("Process conformance"), ""),
    "audit_findings": (_("Audit findings"), ""),
    "objectives": (_("Objectives"), ""),
    "risk_heatmap": (_("Risk heat map"), ""),
    "plan_progress": (_("Implementation plan progress"), ""),
}


@dataclass(frozen=True)
class ProfileSpec:
    emphasis: str
    switched_off: tuple[str, ...]
    off_reason: str  # why the profile switches those modules off (the scope exclusion's reason)
    kpis: tuple[str, ...]
    widgets: tuple[str, ...]


M = Module
PROFILES: dict[str, ProfileSpec] = {
    Profile.ONLINE: ProfileSpec(
        emphasis=_("Availability, response time and capacity of services run online."),
        switched_off=(M.SURVEYS,),
        off_reason=_(
            "Customer satisfaction is measured on every resolved ticket instead of by "
            "survey campaigns."
        ),
        kpis=(
            "availability_pct",
            "first_response_within_sla_pct",
            "resolution_within_sla_pct",
            "mttr_hours",
            "major_incident_count",
            "capacity_utilisation_pct",
            "change_success_rate",
            "emergency_change_ratio",
            "csat_avg",
            "security_incident_count",
        ),
        widgets=(
            "availability",
            "sla_compliance",
            "ticket_backlog",
            "major_incidents",
            "capacity",
            "change_success",
            "change_calendar",
            "objectives",
            "risk_heatmap",
        ),
    ),
    Profile.CONSULTING: ProfileSpec(
        emphasis=_("Process conformance, customer feedback and complaints."),
        switched_off=(M.CAPACITY, M.AVAILABILITY, M.RELEASES, M.CMDB),
        off_reason=_(
            "The services are delivered by people on the customer's premises: the provider "
            "runs no technical infrastructure of its own for them."
        ),
        kpis=(
            "process_conformance_pct",
            "csat_avg",
            "survey_response_rate",
            "complaint_rate",
            "complaint_response_within_target_pct",
            "corrective_actions_on_time_pct",
            "audit_findings_overdue",
            "resolution_within_sla_pct",
            "knowledge_reuse_rate",
            "supplier_review_score",
        ),
        widgets=(
            "process_conformance",
            "csat_trend",
            "survey_results",
            "complaints",
            "audit_findings",
            "knowledge_use",
            "objectives",
            "risk_heatmap",
            "plan_progress",
        ),
    ),
    Profile.MIXED: ProfileSpec(
        emphasis=_("Both: availability and response time, and process conformance and feedback."),
        switched_off=(),
        off_reason="",
        kpis=(
            "availability_pct",
            "first_response_within_sla_pct",
            "resolution_within_sla_pct",
            "change_success_rate",
            "problems_with_root_cause_pct",
            "csat_avg",
            "complaint_rate",
            "process_conformance_pct",
            "corrective_actions_on_time_pct",
            "budget_variance_pct",
        ),
        widgets=(
            "sla_compliance",
            "availability",
            "csat_trend",
            "complaints",
            "change_success",
            "process_conformance",
            "objectives",
            "risk_heatmap",
        ),
    ),
}


class TailoringSetting(models.Model):
    """The organisation's tailoring: one row (id 1). ``profile`` is empty until one is applied."""

    profile = models.CharField(_("profile"), max_length=16, choices=Profile.choices, blank=True)
    # Stored as the modules switched off, so a module added in a later release starts on.
    disabled_modules = models.JSONField(_("modules switched off"), default=list, blank=True)
    module_reasons = models.JSONField(
        _("why each module is switched off"), default=dict, blank=True
    )
    kpi_codes = models.JSONField(_("KPIs measured"), default=list, blank=True)
    dashboard_widgets = models.JSONField(_("dashboard widgets"), default=list, blank=True)
    applied_at = models.DateTimeField(_("profile applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("tailoring")
        verbose_name_plural = _("tailoring")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="planning_tailoring_singleton")
        ]

    def __str__(self):
        return str(self.get_profile_display() or _("not tailored yet"))

    def module_enabled(self, module: str) -> bool:
        return module not in (self.disabled_modules or [])
