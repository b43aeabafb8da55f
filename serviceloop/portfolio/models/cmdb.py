"""The configuration management database (clause 8.2.6) and asset management (8.2.5):
configuration item types, configuration items, their typed relations, and assets.

Relations read "source <kind> target", and the direction is chosen so that impact flows
against the arrow (``serviceloop.portfolio.impact``):

- ``A runs-on B``: A (a VM, a database instance) runs on B (a host, a VM). B fails → A fails.
- ``A depends-on B``: A (an application) needs B (a database) to work. B fails → A fails.
- ``A part-of B``: A (a blade, a rack) is contained in B (a chassis, a data-centre room).
  B fails (power, fire, chassis) → A fails with it.
- ``A connected-to B``: a network link, symmetric; it documents topology and does not
  carry impact (links are usually redundant).
"""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.portfolio.lifecycle import AssetStatus, CiStatus

__all__ = [
    "IMPACT_KINDS",
    "Asset",
    "AssetQuerySet",
    "AssetStatus",
    "CiRelation",
    "CiStatus",
    "CiType",
    "ConfigurationItem",
    "ConfigurationItemQuerySet",
    "RelationKind",
]


class CiTypeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Types are reference data: every signed-in user may read them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class CiType(models.Model):
    """A kind of configuration item and the attributes its items carry.

    ``attributes`` is a list of definitions ``{"key", "label", "type", "required",
    "choices"}`` with type ``text``, ``number``, ``date`` or ``choice``
    (``serviceloop.portfolio.ci_attributes`` validates both the definitions and the values).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("attribute definitions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CiTypeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item type")
        verbose_name_plural = _("configuration item types")

    def __str__(self):
        return self.name


class ConfigurationItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every item; a customer sees the items of his own organisation."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def in_use(self):
        return self.exclude(status=CiStatus.RETIRED)


class ConfigurationItem(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    ci_type = models.ForeignKey(
        CiType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="items"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_configuration_items",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CiStatus.choices, default=CiStatus.PLANNED
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    version_label = models.CharField(_("version"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="configuration_items",
        help_text=_("Empty for the provider's own infrastructure."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            models.Index(fields=["status", "ci_type"], name="portfolio_ci_status_type"),
            models.Index(fields=["organisation", "status"], name="portfolio_ci_org_status"),
            # the impact walk checks each dependent's status: an index-only lookup
            models.Index(fields=["id", "status"], name="portfolio_ci_id_status"),
        ]

    def __str__(self):
        return f"{self.reference} {self.name}"


class RelationKind(models.TextChoices):
    RUNS_ON = "runs_on", _("runs on")
    DEPENDS_ON = "depends_on", _("depends on")
    CONNECTED_TO = "connected_to", _("connected to")
    PART_OF = "part_of", _("part of")


# The kinds along which a failure of the target reaches the source.
IMPACT_KINDS = (RelationKind.RUNS_ON, RelationKind.DEPENDS_ON, RelationKind.PART_OF)


class CiRelationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every relation; a customer those between two items of his organisation."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(
            source__organisation_id=user.organisation_id,
            target__organisation_id=user.organisation_id,
        )


class CiRelation(models.Model):
    """``source <kind> target``, e.g. "erp-app depends-on erp-db" (see the module docstring)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # no single-column indexes: the unique constraint leads with source, the reverse index
    # with target
    source = models.ForeignKey(
        ConfigurationItem,
        verbose_name=_("from"),
        on_delete=models.CASCADE,
        related_name="relations_out",
        db_index=False,
    )
    kind = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)
    target = models.ForeignKey(
        ConfigurationItem,
        verbose_name=_("to"),
        on_delete=models.CASCADE,
        related_name="relations_in",
        db_index=False,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CiRelationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("configuration item relation")
        verbose_name_plural = _("configuration item relations")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "target"],
                name="portfolio_relation_unique",
                violation_error_message=_("These items are already related this way."),
            ),
            models.CheckConstraint(
                condition=~Q(source=F("target")),
                name="portfolio_relation_not_self",
                violation_error_message=_("An item cannot be related to itself."),
            ),
        ]
        # The impact query walks relations backwards, from a target to its sources, reading
        # only this index (index-only scan on PostgreSQL).
        indexes = [
            models.Index(fields=["target", "kind", "source"], name="portfolio_rel_reverse"),
        ]

    def __str__(self):
        return f"{self.source_id} {self.kind} {self.target_id}"


class AssetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Assets carry the provider's money: staff only."""
        if not user.is_authenticated or not user.has_capability(Capability.STAFF):
            return self.none()
        return self


class Asset(models.Model):
    """A thing the provider bought, from order to disposal, with its financial record.

    It becomes a configuration item when it is deployed (one asset, at most one item).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    tag = models.CharField(_("asset tag or serial number"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AssetStatus.choices, default=AssetStatus.ORDERED
    )
    configuration_item = models.OneToOneField(
        ConfigurationItem,
        verbose_name=_("configuration item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="asset",
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    depreciation_months = models.PositiveIntegerField(
        _("depreciation period (months)"), null=True, blank=True
    )
    disposed_on = models.DateField(_("disposed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")

    def __str__(self):
        return f"{self.reference} {self.name}"

    def book_value(self, on: datetime.date) -> Decimal | None:
        """Straight-line depreciation: the cost less one period's share per whole month since
        the purchase date, never below zero; None without cost, date or period."""
        if self.cost is None or self.purchase_date is None or not self.depreciation_months:
            return None
        months = (on.year - self.purchase_date.year) * 12 + on.month - self.purchase_date.month
        if on.day < self.purchase_date.day:
            months -= 1
        months = max(0, min(months, self.depreciation_months))
        value = self.cost * (self.depreciation_months - months) / self.depreciation_months
        return value.quantize(Decimal("0.01"))

    def warranty_active(self, on: datetime.date) -> bool:
        return self.warranty_end is not None and on <= self.warranty_end
