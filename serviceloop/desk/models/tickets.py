"""Incidents and service requests, their history, replies, notes and links."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.models import OrganisationKind, Team
from serviceloop.core.roles import Capability
from serviceloop.desk.lifecycle import OPEN_STATUSES, Status
from serviceloop.desk.models.config import Category, Impact, Priority, Urgency


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    AGENT = "agent", _("Agent")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


def confidential_cleared(user) -> Q:
    """Which confidential tickets ``user`` may see, as a filter: every ticket that is not
    confidential, those that name him, and (provider staff in the ``SECURITY_TEAM`` team) all.
    Subqueries, not joins: no duplicate rows and no extra query."""
    named = Ticket.confidential_viewers.through.objects.filter(user_id=user.pk)
    rule = Q(confidential=False) | Q(pk__in=named.values("ticket_id"))
    if settings.SECURITY_TEAM and user.has_capability(Capability.STAFF):
        rule |= Exists(
            Team.members.through.objects.filter(
                user_id=user.pk,
                team__name=settings.SECURITY_TEAM,
                team__is_active=True,
                team__organisation__kind=OrganisationKind.PROVIDER,
            )
        )
    return rule


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every ticket; a customer manager his organisation's; a customer user
        the tickets he raised or watches. A confidential ticket (a security incident) is
        seen only by the security team and the people named on it (``confidential_cleared``),
        whatever their role."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self.filter(confidential_cleared(user))
        mine = self.filter(organisation_id=user.organisation_id).filter(confidential_cleared(user))
        if user.has_capability(Capability.ORG_WIDE):
            return mine
        # A subquery rather than a join with DISTINCT: both indexes stay usable.
        watched = Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")
        return mine.filter(Q(requester=user) | Q(pk__in=watched))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def naming_services(self, services):
        """Tickets whose free-text ``service`` names one of the portfolio ``services``: equal
        to its code or to its name, ignoring case only (never a part of either: "CRM" is not
        "CRM Mobile"). No service given: none."""
        match = Q()
        for service in services:
            for name in {service.code, service.name}:
                if name:
                    match |= Q(service__iexact=name)
        return self.filter(match) if match else self.none()

    def breaching_before(self, instant):
        """Open tickets whose running resolution or response clock is due before ``instant``."""
        return self.open().filter(Q(resolution_due_at__lt=instant) | Q(response_due_at__lt=instant))


class Ticket(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.INCIDENT)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service = models.CharField(_("service"), max_length=120, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Impact.choices, default=Impact.MINOR
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P4
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("watchers"),
        blank=True,
        related_name="watched_tickets",
    )
    is_major = models.BooleanField(_("major incident"), default=False)
    # A security incident's ticket: only the security team and these people see it (visible_to).
    confidential = models.BooleanField(_("confidential"), default=False)
    confidential_viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cleared to see it"),
        blank=True,
        related_name="confidential_tickets",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.AGENT
    )
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    request_type = models.ForeignKey(
        "desk.RequestType",
        verbose_name=_("request type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    form_data = models.JSONField(_("request details"), default=dict, blank=True)
    csat_score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    csat_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    # The SLA clock, denormalised for queries; always recomputed by desk.sla.ticket_sla_refresh.
    sla_version = models.ForeignKey(
        "desk.SlaPolicyVersion",
        verbose_name=_("SLA"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, db_index=True
    )
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    response_met_at = models.DateTimeField(null=True, blank=True)
    resolution_met_at = models.DateTimeField(null=True, blank=True)
    response_breached = models.BooleanField(_("first response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)
    sla_paused = models.BooleanField(_("SLA paused"), default=False)
    paused_seconds = models.PositiveIntegerField(_("paused (business seconds)"), default=0)
    next_update_due_at = models.DateTimeField(_("next update due"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_recent"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_queue"),
            models.Index(
                fields=["assignee", "status", "-created_at"], name="ticket_assignee_queue"
            ),
            models.Index(fields=["organisation", "-created_at"], name="ticket_org_recent"),
            # the few confidential tickets (security incidents), for search's exclusion list
            models.Index(fields=["id"], condition=Q(confidential=True), name="ticket_confidential"),
            # the KPI engine's periods: tickets resolved, closed or rated in a month
            models.Index(
                fields=["resolved_at"],
                condition=Q(resolved_at__isnull=False),
                name="ticket_resolved_at",
            ),
            models.Index(
                fields=["closed_at"], condition=Q(closed_at__isnull=False), name="ticket_closed_at"
            ),
            models.Index(
                fields=["csat_at"], condition=Q(csat_at__isnull=False), name="ticket_csat_at"
            ),
            # one customer's tickets resolved in a period (KPIs per customer, service reports)
            models.Index(
                fields=["organisation", "resolved_at"],
                condition=Q(resolved_at__isnull=False),
                name="ticket_org_resolved_at",
            ),
            # the few major incidents of a customer (service reports, review packs)
            models.Index(
                fields=["organisation", "created_at"],
                condition=Q(is_major=True),
                name="ticket_org_major",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ticket_idempotency_key_unique",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    APPROVAL = "approval", _("Approval")
    LINK = "link", _("Linked")
    WATCHERS = "watchers", _("Watchers changed")
    MAJOR = "major", _("Major-incident communication")
    RATING = "rating", _("Rated")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    ASSIGNED = "assigned", _("Assigned")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    FIELDS = "fields", _("Details changed")
    SLA = "sla", _("SLA")


class TicketEvent(models.Model):
    """The ticket's history: the SLA clock is replayed from these rows."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    from_value = models.CharField(max_length=120, blank=True)
    to_value = models.CharField(max_length=120, blank=True)
    # A public reply or update by the provider: stops the first-response clock.
    provider_response = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        indexes = [
            models.Index(fields=["ticket", "at", "id"]),
            # round-robin assignment: an agent's newest assignment (services.team_next_agent)
            models.Index(
                fields=["to_value", "at"],
                condition=models.Q(kind="assigned"),
                name="desk_event_assigned_idx",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.from_value}→{self.to_value}"


class Comment(models.Model):
    """A public reply (the customer sees it) or an internal note (staff only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("text"))
    is_public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField(_("written"))
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.AGENT)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")

    def __str__(self):
        return f"{self.ticket_id}: {self.body[:40]}"


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("duplicate of")
    CAUSED_BY = "caused_by", _("caused by")
    RELATED = "related", _("related to")


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("link"), max_length=16, choices=LinkKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique")
        ]

    def __str__(self):
        return f"{self.source_id} {self.kind} {self.target_id}"


class SlaAlert(models.Model):
    """A warning or breach already acted on: the unique row makes it happen once per ticket,
    target and threshold, whichever worker gets there first."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(max_length=16)  # response | resolution
    threshold = models.CharField(max_length=16)  # warning | breach
    due_at = models.DateTimeField()  # the due instant it was raised for
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "threshold", "due_at"], name="sla_alert_once"
            )
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.target} {self.threshold}"


class TicketPresence(models.Model):
    """Who has a ticket open right now: the page pings, others see a collision warning."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    editing = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_presence_unique")
        ]

    def __str__(self):
        return f"{self.user_id} on {self.ticket_id}"


class SavedView(models.Model):
    """An agent's own queue filter, kept under a name."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=500)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique")]

    def __str__(self):
        return self.name
