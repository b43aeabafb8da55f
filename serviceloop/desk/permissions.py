"""Who may see and work a ticket."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.desk.lifecycle import AGENT, REQUESTER
from serviceloop.desk.models import Ticket


def ticket_role(user, ticket: Ticket) -> str | None:
    """``agent`` for staff who work tickets, ``requester`` for the customer side that may
    act on it (its requester, or a manager of its organisation), None for read-only users."""
    if user.has_capability(Capability.OPERATE):
        return AGENT
    if user.has_capability(Capability.STAFF):
        return None  # auditors, top management, system owner: read only
    if ticket.requester_id == user.pk or (
        user.has_capability(Capability.ORG_WIDE) and ticket.organisation_id == user.organisation_id
    ):
        return REQUESTER
    return None


def get_ticket_for(user, reference: str, *, write: bool = False) -> Ticket:
    """The ticket by reference if the user may see it (else 404); with ``write``, 403 unless
    the user may act on it."""
    try:
        ticket = (
            Ticket.objects.visible_to(user)
            .select_related(
                "organisation", "requester", "team", "assignee", "category", "sla_version"
            )
            .get(reference=reference)
        )
    except (Ticket.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if write and ticket_role(user, ticket) is None:
        raise PermissionDenied
    return ticket
