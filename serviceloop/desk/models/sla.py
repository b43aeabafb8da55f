"""SLA policies and their published, immutable versions."""

from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.desk.sla_clock import ClockPolicy, Targets


class SlaPolicy(models.Model):
    """Which tickets a policy covers. Its targets live in versions; the newest published
    version applies to tickets created from then on."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    rank = models.PositiveIntegerField(
        _("rank"), default=100, help_text=_("Lower ranks are tried first; the first match applies.")
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every customer."),
    )
    service = models.CharField(
        _("service"), max_length=120, blank=True, help_text=_("Empty: every service.")
    )
    kinds = models.JSONField(
        _("ticket types"), default=list, blank=True, help_text=_("Empty: all.")
    )
    priorities = models.JSONField(
        _("priorities"), default=list, blank=True, help_text=_("Empty: all.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["rank", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return self.name

    def matches(self, *, organisation_id, service: str, kind: str, priority: str) -> bool:
        return (
            (self.organisation_id is None or self.organisation_id == organisation_id)
            and (not self.service or self.service == service)
            and (not self.kinds or kind in self.kinds)
            and (not self.priorities or priority in self.priorities)
        )


def validate_targets(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError(_("Targets map each priority to its minutes."))
    for priority, target in value.items():
        if priority not in ("P1", "P2", "P3", "P4") or not isinstance(target, dict):
            raise ValidationError(_("Targets map each priority (P1–P4) to its minutes."))
        for key, minutes in target.items():
            if key not in ("response", "resolution", "update"):
                raise ValidationError(_("Unknown target: %(key)s.") % {"key": key})
            if minutes is not None and (not isinstance(minutes, int) or minutes <= 0):
                raise ValidationError(_("Target minutes are positive whole numbers."))


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", _("Notify the team lead")
    REASSIGN = "reassign", _("Notify and reassign to the team lead")
    RAISE_PRIORITY = "raise_priority", _("Notify and raise the priority one step")


def default_pause_statuses():
    return ["waiting_customer", "waiting_supplier", "pending_approval"]


class SlaPolicyVersion(models.Model):
    """One published state of a policy. Never edited after publishing: a ticket keeps the
    version it matched at creation, so history does not move when a policy changes."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    calendar = models.ForeignKey(
        "core.Calendar", verbose_name=_("calendar"), on_delete=models.PROTECT
    )
    targets = models.JSONField(_("targets (minutes)"), validators=[validate_targets])
    warn_percent = models.PositiveSmallIntegerField(_("warn at (%)"), default=75)
    pause_statuses = models.JSONField(
        _("pause in statuses"), default=default_pause_statuses, blank=True
    )
    escalation = models.CharField(
        _("on breach"),
        max_length=20,
        choices=EscalationAction.choices,
        default=EscalationAction.NOTIFY,
    )
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["policy", "-number"]
        verbose_name = _("SLA policy version")
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="sla_policy_version_unique")
        ]

    def __str__(self):
        return f"{self.policy} v{self.number}"

    def clock_policy(self) -> ClockPolicy:
        """The clock's view of this version: targets in seconds, pauses, warning fraction.

        Kept on the instance: a published version never changes."""
        cached = self.__dict__.get("_clock_policy")
        if cached is not None:
            return cached
        targets = {
            priority: Targets(
                response=_seconds(target.get("response")),
                resolution=_seconds(target.get("resolution")),
                update=_seconds(target.get("update")),
            )
            for priority, target in self.targets.items()
        }
        policy = ClockPolicy(
            targets=targets,
            pause_statuses=frozenset(self.pause_statuses),
            warn_fraction=Fraction(self.warn_percent, 100),
        )
        self.__dict__["_clock_policy"] = policy
        return policy


def _seconds(minutes):
    return None if minutes is None else int(minutes) * 60
