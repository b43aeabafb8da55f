"""Change requests (clause 8.5.1): standard, normal and emergency changes, their history,
their CAB votes and the incidents a failed change caused.

The lifecycle is declared in ``serviceloop.transition.lifecycle``; the services in
``services_changes`` and ``services_cab`` are the only way to move a change.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.transition.lifecycle import BOOKED_CHANGE_STATUSES, ChangeStatus
from serviceloop.transition.risk import ChangeImpact, Likelihood, RiskLevel

__all__ = [
    "CabDecision",
    "CabVote",
    "ChangeEvent",
    "ChangeEventKind",
    "ChangeIncident",
    "ChangeOutcome",
    "ChangeRequest",
    "ChangeType",
]


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class ChangeOutcome(models.TextChoices):
    """How the implementation ended (kept when the change moves on to review and closure)."""

    IMPLEMENTED = "implemented", _("Implemented")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")


class ChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Changes are the provider's records: staff see them all, customers none (their
        read-only view of planned changes is ``queries.planned_changes_for_customer``)."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def booked(self):
        """Changes holding a slot in the calendar (scheduled or being implemented)."""
        return self.filter(status__in=BOOKED_CHANGE_STATUSES)

    def overlapping(self, start, end):
        """Changes whose planned window overlaps ``[start, end)``."""
        return self.filter(planned_start__lt=end, planned_end__gt=start)


class ChangeRequest(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    change_type = models.CharField(
        _("type"), max_length=16, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        "transition.ChangeTemplate",
        verbose_name=_("standard change template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    reason = models.TextField(_("reason for the change"), blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_changes",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("change owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_changes",
    )
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("implementer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="implemented_changes",
    )
    configuration_items = models.ManyToManyField(
        "portfolio.ConfigurationItem",
        verbose_name=_("affected configuration items"),
        blank=True,
        related_name="change_requests",
    )
    services = models.ManyToManyField(
        "portfolio.Service",
        verbose_name=_("affected services"),
        blank=True,
        related_name="change_requests",
    )
    # Risk and impact assessment
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"), choices=Likelihood.choices, null=True, blank=True
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=ChangeImpact.choices, null=True, blank=True
    )
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, blank=True
    )
    # What portfolio.impact said when the change was submitted (items, services, customers)
    impact_snapshot = models.JSONField(_("impact at submission"), default=dict, blank=True)
    affected_customers = models.ManyToManyField(
        "core.Organisation",
        verbose_name=_("affected customers"),
        blank=True,
        related_name="affected_by_changes",
    )
    # Plans and window
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("backout plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ChangeOutcome.choices, blank=True
    )
    outcome_note = models.TextField(_("what went wrong"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # CAB: the seats and quorum of the current round (set when the change goes to the CAB)
    cab_round = models.PositiveSmallIntegerField(_("CAB round"), default=0)
    cab_quorum = models.PositiveSmallIntegerField(_("approvals needed"), default=0)
    cab_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("CAB"), blank=True, related_name="cab_seats"
    )
    cab_decided_at = models.DateTimeField(_("CAB decision"), null=True, blank=True)
    # Scheduling into a conflict needs an explicit override with a reason
    schedule_override_reason = models.TextField(_("reason for overriding conflicts"), blank=True)
    schedule_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    schedule_override_at = models.DateTimeField(null=True, blank=True)
    schedule_conflicts = models.JSONField(_("conflicts overridden"), default=list, blank=True)
    # Post-implementation review
    review_success = models.BooleanField(_("successful"), null=True, blank=True)
    review_notes = models.TextField(_("review notes"), blank=True)
    review_lessons = models.TextField(_("lessons learned"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    caused_incidents = models.ManyToManyField(
        "desk.Ticket",
        verbose_name=_("incidents caused"),
        through="transition.ChangeIncident",
        blank=True,
        related_name="causing_changes",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        indexes = [
            models.Index(fields=["status", "planned_start"], name="transition_change_calendar"),
            models.Index(fields=["change_type", "submitted_at"], name="transition_change_type"),
            models.Index(fields=["outcome", "actual_end"], name="transition_change_outcome"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=models.F("planned_start")),
                name="change_window_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_emergency(self) -> bool:
        return self.change_type == ChangeType.EMERGENCY

    @property
    def is_standard(self) -> bool:
        return self.change_type == ChangeType.STANDARD


class ChangeEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Details changed")
    STATUS = "status", _("Status changed")
    CAB = "cab", _("Sent to the CAB")
    VOTE = "vote", _("CAB vote")
    SCHEDULED = "scheduled", _("Scheduled")
    REVIEW = "review", _("Reviewed")
    LINKED = "linked", _("Incidents linked")
    UNLINKED = "unlinked", _("Incident unlinked")


class ChangeEvent(models.Model):
    """The change's history: one row per move or change, beside its audit row."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=ChangeEventKind.choices)
    from_value = models.CharField(max_length=120, blank=True)
    to_value = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("change event")
        indexes = [models.Index(fields=["change", "at", "id"], name="transition_change_history")]

    def __str__(self):
        return f"{self.change_id} {self.kind} {self.from_value}→{self.to_value}"

    @staticmethod
    def _label(value: str) -> str:
        for choices in (ChangeStatus, CabDecision):
            if value in choices.values:
                return str(choices(value).label)
        return value

    @property
    def from_label(self) -> str:
        return self._label(self.from_value)

    @property
    def to_label(self) -> str:
        return self._label(self.to_value)


class CabDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    ABSTAIN = "abstain", _("Abstain")


class CabVote(models.Model):
    """One CAB member's decision on one round of a change (one vote per member and round)."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="votes")
    round = models.PositiveSmallIntegerField(_("round"))
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voter"),
        on_delete=models.PROTECT,
        related_name="cab_votes",
    )
    decision = models.CharField(_("decision"), max_length=8, choices=CabDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("CAB vote")
        verbose_name_plural = _("CAB votes")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "round", "voter"], name="cab_vote_once_per_round"
            )
        ]

    def __str__(self):
        return f"{self.change_id} r{self.round} {self.voter_id}: {self.decision}"


class ChangeIncident(models.Model):
    """An incident a change caused (recorded on the change; shown on both sides)."""

    change = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="change_cause_links"
    )
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "incident"], name="change_incident_unique")
        ]

    def __str__(self):
        return f"{self.change_id} caused {self.incident_id}"
