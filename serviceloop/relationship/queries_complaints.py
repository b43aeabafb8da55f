"""Named reads of complaints: who may act on one, the lookup helper, the list, the count
behind the complaint-rate KPI, and the response-time targets in force."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from serviceloop.core.roles import Capability
from serviceloop.relationship.models import (
    Complaint,
    ComplaintResponseTarget,
    ComplaintSeverity,
)
from serviceloop.relationship.models.complaints import (
    CUSTOMER,
    DEFAULT_RESPONSE_HOURS,
    STAFF,
)

DEFAULT_WARN_PERCENT = 75


def complaint_role(user, complaint: Complaint | None = None) -> str | None:
    """``staff`` for provider staff who work operational records; ``customer`` for the
    complainant, whoever lodged it, or a customer manager of its organisation (with no
    complaint given: any customer); None for read-only staff and everyone else."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.has_capability(Capability.OPERATE):
        return STAFF
    if user.has_capability(Capability.STAFF) or user.organisation_id is None:
        return None
    if complaint is None:
        return CUSTOMER
    if complaint.organisation_id != user.organisation_id:
        return None
    if (
        complaint.complainant_id == user.pk
        or complaint.created_by_id == user.pk
        or user.has_capability(Capability.ORG_WIDE)
    ):
        return CUSTOMER
    return None


def get_complaint_for(user, reference: str, *, write: bool = False) -> Complaint:
    """The complaint by reference (or UUID) if the user may see it, else 404; with
    ``write``, 403 unless the user may act on it (read-only staff may not)."""
    lookup = {"uuid": reference} if len(str(reference)) == 36 else {"reference": reference}
    try:
        complaint = (
            Complaint.objects.visible_to(user)
            .select_related(
                "organisation", "complainant", "service", "owner", "created_by", "response_calendar"
            )
            .get(**lookup)
        )
    except (Complaint.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if write and complaint_role(user, complaint) is None:
        raise PermissionDenied
    return complaint


def complaints_for_list(
    user,
    *,
    q: str = "",
    status: str = "",
    severity: str = "",
    channel: str = "",
    organisation=None,
    service=None,
    owner=None,
    breached: bool | None = None,
    open_only: bool = False,
):
    """The complaints list: visible to ``user``, filtered, newest first, with the related
    rows the list shows in the same query."""
    complaints = Complaint.objects.visible_to(user).select_related(
        "organisation", "complainant", "service", "owner"
    )
    if status:
        complaints = complaints.filter(status=status)
    if severity:
        complaints = complaints.filter(severity=severity)
    if channel:
        complaints = complaints.filter(channel=channel)
    if organisation is not None:
        complaints = complaints.filter(organisation=organisation)
    if service is not None:
        complaints = complaints.filter(service=service)
    if owner is not None:
        complaints = complaints.filter(owner=owner)
    if breached is not None:
        complaints = complaints.filter(response_breached=breached)
    if open_only:
        complaints = complaints.open()
    q = (q or "").strip()
    if q:
        complaints = complaints.filter(
            Q(subject__icontains=q) | Q(reference__iexact=q) | Q(description__icontains=q)
        )
    return complaints.order_by("-received_at", "-id")


def _instant(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(value, datetime.time.min, tzinfo=zone)


def complaint_count(start, end, organisation=None, service=None) -> int:
    """The number of complaints received in ``[start, end)``: instants, or dates (midnight
    in TIME_ZONE, so ``complaint_count(date(2026, 1, 1), date(2026, 2, 1))`` is January),
    optionally of one customer organisation and/or about one service. Every complaint
    counts, whatever its status: a complaint is evidence from the moment it is received."""
    complaints = Complaint.objects.filter(
        received_at__gte=_instant(start), received_at__lt=_instant(end)
    )
    if organisation is not None:
        complaints = complaints.filter(organisation=organisation)
    if service is not None:
        complaints = complaints.filter(service=service)
    return complaints.count()


@dataclass(frozen=True)
class ResponseTarget:
    severity: str
    hours: int
    business_hours: bool
    warn_percent: int
    configured: bool  # False: the built-in default


def response_targets() -> dict[str, ResponseTarget]:
    """The response-time target of every severity: the configured row, else the default."""
    rows = {row.severity: row for row in ComplaintResponseTarget.objects.all()}
    targets = {}
    for severity in ComplaintSeverity.values:
        row = rows.get(severity)
        targets[severity] = (
            ResponseTarget(severity, row.hours, row.business_hours, row.warn_percent, True)
            if row
            else ResponseTarget(
                severity, DEFAULT_RESPONSE_HOURS[severity], True, DEFAULT_WARN_PERCENT, False
            )
        )
    return targets
