"""Supplier management (clause 8.3.4): suppliers and their contacts, contracts with their
obligations, the tickets a supplier held up or caused, performance reviews and disputes.

Supplier records are the provider's own: staff see them, customers never do (404). The
contract and dispute lifecycles are declared as data below; ``contract_transition`` and
``dispute_transition`` (services_suppliers_contracts, services_suppliers_disputes) are the
one way to move them.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "Contract",
    "ContractReminder",
    "ContractStatus",
    "DisputeStatus",
    "Obligation",
    "ObligationMetric",
    "PerformanceReview",
    "ReviewRating",
    "ReviewScore",
    "ReviewStatus",
    "Supplier",
    "SupplierContact",
    "SupplierDispute",
    "SupplierKind",
    "SupplierStatus",
    "TicketSupplier",
]


class StaffOnlyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Supplier records are the provider's: staff see them all, customers none."""
        if (
            not user.is_authenticated
            or not user.is_active
            or not user.has_capability(Capability.STAFF)
        ):
            return self.none()
        return self


# --- Declared lifecycles -------------------------------------------------------------------

# Who moves a record: ``staff`` is provider staff who work operational records (the operate
# capability); ``system`` is the daily task (a contract past its end date expires).
STAFF, SYSTEM = "staff", "system"


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    who: frozenset[str]
    needs: str = ""  # what the move asks for: "" nothing, "reason", "resolution"


def move_for(table, source: str, target: str, role: str | None) -> Move | None:
    """The declared move from ``source`` to ``target`` that ``role`` may make, if any."""
    for move in table:
        if move.source == source and move.target == target and role in move.who:
            return move
    return None


def moves_from(table, source: str, role: str | None) -> list[Move]:
    """The moves ``role`` may make from ``source``, one per target, in declaration order."""
    seen, moves = set(), []
    for move in table:
        if move.source == source and role in move.who and move.target not in seen:
            seen.add(move.target)
            moves.append(move)
    return moves


def _m(source, target, label, *who, needs=""):
    return Move(source, target, label, frozenset(who), needs)


# --- Suppliers -----------------------------------------------------------------------------


class SupplierKind(models.TextChoices):
    EXTERNAL = "external", _("External supplier")
    INTERNAL = "internal", _("Internal supplier")
    CUSTOMER = "customer", _("Customer acting as a supplier")


class SupplierStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    INACTIVE = "inactive", _("Inactive")


class Supplier(models.Model):
    """An external supplier, an internal supplier (another part of the provider's own
    organisation) or a customer acting as a supplier (flagged: ISO/IEC 20000-1 asks that
    such a customer be managed as a supplier)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=SupplierKind.choices, default=SupplierKind.EXTERNAL
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("organisation in ServiceLoop"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_records",
        help_text=_("When the supplier is an organisation of this system (e.g. a customer)."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SupplierStatus.choices, default=SupplierStatus.ACTIVE
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supplier manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_suppliers",
    )
    services_provided = models.TextField(_("what the supplier provides"), blank=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name

    @property
    def is_customer_as_supplier(self) -> bool:
        return self.kind == SupplierKind.CUSTOMER


class SupplierContact(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        verbose_name = _("supplier contact")
        verbose_name_plural = _("supplier contacts")

    def __str__(self):
        return self.name


# --- Contracts -----------------------------------------------------------------------------


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


C = ContractStatus
CONTRACT_TRANSITIONS: tuple[Move, ...] = (
    _m(C.DRAFT, C.ACTIVE, _("Activate"), STAFF),
    _m(C.DRAFT, C.TERMINATED, _("Withdraw"), STAFF, needs="reason"),
    _m(C.ACTIVE, C.EXPIRED, _("Mark as expired"), STAFF, SYSTEM),
    _m(C.ACTIVE, C.TERMINATED, _("Terminate"), STAFF, needs="reason"),
    # A renewal: a new end date after the old one brings an expired contract back.
    _m(C.EXPIRED, C.ACTIVE, _("Renew"), STAFF),
)
# What a transition request may name (a choice set of its own in the API schema).
CONTRACT_TARGETS = [(value, label) for value, label in C.choices if value != C.DRAFT]


class Contract(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    supplier_reference = models.CharField(
        _("supplier's contract number"), max_length=80, blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="contracts"
    )
    scope = models.TextField(_("scope"), blank=True)
    services = models.ManyToManyField(
        "portfolio.Service",
        verbose_name=_("services supported"),
        blank=True,
        related_name="supplier_contracts",
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    notice_period_days = models.PositiveIntegerField(
        _("renewal notice period (days)"),
        default=90,
        help_text=_("The owner is reminded this many days before the end date."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contract owner"),
        on_delete=models.PROTECT,
        related_name="owned_supplier_contracts",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    termination_reason = models.TextField(_("reason for termination"), blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["end_date", "reference"]
        verbose_name = _("supplier contract")
        verbose_name_plural = _("supplier contracts")
        indexes = [models.Index(fields=["status", "end_date"], name="contract_status_end")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def notice_date(self) -> datetime.date:
        """The first day of the renewal notice period."""
        return self.end_date - datetime.timedelta(days=self.notice_period_days)

    def renewal_due_on(self, today: datetime.date) -> bool:
        return self.status == ContractStatus.ACTIVE and self.notice_date <= today <= self.end_date


class ContractReminder(models.Model):
    """A renewal reminder already sent: unique per contract and end date, so the owner is
    reminded once per end date, whichever worker gets there first; a renewed contract (a
    new end date) is reminded again when its new notice period begins."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    end_date = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "end_date"], name="contract_reminder_once")
        ]

    def __str__(self):
        return f"{self.contract_id} {self.end_date}"


class ObligationMetric(models.TextChoices):
    """How an obligation is measured. The first three are computed from the desk's records
    (tickets linked to the supplier); every target is a maximum."""

    SUPPLIER_INCIDENTS = "supplier_incidents", _("Incidents caused by the supplier (count, max)")
    WAITING_HOURS = "waiting_hours", _("Average time waiting for the supplier (hours, max)")
    RESPONSE_HOURS = "response_hours", _("Average supplier response time (hours, max)")
    MANUAL = "manual", _("Other (scored by the reviewer)")


MEASURED_METRICS = frozenset(
    {
        ObligationMetric.SUPPLIER_INCIDENTS,
        ObligationMetric.WAITING_HOURS,
        ObligationMetric.RESPONSE_HOURS,
    }
)
DEFAULT_UNITS = {
    ObligationMetric.SUPPLIER_INCIDENTS: _("incidents"),
    ObligationMetric.WAITING_HOURS: _("hours"),
    ObligationMetric.RESPONSE_HOURS: _("hours"),
}


class Obligation(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="obligations"
    )
    description = models.CharField(_("obligation"), max_length=300)
    metric = models.CharField(_("measured by"), max_length=24, choices=ObligationMetric.choices)
    target_value = models.DecimalField(
        _("target"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "id"]
        verbose_name = _("contract obligation")
        verbose_name_plural = _("contract obligations")

    def __str__(self):
        return self.description

    @property
    def is_measured(self) -> bool:
        return self.metric in MEASURED_METRICS


# --- Tickets held up or caused by a supplier ------------------------------------------------


class TicketSupplierQuerySet(StaffOnlyQuerySet):
    def visible_to(self, user):
        """Staff see the links of the tickets they may see: a confidential ticket (a
        security incident) they are not cleared for is not listed (its review counts stay)."""
        from serviceloop.desk.models import Ticket

        links = super().visible_to(user)
        return links.filter(ticket__in=Ticket.objects.visible_to(user).values("pk"))


class TicketSupplier(models.Model):
    """A desk ticket that waited on a supplier (or an incident the supplier caused): the
    link the performance reviews compute from. Recorded by ``ticket_supplier_link``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="supplier_links"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="ticket_links", verbose_name=_("supplier")
    )
    caused_incident = models.BooleanField(
        _("caused by the supplier"),
        default=False,
        help_text=_("The supplier caused this incident (counted against its obligations)."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))

    objects = TicketSupplierQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("ticket waiting on a supplier")
        verbose_name_plural = _("tickets waiting on suppliers")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "supplier"], name="ticket_supplier_unique")
        ]

    def __str__(self):
        return f"{self.ticket_id} → {self.supplier_id}"


# --- Performance reviews -------------------------------------------------------------------


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")


class ReviewRating(models.IntegerChoices):
    POOR = 1, _("1 – Poor")
    BELOW = 2, _("2 – Below expectations")
    MEETS = 3, _("3 – Meets expectations")
    GOOD = 4, _("4 – Good")
    EXCELLENT = 5, _("5 – Excellent")


class PerformanceReview(models.Model):
    """A supplier's performance over a period: one score per obligation of its contracts in
    force during the period. Measured obligations are computed from the desk's records;
    the others are scored by the reviewer. Completed reviews are final."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="reviews"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="supplier_reviews",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    overall_rating = models.PositiveSmallIntegerField(
        _("overall rating"), choices=ReviewRating.choices, null=True, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    actions = models.TextField(_("agreed actions"), blank=True)
    computed_at = models.DateTimeField(_("figures computed"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("supplier performance review")
        verbose_name_plural = _("supplier performance reviews")

    def __str__(self):
        return f"{self.reference} {self.supplier}"


class ReviewScore(models.Model):
    review = models.ForeignKey(PerformanceReview, on_delete=models.CASCADE, related_name="scores")
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="scores")
    actual_value = models.DecimalField(
        _("actual"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    met = models.BooleanField(_("met"), null=True, blank=True)
    computed = models.BooleanField(_("computed from records"), default=False)
    sample_size = models.PositiveIntegerField(_("tickets counted"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["obligation__contract_id", "obligation_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "obligation"], name="review_score_unique")
        ]

    def __str__(self):
        return f"{self.review_id} {self.obligation_id}"

    @property
    def is_scored(self) -> bool:
        return self.met is not None


# --- Disputes ------------------------------------------------------------------------------


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_NEGOTIATION = "in_negotiation", _("In negotiation")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")


D = DisputeStatus
DISPUTE_TRANSITIONS: tuple[Move, ...] = (
    _m(D.OPEN, D.IN_NEGOTIATION, _("Start negotiation"), STAFF),
    _m(D.OPEN, D.ESCALATED, _("Escalate"), STAFF),
    _m(D.IN_NEGOTIATION, D.ESCALATED, _("Escalate"), STAFF),
    _m(D.ESCALATED, D.IN_NEGOTIATION, _("Back to negotiation"), STAFF),
    *(_m(s, D.RESOLVED, _("Resolve"), STAFF, needs="resolution") for s in (D.OPEN, D.IN_NEGOTIATION, D.ESCALATED)),
    # Reopening resumes the negotiation (nobody moves a dispute back to "open").
    _m(D.RESOLVED, D.IN_NEGOTIATION, _("Reopen"), STAFF, needs="reason"),
)  # fmt: skip
DISPUTE_TARGETS = [(value, label) for value, label in D.choices if value != D.OPEN]
OPEN_DISPUTE_STATUSES = frozenset({D.OPEN, D.IN_NEGOTIATION, D.ESCALATED})


class SupplierDispute(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="disputes"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    title = models.CharField(_("title"), max_length=200)
    raised_on = models.DateField(_("raised on"))
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_supplier_disputes",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("supplier dispute")
        verbose_name_plural = _("supplier disputes")

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES
