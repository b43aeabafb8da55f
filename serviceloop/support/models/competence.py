"""Competence, training and awareness (clauses 7.2 and 7.3).

- ``Competence``: a skill the service needs (name, the process or category it belongs to).
- ``CompetenceRequirement``: the level a role, a process or a desk category requires.
- ``PersonCompetence``: a person's level (0–4) with its evidence and, for certifications,
  an expiry date; a lapsed certification counts as level 0 until renewed. Every change of a
  level is kept in ``CompetenceChange``.
- ``TrainingCourse`` / ``TrainingSession`` / ``TrainingAttendance``: sessions held (date,
  trainer, attendees), attendance and assessment (pass / fail / score); a pass on a course
  that builds a competence raises the attendee's level (recorded as a change).
- ``CompetenceSettings``: the "assignment competence check" (off / warn / block) the desk
  asks through ``queries_competence.assignment_check``.

Awareness (7.3) is recorded by the acknowledgement campaigns of the documents part.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability, Role

__all__ = [
    "AssessmentResult",
    "AssignmentCheck",
    "ChangeSource",
    "Competence",
    "CompetenceChange",
    "CompetenceLevel",
    "CompetenceRequirement",
    "CompetenceSettings",
    "PersonCompetence",
    "RequirementTarget",
    "SessionStatus",
    "TrainingAttendance",
    "TrainingCourse",
    "TrainingSession",
    "competence_read_all",
]


class CompetenceLevel(models.IntegerChoices):
    NONE = 0, _("0 – none")
    AWARE = 1, _("1 – knows the basics")
    GUIDED = 2, _("2 – works with guidance")
    INDEPENDENT = 3, _("3 – works independently")
    EXPERT = 4, _("4 – expert, teaches others")


# Who reads everyone's competence records: the management-system owner, administrators,
# auditors, top management and team leads (who assign work). Other staff read their own.
READ_ALL_CAPABILITIES = frozenset(
    {
        Capability.MANAGE_SYSTEM,
        Capability.ADMINISTER,
        Capability.AUDIT,
        Capability.REVIEW,
        Capability.LEAD,
    }
)


def competence_read_all(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.capabilities & READ_ALL_CAPABILITIES
    )


class StaffQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own records: staff read them, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class Competence(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    category = models.CharField(
        _("process or category"),
        max_length=120,
        blank=True,
        help_text=_("The process or area it belongs to, e.g. incident management."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("competence")
        verbose_name_plural = _("competences")

    def __str__(self):
        return self.name


class RequirementTarget(models.TextChoices):
    ROLE = "role", _("Role")
    PROCESS = "process", _("Process")
    CATEGORY = "category", _("Desk category")


class CompetenceRequirement(models.Model):
    """The level of a competence a role, a process or a desk category requires (exactly one
    of the three is set)."""

    competence = models.ForeignKey(
        Competence,
        verbose_name=_("competence"),
        on_delete=models.CASCADE,
        related_name="requirements",
    )
    level = models.PositiveSmallIntegerField(
        _("required level"),
        choices=CompetenceLevel.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    process = models.CharField(_("process"), max_length=120, blank=True)
    category = models.ForeignKey(
        "desk.Category",
        verbose_name=_("desk category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["competence__name", "role", "process", "category__name"]
        verbose_name = _("competence requirement")
        verbose_name_plural = _("competence requirements")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__gt="", process="", category__isnull=True)
                    | Q(role="", process__gt="", category__isnull=True)
                    | Q(role="", process="", category__isnull=False)
                ),
                name="competence_requirement_one_target",
            ),
            models.UniqueConstraint(
                fields=["competence", "role"],
                condition=~Q(role=""),
                name="competence_requirement_role_once",
            ),
            models.UniqueConstraint(
                fields=["competence", "process"],
                condition=~Q(process=""),
                name="competence_requirement_process_once",
            ),
            models.UniqueConstraint(
                fields=["competence", "category"],
                condition=Q(category__isnull=False),
                name="competence_requirement_category_once",
            ),
        ]

    def __str__(self):
        return f"{self.competence} ≥ {self.level} ({self.target_label})"

    @property
    def target(self) -> str:
        if self.role:
            return RequirementTarget.ROLE
        if self.process:
            return RequirementTarget.PROCESS
        return RequirementTarget.CATEGORY

    @property
    def target_label(self) -> str:
        if self.role:
            return str(Role(self.role).label) if self.role in Role.values else self.role
        if self.process:
            return self.process
        return str(self.category) if self.category_id else ""


class PersonCompetenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        if competence_read_all(user):
            return self
        return self.filter(person=user)

    def lapsed(self, today=None):
        today = today or timezone.localdate()
        return self.filter(expires_on__lt=today)


class ChangeSource(models.TextChoices):
    ASSESSMENT = "assessment", _("Assessment")
    TRAINING = "training", _("Training")


class PersonCompetence(models.Model):
    """A person's level in one competence, with its evidence; ``expires_on`` for a
    certification (after it, the competence counts as lapsed: level 0)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="competences",
    )
    competence = models.ForeignKey(
        Competence, verbose_name=_("competence"), on_delete=models.CASCADE, related_name="holders"
    )
    level = models.PositiveSmallIntegerField(
        _("level"), choices=CompetenceLevel.choices, validators=[MaxValueValidator(4)]
    )
    evidence = models.TextField(_("evidence"), blank=True)
    certificate = models.CharField(_("certificate"), max_length=200, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=ChangeSource.choices, default=ChangeSource.ASSESSMENT
    )
    session = models.ForeignKey(
        "support.TrainingSession",
        verbose_name=_("training session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"))

    objects = PersonCompetenceQuerySet.as_manager()

    class Meta:
        ordering = ["person__username", "competence__name"]
        verbose_name = _("person's competence")
        verbose_name_plural = _("people's competences")
        constraints = [
            models.UniqueConstraint(fields=["person", "competence"], name="person_competence_once")
        ]
        indexes = [models.Index(fields=["expires_on"], name="person_competence_expiry")]

    def __str__(self):
        return f"{self.person} · {self.competence}: {self.level}"

    def is_lapsed(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expires_on is not None and self.expires_on < today

    def effective_level(self, today=None) -> int:
        """The level that counts today: 0 once the certification lapsed."""
        return 0 if self.is_lapsed(today) else self.level


class CompetenceChange(models.Model):
    """One change of a person's level (an assessment or a passed training): the history."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competence_changes"
    )
    competence = models.ForeignKey(Competence, on_delete=models.CASCADE, related_name="changes")
    level_before = models.PositiveSmallIntegerField(_("level before"), null=True, blank=True)
    level_after = models.PositiveSmallIntegerField(_("level after"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices)
    session = models.ForeignKey(
        "support.TrainingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"))

    objects = PersonCompetenceQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("competence change")
        verbose_name_plural = _("competence changes")

    def __str__(self):
        return f"{self.person_id} {self.competence_id}: {self.level_before}→{self.level_after}"


class TrainingCourse(models.Model):
    title = models.CharField(_("title"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    competence = models.ForeignKey(
        Competence,
        verbose_name=_("competence it builds"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    raises_to_level = models.PositiveSmallIntegerField(
        _("level reached on a pass"),
        choices=CompetenceLevel.choices,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("For a certification: how long a pass counts. Empty: it does not expire."),
    )
    duration_hours = models.DecimalField(
        _("duration (hours)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")

    def __str__(self):
        return self.title


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class TrainingSession(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    course = models.ForeignKey(
        TrainingCourse, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    held_on = models.DateField(_("date"))
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trainer_name = models.CharField(
        _("external trainer"), max_length=150, blank=True, help_text=_("When not one of us.")
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self):
        return f"{self.reference} {self.course}"

    @property
    def trainer_label(self) -> str:
        return str(self.trainer) if self.trainer_id else self.trainer_name


class AssessmentResult(models.TextChoices):
    NOT_ASSESSED = "", _("Not assessed")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendee"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    result = models.CharField(
        _("result"), max_length=8, choices=AssessmentResult.choices, blank=True
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    level_raised = models.BooleanField(_("level raised"), default=False)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["session", "person__username"]
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="training_attendance_once")
        ]

    def __str__(self):
        return f"{self.session_id} {self.person_id}"


class AssignmentCheck(models.TextChoices):
    OFF = "off", _("Off")
    WARN = "warn", _("Warn")
    BLOCK = "block", _("Block")


class CompetenceSettings(models.Model):
    """The one row of competence settings (absent: the defaults)."""

    assignment_check = models.CharField(
        _("assignment competence check"),
        max_length=8,
        choices=AssignmentCheck.choices,
        default=AssignmentCheck.OFF,
        help_text=_(
            "When a ticket is assigned to someone who lacks a competence its category requires:"
            " do nothing, warn, or refuse the assignment."
        ),
    )
    expiry_notice_days = models.PositiveSmallIntegerField(
        _("expiry notice (days)"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("How long before a certification expires its holder is reminded."),
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("competence settings")
        verbose_name_plural = _("competence settings")

    def __str__(self):
        return "competence settings"

    @classmethod
    def current(cls) -> "CompetenceSettings":
        """The stored row, or an unsaved one holding the defaults."""
        return cls.objects.order_by("pk").first() or cls()
