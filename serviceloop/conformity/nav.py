"""Navigation entries (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Clauses of the standard"),
        "clause_list",
        "list-ol",
        Capability.STAFF,
        section="conformity",
        menu="management",
    ),
)
