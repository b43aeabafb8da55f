"""Per-user notifications and their deliveries over channels (in-app, e-mail, webhooks)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A notification is its recipient's alone."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Same key, same recipient: notified once only (warnings, escalations, reminders).
    dedupe_key = models.CharField(max_length=200, blank=True)
    # Extra e-mail headers (threading: Message-ID, In-Reply-To, References, Reply-To); a
    # value may hold "{notification_id}", filled in when the e-mail is built.
    email_headers = models.JSONField(default=dict, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self):
        return self.subject


class Delivery(models.Model):
    """One attempt record per notification and outbound channel; retried by the queue."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=32)
    address = models.CharField(_("address"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker began sending
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_unique")
        ]

    def __str__(self):
        return f"{self.channel} → {self.address}: {self.status}"
