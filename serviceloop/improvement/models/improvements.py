"""The continual improvement register (clause 10.2): opportunities for improvement, where
they came from, what they should bring and cost, who owns them, and what they brought.

Priority follows the expected benefit (1–3) and the effort (S/M/L): ``benefit × ease``
(ease: S = 3, M = 2, L = 1) gives a score 1–9, read as low (1–2), medium (3–5) or high
(6–9); a manager may set the priority by hand instead (``priority_set``). The lifecycle is
declared below (``IMPROVEMENT_TRANSITIONS``); ``improvement_transition`` is the one way to
move it. After implementation the measured benefit is recorded as text, an optional figure
and, optionally, a KPI's value before and after (computed by the KPI engine, never typed).

``cause_key`` names what raised an opportunity (a management review decision, an audit
observation): while a record with that key is open, proposing the same cause returns it
instead of a second record (a partial unique constraint settles races).
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "EFFORT_EASE",
    "IMPROVEMENT_TRANSITIONS",
    "OPEN_IMPROVEMENT_STATUSES",
    "Benefit",
    "Effort",
    "Improvement",
    "ImprovementPriority",
    "ImprovementQuerySet",
    "ImprovementSource",
    "ImprovementStatus",
    "ImprovementTransition",
    "improvement_transition_for",
    "improvement_transitions_from",
    "priority_of",
]


class ImprovementSource(models.TextChoices):
    AUDIT = "audit", _("Audit")
    MANAGEMENT_REVIEW = "management_review", _("Management review")
    RETROSPECTIVE = "retrospective", _("Retrospective")
    STAFF_SUGGESTION = "staff_suggestion", _("Staff suggestion")
    CUSTOMER_FEEDBACK = "customer_feedback", _("Customer feedback")
    KPI = "kpi", _("KPI")
    OTHER = "other", _("Other")


class Effort(models.TextChoices):
    S = "S", _("Small")
    M = "M", _("Medium")
    L = "L", _("Large")


class Benefit(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class ImprovementPriority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


EFFORT_EASE = {Effort.S: 3, Effort.M: 2, Effort.L: 1}


def priority_of(benefit: int, effort: str) -> str:
    """The priority of a benefit rating (1–3) and an effort (S/M/L): benefit × ease, where
    1–2 is low, 3–5 medium and 6–9 high."""
    score = int(benefit) * EFFORT_EASE.get(effort, 2)
    if score >= 6:
        return ImprovementPriority.HIGH
    if score >= 3:
        return ImprovementPriority.MEDIUM
    return ImprovementPriority.LOW


class ImprovementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    BENEFIT_MEASURED = "benefit_measured", _("Benefit measured")
    REJECTED = "rejected", _("Rejected")


OPEN_IMPROVEMENT_STATUSES = (
    ImprovementStatus.PROPOSED,
    ImprovementStatus.ACCEPTED,
    ImprovementStatus.IN_PROGRESS,
    ImprovementStatus.IMPLEMENTED,
)

# Who moves an improvement: ``manager`` (the manage-system capability or an administrator),
# ``owner`` (the improvement's owner, for the work he does himself).
MANAGER, OWNER = "manager", "owner"


@dataclass(frozen=True)
class ImprovementTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]
    # "owner": an owner must be set; "reason": a note saying why; "measurement": the measured
    # benefit (recorded by ``improvement_measure``, not by a plain move)
    needs: str = ""


def _it(source, target, label, *who, needs=""):
    return ImprovementTransition(source, target, label, frozenset(who), needs)


S = ImprovementStatus
IMPROVEMENT_TRANSITIONS: tuple[ImprovementTransition, ...] = (
    _it(S.PROPOSED, S.ACCEPTED, _("Accept"), MANAGER, needs="owner"),
    _it(S.PROPOSED, S.REJECTED, _("Reject"), MANAGER, needs="reason"),
    _it(S.ACCEPTED, S.IN_PROGRESS, _("Start work"), MANAGER, OWNER),
    _it(S.ACCEPTED, S.REJECTED, _("Reject"), MANAGER, needs="reason"),
    _it(S.IN_PROGRESS, S.IMPLEMENTED, _("Mark as implemented"), MANAGER, OWNER),
    _it(S.IN_PROGRESS, S.ACCEPTED, _("Back to accepted"), MANAGER, OWNER),
    _it(S.IMPLEMENTED, S.BENEFIT_MEASURED, _("Record the benefit"), MANAGER, OWNER,
        needs="measurement"),
    _it(S.IMPLEMENTED, S.IN_PROGRESS, _("Back to work"), MANAGER, OWNER),
    _it(S.REJECTED, S.PROPOSED, _("Reconsider"), MANAGER, needs="reason"),
)  # fmt: skip


def improvement_transition_for(source: str, target: str, roles) -> ImprovementTransition | None:
    """The declared move from ``source`` to ``target`` that one of ``roles`` may make."""
    for move in IMPROVEMENT_TRANSITIONS:
        if move.source == source and move.target == target and move.who & set(roles):
            return move
    return None


def improvement_transitions_from(source: str, roles) -> list[ImprovementTransition]:
    return [m for m in IMPROVEMENT_TRANSITIONS if m.source == source and m.who & set(roles)]


class ImprovementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own management-system records: staff read them, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def open(self):
        return self.filter(status__in=OPEN_IMPROVEMENT_STATUSES)

    def overdue(self, today):
        """Accepted or in progress, with a target date before ``today``."""
        return self.filter(
            status__in=(ImprovementStatus.ACCEPTED, ImprovementStatus.IN_PROGRESS),
            target_on__lt=today,
        )


class Improvement(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=ImprovementSource.choices)
    source_reference = models.CharField(
        _("source reference"),
        max_length=200,
        blank=True,
        help_text=_("Where it came from, e.g. the audit or review reference."),
    )
    cause_key = models.CharField(_("cause"), max_length=200, blank=True, db_index=True)
    benefit = models.TextField(_("expected benefit"), blank=True)
    benefit_rating = models.PositiveSmallIntegerField(
        _("benefit rating"), choices=Benefit.choices, default=Benefit.MEDIUM
    )
    effort = models.CharField(_("effort"), max_length=1, choices=Effort.choices, default=Effort.M)
    priority = models.CharField(_("priority"), max_length=8, choices=ImprovementPriority.choices)
    priority_set = models.BooleanField(
        _("priority set by hand"),
        default=False,
        help_text=_("Otherwise it follows the benefit rating and the effort."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_improvements",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ImprovementStatus.choices,
        default=ImprovementStatus.PROPOSED,
    )
    status_note = models.TextField(_("status note"), blank=True)
    target_on = models.DateField(_("target date"), null=True, blank=True)
    implemented_on = models.DateField(_("implemented on"), null=True, blank=True)
    # The measured benefit, after implementation.
    measured_benefit = models.TextField(_("measured benefit"), blank=True)
    measured_figure = models.DecimalField(
        _("measured figure"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    measured_unit = models.CharField(_("unit of the figure"), max_length=30, blank=True)
    measured_on = models.DateField(_("measured on"), null=True, blank=True)
    kpi = models.ForeignKey(
        "evaluation.KpiDefinition",
        verbose_name=_("KPI"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kpi_before = models.DecimalField(
        _("KPI before"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    kpi_after = models.DecimalField(
        _("KPI after"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    # {"before": {"start", "end", "value", "status"}, "after": {...}}: the periods compared.
    kpi_periods = models.JSONField(_("KPI periods"), default=dict, blank=True)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suggested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = ImprovementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("improvement")
        verbose_name_plural = _("improvements")
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"],
                condition=~Q(cause_key="")
                & Q(status__in=["proposed", "accepted", "in_progress", "implemented"]),
                name="improvement_open_cause_once",
            ),
            models.CheckConstraint(
                condition=Q(benefit_rating__gte=1, benefit_rating__lte=3),
                name="improvement_benefit_rating_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "target_on"], name="improvement_status_target")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_IMPROVEMENT_STATUSES

    def is_overdue(self, today) -> bool:
        return (
            self.status in (ImprovementStatus.ACCEPTED, ImprovementStatus.IN_PROGRESS)
            and self.target_on is not None
            and self.target_on < today
        )

    @property
    def kpi_change(self):
        """After minus before (None unless both are known)."""
        if self.kpi_before is None or self.kpi_after is None:
            return None
        return self.kpi_after - self.kpi_before
