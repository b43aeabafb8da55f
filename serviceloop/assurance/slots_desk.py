"""The assurance panel inside the desk's ticket page (``core.slots``): desk never imports
assurance; this registration puts the panel into the slot its template declares.

For staff on an incident: the outages a major incident caused (and recording one), the
continuity plans invoked for it (and invoking one), and its security incident record (or
recording the ticket as one).
"""

from serviceloop.assurance import queries
from serviceloop.assurance.lifecycle import PlanStatus
from serviceloop.assurance.models import ContinuityPlan, Invocation, Outage, SecurityIncident
from serviceloop.assurance.permissions import (
    can_operate,
    can_work_security_incidents,
    is_staff,
)
from serviceloop.core.slots import slot_register
from serviceloop.desk.models import Kind


def ticket_panel_context(context) -> dict | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    ticket = context.get("ticket")
    if user is None or ticket is None or not is_staff(user) or ticket.kind != Kind.INCIDENT:
        return None
    security = SecurityIncident.objects.visible_to(user).filter(ticket=ticket).first()
    may_record = (
        can_work_security_incidents(user)
        and not SecurityIncident.objects.filter(ticket=ticket).exists()
    )
    panel = {
        "assurance_security": security,
        "assurance_may_record_security": may_record,
        "assurance_major": ticket.is_major,
    }
    if ticket.is_major:
        guess = queries.service_for_ticket(ticket)
        plans = ContinuityPlan.objects.filter(status=PlanStatus.ACTIVE).select_related("service")
        panel |= {
            "assurance_outages": Outage.objects.filter(ticket=ticket).select_related("service"),
            "assurance_invocations": Invocation.objects.filter(ticket=ticket).select_related(
                "plan"
            ),
            "assurance_plans": sorted(
                plans, key=lambda p: (guess is None or p.service_id != guess.pk, p.service.name)
            ),
            "assurance_can_operate": can_operate(user),
        }
    if not security and not may_record and not ticket.is_major:
        return None
    return panel


def register() -> None:
    slot_register(
        "desk.ticket_detail.side",
        "assurance/ticket_panel.html",
        context=ticket_panel_context,
        order=60,
    )
