"""The main navigation, declared as data: an entry shows when the user holds its capability.

Apps add their entries with ``register``; the order is the registration order.
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

    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION: list[NavEntry] = []


def register(*entries: NavEntry) -> None:
    NAVIGATION.extend(entries)


def entries_for(user) -> list[NavEntry]:
    if not user.is_authenticated:
        return []
    shown = []
    for entry in NAVIGATION:
        if entry.customers_only and user.has_capability(Capability.STAFF):
            continue
        if entry.capability is None or user.has_capability(entry.capability):
            shown.append(entry)
    return shown


register(
    NavEntry(_("Home"), "home", "house"),
    NavEntry(_("My organisation"), "my_organisation", "building", customers_only=True),
    NavEntry(
        _("Organisations"), "organisation_list", "buildings", Capability.STAFF, section="core"
    ),
    NavEntry(_("People"), "person_list", "people", Capability.STAFF, section="core"),
    NavEntry(_("Teams"), "team_list", "diagram-3", Capability.STAFF, section="core"),
    NavEntry(_("Calendars"), "calendar_list", "calendar3", Capability.STAFF, section="core"),
    NavEntry(
        _("Audit trail"), "audit_list", "journal-check", Capability.READ_AUDIT_TRAIL, section="core"
    ),
)
