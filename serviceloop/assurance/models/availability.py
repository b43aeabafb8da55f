"""Availability (clause 8.7.1): the provider's fallback targets, outages and their history, and
the single points of failure found in the CMDB.

An outage is an interval ``[start, end)`` (``end`` empty while it lasts) during which a service
was unavailable to some or all of its customers. Availability itself is never stored: it is
computed for any period from the outages and the service-hours calendar
(``serviceloop.assurance.availability``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.lifecycle import FindingStatus
from serviceloop.core.roles import Capability

__all__ = [
    "AvailabilityTarget",
    "Outage",
    "OutageEvent",
    "OutageEventKind",
    "OutageKind",
    "OutageQuerySet",
    "OutageSource",
    "SpofFinding",
]


class StaffQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's records: staff see them all; to anyone else they do not exist."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class AvailabilityTarget(models.Model):
    """The provider's own availability target for a service, used when no SLA in force sets
    one (``relationship.queries_agreements.availability_target``)."""

    service = models.OneToOneField(
        "portfolio.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="availability_target",
    )
    target_percent = models.DecimalField(
        _("availability target (%)"), max_digits=6, decimal_places=3
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("availability target")
        verbose_name_plural = _("availability targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_percent__gt=0) & Q(target_percent__lte=100),
                name="assurance_target_percent_range",
            )
        ]

    def __str__(self):
        return f"{self.service_id}: {self.target_percent}%"


class OutageKind(models.TextChoices):
    UNPLANNED = "unplanned", _("Unplanned")
    PLANNED = "planned", _("Planned maintenance")


class OutageSource(models.TextChoices):
    MAJOR_INCIDENT = "major_incident", _("Major incident")
    PLANNED_MAINTENANCE = "planned_maintenance", _("Change (planned maintenance)")
    MANUAL = "manual", _("Recorded by hand")


class OutageQuerySet(StaffQuerySet):
    def overlapping(self, start, end):
        """Outages that overlap ``[start, end)``; an open outage lasts until now and beyond."""
        return self.filter(start__lt=end).filter(Q(end__isnull=True) | Q(end__gt=start))

    def affecting(self, organisation):
        """Outages that affect ``organisation``: every customer's, or naming it."""
        named = Outage.customers.through.objects.filter(organisation_id=organisation.pk)
        return self.filter(Q(all_customers=True) | Q(pk__in=named.values("outage_id")))

    def ongoing(self):
        return self.filter(end__isnull=True)


class Outage(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    service = models.ForeignKey(
        "portfolio.Service", verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=OutageKind.choices, default=OutageKind.UNPLANNED
    )
    source = models.CharField(
        _("source"), max_length=24, choices=OutageSource.choices, default=OutageSource.MANUAL
    )
    ticket = models.ForeignKey(
        "desk.Ticket",
        verbose_name=_("major incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change = models.ForeignKey(
        "transition.ChangeRequest",
        verbose_name=_("change"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(
        _("end"), null=True, blank=True, help_text=_("Empty while it lasts.")
    )
    announced_at = models.DateTimeField(
        _("announced to customers"),
        null=True,
        blank=True,
        help_text=_("Planned maintenance announced before it starts is not downtime."),
    )
    all_customers = models.BooleanField(_("every entitled customer affected"), default=True)
    customers = models.ManyToManyField(
        "core.Organisation", verbose_name=_("affected customers"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = OutageQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        indexes = [
            models.Index(fields=["service", "start"], name="assurance_outage_service"),
            models.Index(fields=["start", "end"], name="assurance_outage_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="assurance_outage_end_after_start",
                violation_error_message=_("An outage ends after it starts."),
            ),
            models.UniqueConstraint(
                fields=["service", "ticket"],
                condition=Q(ticket__isnull=False),
                name="assurance_outage_once_per_incident",
                violation_error_message=_("This incident's outage of the service is recorded."),
            ),
            models.UniqueConstraint(
                fields=["service", "change"],
                condition=Q(change__isnull=False),
                name="assurance_outage_once_per_change",
                violation_error_message=_("This change's outage of the service is recorded."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_ongoing(self) -> bool:
        return self.end is None

    @property
    def is_announced(self) -> bool:
        """Planned and announced before it started (see ``counts_as_downtime``)."""
        return (
            self.kind == OutageKind.PLANNED
            and self.announced_at is not None
            and self.announced_at <= self.start
        )

    def counts_as_downtime(self, planned_as_downtime: bool | None = None) -> bool:
        """Unplanned outages always count. Planned maintenance counts unless it was announced
        before it started, or always when ``AVAILABILITY_PLANNED_AS_DOWNTIME`` is on."""
        if planned_as_downtime is None:
            planned_as_downtime = settings.AVAILABILITY_PLANNED_AS_DOWNTIME
        return planned_as_downtime or not self.is_announced


class OutageEventKind(models.TextChoices):
    CREATED = "created", _("Recorded")
    ADJUSTED = "adjusted", _("Times adjusted")
    ENDED = "ended", _("Ended")
    CUSTOMERS = "customers", _("Affected customers changed")
    DETAILS = "details", _("Details changed")


class OutageEvent(models.Model):
    """The outage's history: one row per change, beside its audit row."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=OutageEventKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("outage event")

    def __str__(self):
        return f"{self.outage_id} {self.kind}"


class SpofFinding(models.Model):
    """A configuration item a live service depends on without a redundant peer (see
    ``services_spof.spof_detect`` for the rule)."""

    service = models.ForeignKey(
        "portfolio.Service", verbose_name=_("service"), on_delete=models.CASCADE, related_name="+"
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        verbose_name=_("configuration item"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    path = models.JSONField(_("dependency path"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The risk register entry that treats it, named by hand before the register's risks
    # named the finding they were raised for: no longer written, shown while none does.
    risk_reference = models.CharField(_("risk register entry"), max_length=40, blank=True)
    detected_at = models.DateTimeField(_("detected"))
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["status", "service__name", "configuration_item__name", "id"]
        verbose_name = _("single point of failure")
        verbose_name_plural = _("single points of failure")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "configuration_item"], name="assurance_spof_once"
            )
        ]

    def __str__(self):
        return f"{self.service_id} ← {self.configuration_item_id}"
