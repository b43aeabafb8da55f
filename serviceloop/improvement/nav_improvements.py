"""Navigation entries of improvement: the continual improvement register (10.2)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Improvement register"),
        "improvement_list",
        "lightbulb",
        Capability.STAFF,
        section="improvement",
        menu="management",
    ),
)
