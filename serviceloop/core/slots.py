"""Slots: named places in a page where other apps add panels, without being imported.

Operational apps (desk, portfolio...) never import the management-system apps (support,
evaluation...), yet a ticket page may show the knowledge articles linked to the ticket. The
page names a place with ``{% load slots %}{% slot "desk.ticket_detail.side" %}``; an app
registers a panel for it, usually from its ``AppConfig.ready``::

    slot_register(
        "desk.ticket_detail.side",
        "support/knowledge_ticket_panel.html",
        context=ticket_panel_context,   # optional: (template Context) -> dict | None
        order=50,
    )

The tag renders every registered panel in ``order`` (then registration order), each with
the page's own context plus what its ``context`` function returns; a function that returns
None leaves its panel out (e.g. for a user who may not see it). A slot nobody fills renders
nothing. A panel that fails is logged and left out, so one app's bug cannot break another
app's page (with DEBUG on it raises, to be seen at once).

Slot names say where they are: ``<app>.<page>.<place>``. Pages shared by many screens
(``core/form_page.html``) name the slot after the screen's URL name:
``{% slot "form_page" request.resolver_match.url_name %}`` is the slot
``form_page.ticket_new`` on the screen whose URL is named ``ticket_new``.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlotPanel:
    template: str
    context: Callable | None = None  # (Context) -> dict | None
    order: int = 100


_SLOTS: dict[str, list[SlotPanel]] = {}


def slot_register(name: str, template: str, *, context: Callable | None = None, order: int = 100):
    """Add a panel to the slot ``name`` (idempotent: the same template twice is one panel)."""
    panels = _SLOTS.setdefault(name, [])
    if any(panel.template == template for panel in panels):
        return
    panels.append(SlotPanel(template, context, order))
    panels.sort(key=lambda panel: panel.order)  # stable: registration order among equals


def slot_unregister(name: str, template: str) -> None:
    """Remove a panel (for tests and for apps that switch a panel off)."""
    _SLOTS[name] = [panel for panel in _SLOTS.get(name, []) if panel.template != template]


def slot_panels(name: str) -> list[SlotPanel]:
    """The panels registered for ``name``, in display order."""
    return list(_SLOTS.get(name, ()))


def slot_name(*parts) -> str:
    """The slot name from the tag's arguments: the non-empty parts joined by dots; "" when
    a part is missing (such a slot renders nothing)."""
    texts = [str(part) for part in parts if part not in (None, "")]
    if len(texts) != len(parts):
        return ""
    return ".".join(texts)
