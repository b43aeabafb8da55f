"""The implementation plan (clause 6.3): items that close the gaps found by a gap analysis,
each with a goal, an owner, resources, a budget, dates, dependencies on other items, a status
and a percentage complete, linked to the clauses it serves; and the milestones of the way to
certification (internal audit done, management review held, certification audit).

The item lifecycle is declared below; ``plan_item_transition`` is the one way to move it.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "ITEM_TRANSITIONS",
    "ItemStatus",
    "ItemTransition",
    "Milestone",
    "MilestoneKind",
    "PlanItem",
    "PlanItemEvent",
    "PlanItemEventKind",
    "PlanQuerySet",
    "item_transition_for",
    "item_transitions_from",
]


class ItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")


@dataclass(frozen=True)
class ItemTransition:
    source: str
    target: str
    label: str
    needs: str = ""  # "reason": a blocking reason; "dependencies_done": every dependency done


S = ItemStatus
ITEM_TRANSITIONS: tuple[ItemTransition, ...] = (
    ItemTransition(S.NOT_STARTED, S.IN_PROGRESS, _("Start")),
    ItemTransition(S.NOT_STARTED, S.BLOCKED, _("Mark as blocked"), "reason"),
    ItemTransition(S.NOT_STARTED, S.DONE, _("Mark as done"), "dependencies_done"),
    ItemTransition(S.IN_PROGRESS, S.BLOCKED, _("Mark as blocked"), "reason"),
    ItemTransition(S.IN_PROGRESS, S.DONE, _("Mark as done"), "dependencies_done"),
    ItemTransition(S.BLOCKED, S.IN_PROGRESS, _("Unblock")),
    ItemTransition(S.DONE, S.IN_PROGRESS, _("Reopen")),
)


def item_transition_for(source: str, target: str) -> ItemTransition | None:
    for transition in ITEM_TRANSITIONS:
        if transition.source == source and transition.target == target:
            return transition
    return None


def item_transitions_from(source: str) -> list[ItemTransition]:
    return [t for t in ITEM_TRANSITIONS if t.source == source]


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own management-system records: staff read them, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class ItemQuerySet(PlanQuerySet):
    def open(self):
        return self.exclude(status=ItemStatus.DONE)

    def overdue(self, today):
        """Items not done whose due date has passed (``today`` is the provider's date)."""
        return self.open().filter(due_on__lt=today)


class PlanItem(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_items",
    )
    resources = models.TextField(_("resources"), blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    start_on = models.DateField(_("start"))
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.NOT_STARTED
    )
    percent_complete = models.PositiveSmallIntegerField(
        _("Percent complete"), default=0, validators=[MaxValueValidator(100)]
    )
    blocked_reason = models.TextField(_("why it is blocked"), blank=True)
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        blank=True,
        related_name="dependents",
    )
    clauses = models.ManyToManyField(
        "conformity.Clause", verbose_name=_("clauses"), blank=True, related_name="plan_items"
    )
    source_answer = models.ForeignKey(
        "planning.AssessmentAnswer",
        verbose_name=_("gap it closes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_items",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["start_on", "due_on", "id"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("start_on")), name="planning_item_due_after_start"
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__lte=100), name="planning_item_percent_0_100"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="planning_item_status_due")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_done(self) -> bool:
        return self.status == ItemStatus.DONE

    def is_overdue(self, today) -> bool:
        return not self.is_done and self.due_on < today


class PlanItemEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Details changed")
    STATUS = "status", _("Status changed")
    PROGRESS = "progress", _("Progress reported")


class PlanItemEvent(models.Model):
    """The item's history, shown on its page (status moves and progress reports)."""

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=PlanItemEventKind.choices)
    from_value = models.CharField(max_length=120, blank=True)
    to_value = models.CharField(max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at", "id"], name="planning_item_event_at")]

    def __str__(self):
        return f"{self.item_id} {self.kind}"


class MilestoneKind(models.TextChoices):
    INTERNAL_AUDIT = "internal_audit", _("Internal audit done")
    MANAGEMENT_REVIEW = "management_review", _("Management review held")
    STAGE_ONE = "stage_one", _("Certification audit, stage 1")
    CERTIFICATION_AUDIT = "certification_audit", _("Certification audit")
    OTHER = "other", _("Other")


class Milestone(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=24, choices=MilestoneKind.choices, default=MilestoneKind.OTHER
    )
    due_on = models.DateField(_("date"))
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    items = models.ManyToManyField(
        PlanItem,
        verbose_name=_("items to finish first"),
        blank=True,
        related_name="milestones",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title

    def state(self, today) -> str:
        """ "achieved", "overdue" (date passed, not achieved) or "upcoming"."""
        if self.achieved_on:
            return "achieved"
        return "overdue" if self.due_on < today else "upcoming"
