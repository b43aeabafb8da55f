"""Navigation entries (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Gap analysis"),
        "assessment_list",
        "clipboard-check",
        Capability.STAFF,
        section="planning",
        menu="management",
    ),
    NavEntry(
        _("Implementation plan"),
        "plan_overview",
        "calendar-range",
        Capability.STAFF,
        section="planning",
        menu="management",
    ),
)

from serviceloop.planning import nav_management  # noqa: E402, F401  (clauses 4-6, tailoring)
