"""The complaints register (clause 8.3.2): complaints are kept apart from incidents, with a
declared lifecycle, their own response-time target, investigation notes, the response to
the customer and the customer's acceptance of it, without which a complaint cannot close.

Staff see every complaint; a customer manager his organisation's; a customer user the
complaints he lodged or is the complainant of. ``complaint_transition``
(services_complaints_lifecycle) is the one way to move a complaint.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "Complaint",
    "ComplaintChannel",
    "ComplaintEvent",
    "ComplaintEventKind",
    "ComplaintNote",
    "ComplaintResponseTarget",
    "ComplaintSeverity",
    "ComplaintStatus",
]


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Portal")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class ComplaintSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Under investigation")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")


# Before the response: the response-time clock runs (and may warn, then breach).
AWAITING_RESPONSE = frozenset(
    {ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING}
)
OPEN_COMPLAINT_STATUSES = AWAITING_RESPONSE | {ComplaintStatus.RESPONDED}

# Who moves a complaint: ``staff`` (provider staff who work operational records) or
# ``customer`` (the complainant, or a customer manager of the complaint's organisation).
STAFF, CUSTOMER = "staff", "customer"


@dataclass(frozen=True)
class ComplaintMove:
    source: str
    target: str
    label: str
    who: frozenset[str]
    # what the move asks for: "" nothing, "response" (the response to the customer),
    # "acceptance" (the customer's acceptance, recorded), "reason" (why it is reopened)
    needs: str = ""


def _cm(source, target, label, *who, needs=""):
    return ComplaintMove(source, target, label, frozenset(who), needs)


S = ComplaintStatus
COMPLAINT_TRANSITIONS: tuple[ComplaintMove, ...] = (
    _cm(S.RECEIVED, S.ACKNOWLEDGED, _("Acknowledge"), STAFF),
    _cm(S.RECEIVED, S.INVESTIGATING, _("Start investigation"), STAFF),
    _cm(S.ACKNOWLEDGED, S.INVESTIGATING, _("Start investigation"), STAFF),
    *(
        _cm(source, S.RESPONDED, _("Respond to the customer"), STAFF, needs="response")
        for source in (S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING)
    ),
    _cm(S.RESPONDED, S.CLOSED, _("Close"), STAFF, needs="acceptance"),
    # The customer is not satisfied with the response, or the complaint comes back.
    _cm(S.RESPONDED, S.INVESTIGATING, _("Reopen"), STAFF, CUSTOMER, needs="reason"),
    _cm(S.CLOSED, S.INVESTIGATING, _("Reopen"), STAFF, needs="reason"),
)
# Nobody moves a complaint back to "received": the transition choices leave it out (and so
# are a choice set of their own in the API schema).
COMPLAINT_TARGETS = [(value, label) for value, label in S.choices if value != S.RECEIVED]


def complaint_move_for(source: str, target: str, role: str | None) -> ComplaintMove | None:
    """The declared move from ``source`` to ``target`` that ``role`` may make, if any."""
    for move in COMPLAINT_TRANSITIONS:
        if move.source == source and move.target == target and role in move.who:
            return move
    return None


def complaint_moves_from(source: str, role: str | None) -> list[ComplaintMove]:
    """The moves ``role`` may make from ``source``, one per target, in declaration order."""
    seen, moves = set(), []
    for move in COMPLAINT_TRANSITIONS:
        if move.source == source and role in move.who and move.target not in seen:
            seen.add(move.target)
            moves.append(move)
    return moves


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every complaint; a customer manager his organisation's; a customer
        user those he lodged or is the complainant of."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        mine = self.filter(organisation_id=user.organisation_id)
        if user.has_capability(Capability.ORG_WIDE):
            return mine
        return mine.filter(Q(complainant=user) | Q(created_by=user))

    def awaiting_response(self):
        return self.filter(status__in=AWAITING_RESPONSE)

    def open(self):
        return self.filter(status__in=OPEN_COMPLAINT_STATUSES)


class Complaint(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=ComplaintChannel.choices)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("complainant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_made",
        help_text=_("A person of the customer who signs in; otherwise give the name below."),
    )
    complainant_name = models.CharField(_("complainant's name"), max_length=150, blank=True)
    complainant_email = models.EmailField(_("complainant's e-mail"), blank=True)
    complainant_phone = models.CharField(_("complainant's phone"), max_length=40, blank=True)
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    severity = models.CharField(
        _("severity"),
        max_length=8,
        choices=ComplaintSeverity.choices,
        default=ComplaintSeverity.MEDIUM,
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_complaints",
    )
    response = models.TextField(_("response to the customer"), blank=True)
    # The customer's acceptance of the response: a complaint closes only once it is recorded.
    customer_accepted = models.BooleanField(_("customer accepted"), null=True, blank=True)
    acceptance_date = models.DateField(_("acceptance recorded on"), null=True, blank=True)
    acceptance_note = models.TextField(_("acceptance note"), blank=True)
    acceptance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    # The first response: the response-time target measures it (later ones: the history).
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The response-time target (see ComplaintResponseTarget), fixed when the complaint is
    # received (and recomputed when its severity changes).
    response_target_hours = models.PositiveIntegerField(_("response target (hours)"))
    response_calendar = models.ForeignKey(
        "core.Calendar",
        verbose_name=_("business calendar of the target"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the target counts wall-clock hours."),
    )
    response_due_at = models.DateTimeField(_("response due"), db_index=True)
    response_warn_at = models.DateTimeField(_("warning at"))
    response_warned_at = models.DateTimeField(null=True, blank=True)
    response_breached = models.BooleanField(_("response target breached"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["organisation", "-received_at"], name="complaint_org_recent"),
            models.Index(fields=["status", "response_due_at"], name="complaint_status_due"),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMPLAINT_STATUSES

    @property
    def awaiting_response(self) -> bool:
        return self.status in AWAITING_RESPONSE

    @property
    def acceptance_recorded(self) -> bool:
        return self.customer_accepted is not None and self.acceptance_date is not None

    @property
    def complainant_label(self) -> str:
        if self.complainant_id:
            return str(self.complainant)
        return self.complainant_name


class ComplaintNote(models.Model):
    """An investigation note: staff only, never shown to the customer."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("investigation note")
        verbose_name_plural = _("investigation notes")

    def __str__(self):
        return f"{self.complaint_id}: {self.body[:40]}"


class ComplaintEventKind(models.TextChoices):
    CREATED = "created", _("Received")
    STATUS = "status", _("Status changed")
    UPDATED = "updated", _("Details changed")
    ACCEPTANCE = "acceptance", _("Customer's acceptance recorded")
    NOTE = "note", _("Investigation note")
    WARNING = "warning", _("Response due soon")
    BREACH = "breach", _("Response target breached")


# History rows a customer sees on his complaint (no notes, no internal alerts).
CUSTOMER_EVENT_KINDS = frozenset(
    {ComplaintEventKind.CREATED, ComplaintEventKind.STATUS, ComplaintEventKind.ACCEPTANCE}
)


class ComplaintEvent(models.Model):
    """The complaint's history, shown on its page."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=ComplaintEventKind.choices)
    from_value = models.CharField(max_length=120, blank=True)
    to_value = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at", "id"])]

    def __str__(self):
        return f"{self.complaint_id} {self.kind}"

    @staticmethod
    def _status_label(value: str) -> str:
        return ComplaintStatus(value).label if value in ComplaintStatus.values else value

    @property
    def from_label(self) -> str:
        return self._status_label(self.from_value)

    @property
    def to_label(self) -> str:
        return self._status_label(self.to_value)


class ComplaintResponseTarget(models.Model):
    """The response-time target of a severity: hours from receipt to the response, counted
    in business time (the customer's calendar, else the provider's) or on the wall clock.
    Without a row, DEFAULT_RESPONSE_HOURS apply, in business time."""

    severity = models.CharField(
        _("severity"), max_length=8, choices=ComplaintSeverity.choices, unique=True
    )
    hours = models.PositiveIntegerField(_("respond within (hours)"))
    business_hours = models.BooleanField(
        _("count business hours"),
        default=True,
        help_text=_(
            "Count the customer's business calendar (else the provider's); without either, "
            "or unticked, wall-clock hours."
        ),
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the time is used (%)"), default=75
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ["severity"]
        verbose_name = _("complaint response target")
        verbose_name_plural = _("complaint response targets")

    def __str__(self):
        return f"{self.severity}: {self.hours} h"


DEFAULT_RESPONSE_HOURS = {
    ComplaintSeverity.HIGH: 8,
    ComplaintSeverity.MEDIUM: 24,
    ComplaintSeverity.LOW: 40,
}
