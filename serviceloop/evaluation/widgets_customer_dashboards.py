"""Widgets of a customer's dashboard: figures about HIS organisation only.

The KPI widgets evaluate the provider's KPI definitions sliced to the viewer's organisation
(``{"organisation": id}``), so the figure counts his organisation's tickets and nothing else;
the lists read the desk's and transition's customer-scoped queries and the availability
report for his organisation. Organisation-wide figures need ``ORG_WIDE`` (a customer
manager); a customer user's ticket list shows what ``Ticket.visible_to`` gives him.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.roles import Capability
from serviceloop.evaluation.widgets_dashboards import (
    CACHE_ORGANISATION,
    CUSTOMER,
    KPI,
    LIST,
    Widget,
    WidgetRequest,
    first_rows,
    instant_display,
    list_data,
    row,
    widget_register,
)
from serviceloop.evaluation.widgets_kpi_dashboards import build_customer_kpi
from serviceloop.evaluation.widgets_operation_dashboards import (
    availability_list,
    ticket_rows,
    tickets_by_due,
)

# widget code -> the KPI definition it slices to the customer's organisation
CUSTOMER_KPIS = {
    "customer_response_sla": "response-within-sla",
    "customer_resolution_sla": "resolution-within-sla",
}


def _customer_kpi(definition_code: str):
    def build(request: WidgetRequest) -> dict:
        return build_customer_kpi(request, definition_code)

    return build


def build_open_tickets(request: WidgetRequest) -> dict:
    from serviceloop.desk.models import Ticket

    tickets = Ticket.objects.visible_to(request.user).open()
    records, count = first_rows(tickets_by_due(tickets), request.limit)
    return list_data(
        count=count,
        rows=ticket_rows(records, request.now, customer_view=True),
        url=reverse("portal_home"),
        empty=_("No open ticket."),
    )


def build_availability(request: WidgetRequest) -> dict:
    from serviceloop.portfolio.models import Service

    organisation = request.user.organisation
    return availability_list(
        request,
        Service.objects.entitled(organisation),
        customer=organisation,
        empty=_("No live service for your organisation."),
    )


def build_planned_changes(request: WidgetRequest) -> dict:
    from serviceloop.transition.queries import planned_changes_for_customer

    changes = planned_changes_for_customer(request.user, now=request.now).prefetch_related(None)
    records, count = first_rows(changes, request.limit)
    rows = [
        row(
            reference=change.reference,
            title=change.title,
            url=reverse("planned_changes"),
            meta=_("until %(end)s") % {"end": instant_display(change.planned_end)},
            due=change.planned_start,
        )
        for change in records
    ]
    return list_data(
        count=count,
        rows=rows,
        url=reverse("planned_changes"),
        empty=_("No change planned that affects you."),
    )


widget_register(
    Widget(
        "customer_response_sla",
        gettext_lazy("Our first responses within the SLA"),
        KPI,
        _customer_kpi(CUSTOMER_KPIS["customer_response_sla"]),
        CUSTOMER,
        Capability.ORG_WIDE,
        module="desk",
        cache=CACHE_ORGANISATION,
    )
)
widget_register(
    Widget(
        "customer_resolution_sla",
        gettext_lazy("Our tickets resolved within the SLA"),
        KPI,
        _customer_kpi(CUSTOMER_KPIS["customer_resolution_sla"]),
        CUSTOMER,
        Capability.ORG_WIDE,
        module="desk",
        cache=CACHE_ORGANISATION,
    )
)
widget_register(
    Widget(
        "customer_open_tickets",
        gettext_lazy("Open tickets"),
        LIST,
        build_open_tickets,
        CUSTOMER,
        module="desk",
    )
)
widget_register(
    Widget(
        "customer_availability",
        gettext_lazy("Availability of our services this month"),
        LIST,
        build_availability,
        CUSTOMER,
        module="availability",
        cache=CACHE_ORGANISATION,
    )
)
widget_register(
    Widget(
        "customer_planned_changes",
        gettext_lazy("Planned changes affecting us"),
        LIST,
        build_planned_changes,
        CUSTOMER,
        module="changes",
        cache=CACHE_ORGANISATION,
    )
)
