"""Gap analysis (clauses 4–10): a self-assessment of the management system against the clause
list, one answer per leaf clause, each with a maturity (0–5) or "not applicable" with a
justification, the current practice, its evidence and the gap.

An assessment is a draft while people answer; completing it freezes its answers (it becomes
the baseline the implementation plan is drawn from). The lifecycle is declared below;
``assessment_transition`` is the one way to move it.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "ASSESSMENT_TRANSITIONS",
    "Assessment",
    "AssessmentAnswer",
    "AssessmentQuerySet",
    "AssessmentStatus",
    "AssessmentTransition",
    "Maturity",
    "assessment_transition_for",
]


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")


class Maturity(models.IntegerChoices):
    """The maturity scale of an answer (a common capability scale, in our own words)."""

    NONE = 0, _("0 – Not in place")
    INITIAL = 1, _("1 – Initial: ad hoc, depends on individuals")
    REPEATABLE = 2, _("2 – Repeatable: done the same way, partly documented")
    DEFINED = 3, _("3 – Defined: documented, approved and followed")
    MANAGED = 4, _("4 – Managed: measured and reviewed")
    OPTIMISING = 5, _("5 – Optimising: improved continually from measurements")


@dataclass(frozen=True)
class AssessmentTransition:
    source: str
    target: str
    label: str
    needs: str = ""  # "all_answered": every answer has a maturity or is justified N/A


ASSESSMENT_TRANSITIONS: tuple[AssessmentTransition, ...] = (
    AssessmentTransition(
        AssessmentStatus.DRAFT, AssessmentStatus.COMPLETED, _("Complete"), "all_answered"
    ),
    AssessmentTransition(AssessmentStatus.COMPLETED, AssessmentStatus.DRAFT, _("Reopen")),
)


def assessment_transition_for(source: str, target: str) -> AssessmentTransition | None:
    for transition in ASSESSMENT_TRANSITIONS:
        if transition.source == source and transition.target == target:
            return transition
    return None


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own management-system records: staff read them, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def completed(self):
        return self.filter(status=AssessmentStatus.COMPLETED)


class Assessment(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    assessed_on = models.DateField(_("assessment date"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="gap_assessments",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    summary = models.TextField(_("summary"), blank=True)
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="copies",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("gap analysis")
        verbose_name_plural = _("gap analyses")

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class AssessmentAnswer(models.Model):
    """The answer for one clause: a maturity, or N/A with a justification (never both)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("gap analysis"), on_delete=models.CASCADE, related_name="answers"
    )
    clause = models.ForeignKey(
        "conformity.Clause",
        verbose_name=_("clause"),
        on_delete=models.PROTECT,
        related_name="gap_answers",
    )
    maturity = models.PositiveSmallIntegerField(
        _("maturity"), choices=Maturity.choices, null=True, blank=True
    )
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    justification = models.TextField(_("justification for not applicable"), blank=True)
    current_practice = models.TextField(_("current practice"), blank=True)
    # URLs (http/https) or references to records (INC-2026-000123, a document number...).
    evidence_links = models.JSONField(_("evidence"), default=list, blank=True)
    gap = models.TextField(_("gap"), blank=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["clause__position"]
        verbose_name = _("gap analysis answer")
        verbose_name_plural = _("gap analysis answers")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "clause"], name="planning_answer_one_per_clause"
            ),
            models.CheckConstraint(
                condition=Q(maturity__isnull=True) | Q(maturity__lte=5),
                name="planning_answer_maturity_0_5",
            ),
            models.CheckConstraint(
                condition=Q(not_applicable=False) | Q(maturity__isnull=True),
                name="planning_answer_na_has_no_maturity",
            ),
        ]

    def __str__(self):
        return f"{self.assessment_id} {self.clause_id}"

    @property
    def is_answered(self) -> bool:
        return self.not_applicable or self.maturity is not None
