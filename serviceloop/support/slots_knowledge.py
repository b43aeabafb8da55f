"""Panels of the knowledge base inside desk pages (``core.slots``): desk never imports
support; these registrations put the panels into the slots its templates declare.

- ``form_page.ticket_new`` / ``form_page.portal_new``: articles that may answer the ticket
  being written, refreshed by htmx as its title and description are typed.
- ``desk.ticket_detail.side``: the ticket's linked articles (staff), with a search-and-link
  form and the "used to resolve" flag.
"""

from serviceloop.core.roles import Capability
from serviceloop.core.slots import slot_register
from serviceloop.support import services_knowledge_links as link_services
from serviceloop.support.queries_knowledge import ticket_article_links
from serviceloop.support.search_knowledge import suggestions_for


def _user(context):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return user if user is not None and user.is_authenticated else None


def suggestions_context(context) -> dict | None:
    """The form's title and description fields (to listen to), and the first suggestions
    when the form comes back with what was typed (so they show without JavaScript too)."""
    user, form = _user(context), context.get("form")
    if user is None or form is None or "title" not in getattr(form, "fields", {}):
        return None
    has_description = "description" in form.fields
    results = []
    if form.is_bound:
        results = suggestions_for(
            user, form.data.get("title", ""), form.data.get("description", "")
        )
    fields = [form["title"].id_for_label]
    if has_description:
        fields.append(form["description"].id_for_label)
    # keyup as the user types; input too, for a Chinese input method or a paste (no keyup);
    # htmx debounces them together, so one request follows a pause in the typing.
    trigger = ", ".join(
        f"{event} changed delay:600ms from:#{field}"
        for field in fields
        for event in ("keyup", "input")
    )
    return {
        "knowledge_trigger": trigger,
        "knowledge_include": ", ".join(f"#{field}" for field in fields),
        "knowledge_suggestions": results,
        "asked": form.is_bound,
    }


def ticket_panel_context(context) -> dict | None:
    user, ticket = _user(context), context.get("ticket")
    if user is None or ticket is None or not user.has_capability(Capability.STAFF):
        return None
    return {
        "knowledge_links": list(ticket_article_links(ticket)),
        "knowledge_can_link": link_services.knowledge_may_link(user),
    }


def register() -> None:
    for page in ("ticket_new", "portal_new"):
        slot_register(
            f"form_page.{page}",
            "support/knowledge_suggestions.html",
            context=suggestions_context,
        )
    slot_register(
        "desk.ticket_detail.side",
        "support/knowledge_ticket_panel.html",
        context=ticket_panel_context,
    )
