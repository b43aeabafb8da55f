"""REST API of the service desk: tickets (``api/tickets.py``) and the monitoring intake
(``api/intake.py``)."""

from serviceloop.desk.api.intake import (
    AlertmanagerIntakeView,
    GenericIntakeView,
    ZabbixIntakeView,
)
from serviceloop.desk.api.tickets import TicketViewSet

__all__ = ["AlertmanagerIntakeView", "GenericIntakeView", "TicketViewSet", "ZabbixIntakeView"]
