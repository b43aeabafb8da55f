"""REST API of the service desk: tickets (``api/tickets.py``), their attachments
(``api/attachments.py``), problems (``api/problems.py``) and the monitoring intake
(``api/intake.py``)."""

from serviceloop.desk.api.affected import TicketAffectedItemsView
from serviceloop.desk.api.attachments import TicketAttachmentsView
from serviceloop.desk.api.intake import (
    AlertmanagerIntakeView,
    GenericIntakeView,
    ZabbixIntakeView,
)
from serviceloop.desk.api.problems import ProblemViewSet
from serviceloop.desk.api.tickets import TicketViewSet

__all__ = [
    "AlertmanagerIntakeView",
    "GenericIntakeView",
    "ProblemViewSet",
    "TicketAffectedItemsView",
    "TicketAttachmentsView",
    "TicketViewSet",
    "ZabbixIntakeView",
]
