"""The configuration items a ticket concerns (affected CIs): the impact view of the CMDB turns
them into the services and customers the incident reaches."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketConfigurationItem(models.Model):
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="affected_items"
    )
    item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        verbose_name=_("configuration item"),
        on_delete=models.PROTECT,
        related_name="ticket_links",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added"))

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("affected configuration item")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "item"], name="ticket_affected_item_once")
        ]

    def __str__(self):
        return f"{self.ticket_id} → {self.item_id}"
