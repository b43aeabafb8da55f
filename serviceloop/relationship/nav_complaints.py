"""Navigation entries of the complaints part (``core.navigation.register``).

One screen serves both sides: staff find "Complaints" in the operation menu; customers get
their own entry on the bar, on the same page, scoped to their complaints (a customer
manager: his organisation's)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Complaints"),
        "complaint_list",
        "megaphone",
        Capability.STAFF,
        section="relationship",
        menu="operation",
    ),
    NavEntry(_("Complaints"), "complaint_list", "megaphone", customers_only=True),
)
