"""Which configuration items an incident concerns, and what that reaches: the services built
on them and the customers entitled to those (``portfolio.impact``, one recursive query)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.desk.lifecycle import AGENT
from serviceloop.desk.models import Ticket, TicketConfigurationItem
from serviceloop.desk.permissions import ticket_role
from serviceloop.portfolio.impact import Impact, impact_of
from serviceloop.portfolio.models import ConfigurationItem

MAX_ITEMS = 50


def items_by_reference(user, references: list[str]) -> list[ConfigurationItem]:
    """The items named by reference (``CI-2026-000012``), as the user may see them; an unknown
    or unseen reference is an error that names it."""
    wanted = [r.strip().upper() for r in references if r.strip()]
    if len(wanted) > MAX_ITEMS:
        raise ValidationError(
            {"items": _("Name at most %(n)d configuration items.") % {"n": MAX_ITEMS}}
        )
    found = {
        item.reference: item
        for item in ConfigurationItem.objects.visible_to(user).filter(reference__in=wanted)
    }
    missing = [r for r in wanted if r not in found]
    if missing:
        raise ValidationError(
            {"items": _("No configuration item %(refs)s.") % {"refs": ", ".join(missing)}}
        )
    return [found[r] for r in dict.fromkeys(wanted)]


def affected_items_set(*, actor, ticket: Ticket, items: list[ConfigurationItem], now=None):
    """Replace the ticket's affected items; one transaction with its audit row."""
    if actor is not None and ticket_role(actor, ticket) != AGENT:
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        current = {link.item_id: link for link in ticket.affected_items.select_for_update()}
        wanted = {item.pk: item for item in items}
        removed = [link for pk, link in current.items() if pk not in wanted]
        added = [item for pk, item in wanted.items() if pk not in current]
        if not removed and not added:
            return False
        TicketConfigurationItem.objects.filter(pk__in=[link.pk for link in removed]).delete()
        TicketConfigurationItem.objects.bulk_create(
            [
                TicketConfigurationItem(ticket=ticket, item=item, added_by=actor, added_at=now)
                for item in added
            ]
        )
        audit_record(
            actor=actor,
            verb="ticket.affected_items_changed",
            obj=ticket,
            payload={
                "added": [item.reference for item in added],
                "removed": [link.item.reference for link in removed],
            },
        )
    return True


def ticket_impact(ticket: Ticket) -> Impact | None:
    """The services and customers the ticket's affected items reach; None without items."""
    ids = list(ticket.affected_items.values_list("item_id", flat=True))
    return impact_of(ids) if ids else None
