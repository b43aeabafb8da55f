from serviceloop.desk.models.config import Category, Impact, Priority, PriorityMatrix, Urgency
from serviceloop.desk.models.major import MajorIncidentUpdate, PostIncidentReview
from serviceloop.desk.models.requests import Approval, CannedResponse, RequestType
from serviceloop.desk.models.sla import EscalationAction, SlaPolicy, SlaPolicyVersion
from serviceloop.desk.models.tickets import (
    Comment,
    EventKind,
    Kind,
    LinkKind,
    SavedView,
    SlaAlert,
    Source,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketPresence,
)

__all__ = [
    "Approval",
    "CannedResponse",
    "MajorIncidentUpdate",
    "PostIncidentReview",
    "RequestType",
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
    "SavedView",
    "TicketPresence",
    "Urgency",
]
