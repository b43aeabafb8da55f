"""Navigation entries of improvement: proposals raised from operational signals."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Proposals from signals"),
        "proposal_list",
        "broadcast",
        Capability.STAFF,
        section="improvement",
        menu="management",
    ),
)
