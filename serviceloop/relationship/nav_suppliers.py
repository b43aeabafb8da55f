"""Navigation entries of the suppliers part (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

# supplier management (clause 8.3.4): contracts, reviews and disputes are tabs of its page
register(
    NavEntry(
        _("Suppliers"),
        "supplier_list",
        "truck",
        Capability.STAFF,
        section="relationship",
        menu="operation",
    )
)
