"""Internal audit (clause 9.2).

- ``AuditSettings`` (one row): the competence that qualifies an internal auditor and the
  lowest level that counts (empty: the competence the support area requires of the internal
  auditor role).
- ``AuditProgramme``: the plan of one year (draft → approved → closed); its ``ProgrammeLine``
  rows each name a subject clause (a process of clause 8–10, or a clause group such as 4 or
  7) whose sub-clauses it covers, the team that owns it (an auditor of that team may not
  audit it), and a risk rating that sets how often it is audited.
- ``Audit``: one audit of some lines of a programme: its plan (scope, criteria, dates, lead
  auditor and auditors), its ``ChecklistItem`` rows (one question per clause, the answer,
  the records that evidence it) and its ``Finding`` rows.
- ``Finding``: a major or minor nonconformity, an observation or an opportunity for
  improvement, with clause references, an owner, a due date and a status
  (open → action planned → closed); attachments are core attachments of the finding.

Lifecycles are declared below (``AUDIT_TRANSITIONS``, ``FINDING_TRANSITIONS``,
``PROGRAMME_TRANSITIONS``); the services in ``services_audits`` / ``findings_audits`` are the
one way to move them.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "AUDITS_PER_YEAR",
    "AUDIT_TRANSITIONS",
    "FINDING_TRANSITIONS",
    "NONCONFORMITY_KINDS",
    "PROGRAMME_TRANSITIONS",
    "Audit",
    "AuditProgramme",
    "AuditSettings",
    "AuditStatus",
    "ChecklistItem",
    "ChecklistResult",
    "Finding",
    "FindingKind",
    "FindingStatus",
    "ProgrammeLine",
    "ProgrammeStatus",
    "RiskRating",
    "StaffOnlyQuerySet",
    "Transition",
    "transition_for",
    "transitions_from",
]


class StaffOnlyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's internal-audit records: staff read them, nobody else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_capability(Capability.STAFF):
            return self.none()
        return self


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str
    needs: str = ""  # what the move asks for: "reason", "action", "note" …
    by: str = "audit"  # "audit": AUDIT capability; "owner": also the finding's owner


def transition_for(table, source: str, target: str) -> Transition | None:
    for transition in table:
        if transition.source == source and transition.target == target:
            return transition
    return None


def transitions_from(table, source: str) -> list[Transition]:
    return [t for t in table if t.source == source]


# --- Settings ----------------------------------------------------------------------------------


class AuditSettings(models.Model):
    """The auditor qualification rule: one row (id 1)."""

    competence = models.ForeignKey(
        "support.Competence",
        verbose_name=_("qualifying competence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Empty: the competence the competence requirements ask of the internal auditor role."
        ),
    )
    minimum_level = models.PositiveSmallIntegerField(
        _("lowest qualifying level"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("audit settings")
        verbose_name_plural = _("audit settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="evaluation_audit_settings_singleton")
        ]

    def __str__(self):
        return "audit settings"


# --- The programme -----------------------------------------------------------------------------


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")


PROGRAMME_TRANSITIONS: tuple[Transition, ...] = (
    Transition(ProgrammeStatus.DRAFT, ProgrammeStatus.APPROVED, _("Approve"), by="manage"),
    Transition(ProgrammeStatus.APPROVED, ProgrammeStatus.CLOSED, _("Close"), "note", "manage"),
    Transition(ProgrammeStatus.APPROVED, ProgrammeStatus.DRAFT, _("Revise"), "reason", "manage"),
    Transition(ProgrammeStatus.CLOSED, ProgrammeStatus.APPROVED, _("Reopen"), "reason", "manage"),
)


class RiskRating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# How many audits a year a line's risk calls for: low risk every second year.
AUDITS_PER_YEAR = {
    RiskRating.HIGH: Decimal("2"),
    RiskRating.MEDIUM: Decimal("1"),
    RiskRating.LOW: Decimal("0.5"),
}
FREQUENCY_LABELS = {
    RiskRating.HIGH: _("Twice a year"),
    RiskRating.MEDIUM: _("Once a year"),
    RiskRating.LOW: _("Every second year"),
}


class AuditProgramme(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("objectives"), blank=True)
    criteria = models.TextField(_("audit criteria"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    status_note = models.TextField(_("status note"), blank=True)
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

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")

    def __str__(self):
        return f"{self.reference} {self.title}"


class ProgrammeLine(models.Model):
    """One subject of the programme: a clause (with its sub-clauses), typically a process."""

    programme = models.ForeignKey(AuditProgramme, on_delete=models.CASCADE, related_name="lines")
    clause = models.ForeignKey(
        "conformity.Clause", verbose_name=_("clause"), on_delete=models.PROTECT, related_name="+"
    )
    owner_team = models.ForeignKey(
        "core.Team",
        verbose_name=_("owning team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The team that runs this process: its members may not audit it."),
    )
    risk = models.CharField(
        _("risk"), max_length=8, choices=RiskRating.choices, default=RiskRating.MEDIUM
    )
    risk_note = models.TextField(_("why this risk"), blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "clause__position"]
        verbose_name = _("programme line")
        verbose_name_plural = _("programme lines")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "clause"], name="evaluation_programme_line_once"
            )
        ]

    def __str__(self):
        return f"{self.clause.number} {self.subject}"

    @property
    def process(self):
        """The planning process this line's clause is, or None (a clause group)."""
        from serviceloop.planning.models import process_for

        return process_for(self.clause.number)

    @property
    def subject(self) -> str:
        process = self.process
        return str(process.title) if process else self.clause.title

    @property
    def audits_per_year(self) -> Decimal:
        return AUDITS_PER_YEAR[self.risk]

    @property
    def frequency_label(self) -> str:
        return str(FREQUENCY_LABELS[self.risk])


# --- Audits ------------------------------------------------------------------------------------


class AuditStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORTED = "reported", _("Reported")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


A = AuditStatus
AUDIT_TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.PLANNED, A.IN_PROGRESS, _("Start the audit"), "ready"),
    Transition(A.PLANNED, A.CANCELLED, _("Cancel"), "reason"),
    Transition(A.IN_PROGRESS, A.REPORTED, _("Issue the report"), "answered"),
    Transition(A.IN_PROGRESS, A.CANCELLED, _("Cancel"), "reason"),
    Transition(A.REPORTED, A.IN_PROGRESS, _("Reopen"), "reason"),
    Transition(A.REPORTED, A.CLOSED, _("Close"), "findings_handled"),
    Transition(A.CANCELLED, A.PLANNED, _("Plan again"), "reason"),
)


class Audit(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    programme = models.ForeignKey(
        AuditProgramme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="audits",
    )
    title = models.CharField(_("title"), max_length=200)
    lines = models.ManyToManyField(
        ProgrammeLine, verbose_name=_("programme lines"), related_name="audits"
    )
    scope = models.TextField(_("scope"), blank=True)
    objectives = models.TextField(_("objectives"), blank=True)
    criteria = models.TextField(_("audit criteria"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    auditees = models.CharField(_("auditees"), max_length=300, blank=True)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead auditor"),
        on_delete=models.PROTECT,
        related_name="audits_led",
    )
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("other auditors"),
        blank=True,
        related_name="audits_assigned",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )
    status_note = models.TextField(_("status note"), blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start", "-reference"]
        verbose_name = _("internal audit")
        verbose_name_plural = _("internal audits")
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="evaluation_audit_dates_in_order",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_done(self) -> bool:
        """Reported or closed: the audit counts as held."""
        return self.status in (AuditStatus.REPORTED, AuditStatus.CLOSED)

    @property
    def is_editable(self) -> bool:
        return self.status in (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS)


class ChecklistResult(models.TextChoices):
    NOT_CHECKED = "", _("Not checked")
    CONFORMING = "conforming", _("Conforming")
    NONCONFORMING = "nonconforming", _("Nonconforming")
    OBSERVATION = "observation", _("Observation")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ChecklistItem(models.Model):
    """One question of an audit's checklist, on one clause, with its answer and the records
    that evidence it (``evidence_links``: references or web addresses typed by the auditor;
    ``live_evidence``: the clause's live checks as the auditor saw them when answering)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="checklist")
    clause = models.ForeignKey(
        "conformity.Clause", verbose_name=_("clause"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    question_en = models.TextField(_("question (English)"))
    question_zh = models.TextField(_("question (Chinese)"), blank=True)
    is_custom = models.BooleanField(_("added by the auditor"), default=False)
    result = models.CharField(
        _("result"), max_length=16, choices=ChecklistResult.choices, blank=True
    )
    notes = models.TextField(_("audit notes"), blank=True)
    evidence_links = models.JSONField(_("evidence"), default=list, blank=True)
    live_evidence = models.JSONField(_("live evidence"), default=list, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["audit", "position", "id"]
        verbose_name = _("checklist question")
        verbose_name_plural = _("checklist questions")

    def __str__(self):
        return f"{self.audit_id} {self.clause_id}: {self.question_en[:60]}"

    @property
    def question(self) -> str:
        chinese = (translation.get_language() or "").lower().startswith("zh")
        return self.question_zh if chinese and self.question_zh else self.question_en

    @property
    def is_answered(self) -> bool:
        return bool(self.result)


# --- Findings ----------------------------------------------------------------------------------


class FindingKind(models.TextChoices):
    MAJOR_NC = "major_nc", _("Major nonconformity")
    MINOR_NC = "minor_nc", _("Minor nonconformity")
    OBSERVATION = "observation", _("Observation")
    OFI = "ofi", _("Opportunity for improvement")


NONCONFORMITY_KINDS = (FindingKind.MAJOR_NC, FindingKind.MINOR_NC)


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTION_PLANNED = "action_planned", _("Action planned")
    CLOSED = "closed", _("Closed")


FS = FindingStatus
FINDING_TRANSITIONS: tuple[Transition, ...] = (
    Transition(FS.OPEN, FS.ACTION_PLANNED, _("Plan the action"), "action", "owner"),
    Transition(FS.OPEN, FS.CLOSED, _("Close"), "note_not_nc"),
    Transition(FS.ACTION_PLANNED, FS.CLOSED, _("Close: action verified"), "note"),
    Transition(FS.ACTION_PLANNED, FS.OPEN, _("Reject the action"), "reason"),
    Transition(FS.CLOSED, FS.OPEN, _("Reopen"), "reason"),
)


class FindingQuerySet(StaffOnlyQuerySet):
    def open(self):
        return self.exclude(status=FindingStatus.CLOSED)

    def overdue(self, today):
        """Findings not closed whose due date has passed (``today``: the provider's date)."""
        return self.open().filter(due_on__lt=today)


class Finding(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    audit = models.ForeignKey(
        Audit, verbose_name=_("audit"), on_delete=models.PROTECT, related_name="findings"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FindingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    clauses = models.ManyToManyField(
        "conformity.Clause", verbose_name=_("clauses"), blank=True, related_name="+"
    )
    checklist_item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("checklist question"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_findings",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    action_plan = models.TextField(_("action"), blank=True)
    status_note = models.TextField(_("status note"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    nonconformity_reference = models.CharField(_("nonconformity"), max_length=32, blank=True)
    improvement_reference = models.CharField(_("improvement"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-reference"]
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        indexes = [models.Index(fields=["status", "due_on"], name="evaluation_finding_due")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_nonconformity(self) -> bool:
        return self.kind in NONCONFORMITY_KINDS

    @property
    def is_open(self) -> bool:
        return self.status != FindingStatus.CLOSED

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today
