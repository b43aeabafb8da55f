"""The change panel inside the desk's ticket page (``core.slots``): desk never imports
transition; this registration puts the panel into the slot its template declares.

For staff on an incident: the changes recorded as its cause and the releases it is tagged
to, with the way to the incident's page in this app (``incident_changes``), where it is
linked to a change.
"""

from serviceloop.core.slots import slot_register
from serviceloop.desk.models import Kind
from serviceloop.transition import queries
from serviceloop.transition.permissions import can_operate, is_staff


def ticket_panel_context(context) -> dict | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    ticket = context.get("ticket")
    if user is None or ticket is None or not is_staff(user) or ticket.kind != Kind.INCIDENT:
        return None
    records = queries.incident_transition_records(ticket)
    return {
        "transition_changes": records["changes"],
        "transition_releases": records["releases"],
        "transition_can_link": can_operate(user),
    }


def register() -> None:
    slot_register(
        "desk.ticket_detail.side",
        "transition/ticket_panel.html",
        context=ticket_panel_context,
        order=55,
    )
