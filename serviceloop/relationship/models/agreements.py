"""Service level agreements and operational level agreements as documents (clause 8.3.3).

An agreement (an SLA with one or more customers, or an OLA between internal teams) is a
series of versions. A version moves draft → in review → agreed → superseded along the
declared table ``VERSION_TRANSITIONS``; agreeing a version supersedes the agreement's
previous agreed one in the same transaction, and a superseded version stays readable.

A version is *in force* on a day when it was agreed on or before that day, the day lies in
its validity (from/until), and it had not yet been superseded: the superseded version stays
in force until the day its successor takes effect (see ``AgreementVersionQuerySet.in_force``).
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.desk.models.config import Priority

__all__ = [
    "AGREEMENT_AUTHOR",
    "AGREEMENT_APPROVER",
    "AGREEMENT_SUBMITTER",
    "Agreement",
    "AgreementKind",
    "AgreementReviewReminder",
    "AgreementTarget",
    "AgreementVersion",
    "AgreementVersionEvent",
    "PUBLISHED_STATUSES",
    "TargetMetric",
    "TargetUnit",
    "VERSION_TRANSITIONS",
    "VersionStatus",
    "VersionTransition",
    "version_transition_for",
    "version_transitions_from",
]


class AgreementKind(models.TextChoices):
    SLA = "sla", _("Service level agreement (SLA)")
    OLA = "ola", _("Operational level agreement (OLA)")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    AGREED = "agreed", _("Agreed")
    SUPERSEDED = "superseded", _("Superseded")


# What a customer may read: agreed and superseded versions, never drafts or versions in review.
PUBLISHED_STATUSES = (VersionStatus.AGREED, VersionStatus.SUPERSEDED)

# Who moves a version: the ``submitter`` (an account manager of the agreement's customers, a
# lead of the OLA's teams, or a holder of the manage-system capability), the ``approver`` (the
# same people, except the version's author), and the ``system`` (superseding).
AGREEMENT_SUBMITTER, AGREEMENT_APPROVER, AGREEMENT_AUTHOR = "submitter", "approver", "author"
AGREEMENT_SYSTEM = "system"


@dataclass(frozen=True)
class VersionTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]


V = VersionStatus
VERSION_TRANSITIONS: tuple[VersionTransition, ...] = (
    VersionTransition(V.DRAFT, V.IN_REVIEW, _("Submit for review"), frozenset({"submitter"})),
    VersionTransition(
        V.IN_REVIEW, V.DRAFT, _("Return to draft"), frozenset({"submitter", "approver"})
    ),
    VersionTransition(V.IN_REVIEW, V.AGREED, _("Agree"), frozenset({"approver"})),
    VersionTransition(V.AGREED, V.SUPERSEDED, _("Supersede"), frozenset({AGREEMENT_SYSTEM})),
)


def version_transition_for(source: str, target: str, roles) -> VersionTransition | None:
    """The declared move from ``source`` to ``target`` that one of ``roles`` may make."""
    for move in VERSION_TRANSITIONS:
        if move.source == source and move.target == target and move.who & set(roles):
            return move
    return None


def version_transitions_from(source: str, roles) -> list[VersionTransition]:
    return [m for m in VERSION_TRANSITIONS if m.source == source and m.who & set(roles)]


def _no_one(user) -> bool:
    return not user.is_authenticated or not user.is_active


class AgreementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every agreement; a customer sees the SLAs naming his organisation that
        have at least one agreed or superseded version. OLAs are internal."""
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        published = AgreementVersion.objects.filter(
            agreement=models.OuterRef("pk"), status__in=PUBLISHED_STATUSES
        )
        return self.filter(
            kind=AgreementKind.SLA,
            pk__in=Agreement.objects.filter(customers=user.organisation_id).values("pk"),
        ).filter(models.Exists(published))


class Agreement(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=AgreementKind.choices)
    title = models.CharField(_("title"), max_length=200)
    customers = models.ManyToManyField(
        "core.Organisation",
        verbose_name=_("customers"),
        blank=True,
        related_name="service_agreements",
    )
    teams = models.ManyToManyField(
        "core.Team", verbose_name=_("teams"), blank=True, related_name="operational_agreements"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self):
        return f"{self.reference} {self.title}"


class AgreementVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every version; a customer the agreed and superseded versions of the SLAs
        naming his organisation."""
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(
            status__in=PUBLISHED_STATUSES,
            agreement__kind=AgreementKind.SLA,
            agreement__in=Agreement.objects.filter(customers=user.organisation_id),
        )

    def in_force(self, on_date):
        """Versions in force on ``on_date`` (a local date): agreed on or before it, valid on
        it, and not superseded by then."""
        return self.filter(
            status__in=PUBLISHED_STATUSES,
            agreed_on__lte=on_date,
            valid_from__lte=on_date,
        ).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on_date),
            Q(superseded_on__isnull=True) | Q(superseded_on__gt=on_date),
        )


class AgreementVersion(models.Model):
    """One version of an agreement's text, validity, services and targets. Editable while a
    draft; fixed from submission on (a change is a new version)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    review_on = models.DateField(_("next review"), null=True, blank=True)
    services = models.ManyToManyField(
        "portfolio.Service",
        verbose_name=_("services covered"),
        blank=True,
        related_name="agreement_versions",
    )
    body = models.TextField(_("text"), blank=True)  # sanitised HTML (clean_html)
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agreed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agreed_at = models.DateTimeField(_("agreed"), null=True, blank=True)
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    superseded_on = models.DateField(_("superseded from"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AgreementVersionQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "-number"]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="agreement_version_unique"
            ),
            # One version agreed at a time, and one being worked on (draft or in review).
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status="agreed"),
                name="agreement_one_agreed_version",
            ),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status__in=["draft", "in_review"]),
                name="agreement_one_open_version",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="agreement_version_validity_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.agreement.reference} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def body_html(self):
        """The text as safe HTML (cleaned when stored; cleaned again on the way out)."""
        from django.utils.safestring import mark_safe

        from serviceloop.core.sanitise import clean_html

        return mark_safe(clean_html(self.body))  # noqa: S308 - nh3 output


EVENT_LABELS = {
    "created": _("created"),
    "edited": _("edited"),
    "reviewed": _("reviewed, still stands"),
}


class AgreementVersionEvent(models.Model):
    """The history of a version: created, edited, each status move, reviews."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=20)  # created, edited, status, reviewed
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("agreement version event")

    def __str__(self):
        return f"{self.version_id} {self.kind} {self.from_status}→{self.to_status}"

    @property
    def summary(self) -> str:
        """What happened, as the reader says it ("Draft → In review", "reviewed")."""
        if self.kind == "status":
            return (
                f"{VersionStatus(self.from_status).label} → {VersionStatus(self.to_status).label}"
            )
        return str(EVENT_LABELS.get(self.kind, self.kind))


class TargetMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response time")
    RESOLUTION = "resolution", _("Resolution time")
    AVAILABILITY = "availability", _("Availability (%)")
    OTHER = "other", _("Other")


# The metrics the desk's SLA clock measures, and the target key of a policy version for each.
DESK_METRICS = {TargetMetric.FIRST_RESPONSE: "response", TargetMetric.RESOLUTION: "resolution"}


class TargetUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes (business time)")
    HOURS = "hours", _("hours (business time)")
    DAYS = "days", _("days")
    PERCENT = "percent", _("percent")
    COUNT = "count", _("count")
    OTHER = "other", _("other")


UNIT_MINUTES = {TargetUnit.MINUTES: Decimal(1), TargetUnit.HOURS: Decimal(60)}


class AgreementTarget(models.Model):
    """A measurable target of a version: a metric, a priority (blank: every priority), a value
    and its unit, and, for the desk's response and resolution times, the SLA policy (and
    version) that implements it."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=TargetMetric.choices)
    label = models.CharField(_("description"), max_length=200, blank=True)
    priority = models.CharField(
        _("priority"),
        max_length=4,
        blank=True,
        choices=Priority.choices,
        help_text=_("Empty: every priority."),
    )
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every service covered."),
    )
    target_value = models.DecimalField(_("target"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=10, choices=TargetUnit.choices)
    sla_policy = models.ForeignKey(
        "desk.SlaPolicy",
        verbose_name=_("desk SLA policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreement_targets",
    )
    sla_policy_version = models.ForeignKey(
        "desk.SlaPolicyVersion",
        verbose_name=_("desk SLA policy version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreement_targets",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]
        verbose_name = _("agreement target")
        verbose_name_plural = _("agreement targets")

    def __str__(self):
        return f"{self.get_metric_display()} {self.priority} {self.target_value} {self.unit}"

    @property
    def value_display(self) -> str:
        """The target without trailing zeros: 99.5, 30, 4."""
        return format(self.target_value.normalize(), "f")

    @property
    def value_in_minutes(self) -> Decimal | None:
        factor = UNIT_MINUTES.get(self.unit)
        return None if factor is None else self.target_value * factor


class AgreementReviewReminder(models.Model):
    """The claim of one review reminder: once per version and review date."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="review_reminders"
    )
    review_on = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "review_on"], name="agreement_review_remind_once"
            )
        ]

    def __str__(self):
        return f"{self.version_id} {self.review_on}"
