"""The settings of change management: standard-change templates, CAB rules per risk level,
the change policy (what is under change control) and customers' blackout periods."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.transition.risk import RiskLevel

__all__ = ["BlackoutPeriod", "CabRule", "ChangePolicy", "ChangeTemplate", "StaffOnlyQuerySet"]


class StaffOnlyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own records: staff see them, customers never (404)."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class ChangeTemplate(models.Model):
    """A pre-approved standard change: what it does, how, how to undo it, at what risk.

    A standard change raised from an active template skips the CAB (clause 8.5.1.3)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    implementation_plan = models.TextField(_("implementation plan"))
    backout_plan = models.TextField(_("backout plan"))
    test_plan = models.TextField(_("test plan"), blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self):
        return self.name


class CabRule(models.Model):
    """Who approves a change of one risk level, and how many approvals it takes.

    The CAB of a change is the listed approvers plus the members of the team (active staff
    who may approve), less the change's requester. An emergency change goes to the emergency
    approvers (the ECAB subset; the whole CAB when none are listed) and needs
    ``emergency_quorum`` approvals."""

    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, unique=True
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("approvers"), blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("approving team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quorum = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    emergency_approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("emergency CAB"),
        blank=True,
        related_name="+",
    )
    emergency_quorum = models.PositiveSmallIntegerField(
        _("approvals needed in an emergency"), default=1
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["risk_level"]
        verbose_name = _("CAB rule")
        verbose_name_plural = _("CAB rules")
        constraints = [
            models.CheckConstraint(condition=Q(quorum__gte=1), name="cab_rule_quorum_positive"),
            models.CheckConstraint(
                condition=Q(emergency_quorum__gte=1), name="cab_rule_emergency_quorum_positive"
            ),
        ]

    def __str__(self):
        return str(RiskLevel(self.risk_level).label)


class ChangePolicy(models.Model):
    """The change policy (one row): which services and configuration-item types are under
    change control, and whether a low-risk normal change outside it may skip the CAB."""

    controlled_services = models.ManyToManyField(
        "portfolio.Service",
        verbose_name=_("services under change control"),
        blank=True,
        related_name="+",
    )
    controlled_ci_types = models.ManyToManyField(
        "portfolio.CiType",
        verbose_name=_("item types under change control"),
        blank=True,
        related_name="+",
    )
    all_controlled = models.BooleanField(
        _("everything is under change control"),
        default=False,
        help_text=_("Every normal change then goes to the CAB."),
    )
    low_risk_without_cab = models.BooleanField(
        _("a change manager may approve low-risk normal changes outside change control"),
        default=True,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("change policy")
        verbose_name_plural = _("change policy")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="change_policy_singleton")]

    def __str__(self):
        return str(_("Change policy"))

    @classmethod
    def current(cls) -> "ChangePolicy":
        """The policy row, created with the defaults on first use."""
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class BlackoutPeriod(models.Model):
    """A period in which no change may touch a customer's services (or anyone's, without a
    customer): a change scheduled into it needs an explicit override."""

    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="blackout_periods",
        help_text=_("Empty: every customer."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("blackout period")
        verbose_name_plural = _("blackout periods")
        indexes = [models.Index(fields=["start", "end"], name="transition_blackout_window")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="blackout_end_after_start")
        ]

    def __str__(self):
        return self.reason
