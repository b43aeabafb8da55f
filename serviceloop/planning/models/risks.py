"""Risks and opportunities (clause 6.1): a register rated likelihood × impact on the
organisation's matrix (3×3 up to 5×5, with the score thresholds of each level: one singleton
row), with a treatment, an owner, a review date, a status, links to the services,
configuration items and objectives they affect, and their source when a single point of
failure found in the CMDB raised them.

The score (likelihood × impact) is stored by the service that sets the ratings; the level is
read from the matrix's thresholds, so changing the thresholds re-levels every risk at once.
The lifecycle is declared below; ``risk_transition`` is the one way to move it.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.planning.models.plan import PlanQuerySet

__all__ = [
    "LEVELS",
    "MATRIX_DEFAULTS",
    "MATRIX_SIZES",
    "OPPORTUNITY_TREATMENTS",
    "RISK_TRANSITIONS",
    "RISK_TREATMENTS",
    "Risk",
    "RiskKind",
    "RiskLevel",
    "RiskMatrixSetting",
    "RiskQuerySet",
    "RiskReview",
    "RiskStatus",
    "RiskTransition",
    "Treatment",
    "risk_transition_for",
    "risk_transitions_from",
]

MATRIX_SIZES = (3, 4, 5)
# size: (medium_from, high_from, critical_from): the lowest score of each level
MATRIX_DEFAULTS = {3: (3, 6, 9), 4: (4, 8, 12), 5: (5, 10, 17)}


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


LEVELS = tuple(RiskLevel.values)  # in rising order


class RiskMatrixSetting(models.Model):
    """The rating matrix: one row (id 1)."""

    size = models.PositiveSmallIntegerField(_("matrix size"), default=5)
    medium_from = models.PositiveSmallIntegerField(_("medium from score"), default=5)
    high_from = models.PositiveSmallIntegerField(_("high from score"), default=10)
    critical_from = models.PositiveSmallIntegerField(_("critical from score"), default=17)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("risk matrix")
        verbose_name_plural = _("risk matrix")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="planning_risk_matrix_singleton")
        ]

    def __str__(self):
        return f"{self.size}×{self.size}"

    def level_of(self, score: int) -> str:
        if score >= self.critical_from:
            return RiskLevel.CRITICAL
        if score >= self.high_from:
            return RiskLevel.HIGH
        if score >= self.medium_from:
            return RiskLevel.MEDIUM
        return RiskLevel.LOW

    def score_range(self, level: str) -> tuple[int, int]:
        """The scores ``[low, high]`` of a level (high < low when no score reaches it)."""
        bounds = {
            RiskLevel.LOW: (1, self.medium_from - 1),
            RiskLevel.MEDIUM: (self.medium_from, self.high_from - 1),
            RiskLevel.HIGH: (self.high_from, self.critical_from - 1),
            RiskLevel.CRITICAL: (self.critical_from, self.size * self.size),
        }
        return bounds[level]


class RiskKind(models.TextChoices):
    RISK = "risk", _("Risk")
    OPPORTUNITY = "opportunity", _("Opportunity")


class Treatment(models.TextChoices):
    AVOID = "avoid", _("Avoid")
    REDUCE = "reduce", _("Reduce")
    TRANSFER = "transfer", _("Transfer or share")
    ACCEPT = "accept", _("Accept")
    EXPLOIT = "exploit", _("Exploit")
    ENHANCE = "enhance", _("Enhance")
    SHARE = "share", _("Share")
    IGNORE = "ignore", _("Take no action")


RISK_TREATMENTS = (Treatment.AVOID, Treatment.REDUCE, Treatment.TRANSFER, Treatment.ACCEPT)
OPPORTUNITY_TREATMENTS = (Treatment.EXPLOIT, Treatment.ENHANCE, Treatment.SHARE, Treatment.IGNORE)


class RiskStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    TREATING = "treating", _("Being treated")
    MONITORING = "monitoring", _("Monitored")
    CLOSED = "closed", _("Closed")


@dataclass(frozen=True)
class RiskTransition:
    source: str
    target: str
    label: str
    needs: str = ""  # "plan": a treatment plan; "reason": a note saying why


S = RiskStatus
RISK_TRANSITIONS: tuple[RiskTransition, ...] = (
    RiskTransition(S.IDENTIFIED, S.TREATING, _("Start treatment"), "plan"),
    RiskTransition(S.IDENTIFIED, S.MONITORING, _("Monitor without treatment")),
    RiskTransition(S.IDENTIFIED, S.CLOSED, _("Close"), "reason"),
    RiskTransition(S.TREATING, S.MONITORING, _("Treatment done: monitor")),
    RiskTransition(S.TREATING, S.CLOSED, _("Close"), "reason"),
    RiskTransition(S.MONITORING, S.TREATING, _("Treat again"), "plan"),
    RiskTransition(S.MONITORING, S.CLOSED, _("Close"), "reason"),
    RiskTransition(S.CLOSED, S.IDENTIFIED, _("Reopen"), "reason"),
)


def risk_transition_for(source: str, target: str) -> RiskTransition | None:
    for transition in RISK_TRANSITIONS:
        if transition.source == source and transition.target == target:
            return transition
    return None


def risk_transitions_from(source: str) -> list[RiskTransition]:
    return [t for t in RISK_TRANSITIONS if t.source == source]


class RiskQuerySet(PlanQuerySet):
    def open(self):
        return self.exclude(status=RiskStatus.CLOSED)

    def review_overdue(self, today):
        """Open risks whose review date has passed (``today`` is the provider's date)."""
        return self.open().filter(review_on__lt=today)


class Risk(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=RiskKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    likelihood = models.PositiveSmallIntegerField(_("likelihood"))
    impact = models.PositiveSmallIntegerField(_("impact"))
    score = models.PositiveSmallIntegerField(_("score"))  # likelihood × impact
    treatment = models.CharField(_("treatment"), max_length=10, choices=Treatment.choices)
    treatment_plan = models.TextField(_("treatment plan"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_risks",
    )
    review_on = models.DateField(_("next review"))
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RiskStatus.choices, default=RiskStatus.IDENTIFIED
    )
    status_note = models.TextField(_("status note"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    services = models.ManyToManyField(
        "portfolio.Service", verbose_name=_("services"), blank=True, related_name="+"
    )
    configuration_items = models.ManyToManyField(
        "portfolio.ConfigurationItem",
        verbose_name=_("configuration items"),
        blank=True,
        related_name="+",
    )
    objectives = models.ManyToManyField(
        "planning.Objective", verbose_name=_("objectives"), blank=True, related_name="risks"
    )
    # The single point of failure found in the CMDB that the risk was raised for (its
    # source). SET_NULL: the finding is derived data, dropped with its service or item, while
    # the risk is evidence that must outlive it (its description names the item and path).
    spof_finding = models.ForeignKey(
        "assurance.SpofFinding",
        verbose_name=_("single point of failure"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "reference"]
        verbose_name = _("risk or opportunity")
        verbose_name_plural = _("risks and opportunities")
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, impact__gte=1), name="planning_risk_ratings_positive"
            )
        ]
        indexes = [models.Index(fields=["status", "review_on"], name="planning_risk_status_review")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != RiskStatus.CLOSED

    def review_overdue(self, today) -> bool:
        return self.is_open and self.review_on < today


class RiskReview(models.Model):
    """A review of a risk: its rating then, a note, and the next review date."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("reviewed on"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    likelihood = models.PositiveSmallIntegerField(_("likelihood"))
    impact = models.PositiveSmallIntegerField(_("impact"))
    score = models.PositiveSmallIntegerField(_("score"))
    note = models.TextField(_("note"), blank=True)
    next_review_on = models.DateField(_("next review"))
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        verbose_name = _("risk review")
        verbose_name_plural = _("risk reviews")

    def __str__(self):
        return f"{self.risk_id} {self.reviewed_on}"
