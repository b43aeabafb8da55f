"""Nonconformities and corrective and preventive actions (clause 10.1).

A *nonconformity* comes from any source (an audit finding, an incident or problem, a
complaint, a KPI breach, a management review…). It is contained (a correction), its root
cause analysed (five whys, or a fishbone over six categories), and corrected by *actions*
with owners and dates. Each action states how its effect will be verified: manually (a
verifier records the outcome with evidence), or by a *KPI condition* ("this KPI ≤ 1 for 3
consecutive months after the action was done") that ``improvement.verification`` checks
every day. The nonconformity closes once every action is verified effective; a failed
verification reopens it.

A *preventive* action has no nonconformity: it comes from a risk or a trend (``source`` and
``source_reference`` say which).

Both lifecycles are declared below as data; the services in ``services_nonconformities``
are the one way to move them. ``cause_key`` (when set) is unique among the records still
open, so a task that raises a record for a cause never raises a second one.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "ACTION_OPEN_STATUSES",
    "ACTION_TRANSITIONS",
    "COMPARATORS",
    "FISHBONE_CATEGORIES",
    "NC_CLOSED_STATUSES",
    "NC_TRANSITIONS",
    "Action",
    "ActionKind",
    "ActionQuerySet",
    "ActionStatus",
    "ActionVerification",
    "Comparator",
    "FishboneCategory",
    "Nonconformity",
    "NonconformityQuerySet",
    "NcSource",
    "NcStatus",
    "RcaMethod",
    "Severity",
    "Transition",
    "VerificationKind",
    "VerificationMethod",
    "action_transition_for",
    "action_transitions_from",
    "nc_transition_for",
]


class NcSource(models.TextChoices):
    INTERNAL_AUDIT = "internal_audit", _("Internal audit")
    EXTERNAL_AUDIT = "external_audit", _("External audit")
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    COMPLAINT = "complaint", _("Complaint")
    KPI = "kpi", _("KPI breach or trend")
    MANAGEMENT_REVIEW = "management_review", _("Management review")
    RISK = "risk", _("Risk")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class NcStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONTAINED = "contained", _("Contained")
    ANALYSED = "analysed", _("Root cause analysed")
    ACTIONS_IN_PROGRESS = "actions_in_progress", _("Actions in progress")
    VERIFYING = "verifying", _("Verifying effectiveness")
    CLOSED = "closed", _("Closed: effective")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")


NC_CLOSED_STATUSES = (NcStatus.CLOSED, NcStatus.CANCELLED)


class RcaMethod(models.TextChoices):
    FIVE_WHYS = "five_whys", _("Five whys")
    FISHBONE = "fishbone", _("Fishbone (cause and effect)")


class FishboneCategory(models.TextChoices):
    PEOPLE = "people", _("People")
    PROCESS = "process", _("Process")
    TECHNOLOGY = "technology", _("Technology")
    SUPPLIER = "supplier", _("Supplier")
    ENVIRONMENT = "environment", _("Environment")
    MEASUREMENT = "measurement", _("Measurement")


FISHBONE_CATEGORIES = tuple(FishboneCategory.values)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str
    # What the move needs: "containment", "analysis", "action" (a planned action),
    # "actions_done" (no action pending, one done), "verified" (every action verified
    # effective), "failed" (a verification found an action not effective), "reason" (a
    # note saying why), "done" (what was done and how it will be verified).
    needs: str = ""
    by_user: bool = True  # False: only the system moves it (following the actions)


N = NcStatus
_OPEN_NC = (N.OPEN, N.CONTAINED, N.ANALYSED, N.ACTIONS_IN_PROGRESS, N.VERIFYING, N.REOPENED)
NC_TRANSITIONS: tuple[Transition, ...] = (
    Transition(N.OPEN, N.CONTAINED, _("Record the containment"), "containment"),
    Transition(N.OPEN, N.ANALYSED, _("Record the root cause"), "analysis"),
    Transition(N.CONTAINED, N.ANALYSED, _("Record the root cause"), "analysis"),
    Transition(N.REOPENED, N.ANALYSED, _("Analyse the root cause again"), "analysis"),
    Transition(N.ANALYSED, N.ACTIONS_IN_PROGRESS, _("Plan an action"), "action", False),
    Transition(N.REOPENED, N.ACTIONS_IN_PROGRESS, _("Plan a new action"), "action", False),
    Transition(N.VERIFYING, N.ACTIONS_IN_PROGRESS, _("Plan another action"), "action", False),
    Transition(N.ACTIONS_IN_PROGRESS, N.VERIFYING, _("Every action done"), "actions_done", False),
    Transition(N.VERIFYING, N.CLOSED, _("Verified effective"), "verified", False),
    Transition(N.VERIFYING, N.REOPENED, _("Verification failed"), "failed", False),
    Transition(N.ACTIONS_IN_PROGRESS, N.REOPENED, _("Verification failed"), "failed", False),
    Transition(N.CLOSED, N.REOPENED, _("Reopen"), "reason"),
    *(Transition(source, N.CANCELLED, _("Cancel"), "reason") for source in _OPEN_NC),
)


def nc_transition_for(source: str, target: str) -> Transition | None:
    for transition in NC_TRANSITIONS:
        if transition.source == source and transition.target == target:
            return transition
    return None


class ActionKind(models.TextChoices):
    CORRECTIVE = "corrective", _("Corrective")
    PREVENTIVE = "preventive", _("Preventive")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done: awaiting verification")
    VERIFIED_EFFECTIVE = "verified_effective", _("Verified effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")
    CANCELLED = "cancelled", _("Cancelled")


A = ActionStatus
ACTION_OPEN_STATUSES = (A.PLANNED, A.IN_PROGRESS, A.DONE)  # not decided yet
ACTION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.PLANNED, A.IN_PROGRESS, _("Start")),
    Transition(A.PLANNED, A.DONE, _("Mark as done"), "done"),
    Transition(A.IN_PROGRESS, A.DONE, _("Mark as done"), "done"),
    Transition(A.DONE, A.VERIFIED_EFFECTIVE, _("Verified effective"), "verified", False),
    Transition(A.DONE, A.NOT_EFFECTIVE, _("Not effective"), "failed", False),
    Transition(A.PLANNED, A.CANCELLED, _("Cancel"), "reason"),
    Transition(A.IN_PROGRESS, A.CANCELLED, _("Cancel"), "reason"),
    Transition(A.DONE, A.CANCELLED, _("Cancel"), "reason"),
)


def action_transition_for(source: str, target: str) -> Transition | None:
    for transition in ACTION_TRANSITIONS:
        if transition.source == source and transition.target == target:
            return transition
    return None


def action_transitions_from(source: str) -> list[Transition]:
    """The moves a person may make from ``source`` (verification outcomes are not here)."""
    return [t for t in ACTION_TRANSITIONS if t.source == source and t.by_user]


class VerificationMethod(models.TextChoices):
    MANUAL = "manual", _("Manual verification with evidence")
    KPI = "kpi", _("KPI condition")


class Comparator(models.TextChoices):
    LE = "<=", "≤"
    GE = ">=", "≥"
    LT = "<", "<"
    GT = ">", ">"


COMPARATORS = {
    Comparator.LE: lambda value, threshold: value <= threshold,
    Comparator.GE: lambda value, threshold: value >= threshold,
    Comparator.LT: lambda value, threshold: value < threshold,
    Comparator.GT: lambda value, threshold: value > threshold,
}


class NonconformityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's management-system records: staff read them, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def not_closed(self):
        return self.exclude(status__in=NC_CLOSED_STATUSES)

    def overdue(self, today):
        return self.not_closed().filter(due_on__lt=today)


class Nonconformity(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=NcSource.choices)
    source_reference = models.CharField(_("source reference"), max_length=100, blank=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR
    )
    clauses = models.ManyToManyField(
        "conformity.Clause", verbose_name=_("clauses"), blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_nonconformities",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=NcStatus.choices, default=NcStatus.OPEN
    )
    status_note = models.TextField(_("status note"), blank=True)
    containment = models.TextField(_("containment and correction"), blank=True)
    contained_on = models.DateField(_("contained on"), null=True, blank=True)
    rca_method = models.CharField(
        _("analysis method"), max_length=10, choices=RcaMethod.choices, blank=True
    )
    # five whys: [{"why": "...", "answer": "..."}] in order
    rca_whys = models.JSONField(_("five whys"), default=list, blank=True)
    # fishbone: {"people": ["..."], "process": [...], ...} (the six categories)
    rca_fishbone = models.JSONField(_("fishbone"), default=dict, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    analysed_on = models.DateField(_("analysed on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Set by whatever raised it for a cause (e.g. "kpi:response-within-sla:org-3"): unique
    # among the nonconformities not closed, so the same cause is never raised twice.
    cause_key = models.CharField(_("cause key"), max_length=200, blank=True)
    raised_on = models.DateField(_("raised on"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = NonconformityQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_on", "-reference"]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"],
                condition=~Q(cause_key="") & ~Q(status__in=["closed", "cancelled"]),
                name="improvement_nc_cause_key_open_unique",
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="improvement_nc_status_due")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status in NC_CLOSED_STATUSES

    def is_overdue(self, today) -> bool:
        return not self.is_closed and self.due_on is not None and self.due_on < today

    def fishbone_rows(self) -> list[tuple[str, list[str]]]:
        """(category label, causes) for each of the six categories, in order."""
        return [
            (FishboneCategory(key).label, list((self.rca_fishbone or {}).get(key, [])))
            for key in FISHBONE_CATEGORIES
        ]


class ActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def not_decided(self):
        return self.filter(status__in=ACTION_OPEN_STATUSES)

    def overdue(self, today):
        return self.filter(status__in=(A.PLANNED, A.IN_PROGRESS), due_on__lt=today)

    def awaiting_kpi(self):
        """Done actions whose effect a KPI condition verifies: what the daily check reads."""
        return self.filter(status=A.DONE, verification_method=VerificationMethod.KPI)


class Action(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ActionKind.choices)
    nonconformity = models.ForeignKey(
        Nonconformity,
        verbose_name=_("nonconformity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    # A preventive action says where it comes from (a risk, a KPI trend...).
    source = models.CharField(_("source"), max_length=20, choices=NcSource.choices, blank=True)
    source_reference = models.CharField(_("source reference"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_improvement_actions",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    status_note = models.TextField(_("status note"), blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    verification_method = models.CharField(
        _("verification"), max_length=8, choices=VerificationMethod.choices, blank=True
    )
    verification_plan = models.TextField(_("how the effect will be verified"), blank=True)
    kpi = models.ForeignKey(
        "evaluation.KpiDefinition",
        verbose_name=_("KPI"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kpi_slice = models.JSONField(_("KPI slice"), default=dict, blank=True)
    kpi_comparator = models.CharField(
        _("comparison"), max_length=2, choices=Comparator.choices, blank=True
    )
    kpi_threshold = models.DecimalField(
        _("threshold"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    kpi_periods = models.PositiveSmallIntegerField(_("consecutive periods"), null=True, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    cause_key = models.CharField(_("cause key"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "reference"]
        verbose_name = _("corrective or preventive action")
        verbose_name_plural = _("corrective and preventive actions")
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"],
                condition=~Q(cause_key="") & Q(status__in=["planned", "in_progress", "done"]),
                name="improvement_action_cause_key_open_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="preventive") | Q(nonconformity__isnull=False),
                name="improvement_action_corrective_has_nc",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="improvement_action_status_due"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_decided(self) -> bool:
        return self.status not in ACTION_OPEN_STATUSES

    def is_overdue(self, today) -> bool:
        return (
            self.status in (A.PLANNED, A.IN_PROGRESS)
            and bool(self.due_on)
            and (self.due_on < today)
        )

    def condition_text(self) -> str:
        """The KPI condition in words, e.g. "P1 incidents ≤ 1 per month, 3 periods in a row"."""
        if self.verification_method != VerificationMethod.KPI or self.kpi_id is None:
            return ""
        slice_text = ", ".join(f"{k}={v}" for k, v in sorted((self.kpi_slice or {}).items()))
        return gettext(
            "%(kpi)s%(slice)s %(op)s %(threshold)s per %(period)s, %(n)s periods in a row"
        ) % {
            "kpi": self.kpi.name,
            "slice": f" ({slice_text})" if slice_text else "",
            "op": Comparator(self.kpi_comparator).label if self.kpi_comparator else "?",
            "threshold": _number(self.kpi_threshold) + _unit(self.kpi.unit),
            "period": self.kpi.get_period_display().lower(),
            "n": self.kpi_periods,
        }


def _unit(unit: str) -> str:
    """The unit after a number: "95%", "3 tickets" (none for a unit that reads badly)."""
    if unit == "%":
        return "%"
    return f" {unit}" if unit and unit != "per_1000" else ""


def _number(value) -> str:
    if value is None:
        return "?"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class VerificationKind(models.TextChoices):
    PERIOD = "period", _("KPI period checked")
    DECISION = "decision", _("Verification outcome")


class ActionVerification(models.Model):
    """The verification history of an action: one row per KPI period checked (its value
    against the threshold), and one row for the outcome (effective or not), manual or KPI."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="verifications")
    kind = models.CharField(_("kind"), max_length=10, choices=VerificationKind.choices)
    checked_on = models.DateField(_("checked on"))
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    # A period: True met, False missed, None no data. A decision: True effective.
    met = models.BooleanField(_("met"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    evidence_note = models.TextField(_("evidence"), blank=True)
    evidence_link = models.URLField(_("evidence link"), max_length=500, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["action", "kind", "period_start", "id"]
        verbose_name = _("action verification")
        verbose_name_plural = _("action verifications")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "period_start"],
                condition=Q(kind="period"),
                name="improvement_verification_period_unique",
            )
        ]

    def __str__(self):
        return f"{self.action_id} {self.kind} {self.checked_on}"
