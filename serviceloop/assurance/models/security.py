"""Information security (clause 8.7.3): the information security risk register, the controls
list, and security incidents.

A security incident is CONFIDENTIAL: only provider staff in the security team (the
``SECURITY_TEAM`` setting names a provider ``core.Team``) and the people named on the incident
see it; everyone else gets 404. Its desk ticket is marked confidential with the same named
people, so the desk hides the ticket the same way (``desk.models.tickets.confidential_cleared``).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.lifecycle import IncidentStatus, RiskStatus
from serviceloop.assurance.models.availability import StaffQuerySet
from serviceloop.core.models import OrganisationKind, Team
from serviceloop.core.roles import Capability

__all__ = [
    "ControlStatus",
    "IncidentClassification",
    "RiskLevel",
    "RiskTreatment",
    "SecurityControl",
    "SecurityIncident",
    "SecurityRisk",
    "in_security_team",
    "risk_level_for",
]


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# score = likelihood × impact (1–25): the lowest score of each level.
RISK_LEVEL_FLOORS = ((15, RiskLevel.CRITICAL), (10, RiskLevel.HIGH), (5, RiskLevel.MEDIUM))


def risk_level_for(score: int) -> str:
    """Low 1–4, medium 5–9, high 10–14, critical 15–25."""
    for floor, level in RISK_LEVEL_FLOORS:
        if score >= floor:
            return level
    return RiskLevel.LOW


class RiskTreatment(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    MITIGATE = "mitigate", _("Mitigate")
    TRANSFER = "transfer", _("Transfer")
    AVOID = "avoid", _("Avoid")


ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class SecurityRisk(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        verbose_name=_("configuration item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    asset = models.CharField(
        _("asset"), max_length=200, blank=True, help_text=_("The information or asset at risk.")
    )
    threat = models.TextField(_("threat"))
    vulnerability = models.TextField(_("vulnerability"))
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1–5)"), validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"), validators=ONE_TO_FIVE)
    score = models.PositiveSmallIntegerField(_("score"), editable=False)
    level = models.CharField(_("level"), max_length=10, choices=RiskLevel.choices, editable=False)
    treatment = models.CharField(_("treatment"), max_length=10, choices=RiskTreatment.choices)
    treatment_plan = models.TextField(
        _("treatment plan"), blank=True, help_text=_("For an accepted risk: why it is acceptable.")
    )
    controls = models.ManyToManyField(
        "assurance.SecurityControl", verbose_name=_("controls"), blank=True, related_name="risks"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("risk owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_on = models.DateField(_("next review"))
    status = models.CharField(
        _("status"), max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN
    )
    status_note = models.TextField(_("status note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "reference"]
        verbose_name = _("information security risk")
        verbose_name_plural = _("information security risks")
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5, impact__gte=1, impact__lte=5),
                name="assurance_risk_scale",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def review_overdue(self, today) -> bool:
        return self.status != RiskStatus.CLOSED and self.review_on < today


class ControlStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PARTIAL = "partial", _("Partly implemented")
    IMPLEMENTED = "implemented", _("Implemented")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class SecurityControl(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("implementation status"),
        max_length=16,
        choices=ControlStatus.choices,
        default=ControlStatus.NOT_STARTED,
    )
    justification = models.TextField(
        _("justification"), blank=True, help_text=_("Required when the control does not apply.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence_links = models.JSONField(_("evidence links"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("security control")
        verbose_name_plural = _("security controls")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="not_applicable") | ~Q(justification=""),
                name="assurance_control_na_justified",
                violation_error_message=_("Say why the control does not apply."),
            )
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class IncidentClassification(models.TextChoices):
    MALWARE = "malware", _("Malware")
    PHISHING = "phishing", _("Phishing or social engineering")
    UNAUTHORISED_ACCESS = "unauthorised_access", _("Unauthorised access")
    DATA_LEAK = "data_leak", _("Data leak or disclosure")
    DENIAL_OF_SERVICE = "denial_of_service", _("Denial of service")
    LOST_DEVICE = "lost_device", _("Lost or stolen device")
    POLICY_VIOLATION = "policy_violation", _("Policy violation")
    OTHER = "other", _("Other")


def in_security_team(user):
    """A filter-ready condition: ``user`` is a member of the active provider team named by
    ``SECURITY_TEAM`` (an uncorrelated subquery: no extra query, evaluated once)."""
    return Exists(
        Team.members.through.objects.filter(
            user_id=user.pk,
            team__name=settings.SECURITY_TEAM,
            team__is_active=True,
            team__organisation__kind=OrganisationKind.PROVIDER,
        )
    )


class SecurityIncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Confidential: provider staff in the security team, or named on the incident."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_capability(Capability.STAFF):
            return self.none()
        named = SecurityIncident.viewers.through.objects.filter(user_id=user.pk)
        rule = Q(pk__in=named.values("securityincident_id"))
        if settings.SECURITY_TEAM:
            rule |= Q(in_security_team(user))
        return self.filter(rule)

    def notification_overdue(self, now):
        """Personal data involved, the regulator not notified, and the deadline passed."""
        return self.filter(personal_data=True, notified_at__isnull=True, notify_due_at__lt=now)


class SecurityIncident(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    ticket = models.OneToOneField(
        "desk.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="+"
    )
    classification = models.CharField(
        _("classification"), max_length=24, choices=IncidentClassification.choices
    )
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    summary = models.TextField(_("summary"), blank=True)
    detected_at = models.DateTimeField(_("detected"))
    personal_data = models.BooleanField(_("personal data involved"), default=False)
    notify_due_at = models.DateTimeField(
        _("regulator notification due"), null=True, blank=True, editable=False
    )
    notified_at = models.DateTimeField(_("regulator notified"), null=True, blank=True)
    notification_reference = models.CharField(
        _("regulator's reference"), max_length=120, blank=True
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("people cleared to see it"),
        blank=True,
        related_name="+",
    )
    status_note = models.TextField(_("status note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"))
    updated_at = models.DateTimeField(_("updated"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SecurityIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("security incident")
        verbose_name_plural = _("security incidents")

    def __str__(self):
        return self.reference

    def notification_overdue(self, now) -> bool:
        return bool(
            self.personal_data
            and self.notified_at is None
            and self.notify_due_at is not None
            and self.notify_due_at < now
        )
