"""The service catalogue (clause 8.2): the services the provider delivers and to whom."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = ["Service", "ServiceQuerySet", "ServiceStatus"]


class ServiceStatus(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    LIVE = "live", _("Live")
    RETIRED = "retired", _("Retired")


class ServiceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every service; a customer sees the live services it is entitled to."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(status=ServiceStatus.LIVE, customers=user.organisation_id)

    def live(self):
        return self.filter(status=ServiceStatus.LIVE)


class Service(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.PIPELINE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_services",
    )
    summary = models.TextField(_("description for customers"), blank=True)
    staff_notes = models.TextField(_("description for staff"), blank=True)
    hours = models.ForeignKey(
        "core.Calendar",
        verbose_name=_("service hours"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    customers = models.ManyToManyField(
        "core.Organisation",
        verbose_name=_("customers entitled"),
        blank=True,
        related_name="entitled_services",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name
