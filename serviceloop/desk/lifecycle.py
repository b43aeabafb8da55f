"""The ticket lifecycle, declared as data: which status may follow which, and who may move it.

``agent``: provider staff who work tickets (the operate capability); ``requester``: the
customer who raised the ticket or a customer manager of its organisation; ``system``: the
queue (auto-close, intake). Every move is one call of ``ticket_transition``.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    WAITING_SUPPLIER = "waiting_supplier", _("Waiting for supplier")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.WAITING_CUSTOMER,
        Status.WAITING_SUPPLIER,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})

AGENT, REQUESTER, SYSTEM = "agent", "requester", "system"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str
    who: frozenset[str]
    needs_note: bool = False  # e.g. a resolution text, a reason to cancel


def _t(source, target, label, *who, needs_note=False):
    return Transition(source, target, label, frozenset(who), needs_note)


S = Status
TRANSITIONS: tuple[Transition, ...] = (
    # Service requests that need approval: the approval service moves them on.
    _t(S.PENDING_APPROVAL, S.NEW, _("Approved"), SYSTEM),
    _t(S.PENDING_APPROVAL, S.CANCELLED, _("Rejected"), SYSTEM, needs_note=True),
    _t(S.PENDING_APPROVAL, S.CANCELLED, _("Withdraw"), REQUESTER),
    # Assigning (ticket_assign) moves a new ticket to "assigned"; no bare status move does.
    _t(S.NEW, S.ASSIGNED, _("Assign"), SYSTEM),
    _t(S.NEW, S.IN_PROGRESS, _("Start work"), AGENT),
    _t(S.ASSIGNED, S.IN_PROGRESS, _("Start work"), AGENT),
    *(
        _t(source, S.WAITING_CUSTOMER, _("Wait for customer"), AGENT)
        for source in (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_SUPPLIER)
    ),
    *(
        _t(source, S.WAITING_SUPPLIER, _("Wait for supplier"), AGENT)
        for source in (S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER)
    ),
    _t(S.WAITING_CUSTOMER, S.IN_PROGRESS, _("Resume"), AGENT, REQUESTER, SYSTEM),
    _t(S.WAITING_SUPPLIER, S.IN_PROGRESS, _("Resume"), AGENT),
    *(
        _t(source, S.RESOLVED, _("Resolve"), AGENT, SYSTEM, needs_note=True)
        for source in (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.WAITING_SUPPLIER)
    ),
    _t(S.RESOLVED, S.CLOSED, _("Close"), AGENT, REQUESTER, SYSTEM),
    _t(S.RESOLVED, S.IN_PROGRESS, _("Reopen"), AGENT, REQUESTER),
    *(
        _t(source, S.CANCELLED, _("Cancel"), AGENT, needs_note=True)
        for source in (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.WAITING_SUPPLIER)
    ),
    _t(S.NEW, S.CANCELLED, _("Withdraw"), REQUESTER),
)


def transition_for(source: str, target: str, role: str) -> Transition | None:
    """The declared move from ``source`` to ``target`` that ``role`` may make, if any."""
    for t in TRANSITIONS:
        if t.source == source and t.target == target and role in t.who:
            return t
    return None


def transitions_from(source: str, role: str) -> list[Transition]:
    """The moves ``role`` may make from ``source``, one per target, in declaration order."""
    seen, moves = set(), []
    for t in TRANSITIONS:
        if t.source == source and role in t.who and t.target not in seen:
            seen.add(t.target)
            moves.append(t)
    return moves
