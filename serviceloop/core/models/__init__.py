from serviceloop.core.models.attachments import Attachment
from serviceloop.core.models.audit import AuditChainHead, AuditEvent
from serviceloop.core.models.calendars import Calendar, CalendarDay
from serviceloop.core.models.notifications import Delivery, Notification
from serviceloop.core.models.numbering import ReferenceSequence
from serviceloop.core.models.organisations import Organisation, OrganisationKind, Team, User

__all__ = [
    "Attachment",
    "AuditChainHead",
    "AuditEvent",
    "Calendar",
    "CalendarDay",
    "Delivery",
    "Notification",
    "Organisation",
    "OrganisationKind",
    "ReferenceSequence",
    "Team",
    "User",
]
