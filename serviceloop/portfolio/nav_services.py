"""Navigation entries of the services part (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Service catalogue"),
        "service_list",
        "grid-3x3-gap",
        Capability.STAFF,
        section="portfolio",
        menu="operation",
    ),
    NavEntry(
        _("Service catalogue"),
        "portal_service_list",
        "grid-3x3-gap",
        customers_only=True,
        section="portfolio",
    ),
)
