"""Service continuity (clause 8.7.2): continuity plans per service with their ordered steps and
contacts, plan tests with the issues they found, and invocations of a plan during a major
incident.

The test schedule is one date per plan, ``test_due_on``: recording a test moves it a year on
(three months after a failed test), see ``services_continuity.plan_test_record``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.lifecycle import IssueStatus, PlanStatus
from serviceloop.assurance.models.availability import StaffQuerySet

__all__ = [
    "ContinuityContact",
    "ContinuityPlan",
    "ContinuityStep",
    "ContinuityTest",
    "Invocation",
    "ContinuityIssue",
    "ContinuityTestKind",
    "ContinuityTestResult",
]


class PlanQuerySet(StaffQuerySet):
    def active(self):
        return self.filter(status=PlanStatus.ACTIVE)

    def test_overdue(self, today):
        """Active plans whose test was due before ``today``."""
        return self.active().filter(test_due_on__lt=today)


class ContinuityPlan(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    service = models.ForeignKey(
        "portfolio.Service", verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    rto_minutes = models.PositiveIntegerField(
        _("recovery time objective (minutes)"),
        help_text=_("How long the service may be down before it must be back."),
    )
    rpo_minutes = models.PositiveIntegerField(
        _("recovery point objective (minutes)"),
        help_text=_("How much recent data may be lost at most."),
    )
    invocation_criteria = models.TextField(
        _("invocation criteria"), help_text=_("When the plan is invoked, and who decides.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("plan owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_on = models.DateField(_("next review"))
    test_due_on = models.DateField(_("next test due"))
    retire_reason = models.TextField(_("reason for retiring"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["service__name", "title", "id"]
        verbose_name = _("continuity plan")
        verbose_name_plural = _("continuity plans")
        indexes = [models.Index(fields=["status", "test_due_on"], name="assurance_plan_due")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def test_overdue(self, today) -> bool:
        return self.status == PlanStatus.ACTIVE and self.test_due_on < today

    def review_overdue(self, today) -> bool:
        return self.status == PlanStatus.ACTIVE and self.review_on < today


class ContinuityStep(models.Model):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"))
    action = models.TextField(_("what to do"))
    responsible = models.CharField(_("who"), max_length=120, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("plan step")
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="assurance_step_order")
        ]

    def __str__(self):
        return f"{self.position}. {self.action[:40]}"


class ContinuityContact(models.Model):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="contacts")
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role in the plan"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("plan contact")

    def __str__(self):
        return self.name


class ContinuityTestKind(models.TextChoices):
    TABLETOP = "tabletop", _("Tabletop exercise")
    LIVE = "live", _("Live test")


class ContinuityTestResult(models.TextChoices):
    PASS = "pass", _("Passed")
    PARTIAL = "partial", _("Partly passed")
    FAIL = "fail", _("Failed")


class ContinuityTest(models.Model):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.PROTECT, related_name="tests")
    kind = models.CharField(_("kind"), max_length=16, choices=ContinuityTestKind.choices)
    tested_on = models.DateField(_("tested on"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True, related_name="+"
    )
    other_participants = models.CharField(
        _("other participants"), max_length=300, blank=True, help_text=_("Suppliers, guests.")
    )
    result = models.CharField(_("result"), max_length=16, choices=ContinuityTestResult.choices)
    summary = models.TextField(_("what happened"))
    recovery_minutes = models.PositiveIntegerField(
        _("time to recover (minutes)"), null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["-tested_on", "-id"]
        verbose_name = _("continuity plan test")
        verbose_name_plural = _("continuity plan tests")

    def __str__(self):
        return f"{self.plan_id} {self.tested_on} {self.result}"

    @property
    def met_rto(self) -> bool | None:
        if self.recovery_minutes is None:
            return None
        return self.recovery_minutes <= self.plan.rto_minutes


class ContinuityIssue(models.Model):
    """Something a test showed that needs doing, with its owner and due date."""

    test = models.ForeignKey(ContinuityTest, on_delete=models.CASCADE, related_name="issues")
    description = models.TextField(_("issue found"))
    action = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=IssueStatus.choices, default=IssueStatus.OPEN
    )
    status_note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("test issue")
        verbose_name_plural = _("test issues")

    def __str__(self):
        return self.description[:60]

    def overdue(self, today) -> bool:
        return self.status == IssueStatus.OPEN and self.due_on < today


class Invocation(models.Model):
    """A continuity plan invoked for a major incident, until it is stood down."""

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.PROTECT, related_name="invocations")
    ticket = models.ForeignKey(
        "desk.Ticket", verbose_name=_("major incident"), on_delete=models.PROTECT, related_name="+"
    )
    invoked_at = models.DateTimeField(_("invoked"))
    invoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stood_down_at = models.DateTimeField(_("stood down"), null=True, blank=True)
    stood_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["-invoked_at", "-id"]
        verbose_name = _("plan invocation")
        verbose_name_plural = _("plan invocations")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "ticket"],
                condition=Q(stood_down_at__isnull=True),
                name="assurance_invocation_open_once",
                violation_error_message=_("The plan is already invoked for this incident."),
            )
        ]

    def __str__(self):
        return f"{self.plan_id} for {self.ticket_id}"

    @property
    def is_active(self) -> bool:
        return self.stood_down_at is None
