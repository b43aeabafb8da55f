"""Reminders already sent: the unique row makes each one happen once, whichever worker gets
there first (the notification is written in the same transaction as the row)."""

from django.db import models


class ReminderSent(models.Model):
    kind = models.CharField(max_length=40)  # continuity_test_due | security_notify_due
    object_id = models.PositiveBigIntegerField()
    due = models.CharField(max_length=40)  # the due date or instant it was sent for (ISO)
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "due"], name="assurance_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id} {self.due}"
