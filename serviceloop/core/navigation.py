"""The main navigation, declared as data: an entry shows when the user holds its capability.

Apps add their entries with ``register``; the order is the registration order.

Hiding an entry is not enough for a module switched off: its pages must not open either.
An app that switches modules off (planning's tailoring) registers a page gate with
``register_page_gate``; ``core.middleware.ModuleGateMiddleware`` asks ``page_switched_off``
before every view and answers 404 (the page does not exist while its module is off).
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    icon: str
    capability: Capability | None = None  # None: every signed-in user
    customers_only: bool = False
    section: str = ""
    menu: str = ""  # a key of MENUS: shown inside that drop-down; "" on the bar itself
    module: str = ""  # the tailoring module it belongs to ("" = always on); see FILTERS

    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION: list[NavEntry] = []
# Callables ``(user, entries) -> entries`` applied in order by ``entries_for`` (e.g. planning
# hides the entries of modules switched off by tailoring); see ``register_filter``.
FILTERS: list = []
# Callables ``(request) -> bool``: True when the requested page (its ``resolver_match`` and
# path, the API included) belongs to a module switched off; see ``register_page_gate``.
PAGE_GATES: list = []

# The drop-down menus of the bar, in display order, each after the bar's plain entries.
MENUS = {
    "operation": _("Operation"),
    "management": _("Management system"),
    "organisation": _("Organisation"),
}


@dataclass(frozen=True)
class NavMenu:
    key: str
    label: str
    entries: list


def menu_items_for(user) -> list:
    """The bar as shown: plain entries first, then one NavMenu per menu with entries."""
    entries = entries_for(user)
    items: list = [entry for entry in entries if not entry.menu]
    for key, label in MENUS.items():
        inside = [entry for entry in entries if entry.menu == key]
        if inside:
            items.append(NavMenu(key, label, inside))
    return items


def register(*entries: NavEntry) -> None:
    NAVIGATION.extend(entries)


def register_filter(nav_filter) -> None:
    """Add ``nav_filter(user, entries) -> entries``: it may drop entries, never add any."""
    FILTERS.append(nav_filter)


def register_page_gate(gate) -> None:
    """Add ``gate(request) -> bool``: True closes the page (404). Must cost no query on a
    normal page (read a cached switch)."""
    if gate not in PAGE_GATES:
        PAGE_GATES.append(gate)


def page_switched_off(request) -> bool:
    """Whether a page gate closes the requested page."""
    return any(gate(request) for gate in PAGE_GATES)


def entries_for(user) -> list[NavEntry]:
    if not user.is_authenticated:
        return []
    shown = []
    for entry in NAVIGATION:
        if entry.customers_only and user.has_capability(Capability.STAFF):
            continue
        if entry.capability is None or user.has_capability(entry.capability):
            shown.append(entry)
    for nav_filter in FILTERS:
        shown = list(nav_filter(user, shown))
    return shown


register(
    NavEntry(_("Home"), "home", "house"),
    NavEntry(_("My organisation"), "my_organisation", "building", customers_only=True),
    NavEntry(
        _("Organisations"),
        "organisation_list",
        "buildings",
        Capability.STAFF,
        section="core",
        menu="organisation",
    ),
    NavEntry(
        _("People"), "person_list", "people", Capability.STAFF, section="core", menu="organisation"
    ),
    NavEntry(
        _("Teams"), "team_list", "diagram-3", Capability.STAFF, section="core", menu="organisation"
    ),
    NavEntry(
        _("Calendars"),
        "calendar_list",
        "calendar3",
        Capability.STAFF,
        section="core",
        menu="organisation",
    ),
    NavEntry(
        _("Audit trail"),
        "audit_list",
        "journal-check",
        Capability.READ_AUDIT_TRAIL,
        section="core",
        menu="organisation",
    ),
)
