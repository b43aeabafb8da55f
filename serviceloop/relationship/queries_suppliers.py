"""Named reads of supplier records: the lists, and the supplier measures a performance
review computes from the service desk's records.

Measures (all over a review period of whole days, ``period_start`` to ``period_end``
inclusive, in the installation's time zone, TIME_ZONE):

- **supplier-caused incidents**: incidents linked to the supplier with "caused by the
  supplier" set, raised within the period;
- **average waiting time**: for each ticket linked to the supplier, the wall-clock hours it
  spent in "waiting for supplier" within the period (from the ticket's status events),
  averaged over the tickets that waited at all;
- **average response time**: each stretch in "waiting for supplier" that began within the
  period is one request to the supplier, answered when the ticket left that status; the
  wall-clock hours of those stretches, averaged (a stretch still running counts until now).

A ticket linked to two suppliers counts for both. Hours are wall-clock: a supplier's
contract hours are not modelled; business calendars belong to our own SLA clock.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind, Kind, TicketEvent
from serviceloop.relationship.models import (
    Contract,
    ContractStatus,
    ObligationMetric,
    PerformanceReview,
    Supplier,
    SupplierDispute,
    TicketSupplier,
)
from serviceloop.relationship.models.suppliers import OPEN_DISPUTE_STATUSES

HOUR = Decimal(3600)
CENT = Decimal("0.01")


# --- Lists ---------------------------------------------------------------------------------


def suppliers_for_list(user, *, q: str = "", kind: str = "", status: str = ""):
    """Suppliers visible to ``user`` with their active-contract and open-dispute counts."""
    suppliers = (
        Supplier.objects.visible_to(user)
        .select_related("organisation", "manager")
        .annotate(
            active_contracts=Count(
                "contracts", filter=Q(contracts__status=ContractStatus.ACTIVE), distinct=True
            ),
            open_disputes=Count(
                "disputes", filter=Q(disputes__status__in=OPEN_DISPUTE_STATUSES), distinct=True
            ),
        )
    )
    if kind:
        suppliers = suppliers.filter(kind=kind)
    if status:
        suppliers = suppliers.filter(status=status)
    q = (q or "").strip()
    if q:
        suppliers = suppliers.filter(Q(name__icontains=q) | Q(services_provided__icontains=q))
    return suppliers.order_by("name", "id")


def contracts_for_list(
    user, *, q: str = "", status: str = "", supplier=None, renewal_due: bool = False, today=None
):
    """Contracts visible to ``user``; with ``renewal_due``, only active contracts inside their
    renewal notice period on ``today`` (default: today in TIME_ZONE)."""
    contracts = (
        Contract.objects.visible_to(user)
        .select_related("supplier", "owner")
        .annotate(obligation_count=Count("obligations"))
    )
    if status:
        contracts = contracts.filter(status=status)
    if supplier is not None:
        contracts = contracts.filter(supplier=supplier)
    q = (q or "").strip()
    if q:
        contracts = contracts.filter(
            Q(title__icontains=q)
            | Q(reference__iexact=q)
            | Q(supplier_reference__icontains=q)
            | Q(supplier__name__icontains=q)
        )
    contracts = contracts.order_by("end_date", "reference")
    if renewal_due:
        today = today or timezone.localdate()
        candidates = Contract.objects.filter(
            status=ContractStatus.ACTIVE, end_date__gte=today
        ).values_list("pk", "end_date", "notice_period_days")
        due = [
            pk
            for pk, end_date, notice in candidates
            if end_date - datetime.timedelta(days=notice) <= today
        ]
        contracts = contracts.filter(pk__in=due)
    return contracts


def reviews_for_list(user, *, supplier=None, status: str = ""):
    reviews = PerformanceReview.objects.visible_to(user).select_related("supplier", "reviewer")
    if supplier is not None:
        reviews = reviews.filter(supplier=supplier)
    if status:
        reviews = reviews.filter(status=status)
    return reviews.order_by("-period_end", "-id")


def disputes_for_list(user, *, q: str = "", status: str = "", supplier=None):
    disputes = SupplierDispute.objects.visible_to(user).select_related(
        "supplier", "contract", "owner"
    )
    if status:
        disputes = disputes.filter(status=status)
    if supplier is not None:
        disputes = disputes.filter(supplier=supplier)
    q = (q or "").strip()
    if q:
        disputes = disputes.filter(
            Q(title__icontains=q) | Q(reference__iexact=q) | Q(supplier__name__icontains=q)
        )
    return disputes.order_by("-raised_on", "-id")


def ticket_links_for(user, *, supplier=None, ticket=None):
    """The tickets recorded as waiting on (or caused by) a supplier, newest first."""
    links = TicketSupplier.objects.visible_to(user).select_related(
        "ticket__organisation", "supplier", "recorded_by"
    )
    if supplier is not None:
        links = links.filter(supplier=supplier)
    if ticket is not None:
        links = links.filter(ticket=ticket)
    return links.order_by("-recorded_at", "-id")


# --- Measures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    value: Decimal
    sample_size: int  # incidents counted, or tickets / waits averaged


def period_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, ...]:
    """``[start 00:00, end+1 00:00)`` in the installation's time zone, as aware instants."""
    zone = timezone.get_default_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return lo, hi


def _hours(seconds) -> Decimal:
    return (Decimal(seconds) / HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def waiting_stretches(ticket_ids, *, now) -> dict[int, list[tuple]]:
    """Per ticket, its stretches in "waiting for supplier" as ``(entered, left)`` instants,
    replayed from its status events; a stretch still running ends at ``now``."""
    stretches: dict[int, list[tuple]] = {}
    entered: dict[int, datetime.datetime] = {}
    events = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind=EventKind.STATUS)
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "to_value")
    )
    for ticket_id, at, to_value in events.iterator(chunk_size=2000):
        waiting = to_value == Status.WAITING_SUPPLIER
        if waiting and ticket_id not in entered:
            entered[ticket_id] = at
        elif not waiting and ticket_id in entered:
            stretches.setdefault(ticket_id, []).append((entered.pop(ticket_id), at))
    for ticket_id, since in entered.items():
        if since < now:
            stretches.setdefault(ticket_id, []).append((since, now))
    return stretches


def _linked_ticket_ids(supplier):
    return TicketSupplier.objects.filter(supplier=supplier).values("ticket_id")


def supplier_incident_count(supplier, start, end) -> Measure:
    """Incidents caused by the supplier, raised within the period."""
    lo, hi = period_bounds(start, end)
    count = TicketSupplier.objects.filter(
        supplier=supplier,
        caused_incident=True,
        ticket__kind=Kind.INCIDENT,
        ticket__created_at__gte=lo,
        ticket__created_at__lt=hi,
    ).count()
    return Measure(Decimal(count), count)


def supplier_waiting_hours(supplier, start, end, *, now=None) -> Measure:
    """Average hours per ticket in "waiting for supplier" within the period, over the
    supplier's tickets that waited in it (0 when none did)."""
    now = now or timezone.now()
    lo, hi = period_bounds(start, end)
    hi = min(hi, now)
    totals = []
    for stretches in waiting_stretches(_linked_ticket_ids(supplier), now=now).values():
        seconds = sum(
            max(0, (min(left, hi) - max(entered, lo)).total_seconds())
            for entered, left in stretches
        )
        if seconds > 0:
            totals.append(seconds)
    if not totals:
        return Measure(Decimal("0.00"), 0)
    return Measure(_hours(sum(totals) / len(totals)), len(totals))


def supplier_response_hours(supplier, start, end, *, now=None) -> Measure:
    """Average hours of the waits for the supplier that began within the period, each to
    the moment the ticket left "waiting for supplier" (a wait still running: until now)."""
    now = now or timezone.now()
    lo, hi = period_bounds(start, end)
    durations = [
        (left - entered).total_seconds()
        for stretches in waiting_stretches(_linked_ticket_ids(supplier), now=now).values()
        for entered, left in stretches
        if lo <= entered < hi
    ]
    if not durations:
        return Measure(Decimal("0.00"), 0)
    return Measure(_hours(sum(durations) / len(durations)), len(durations))


MEASURES = {
    ObligationMetric.SUPPLIER_INCIDENTS: lambda s, a, b, now: supplier_incident_count(s, a, b),
    ObligationMetric.WAITING_HOURS: lambda s, a, b, now: supplier_waiting_hours(s, a, b, now=now),
    ObligationMetric.RESPONSE_HOURS: lambda s, a, b, now: supplier_response_hours(s, a, b, now=now),
}


def measure(metric: str, supplier, start, end, *, now=None) -> Measure | None:
    """The measure of ``metric`` for the supplier over the period; None for manual kinds."""
    compute = MEASURES.get(metric)
    return compute(supplier, start, end, now or timezone.now()) if compute else None
