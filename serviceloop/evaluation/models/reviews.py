"""Management review (clause 9.3): a meeting chaired by top management over a period, with an
input pack generated from the records (one ``ReviewInput`` per input of 9.3, a JSON snapshot
of the figures as they were when the pack was generated), the decisions taken on each input,
and the actions decided, tracked to closure.

Lifecycle (declared below, ``REVIEW_TRANSITIONS``): planned → pack generated (regenerated
until the meeting starts, then frozen) → in the meeting (decisions and actions recorded) →
minutes drafted → approved by the chair; a review not yet held may be cancelled. Actions:
open → done or cancelled (``ACTION_TRANSITIONS``); open actions reappear in the next
review's pack, in its first input ("status of actions from previous reviews").
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from serviceloop.core.roles import Capability

__all__ = [
    "ACTION_TRANSITIONS",
    "ActionStatus",
    "InputCode",
    "ManagementReview",
    "ManagementReviewQuerySet",
    "PackLanguage",
    "REVIEW_TRANSITIONS",
    "ReviewAction",
    "ReviewActionQuerySet",
    "ReviewActionTransition",
    "ReviewDecision",
    "ReviewInput",
    "ReviewStatus",
    "ReviewTransition",
    "review_action_transition_for",
    "review_transition_for",
    "review_transitions_from",
]


class StaffOnly(models.QuerySet):
    def visible_to(self, user):
        """The provider's management-system records: staff read them, nobody else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PACK_GENERATED = "pack_generated", _("Pack generated")
    IN_MEETING = "in_meeting", _("In the meeting")
    MINUTES_DRAFT = "minutes_draft", _("Minutes drafted")
    APPROVED = "approved", _("Minutes approved")
    CANCELLED = "cancelled", _("Cancelled")


# The pack may be (re)generated in these statuses; from the meeting on it is frozen.
PACK_OPEN_STATUSES = (ReviewStatus.PLANNED, ReviewStatus.PACK_GENERATED)
# Decisions and actions are recorded, and changed, in these statuses: once the chair approves
# the minutes they are the record and read-only (actions then only move to their closure).
MEETING_STATUSES = (ReviewStatus.IN_MEETING, ReviewStatus.MINUTES_DRAFT)


class PackLanguage(models.TextChoices):
    CHINESE = "zh-hans", "简体中文"
    ENGLISH = "en", "English"


# Who may make a move: ``prepare`` (MANAGE_SYSTEM or ADMINISTER: the management-system
# owner prepares the review), ``review`` (top management, REVIEW), ``chair`` (the review's
# chair, who also holds REVIEW).
PREPARE, REVIEW, CHAIR, OWNER = "prepare", "review", "chair", "owner"


@dataclass(frozen=True)
class ReviewTransition:
    source: str
    target: str
    label: str
    by: str
    needs: str = ""  # "pack": done by generating the pack; "reason": a note saying why


S = ReviewStatus
REVIEW_TRANSITIONS: tuple[ReviewTransition, ...] = (
    ReviewTransition(S.PLANNED, S.PACK_GENERATED, _("Generate the pack"), PREPARE, "pack"),
    ReviewTransition(S.PACK_GENERATED, S.PACK_GENERATED, _("Regenerate the pack"), PREPARE,
                     "pack"),
    ReviewTransition(S.PACK_GENERATED, S.IN_MEETING, _("Start the meeting"), REVIEW),
    ReviewTransition(S.IN_MEETING, S.MINUTES_DRAFT, _("End the meeting: draft the minutes"),
                     REVIEW),
    ReviewTransition(S.MINUTES_DRAFT, S.IN_MEETING, _("Back to the meeting"), REVIEW),
    ReviewTransition(S.MINUTES_DRAFT, S.APPROVED, _("Approve the minutes"), CHAIR),
    ReviewTransition(S.PLANNED, S.CANCELLED, _("Cancel the review"), PREPARE, "reason"),
    ReviewTransition(S.PACK_GENERATED, S.CANCELLED, _("Cancel the review"), PREPARE, "reason"),
)  # fmt: skip


def review_transition_for(source: str, target: str) -> ReviewTransition | None:
    for transition in REVIEW_TRANSITIONS:
        if transition.source == source and transition.target == target:
            return transition
    return None


def review_transitions_from(source: str) -> list[ReviewTransition]:
    return [t for t in REVIEW_TRANSITIONS if t.source == source and t.needs != "pack"]


class InputCode(models.TextChoices):
    """The inputs of clause 9.3, in the order of the pack."""

    PREVIOUS_ACTIONS = "previous_actions", _("Status of actions from previous reviews")
    CONTEXT = "context", _("Changes in external and internal issues and interested parties")
    OBJECTIVES = "objectives", _("Service management objectives")
    KPIS = "kpis", _("Performance: KPIs and trends")
    AUDITS = "audits", _("Audit results")
    NONCONFORMITIES = "nonconformities", _("Nonconformities and corrective actions")
    CUSTOMER_FEEDBACK = (
        "customer_feedback",
        _("Customer feedback: satisfaction, complaints, relationship reviews"),
    )
    SUPPLIERS = "suppliers", _("Supplier performance")
    RISKS = "risks", _("Risks and opportunities")
    CAPACITY = "capacity", _("Capacity")
    AVAILABILITY_CONTINUITY = "availability_continuity", _("Availability and continuity results")
    IMPROVEMENTS = "improvements", _("Opportunities for improvement")
    MARKET = "market", _("Market and context changes")


# Inputs whose content is entered by people, not generated from the records.
ENTERED_INPUTS = (InputCode.MARKET,)


class ManagementReviewQuerySet(StaffOnly):
    def held(self):
        """Reviews whose meeting took place (in the meeting, minutes drafted or approved)."""
        return self.filter(
            status__in=(S.IN_MEETING, S.MINUTES_DRAFT, S.APPROVED)
        )  # fmt: skip


class ManagementReview(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    scheduled_on = models.DateField(_("meeting date"))
    location = models.CharField(_("where"), max_length=200, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        related_name="chaired_management_reviews",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        blank=True,
        related_name="management_reviews_attended",
    )
    guests = models.CharField(
        _("other attendees"), max_length=500, blank=True, help_text=_("People without an account.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED
    )
    status_note = models.TextField(_("status note"), blank=True)
    language = models.CharField(
        _("pack language"),
        max_length=8,
        choices=PackLanguage.choices,
        default=PackLanguage.CHINESE,
    )
    pack_generated_at = models.DateTimeField(_("pack generated"), null=True, blank=True)
    pack_generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    minutes_summary = models.TextField(_("conclusions"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = ManagementReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_on", "-reference"]
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="evaluation_review_period_in_order",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def pack_is_open(self) -> bool:
        """The pack may still be (re)generated: the meeting has not started."""
        return self.status in PACK_OPEN_STATUSES

    @property
    def in_meeting_phase(self) -> bool:
        """Decisions and actions may be recorded and changed (the minutes are not approved)."""
        return self.status in MEETING_STATUSES

    @property
    def has_pack(self) -> bool:
        return self.pack_generated_at is not None


class ReviewInput(models.Model):
    """One input of the pack: the figures as generated (``content``, JSON) and what people
    entered (``entered_text``: the whole input for market and context changes, a comment
    for the others)."""

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="inputs")
    code = models.CharField(_("input"), max_length=32, choices=InputCode.choices)
    position = models.PositiveSmallIntegerField(_("order"))
    content = models.JSONField(_("figures"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    entered_text = models.TextField(_("entered text"), blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))

    objects = StaffOnly.as_manager()

    class Meta:
        ordering = ["review", "position"]
        verbose_name = _("review input")
        verbose_name_plural = _("review inputs")
        constraints = [
            models.UniqueConstraint(fields=["review", "code"], name="evaluation_review_input_once")
        ]

    def __str__(self):
        return f"{self.review_id} {self.code}"

    @property
    def is_entered(self) -> bool:
        return self.code in ENTERED_INPUTS


class ReviewDecision(models.Model):
    """A decision taken during the meeting on one input (numbered D1, D2… per review)."""

    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="decisions")
    review_input = models.ForeignKey(
        ReviewInput, verbose_name=_("input"), on_delete=models.PROTECT, related_name="decisions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("decision"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))
    version = models.PositiveIntegerField(default=1)

    objects = StaffOnly.as_manager()

    class Meta:
        ordering = ["review", "number"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"], name="evaluation_review_decision_number"
            )
        ]

    def __str__(self):
        return f"D{self.number} {self.text[:60]}"

    @property
    def label(self) -> str:
        return f"D{self.number}"


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("management review action", "Open")
    DONE = "done", pgettext_lazy("management review action", "Done")
    CANCELLED = "cancelled", pgettext_lazy("management review action", "Cancelled")


@dataclass(frozen=True)
class ReviewActionTransition:
    source: str
    target: str
    label: str
    who: frozenset  # of PREPARE, REVIEW, OWNER
    needs: str = "note"  # every move says what was done or why


ACTION_TRANSITIONS: tuple[ReviewActionTransition, ...] = (
    ReviewActionTransition(
        ActionStatus.OPEN, ActionStatus.DONE, _("Mark done"), frozenset({OWNER, REVIEW, PREPARE})
    ),
    ReviewActionTransition(
        ActionStatus.OPEN, ActionStatus.CANCELLED, _("Cancel"), frozenset({REVIEW, PREPARE})
    ),
    ReviewActionTransition(
        ActionStatus.DONE, ActionStatus.OPEN, _("Reopen"), frozenset({REVIEW, PREPARE})
    ),
)


def review_action_transition_for(source: str, target: str) -> ReviewActionTransition | None:
    for move in ACTION_TRANSITIONS:
        if move.source == source and move.target == target:
            return move
    return None


class ReviewActionQuerySet(StaffOnly):
    def open(self):
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, today):
        """Open actions whose due date is before ``today`` (the provider's date)."""
        return self.open().filter(due_on__lt=today)


class ReviewAction(models.Model):
    """An action decided at a review, on an input (and possibly a decision), tracked until it
    is done or cancelled (numbered A1, A2… per review)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="actions")
    review_input = models.ForeignKey(
        ReviewInput, verbose_name=_("input"), on_delete=models.PROTECT, related_name="actions"
    )
    decision = models.ForeignKey(
        ReviewDecision,
        verbose_name=_("decision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="management_review_actions",
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    closure_note = models.TextField(_("closure note"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    improvement_reference = models.CharField(_("improvement"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = ReviewActionQuerySet.as_manager()

    class Meta:
        ordering = ["review", "number"]
        verbose_name = _("management review action")
        verbose_name_plural = _("management review actions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"], name="evaluation_review_action_number"
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="evaluation_review_action_due")]

    def __str__(self):
        return f"{self.label} {self.description[:60]}"

    @property
    def label(self) -> str:
        return f"A{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_on < today
