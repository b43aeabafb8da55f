"""The incident page's affected-items block: the CIs concerned and what they reach."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.core.roles import Capability
from serviceloop.desk.permissions import get_ticket_for
from serviceloop.desk.services import affected


def affected_context(user, ticket) -> dict:
    """Staff see the affected items and their impact; customers see nothing of the CMDB."""
    if not user.has_capability(Capability.STAFF):
        return {}
    links = list(ticket.affected_items.select_related("item__ci_type"))
    return {
        "show_affected_block": True,
        "affected_links": links,
        "affected_impact": affected.ticket_impact(ticket) if links else None,
        "affected_references": " ".join(link.item.reference for link in links),
    }


@login_required
@require_POST
def affected_items_set(request, reference):
    if not request.user.has_capability(Capability.STAFF):
        raise Http404
    ticket = get_ticket_for(request.user, reference, write=True)
    raw = request.POST.get("items", "").replace(",", " ").split()
    try:
        items = affected.items_by_reference(request.user, raw)
        changed = affected.affected_items_set(actor=request.user, ticket=ticket, items=items)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if changed:
            messages.success(request, _("Affected configuration items saved."))
    return redirect("ticket_detail", reference=ticket.reference)
