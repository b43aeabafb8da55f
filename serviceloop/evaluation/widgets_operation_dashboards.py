"""List widgets over the operational records, for provider staff: ticket queues with their
SLA due instants (desk), availability of services this month (assurance) and the changes of
this week (transition). Every list reads the owning app's public queries and querysets,
scoped by ``visible_to`` (e.g. confidential tickets stay hidden from who is not cleared)."""

from __future__ import annotations

import datetime

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.roles import Capability
from serviceloop.evaluation.widgets_dashboards import (
    CACHE_GLOBAL,
    LIST,
    STAFF,
    Widget,
    WidgetRequest,
    first_rows,
    list_data,
    row,
    widget_register,
)

SOON = datetime.timedelta(hours=4)  # as the desk's "breaching soon" queue


# --- Tickets -----------------------------------------------------------------------------------


def next_due(ticket):
    """The SLA instant the ticket must meet next: first response while unanswered, else
    resolution (None without an SLA)."""
    waiting_response = ticket.first_response_at is None and ticket.response_met_at is None
    dues = [ticket.resolution_due_at]
    if waiting_response:
        dues.append(ticket.response_due_at)
    dues = [due for due in dues if due is not None]
    return min(dues) if dues else None


def due_tone(due, now) -> str:
    if due is None:
        return ""
    if due < now:
        return "danger"
    return "warning" if due < now + SOON else ""


def ticket_rows(tickets, now, *, customer_view: bool = False) -> list[dict]:
    rows = []
    for ticket in tickets:
        due = next_due(ticket) if ticket.is_open else None
        parts = [ticket.get_priority_display(), ticket.get_status_display()]
        if not customer_view:
            parts.insert(1, ticket.organisation.short_name or ticket.organisation.name)
        if ticket.sla_paused:
            parts.append(_("SLA paused"))
        rows.append(
            row(
                reference=ticket.reference,
                title=ticket.title,
                url=reverse("ticket_detail", args=[ticket.reference]),
                meta=" · ".join(str(p) for p in parts),
                due=due,
                tone="secondary" if ticket.sla_paused else due_tone(due, now),
            )
        )
    return rows


def tickets_by_due(tickets):
    return tickets.select_related("organisation").order_by(
        F("resolution_due_at").asc(nulls_last=True), "created_at", "id"
    )


def _queue(view: str, empty):
    def build(request: WidgetRequest) -> dict:
        from serviceloop.desk.queries import queue_tickets

        tickets = queue_tickets(request.user, view=view, now=request.now)
        records, count = first_rows(tickets_by_due(tickets), request.limit)
        return list_data(
            count=count,
            rows=ticket_rows(records, request.now),
            url=f"{reverse('desk_queue')}?view={view}",
            empty=str(empty),
        )

    return build


def build_breaches_today(request: WidgetRequest) -> dict:
    """Tickets whose response or resolution target fell due today (provider's day) and was
    missed."""
    from serviceloop.desk.models import Ticket

    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(request.today, datetime.time(), tzinfo=zone)
    end = start + datetime.timedelta(days=1)
    tickets = Ticket.objects.visible_to(request.user).filter(
        Q(response_breached=True, response_due_at__gte=start, response_due_at__lt=end)
        | Q(resolution_breached=True, resolution_due_at__gte=start, resolution_due_at__lt=end)
    )
    records, count = first_rows(
        tickets.select_related("organisation").order_by("-resolution_due_at", "-id"),
        request.limit,
    )
    rows = []
    for ticket in records:
        missed = []
        if (
            ticket.response_breached
            and ticket.response_due_at
            and start <= ticket.response_due_at < end
        ):
            missed.append((ticket.response_due_at, _("first response")))
        if (
            ticket.resolution_breached
            and ticket.resolution_due_at
            and start <= ticket.resolution_due_at < end
        ):
            missed.append((ticket.resolution_due_at, _("resolution")))
        due, what = min(missed) if missed else (None, "")
        rows.append(
            row(
                reference=ticket.reference,
                title=ticket.title,
                url=reverse("ticket_detail", args=[ticket.reference]),
                meta=" · ".join(
                    str(p)
                    for p in (
                        ticket.get_priority_display(),
                        ticket.organisation.short_name or ticket.organisation.name,
                        _("missed: %(what)s") % {"what": what},
                    )
                ),
                due=due,
                tone="danger",
            )
        )
    return list_data(
        count=count,
        rows=rows,
        url=f"{reverse('desk_queue')}?view=breaching",
        empty=_("No SLA target missed today."),
    )


# --- Availability ------------------------------------------------------------------------------


def _availability_row(service, result, target, *, url: str) -> dict:
    percent = result.percent
    shown = "—" if percent is None else f"{percent:.3f} %"
    meta = shown
    if target is not None:
        meta = _("%(value)s · target %(target)s %%") % {"value": shown, "target": target}
    met = result.meets(target)
    return row(
        reference=service.code,
        title=service.name,
        url=url,
        meta=meta,
        tone="" if met is None else ("success" if met else "danger"),
    )


def availability_list(request: WidgetRequest, services, *, customer=None, empty="") -> dict:
    """This month's availability of ``services`` (the first ``limit`` by name) against their
    targets: for the whole service, or as ``customer`` had it (only the outages that
    affected him, against his agreement's target). A few queries per service shown."""
    from serviceloop.assurance.queries import (
        availability_report,
        month_period,
        service_availability,
        target_for,
    )
    from serviceloop.portfolio.models import Service

    start, end = month_period(request.today.year, request.today.month)
    ids = list(services.order_by("name", "pk").values_list("pk", flat=True))
    shown = Service.objects.filter(pk__in=ids[: request.limit]).select_related("hours")
    if customer is not None:
        _per_service, lines = availability_report(
            start, end, services=shown, customer=customer, now=request.now
        )
        url = reverse("availability_report")
        rows = [_availability_row(x.service, x.result, x.target, url=url) for x in lines]
    else:
        on_date = min(request.today, timezone.localtime(end).date())
        rows = []
        for service in shown.order_by("name", "pk"):
            result = service_availability(service, start, end, now=request.now)
            target, _source = target_for(service, None, on_date)
            url = reverse("availability_service", args=[service.pk])
            rows.append(_availability_row(service, result, target, url=url))
    return list_data(
        count=len(ids),
        rows=rows,
        url=reverse("availability_report" if customer is not None else "availability_home"),
        empty=empty or _("No live service."),
    )


def build_my_services(request: WidgetRequest) -> dict:
    from serviceloop.portfolio.models import Service

    services = Service.objects.visible_to(request.user).live().filter(owner=request.user)
    return availability_list(request, services, empty=_("You own no live service."))


def build_services_availability(request: WidgetRequest) -> dict:
    from serviceloop.portfolio.models import Service

    return availability_list(request, Service.objects.visible_to(request.user).live())


# --- Changes -------------------------------------------------------------------------------------


def build_changes_week(request: WidgetRequest) -> dict:
    """Changes whose planned window overlaps this week (Monday to Sunday, provider's time)."""
    from serviceloop.transition.queries import calendar_changes

    zone = timezone.get_default_timezone()
    monday = request.today - datetime.timedelta(days=request.today.weekday())
    start = datetime.datetime.combine(monday, datetime.time(), tzinfo=zone)
    end = start + datetime.timedelta(days=7)
    changes = calendar_changes(request.user, start, end).prefetch_related(None)
    records, count = first_rows(changes.select_related(None), request.limit)
    rows = [
        row(
            reference=change.reference,
            title=change.title,
            url=reverse("change_detail", args=[change.reference]),
            meta=" · ".join(
                str(p)
                for p in (
                    change.get_change_type_display(),
                    change.get_status_display(),
                    change.get_risk_level_display() if change.risk_level else "",
                )
                if p
            ),
            due=change.planned_start,
            tone="danger" if change.risk_level in ("high", "critical") else "",
        )
        for change in records
    ]
    return list_data(
        count=count,
        rows=rows,
        url=reverse("change_calendar"),
        empty=_("No change planned this week."),
    )


# --- Registration --------------------------------------------------------------------------------

for _code, _title, _view, _capability, _empty in (
    ("my_tickets", gettext_lazy("My open tickets"), "mine", Capability.OPERATE,
     gettext_lazy("No open ticket is assigned to you.")),
    ("team_queue", gettext_lazy("My teams' queue"), "team", Capability.OPERATE,
     gettext_lazy("Your teams have no open ticket.")),
    ("unassigned", gettext_lazy("Unassigned tickets"), "unassigned", Capability.OPERATE,
     gettext_lazy("Every open ticket has an assignee.")),
    ("sla_at_risk", gettext_lazy("Breaching or due within 4 hours"), "breaching", None,
     gettext_lazy("No ticket is close to its SLA target.")),
):  # fmt: skip
    widget_register(
        Widget(_code, _title, LIST, _queue(_view, _empty), STAFF, _capability, module="desk")
    )

widget_register(
    Widget(
        "breaches_today",
        gettext_lazy("SLA breaches today"),
        LIST,
        build_breaches_today,
        STAFF,
        module="desk",
    )
)
widget_register(
    Widget(
        "my_services",
        gettext_lazy("My services' availability this month"),
        LIST,
        build_my_services,
        STAFF,
        module="availability",
    )
)
widget_register(
    Widget(
        "services_availability",
        gettext_lazy("Service availability this month"),
        LIST,
        build_services_availability,
        STAFF,
        module="availability",
        cache=CACHE_GLOBAL,
    )
)
widget_register(
    Widget(
        "changes_week",
        gettext_lazy("Changes this week"),
        LIST,
        build_changes_week,
        STAFF,
        module="changes",
        cache=CACHE_GLOBAL,
    )
)
