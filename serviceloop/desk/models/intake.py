"""Monitoring intake: the per-source tokens that may post alerts, and the alerts they delivered.

A ``MonitoredAlert`` ties one occurrence of an alert (its fingerprint, from firing until it
is resolved) to the incident raised for it. The conditional unique constraint allows one
*open* row per organisation and fingerprint, so concurrent senders of the same alert cannot
raise two incidents: the second insert fails and joins the first row instead.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

TOKEN_PREFIX = "sli_"  # noqa: S105 (a marker that shows what the secret is, not a secret)


class IntakeSource(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    ZABBIX = "zabbix", _("Zabbix")
    GENERIC = "generic", _("Generic JSON webhook")


class OnResolved(models.TextChoices):
    RESOLVE = "resolve", _("Resolve the incident")
    ANNOTATE = "annotate", _("Only add an internal note")


class IntakeTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_secret(self, secret: str):
        """The active token whose secret this is, or None (looked up by its hash)."""
        if not secret or len(secret) > 200:
            return None
        return (
            self.active()
            .select_related("organisation", "requester", "category", "team")
            .filter(token_hash=IntakeToken.hash_secret(secret))
            .first()
        )


class IntakeToken(models.Model):
    """A bearer token one monitoring system sends with its alerts. Only the SHA-256 of the
    secret is stored; the secret is shown once, when the token is created."""

    source = models.CharField(_("source"), max_length=16, choices=IntakeSource.choices)
    name = models.CharField(_("name"), max_length=80, unique=True)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The incidents raised from these alerts belong to this organisation."),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The person of that organisation recorded as the incidents' requester."),
    )
    category = models.ForeignKey(
        "desk.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    on_resolved = models.CharField(
        _("when the alert resolves"),
        max_length=16,
        choices=OnResolved.choices,
        default=OnResolved.RESOLVE,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = IntakeTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("intake token")
        verbose_name_plural = _("intake tokens")

    def __str__(self):
        return f"{self.name} ({self.source})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def new_secret() -> str:
        """A fresh secret: the prefix and 256 random bits, URL-safe."""
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class AlertState(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class MonitoredAlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def visible_to(self, user):
        """Provider staff see the alerts behind incidents; customers read their incidents."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class MonitoredAlert(models.Model):
    """One occurrence of an alert and the incident raised for it.

    Open (``closed_at`` empty) while it is the row that new notifications of its fingerprint
    update; closed when its incident is resolved by the alert or found no longer open. A
    firing after that opens a new row and a new incident, linked to the previous one.
    """

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    token = models.ForeignKey(
        IntakeToken, verbose_name=_("intake token"), on_delete=models.PROTECT, related_name="alerts"
    )
    source = models.CharField(_("source"), max_length=16, choices=IntakeSource.choices)
    # Namespaced by source: "alertmanager:<fp>", "zabbix:trigger:<id>", "generic:<src>:<fp>".
    fingerprint = models.CharField(_("fingerprint"), max_length=300)
    ticket = models.ForeignKey(
        "desk.Ticket",
        verbose_name=_("incident"),
        null=True,  # only inside the creating transaction, before the incident exists
        on_delete=models.PROTECT,
        related_name="monitored_alerts",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous occurrence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices)
    severity = models.CharField(_("severity"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("started"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ended"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first received"))
    last_seen_at = models.DateTimeField(_("last received"))
    received_count = models.PositiveIntegerField(_("notifications received"), default=1)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = MonitoredAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        verbose_name = _("monitored alert")
        verbose_name_plural = _("monitored alerts")
        indexes = [
            models.Index(
                fields=["organisation", "fingerprint", "-first_seen_at"],
                name="monitored_alert_history",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fingerprint"],
                condition=Q(closed_at__isnull=True),
                name="monitored_alert_one_open",
            )
        ]

    def __str__(self):
        return f"{self.fingerprint} ({self.state})"
