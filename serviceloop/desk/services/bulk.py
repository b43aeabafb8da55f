"""Actions on several tickets at once from the queue, merging duplicates, saved views."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.desk.confidential import ticket_cleared
from serviceloop.desk.lifecycle import AGENT, Status
from serviceloop.desk.models import LinkKind, SavedView, Ticket
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.services.relations import ticket_link
from serviceloop.desk.services.ticket_assignment import ticket_assign
from serviceloop.desk.services.ticket_transitions import ticket_transition
from serviceloop.desk.services.ticket_writes import StaleTicket, ticket_lock


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (reference, warning)


def tickets_bulk(
    *, actor, tickets, action: str, team=None, assignee=None, target: str = "", note: str = ""
) -> BulkResult:
    """Apply one action to each ticket, each in its own transaction through the ticket's own
    service: one ticket refusing (a lifecycle rule, a permission) does not stop the others,
    and the result says which failed and why."""
    result = BulkResult()
    for ticket in tickets:
        try:
            if action == "assign":
                assigned = ticket_assign(actor=actor, ticket=ticket, team=team, assignee=assignee)
                result.warnings += [(ticket.reference, w) for w in assigned.assignment_warnings]
            elif action == "status":
                ticket_transition(actor=actor, ticket=ticket, target=target, note=note)
            else:
                raise ValidationError(_("Unknown action."))
        except (ValidationError, PermissionDenied, StaleTicket) as exc:
            reason = (
                "; ".join(exc.messages) if isinstance(exc, ValidationError) else _("not allowed")
            )
            result.failed.append((ticket.reference, reason))
        else:
            result.done.append(ticket.reference)
    return result


def _merge_clearance_check(duplicates, into: Ticket) -> None:
    """A confidential ticket's work goes on where it is merged: only into a confidential
    ticket, and one whose agent is cleared for it (``ValidationError`` otherwise). ``into``
    as locked by the merge."""
    for duplicate in duplicates:
        if not duplicate.confidential:
            continue
        if not into.confidential:
            raise ValidationError(
                _(
                    "%(ref)s is confidential: merge it only into another confidential ticket, "
                    "never into one that people not cleared for it can see."
                )
                % {"ref": duplicate.reference}
            )
        if into.assignee is not None and not ticket_cleared(duplicate, into.assignee):
            raise ValidationError(
                _(
                    "%(agent)s, who works %(into)s, is not cleared to see the confidential "
                    "ticket %(ref)s: reassign %(into)s first, or do not merge."
                )
                % {"agent": into.assignee, "into": into.reference, "ref": duplicate.reference}
            )


def tickets_merge(*, actor, duplicates, into: Ticket) -> list[Ticket]:
    """Merge duplicates into one ticket: each is linked "duplicate of" it, its requester
    becomes a watcher of it, and it is cancelled with a note pointing there. All or nothing.
    A confidential duplicate goes only into a confidential ticket whose agent is cleared for
    it (``_merge_clearance_check``)."""
    duplicates = [t for t in duplicates if t.pk != into.pk]
    if not duplicates:
        raise ValidationError(_("Choose at least one other ticket to merge."))
    if ticket_role(actor, into) != AGENT or any(ticket_role(actor, t) != AGENT for t in duplicates):
        raise PermissionDenied
    if not into.is_open:
        raise ValidationError(_("Merge into an open ticket."))
    with transaction.atomic():
        # read afresh under lock: an assignment or a confidentiality change meanwhile counts
        into = ticket_lock(into, None)
        _merge_clearance_check(
            Ticket.objects.filter(pk__in=[t.pk for t in duplicates]).only(
                "pk", "reference", "confidential"
            ),
            into,
        )
        for duplicate in duplicates:
            ticket_link(actor=actor, source=duplicate, target=into, kind=LinkKind.DUPLICATE_OF)
            if duplicate.requester_id != into.requester_id:
                into.watchers.add(duplicate.requester)
            if duplicate.is_open:
                ticket_transition(
                    actor=actor,
                    ticket=duplicate,
                    target=Status.CANCELLED,
                    note=_("Merged into %(ref)s; follow it there.") % {"ref": into.reference},
                )
        audit_record(
            actor=actor,
            verb="ticket.merged",
            obj=into,
            payload={"duplicates": [t.reference for t in duplicates]},
        )
    return duplicates


SAVED_FILTERS = ("view", "priority", "status", "organisation", "q", "sort")


def saved_view_save(*, actor, name: str, filters: dict) -> SavedView:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the view.")})
    query = urlencode({k: v for k, v in filters.items() if k in SAVED_FILTERS and v})
    with transaction.atomic():
        view, created = SavedView.objects.update_or_create(
            owner=actor, name=name[:60], defaults={"query": query}
        )
        audit_record(
            actor=actor,
            verb="saved_view.saved",
            obj=view,
            payload={"query": query, "created": created},
        )
    return view


def saved_view_delete(*, actor, view: SavedView) -> None:
    if view.owner_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        audit_record(actor=actor, verb="saved_view.deleted", obj=view, payload={"name": view.name})
        view.delete()
