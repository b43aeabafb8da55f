"""Navigation entries (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Changes"),
        "change_list",
        "arrow-left-right",
        Capability.STAFF,
        section="transition",
        menu="operation",
    ),
    NavEntry(
        _("Change calendar"),
        "change_calendar",
        "calendar-week",
        Capability.STAFF,
        section="transition",
        menu="operation",
    ),
    NavEntry(
        _("Releases"),
        "release_list",
        "box-seam",
        Capability.STAFF,
        section="transition",
        menu="operation",
    ),
    NavEntry(
        _("Planned changes"),
        "planned_changes",
        "calendar-event",
        customers_only=True,
        section="transition",
    ),
)
