from serviceloop.desk.models.config import Category, Impact, Priority, PriorityMatrix, Urgency
from serviceloop.desk.models.sla import EscalationAction, SlaPolicy, SlaPolicyVersion
from serviceloop.desk.models.tickets import (
    Comment,
    EventKind,
    Kind,
    LinkKind,
    SlaAlert,
    Source,
    Ticket,
    TicketEvent,
    TicketLink,
)

__all__ = [
    "Category",
    "Comment",
    "EscalationAction",
    "EventKind",
    "Impact",
    "Kind",
    "LinkKind",
    "Priority",
    "PriorityMatrix",
    "SlaAlert",
    "SlaPolicy",
    "SlaPolicyVersion",
    "Source",
    "Ticket",
    "TicketEvent",
    "TicketLink",
    "Urgency",
]
