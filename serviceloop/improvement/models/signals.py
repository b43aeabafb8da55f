"""Proposals raised automatically from operational signals (clauses 10.1 and 10.2).

Each signal kind has one ``SignalRule`` row (its on/off switch, its thresholds, its last
run); the detectors in ``services_signals`` read the operational records and raise a
``Proposal`` per cause: a nonconformity, a problem, a preventive action, or an action item
for the owner of the record concerned. ``Proposal.cause_key`` is unique, so a cause is
proposed once: a later run refreshes the evidence of a pending proposal and leaves accepted,
dismissed and done ones alone (a dismissed cause stays dismissed).

The lifecycle is declared below (``PROPOSAL_TRANSITIONS``); accepting a nonconformity,
problem or preventive-action proposal creates that record through its own service.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "OPEN_PROPOSAL_STATUSES",
    "PROPOSAL_TRANSITIONS",
    "SIGNALS",
    "Proposal",
    "ProposalKind",
    "ProposalQuerySet",
    "ProposalState",
    "ProposalTransition",
    "SignalKind",
    "SignalRule",
    "SignalSpec",
    "proposal_transition_for",
    "proposal_transitions_from",
    "signal_spec",
]


class ProposalKind(models.TextChoices):
    NONCONFORMITY = "nonconformity", _("Nonconformity")
    PROBLEM = "problem", _("Problem")
    PREVENTIVE_ACTION = "preventive_action", _("Preventive action")
    ACTION_ITEM = "action_item", _("Action item")


class SignalKind(models.TextChoices):
    KPI_MISSED = "kpi_missed", _("KPI missing its target")
    KPI_TREND = "kpi_trend", _("KPI trending toward its threshold")
    INCIDENT_CLUSTER = "incident_cluster", _("Recurring incidents")
    PROBLEM_RECURRENCE = "problem_recurrence", _("Problem recurring after closure")
    AGREEMENT_REVIEW = "agreement_review", _("SLA or OLA past its review date")
    DOCUMENT_REVIEW = "document_review", _("Document past its review date")
    TRAINING_LAPSED = "training_lapsed", _("Mandatory training lapsed")
    CONTINUITY_TEST = "continuity_test", _("Continuity test overdue")
    AUDIT_FINDING = "audit_finding", _("Audit finding overdue")


@dataclass(frozen=True)
class SignalSpec:
    """What a signal raises and which thresholds it reads (with their defaults and the
    words the settings screen shows). A threshold not named here is not used."""

    kind: str
    raises: str
    threshold: int
    threshold_label: str
    window_days: int | None = None
    window_label: str = ""
    margin_percent: int | None = None
    margin_label: str = ""
    help: str = ""
    enabled: bool = True  # the rule's switch when it is first created


GRACE = _("days past the due date before raising")
SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec(
        SignalKind.KPI_MISSED, ProposalKind.NONCONFORMITY, 3,
        _("consecutive periods missing the target"),
        help=_("A KPI whose stored value missed its target (warning or breach) for this many "
               "periods in a row proposes a nonconformity."),
    ),
    SignalSpec(
        SignalKind.KPI_TREND, ProposalKind.PREVENTIVE_ACTION, 3,
        _("periods in a row getting worse"),
        margin_percent=10, margin_label=_("within this percentage of the threshold"),
        help=_("A KPI that got worse period after period and whose latest value lies close to "
               "its next threshold (the target while it meets it, else the warning threshold) "
               "proposes a preventive action."),
    ),
    SignalSpec(
        SignalKind.INCIDENT_CLUSTER, ProposalKind.PROBLEM, 5, _("incidents at least"),
        window_days=30, window_label=_("within days"),
        help=_("Incidents of the same category and service, not linked to a problem, raised "
               "within the window, propose a problem. Off at first: the service desk's own "
               "daily recurrence check already proposes problems in its inbox; switch this on "
               "instead of it for other thresholds."),
        enabled=False,
    ),
    SignalSpec(
        SignalKind.PROBLEM_RECURRENCE, ProposalKind.NONCONFORMITY, 3,
        _("new incidents at least"), window_days=90, window_label=_("within days of closure"),
        help=_("A closed problem whose category (and service) has this many new incidents "
               "after its closure proposes a nonconformity: the fix did not hold."),
    ),
    SignalSpec(
        SignalKind.AGREEMENT_REVIEW, ProposalKind.ACTION_ITEM, 0, GRACE,
        help=_("An agreed SLA or OLA version past its review date: an action item for its "
               "account manager or team lead."),
    ),
    SignalSpec(
        SignalKind.DOCUMENT_REVIEW, ProposalKind.ACTION_ITEM, 0, GRACE,
        help=_("An effective document past its review date: an action item for its owner."),
    ),
    SignalSpec(
        SignalKind.TRAINING_LAPSED, ProposalKind.ACTION_ITEM, 0, GRACE,
        help=_("A certification that expired, in a competence the person's role requires: an "
               "action item for that person."),
    ),
    SignalSpec(
        SignalKind.CONTINUITY_TEST, ProposalKind.ACTION_ITEM, 0, GRACE,
        help=_("An active continuity plan whose test is overdue: an action item for the plan "
               "owner."),
    ),
    SignalSpec(
        SignalKind.AUDIT_FINDING, ProposalKind.ACTION_ITEM, 0, GRACE,
        help=_("An open audit finding past its due date: an action item for its owner."),
    ),
)  # fmt: skip


def signal_spec(kind: str) -> SignalSpec:
    for spec in SIGNALS:
        if spec.kind == kind:
            return spec
    raise KeyError(kind)


class SignalRule(models.Model):
    """One signal's switch and thresholds (one row per kind, seeded by
    ``services_signals.signal_rules_load``)."""

    kind = models.CharField(_("signal"), max_length=24, choices=SignalKind.choices, unique=True)
    enabled = models.BooleanField(_("on"), default=True)
    threshold = models.PositiveIntegerField(_("threshold"))
    window_days = models.PositiveIntegerField(_("window (days)"), null=True, blank=True)
    margin_percent = models.PositiveIntegerField(_("margin (%)"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    # {"raised": n, "refreshed": n, "resolved": n, "error": "..."} of the last run
    last_result = models.JSONField(_("last result"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        verbose_name = _("signal rule")
        verbose_name_plural = _("signal rules")

    def __str__(self):
        return str(SignalKind(self.kind).label) if self.kind in SignalKind.values else self.kind

    @property
    def spec(self) -> SignalSpec:
        return signal_spec(self.kind)

    @property
    def raises_label(self) -> str:
        return str(ProposalKind(self.spec.raises).label)


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")


OPEN_PROPOSAL_STATUSES = (ProposalState.PROPOSED, ProposalState.ACCEPTED)

# Who decides: ``manager`` (manage-system or administrator), ``problem_manager`` (the desk's
# problem managers, for problem proposals), ``owner`` (the owner of an action item).
MANAGER, PROBLEM_MANAGER, OWNER = "manager", "problem_manager", "owner"
ALL_KINDS = frozenset(ProposalKind.values)


@dataclass(frozen=True)
class ProposalTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]
    kinds: frozenset[str] = ALL_KINDS
    needs: str = ""  # "reason": a note saying why


def _pt(source, target, label, who, kinds=ALL_KINDS, needs=""):
    return ProposalTransition(source, target, label, frozenset(who), frozenset(kinds), needs)


P, K = ProposalState, ProposalKind
RECORDS = (K.NONCONFORMITY, K.PREVENTIVE_ACTION)
PROPOSAL_TRANSITIONS: tuple[ProposalTransition, ...] = (
    _pt(P.PROPOSED, P.ACCEPTED, _("Accept: raise the record"), {MANAGER}, RECORDS),
    _pt(P.PROPOSED, P.ACCEPTED, _("Accept: open the problem"), {MANAGER, PROBLEM_MANAGER},
        {K.PROBLEM}),
    _pt(P.PROPOSED, P.ACCEPTED, _("Take it on"), {MANAGER, OWNER}, {K.ACTION_ITEM}),
    _pt(P.PROPOSED, P.DONE, _("Mark as done"), {MANAGER, OWNER}, {K.ACTION_ITEM}),
    _pt(P.ACCEPTED, P.DONE, _("Mark as done"), {MANAGER, OWNER}, {K.ACTION_ITEM}),
    _pt(P.PROPOSED, P.DISMISSED, _("Dismiss"), {MANAGER}, RECORDS, needs="reason"),
    _pt(P.PROPOSED, P.DISMISSED, _("Dismiss"), {MANAGER, PROBLEM_MANAGER}, {K.PROBLEM},
        needs="reason"),
    _pt(P.PROPOSED, P.DISMISSED, _("Dismiss"), {MANAGER, OWNER}, {K.ACTION_ITEM},
        needs="reason"),
    _pt(P.ACCEPTED, P.DISMISSED, _("Dismiss"), {MANAGER, OWNER}, {K.ACTION_ITEM},
        needs="reason"),
)  # fmt: skip


def proposal_transition_for(kind: str, source: str, target: str, roles):
    """The declared move of a ``kind`` proposal that one of ``roles`` may make, if any."""
    for move in PROPOSAL_TRANSITIONS:
        same = (move.source, move.target) == (source, target)
        if same and kind in move.kinds and move.who & set(roles):
            return move
    return None


def proposal_transitions_from(kind: str, source: str, roles) -> list[ProposalTransition]:
    return [
        m
        for m in PROPOSAL_TRANSITIONS
        if m.source == source and kind in m.kinds and m.who & set(roles)
    ]


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own records: staff read them, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def pending(self):
        return self.filter(status=ProposalState.PROPOSED)

    def open(self):
        return self.filter(status__in=OPEN_PROPOSAL_STATUSES)


class Proposal(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    kind = models.CharField(_("proposes"), max_length=20, choices=ProposalKind.choices)
    signal = models.CharField(_("signal"), max_length=24, choices=SignalKind.choices)
    cause_key = models.CharField(_("cause"), max_length=200, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signal_proposals",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    # The figures that triggered it (JSON) and links to the records behind them.
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)  # [{"label", "url"}]
    # The record created on acceptance: its type, reference and page.
    record_type = models.CharField(_("record type"), max_length=40, blank=True)
    record_reference = models.CharField(_("record"), max_length=40, blank=True)
    record_url = models.CharField(max_length=300, blank=True)
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [models.Index(fields=["status", "kind"], name="improvement_proposal_status")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROPOSAL_STATUSES
