"""Navigation entries of improvement: nonconformities, corrective and preventive actions (10.1)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Nonconformities"),
        "nonconformity_list",
        "exclamation-octagon",
        Capability.STAFF,
        section="improvement",
        menu="management",
    ),
    NavEntry(
        _("My corrective actions"),
        "my_actions",
        "check2-square",
        Capability.STAFF,
        section="improvement",
        menu="management",
    ),
)
