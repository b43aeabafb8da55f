"""The service catalogue (clauses 8.2.2 and 8.2.4): the services the provider delivers and to
whom, their plan, what they are built from (configuration items) and which other services
they need, and the plan-new-service checklist a pipeline service completes before going live.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.portfolio.lifecycle import ServiceStatus

__all__ = [
    "ComponentRole",
    "Service",
    "ServiceChecklistItem",
    "ServiceComponent",
    "ServiceDependency",
    "ServiceQuerySet",
    "ServiceStatus",
]


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

    def entitled(self, organisation):
        """The live services ``organisation`` is entitled to."""
        return self.live().filter(customers=organisation)


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
    # Service planning (8.2.2): what the service must do, with what, for how much, at what risk.
    requirements = models.TextField(_("service requirements"), blank=True)
    resources = models.TextField(_("resources needed"), blank=True)
    budget_amount = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget_currency = models.CharField(_("budget currency"), max_length=3, blank=True)
    risks = models.TextField(_("risks"), blank=True)
    live_since = models.DateTimeField(_("live since"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired on"), null=True, blank=True, editable=False)
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


class ServiceDependency(models.Model):
    """``service`` needs ``depends_on`` to work (e.g. ERP needs the corporate network)."""

    # indexed by the unique constraint (service first) and the reverse index (depends_on first)
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="dependencies",
        db_index=False,
    )
    depends_on = models.ForeignKey(
        Service,
        verbose_name=_("depends on"),
        on_delete=models.PROTECT,
        related_name="dependents",
        db_index=False,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("service dependency")
        verbose_name_plural = _("service dependencies")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "depends_on"],
                name="portfolio_service_dependency_unique",
                violation_error_message=_("This dependency is already recorded."),
            ),
            models.CheckConstraint(
                condition=~Q(service=F("depends_on")),
                name="portfolio_service_dependency_not_self",
                violation_error_message=_("A service cannot depend on itself."),
            ),
        ]
        # impact walks from the needed service to the services that need it
        indexes = [models.Index(fields=["depends_on", "service"], name="portfolio_svcdep_rev")]

    def __str__(self):
        return f"{self.service_id} → {self.depends_on_id}"


class ComponentRole(models.TextChoices):
    COMPONENT = "component", _("component")
    RUNS_ON = "runs_on", _("runs on")
    DEPENDS_ON = "depends_on", _("depends on")


class ServiceComponent(models.Model):
    """A configuration item the service is built from, in a role."""

    # indexed by the unique constraint (service first) and the index by item
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="components",
        db_index=False,
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        verbose_name=_("configuration item"),
        on_delete=models.PROTECT,
        related_name="service_components",
        db_index=False,
    )
    role = models.CharField(
        _("role"), max_length=16, choices=ComponentRole.choices, default=ComponentRole.COMPONENT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("service component")
        verbose_name_plural = _("service components")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "configuration_item"],
                name="portfolio_service_component_unique",
                violation_error_message=_("This item is already a component of the service."),
            )
        ]
        # impact goes from an item to the services built on it
        indexes = [
            models.Index(fields=["configuration_item", "service"], name="portfolio_component_by_ci")
        ]

    def __str__(self):
        return f"{self.service_id} ← {self.configuration_item_id} ({self.role})"


class ServiceChecklistItem(models.Model):
    """One step of the plan-new-service checklist; a service goes live once all are done."""

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="checklist"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    label = models.CharField(_("step"), max_length=200)
    done = models.BooleanField(_("done"), default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.label
