"""Communication (clause 7.4): the communication plan — what is communicated, to whom, when
or how often, by whom and through which channel — and the record of each communication held
(date, summary, optional attachments through ``core.Attachment``)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "Channel",
    "CommunicationItem",
    "CommunicationRecord",
    "Frequency",
    "FREQUENCY_MONTHS",
]


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Every six months")
    YEARLY = "yearly", _("Yearly")
    AS_NEEDED = "as_needed", _("When an event calls for it")


# The months between two communications; weekly is handled in days, once / as needed have no
# next date of their own.
FREQUENCY_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    REPORT = "report", _("Report")
    PORTAL = "portal", _("Portal or intranet notice")
    CHAT = "chat", _("Chat group (WeCom, DingTalk, Feishu)")
    TRAINING = "training", _("Training or briefing")
    OTHER = "other", _("Other")


class CommunicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The provider's own plan: staff read it, nobody else."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(is_active=True, next_due__lt=today)


class CommunicationItem(models.Model):
    """One line of the communication plan."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    topic = models.CharField(_("what"), max_length=200)
    audience = models.CharField(_("audience"), max_length=200)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    timing = models.CharField(
        _("when"), max_length=200, blank=True, help_text=_("e.g. first Monday of the month")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="communication_items",
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    next_due = models.DateField(_("next due"), null=True, blank=True)
    last_held_on = models.DateField(_("last held"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = CommunicationQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("communication plan item")
        verbose_name_plural = _("communication plan")

    def __str__(self):
        return f"{self.reference} {self.topic}"

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_active and self.next_due is not None and self.next_due < today

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class CommunicationRecord(models.Model):
    """A communication held: when, and what was said."""

    item = models.ForeignKey(
        CommunicationItem,
        verbose_name=_("plan item"),
        on_delete=models.PROTECT,
        related_name="records",
    )
    held_on = models.DateField(_("held on"))
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"))

    objects = CommunicationQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("communication record")
        verbose_name_plural = _("communication records")

    def __str__(self):
        return f"{self.item.reference} {self.held_on:%Y-%m-%d}"
