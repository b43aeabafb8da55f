"""Problems (clause 8.6.3), their history, and the proposals raised by recurring incidents.

A problem is a *known error* while its status is "known error", or while it carries a
published workaround and is not closed: agents find those in the known-error database.
The lifecycle is declared as data below; ``problem_transition`` is the one way to move it.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Under investigation")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_PROBLEM_STATUSES = frozenset(
    {ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR}
)

# Who moves a problem: ``agent`` is staff who work operational records (the operate
# capability); ``manager`` is the problem manager (the lead capability, or the lead of a team).
PROBLEM_AGENT, PROBLEM_MANAGER = "agent", "manager"


@dataclass(frozen=True)
class ProblemTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]
    # what the move asks for: "" nothing, "resolution", "accepted_risk" (risk + justification)
    needs: str = ""


def _pt(source, target, label, *who, needs=""):
    return ProblemTransition(source, target, label, frozenset(who), needs)


P = ProblemStatus
BOTH = (PROBLEM_AGENT, PROBLEM_MANAGER)
PROBLEM_TRANSITIONS: tuple[ProblemTransition, ...] = (
    _pt(P.NEW, P.INVESTIGATING, _("Start investigation"), *BOTH),
    *(
        _pt(source, P.KNOWN_ERROR, _("Record as known error"), *BOTH)
        for source in (P.NEW, P.INVESTIGATING)
    ),
    _pt(P.KNOWN_ERROR, P.INVESTIGATING, _("Back to investigation"), *BOTH),
    *(
        _pt(source, P.RESOLVED, _("Resolve"), *BOTH, needs="resolution")
        for source in (P.NEW, P.INVESTIGATING, P.KNOWN_ERROR)
    ),
    _pt(P.RESOLVED, P.INVESTIGATING, _("Reopen"), *BOTH),
    _pt(P.RESOLVED, P.CLOSED, _("Close"), PROBLEM_MANAGER),
    *(
        _pt(
            source, P.CLOSED, _("Close, accepting the risk"), PROBLEM_MANAGER, needs="accepted_risk"
        )
        for source in (P.NEW, P.INVESTIGATING, P.KNOWN_ERROR)
    ),
)


def problem_transition_for(source: str, target: str, role: str | None) -> ProblemTransition | None:
    """The declared move from ``source`` to ``target`` that ``role`` may make, if any."""
    for t in PROBLEM_TRANSITIONS:
        if t.source == source and t.target == target and role in t.who:
            return t
    return None


def problem_transitions_from(source: str, role: str | None) -> list[ProblemTransition]:
    """The moves ``role`` may make from ``source``, one per target, in declaration order."""
    seen, moves = set(), []
    for t in PROBLEM_TRANSITIONS:
        if t.source == source and role in t.who and t.target not in seen:
            seen.add(t.target)
            moves.append(t)
    return moves


class Fishbone(models.TextChoices):
    """The cause categories of the fishbone (Ishikawa) diagram."""

    PEOPLE = "people", _("People")
    PROCESS = "process", _("Process")
    TECHNOLOGY = "technology", _("Technology")
    SUPPLIERS = "suppliers", _("Suppliers")
    ENVIRONMENT = "environment", _("Environment")
    OTHER = "other", _("Other")


class ProblemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Problems are the provider's own records: staff see them all, customers none."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def open(self):
        return self.filter(status__in=OPEN_PROBLEM_STATUSES)

    def known_errors(self):
        """Problems in "known error", or not closed and with a published workaround."""
        return self.filter(
            Q(status=ProblemStatus.KNOWN_ERROR)
            | (Q(workaround_published=True) & ~Q(workaround="") & ~Q(status=ProblemStatus.CLOSED))
        )


class Problem(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service = models.CharField(_("service"), max_length=120, blank=True)
    category = models.ForeignKey(
        "desk.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_problems",
    )
    incidents = models.ManyToManyField(
        "desk.Ticket",
        verbose_name=_("incidents"),
        through="desk.ProblemIncident",
        related_name="problems",
        blank=True,
    )
    # Root-cause analysis, as structured text.
    five_whys = models.JSONField(
        _("five whys"), default=list, blank=True, help_text=_('[{"why": ..., "answer": ...}]')
    )
    fishbone = models.JSONField(
        _("fishbone"), default=dict, blank=True, help_text=_("cause category → text")
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    workaround_published = models.BooleanField(
        _("workaround published"),
        default=False,
        help_text=_("Agents find a published workaround in the known-error database."),
    )
    resolution = models.TextField(_("resolution"), blank=True)
    accepted_risk = models.TextField(_("accepted risk"), blank=True)
    risk_justification = models.TextField(_("justification of the accepted risk"), blank=True)
    risk_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("risk accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    known_error_at = models.DateTimeField(_("known error since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [models.Index(fields=["status", "-created_at"], name="problem_status_recent")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROBLEM_STATUSES

    @property
    def is_known_error(self) -> bool:
        return self.status == ProblemStatus.KNOWN_ERROR or (
            self.workaround_published
            and bool(self.workaround)
            and self.status != ProblemStatus.CLOSED
        )

    def fishbone_rows(self) -> list[tuple[str, str]]:
        """(category label, text) for the categories that have text, in declared order."""
        return [
            (label, self.fishbone.get(value, ""))
            for value, label in Fishbone.choices
            if (self.fishbone or {}).get(value)
        ]


class ProblemIncident(models.Model):
    """An incident linked to a problem: who linked it and when (evidence for 8.6.3)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="problem_links"
    )
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problem_incident_unique")
        ]

    def __str__(self):
        return f"{self.problem_id} ← {self.incident_id}"


class ProblemEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    UPDATED = "updated", _("Details changed")
    LINKED = "linked", _("Incidents linked")
    UNLINKED = "unlinked", _("Incident unlinked")


class ProblemEvent(models.Model):
    """The problem's history, shown on its page."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=ProblemEventKind.choices)
    from_value = models.CharField(max_length=120, blank=True)
    to_value = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["problem", "at", "id"])]

    def __str__(self):
        return f"{self.problem_id} {self.kind}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class ProposalRule(models.TextChoices):
    SERVICE_CATEGORY = "service_category", _("Same service and category")
    SIMILAR_TITLES = "similar_titles", _("Similar titles")


class ProblemProposalQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def pending(self):
        return self.filter(status=ProposalStatus.PROPOSED)


class ProblemProposal(models.Model):
    """A cluster of recurring incidents proposed as a problem to the problem managers.

    ``key`` names the cluster (``service-category:<category id>:<service>`` or
    ``similar-titles:<shared tokens>``); it is unique, so a cluster is proposed once: later
    runs add the cluster's new incidents to its proposal, and a dismissed key stays dismissed.
    """

    key = models.CharField(_("cluster"), max_length=200, unique=True)
    rule = models.CharField(_("rule"), max_length=20, choices=ProposalRule.choices)
    label = models.CharField(_("cluster"), max_length=200)
    suggested_title = models.CharField(_("suggested title"), max_length=200)
    service = models.CharField(_("service"), max_length=120, blank=True)
    category = models.ForeignKey(
        "desk.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    incidents = models.ManyToManyField(
        "desk.Ticket", verbose_name=_("incidents"), related_name="problem_proposals"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    first_detected_at = models.DateTimeField(_("first detected"))
    last_detected_at = models.DateTimeField(_("last detected"))
    problem = models.OneToOneField(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposal",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(_("reason for dismissal"), blank=True)

    objects = ProblemProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-last_detected_at", "-id"]
        verbose_name = _("problem proposal")
        verbose_name_plural = _("problem proposals")

    def __str__(self):
        return self.label
