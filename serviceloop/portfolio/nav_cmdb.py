"""Navigation entries of the cmdb part (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Configuration items"),
        "ci_list",
        "hdd-network",
        Capability.STAFF,
        section="portfolio",
        menu="operation",
    ),
    NavEntry(
        _("Assets"),
        "asset_list",
        "cash-coin",
        Capability.STAFF,
        section="portfolio",
        menu="operation",
    ),
)
