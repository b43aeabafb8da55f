"""Navigation entries of the knowledge part (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Knowledge"),
        "knowledge_list",
        "journal-text",
        Capability.STAFF,
        section="support",
        menu="operation",
    ),
    NavEntry(_("Knowledge"), "portal_knowledge", "journal-text", customers_only=True),
)
