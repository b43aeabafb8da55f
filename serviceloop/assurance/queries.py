"""Named reads of assurance: availability of a service (or one customer's view of it) over any
period, the monthly report, targets, the timelines outages come from, and the lists.

Periods are half-open ``[start, end)`` aware instants; a month is counted in the provider's
time zone (``TIME_ZONE``), from its first day 00:00 to the next month's.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q
from django.utils import timezone

from serviceloop.assurance.availability import AvailabilityResult, Span, availability_compute
from serviceloop.assurance.lifecycle import IssueStatus, PlanStatus, RiskStatus
from serviceloop.assurance.models import (
    AvailabilityTarget,
    ContinuityIssue,
    ContinuityPlan,
    Outage,
    SecurityControl,
    SecurityIncident,
    SecurityRisk,
    SpofFinding,
)
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind, Kind, Ticket
from serviceloop.portfolio.models import Service, ServiceStatus
from serviceloop.relationship.queries_agreements import availability_target
from serviceloop.transition.models import ChangeEventKind, ChangeRequest

# --- Where outages come from -------------------------------------------------------------------


def incident_timeline(ticket: Ticket) -> tuple[datetime.datetime, datetime.datetime | None]:
    """``(start, end)`` of a major incident's outage: its creation event and, when it is
    resolved (or closed), its last move to resolved; ``end`` None while it is unresolved."""
    events = ticket.events.order_by("at", "id")
    start = events.filter(kind=EventKind.CREATED).values_list("at", flat=True).first()
    end = None
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        end = (
            events.filter(kind=EventKind.STATUS, to_value=Status.RESOLVED)
            .values_list("at", flat=True)
            .last()
        ) or ticket.resolved_at
    return start or ticket.created_at, end


def change_window(change: ChangeRequest):
    """``(start, end)`` of a change's maintenance: its actual window once it started (``end``
    None while it runs), else its planned window (both None when it has none)."""
    if change.actual_start is not None:
        return change.actual_start, change.actual_end
    return change.planned_start, change.planned_end


def change_announced_at(change: ChangeRequest):
    """When customers could know of a change's window: when it was first scheduled, else
    when it was approved; None when neither happened."""
    scheduled = (
        change.events.filter(kind=ChangeEventKind.SCHEDULED)
        .order_by("at", "id")
        .values_list("at", flat=True)
        .first()
    )
    return scheduled or change.approved_at


def major_incidents_for(user):
    """Major incidents the user may see, newest first (to record outages or invoke plans)."""
    return (
        Ticket.objects.visible_to(user)
        .filter(kind=Kind.INCIDENT, is_major=True)
        .exclude(status=Status.CANCELLED)
        .select_related("organisation")
        .order_by("-created_at")
    )


def ticket_hidden_from(user, field: str = "ticket"):
    """An annotation: True when the row's ``field`` is a confidential ticket ``user`` is not
    cleared for (its reference is then not listed). One subquery, no query per row."""
    visible = Ticket.objects.visible_to(user).values("pk")
    return ExpressionWrapper(
        Q(**{f"{field}__confidential": True}) & ~Q(**{f"{field}__in": visible}),
        output_field=BooleanField(),
    )


def service_for_ticket(ticket: Ticket) -> Service | None:
    """The portfolio service a ticket's free-text service names, if exactly one: its code or
    its name, ignoring case only (never a part of a name: "CRM" does not guess "CRM Mobile";
    the same rule as ``TicketQuerySet.naming_services``)."""
    name = (ticket.service or "").strip()
    if not name:
        return None
    exact = list(Service.objects.filter(Q(code__iexact=name) | Q(name__iexact=name))[:2])
    return exact[0] if len(exact) == 1 else None


# --- Availability --------------------------------------------------------------------------


def month_period(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as ``[first day 00:00, next month's first day 00:00)`` in TIME_ZONE."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    following = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, following


def date_period(first: datetime.date, last: datetime.date):
    """The days ``first``..``last`` (inclusive) as an instant period in TIME_ZONE."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start, end


def _spans(outages, *, planned_as_downtime=None) -> list[Span]:
    return [Span(o.start, o.end, o.counts_as_downtime(planned_as_downtime)) for o in outages]


def _affects(outage: Outage, organisation_id: int) -> bool:
    return outage.all_customers or any(c.pk == organisation_id for c in outage.customers.all())


def service_availability(
    service: Service,
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    customer=None,
    now=None,
    planned_as_downtime: bool | None = None,
) -> AvailabilityResult:
    """The availability of ``service`` over ``[start, end)`` against its service hours; with
    ``customer``, counting only the outages that affected that customer."""
    outages = Outage.objects.filter(service=service).overlapping(start, end)
    if customer is not None:
        outages = outages.affecting(customer)
    calendar = service.hours.engine() if service.hours_id else None
    return availability_compute(
        calendar=calendar,
        start=start,
        end=end,
        outages=_spans(outages, planned_as_downtime=planned_as_downtime),
        now=now or timezone.now(),
    )


def target_for(service: Service, organisation, on_date: datetime.date):
    """``(percent, source)``: the SLA's availability target in force on ``on_date`` for the
    service and customer (``organisation`` None: any customer), else the service's own target
    (source ``"service"``); ``(None, "")`` without either."""
    agreed = availability_target(service, organisation, on_date)
    if agreed is not None:
        return Decimal(agreed), "agreement"
    own = AvailabilityTarget.objects.filter(service=service).values_list(
        "target_percent", flat=True
    )
    own = own.first()
    return (own, "service") if own is not None else (None, "")


@dataclass
class ReportRow:
    service: Service
    customer: object | None  # an Organisation, or None for the service as a whole
    result: AvailabilityResult
    target: Decimal | None
    target_source: str
    outages: int

    @property
    def met(self) -> bool | None:
        return self.result.meets(self.target)


def availability_report(
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    services=None,
    customer=None,
    now=None,
) -> tuple[list[ReportRow], list[ReportRow]]:
    """``(per service, per customer)`` rows over ``[start, end)``: every live service (or
    ``services``), then every entitled customer of each (or only ``customer``, whose report
    then has no per-service rows). One query for the outages; targets read per row."""
    now = now or timezone.now()
    if services is None:
        services = Service.objects.live()
    services = list(
        services.select_related("hours").prefetch_related("customers").order_by("name", "pk")
    )
    outages = defaultdict(list)
    for outage in (
        Outage.objects.filter(service__in=[s.pk for s in services])
        .overlapping(start, end)
        .prefetch_related("customers")
    ):
        outages[outage.service_id].append(outage)
    on_date = timezone.localtime(end - datetime.timedelta(seconds=1)).date()
    per_service, per_customer = [], []
    for service in services:
        calendar = service.hours.engine() if service.hours_id else None
        mine = outages[service.pk]
        if customer is None:
            target, source = target_for(service, None, on_date)
            result = availability_compute(
                calendar=calendar, start=start, end=end, outages=_spans(mine), now=now
            )
            per_service.append(ReportRow(service, None, result, target, source, len(mine)))
        for organisation in service.customers.all():
            if customer is not None and organisation.pk != customer.pk:
                continue
            theirs = [o for o in mine if _affects(o, organisation.pk)]
            target, source = target_for(service, organisation, on_date)
            result = availability_compute(
                calendar=calendar, start=start, end=end, outages=_spans(theirs), now=now
            )
            per_customer.append(
                ReportRow(service, organisation, result, target, source, len(theirs))
            )
    per_customer.sort(key=lambda row: (row.customer.name, row.service.name))
    return per_service, per_customer


def daily_availability(service: Service, start, end, *, now=None, customer=None) -> list[dict]:
    """The availability of each day of ``[start, end)`` (days in TIME_ZONE), for a chart:
    ``{"day", "percent", "downtime"}``; one query for the outages."""
    now = now or timezone.now()
    outages = list(Outage.objects.filter(service=service).overlapping(start, end))
    if customer is not None:
        outages = [o for o in outages if _affects(o, customer.pk)]
    spans = _spans(outages)
    calendar = service.hours.engine() if service.hours_id else None
    zone = timezone.get_default_timezone()
    days, day = [], start
    while day < end:
        local = timezone.localtime(day, zone).date()
        following = datetime.datetime.combine(
            local + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
        )
        result = availability_compute(
            calendar=calendar, start=day, end=min(following, end), outages=spans, now=now
        )
        days.append(
            {
                "day": local.isoformat(),
                "percent": float(result.percent) if result.percent is not None else None,
                "downtime": result.downtime_seconds,
            }
        )
        day = following
    return days


# --- Lists ---------------------------------------------------------------------------------------


def outages_for_list(
    user,
    *,
    service=None,
    kind: str = "",
    source: str = "",
    state: str = "",
    customer=None,
    start=None,
    end=None,
    q: str = "",
):
    outages = (
        Outage.objects.visible_to(user)
        .select_related("service", "ticket", "change")
        .annotate(ticket_hidden=ticket_hidden_from(user))
    )
    if service is not None:
        outages = outages.filter(service=service)
    if kind:
        outages = outages.filter(kind=kind)
    if source:
        outages = outages.filter(source=source)
    if state == "ongoing":
        outages = outages.filter(end__isnull=True)
    elif state == "ended":
        outages = outages.filter(end__isnull=False)
    if customer is not None:
        outages = outages.affecting(customer)
    if start is not None and end is not None:
        outages = outages.overlapping(start, end)
    if q:
        q = q.strip()
        outages = outages.filter(
            Q(reference__iexact=q) | Q(title__icontains=q) | Q(ticket__reference__iexact=q)
        )
    return outages.prefetch_related("customers").order_by("-start", "-id")


def findings_for_list(user, *, status: str = "", service=None):
    findings = SpofFinding.objects.visible_to(user).select_related(
        "service", "configuration_item__ci_type"
    )
    if status:
        findings = findings.filter(status=status)
    if service is not None:
        findings = findings.filter(service=service)
    return findings.order_by("status", "service__name", "configuration_item__name", "pk")


def targets_for_list(user):
    """Live services with their own target (if any), for the targets screen."""
    if not user.is_authenticated:
        return Service.objects.none()
    return (
        Service.objects.visible_to(user)
        .live()
        .select_related("owner", "hours", "availability_target")
        .order_by("name", "pk")
    )


def plans_for_list(user, *, service=None, status: str = "", due: str = "", q: str = "", today=None):
    today = today or timezone.localdate()
    plans = (
        ContinuityPlan.objects.visible_to(user)
        .select_related("service", "owner")
        .annotate(test_count=Count("tests", distinct=True))
    )
    if service is not None:
        plans = plans.filter(service=service)
    if status:
        plans = plans.filter(status=status)
    if due == "overdue":
        plans = plans.filter(status=PlanStatus.ACTIVE, test_due_on__lt=today)
    elif due == "soon":
        plans = plans.filter(
            status=PlanStatus.ACTIVE,
            test_due_on__gte=today,
            test_due_on__lte=today + datetime.timedelta(days=30),
        )
    if q:
        q = q.strip()
        plans = plans.filter(Q(reference__iexact=q) | Q(title__icontains=q))
    return plans.order_by("service__name", "title", "pk")


def test_schedule(user, year: int):
    """Active plans whose test falls due in ``year`` or earlier (overdue ones), by due date,
    each with its latest test prefetched as ``latest_tests``."""
    from serviceloop.assurance.models import ContinuityTest

    return (
        ContinuityPlan.objects.visible_to(user)
        .filter(status=PlanStatus.ACTIVE, test_due_on__lte=datetime.date(year, 12, 31))
        .select_related("service", "owner")
        .prefetch_related(
            Prefetch(
                "tests",
                queryset=ContinuityTest.objects.order_by("-tested_on", "-id"),
                to_attr="latest_tests",
            )
        )
        .order_by("test_due_on", "service__name", "pk")
    )


def issues_for_list(user, *, status: str = IssueStatus.OPEN, owner=None):
    issues = ContinuityIssue.objects.visible_to(user).select_related("test__plan__service", "owner")
    if status:
        issues = issues.filter(status=status)
    if owner is not None:
        issues = issues.filter(owner=owner)
    return issues.order_by("due_on", "pk")


def risks_for_list(
    user, *, status: str = "", level: str = "", treatment: str = "", owner=None, q: str = ""
):
    risks = SecurityRisk.objects.visible_to(user).select_related("owner", "configuration_item")
    if status == "active":
        risks = risks.exclude(status=RiskStatus.CLOSED)
    elif status:
        risks = risks.filter(status=status)
    if level:
        risks = risks.filter(level=level)
    if treatment:
        risks = risks.filter(treatment=treatment)
    if owner is not None:
        risks = risks.filter(owner=owner)
    if q:
        q = q.strip()
        risks = risks.filter(
            Q(reference__iexact=q)
            | Q(title__icontains=q)
            | Q(asset__icontains=q)
            | Q(threat__icontains=q)
        )
    return risks.order_by("-score", "reference")


def risk_heatmap(user) -> list[list[int]]:
    """Counts of open (not closed) risks: ``rows[5 - impact][likelihood - 1]``, so the first row
    is impact 5, as a heat map reads."""
    grid = [[0] * 5 for _ in range(5)]
    for likelihood, impact, count in (
        SecurityRisk.objects.visible_to(user)
        .exclude(status=RiskStatus.CLOSED)
        .order_by()
        .values("likelihood", "impact")
        .annotate(n=Count("pk"))
        .values_list("likelihood", "impact", "n")
    ):
        grid[5 - impact][likelihood - 1] += count
    return grid


def controls_for_list(user, *, status: str = "", owner=None, q: str = ""):
    controls = (
        SecurityControl.objects.visible_to(user)
        .select_related("owner")
        .annotate(risk_count=Count("risks", distinct=True))
    )
    if status:
        controls = controls.filter(status=status)
    if owner is not None:
        controls = controls.filter(owner=owner)
    if q:
        q = q.strip()
        controls = controls.filter(Q(code__iexact=q) | Q(title__icontains=q))
    return controls.order_by("code")


def security_incidents_for_list(
    user, *, status: str = "", classification: str = "", overdue: bool = False, now=None
):
    incidents = SecurityIncident.objects.visible_to(user).select_related("ticket")
    if status:
        incidents = incidents.filter(status=status)
    if classification:
        incidents = incidents.filter(classification=classification)
    if overdue:
        incidents = incidents.notification_overdue(now or timezone.now())
    return incidents.order_by("-detected_at", "-pk")


def live_services():
    return Service.objects.filter(status=ServiceStatus.LIVE).order_by("name")
