"""Navigation entries of the customers part (``core.navigation.register``).

Staff find customers (accounts, reviews, surveys) and agreements under "Operation"; a
customer gets one entry on the bar for his own service relationship: his agreements (agreed
and superseded versions), reviews with their minutes and actions, and surveys.
"""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Customers"),
        "customer_list",
        "person-vcard",
        Capability.STAFF,
        section="relationship",
        menu="operation",
    ),
    NavEntry(
        _("Agreements"),
        "agreement_list",
        "file-earmark-check",
        Capability.STAFF,
        section="relationship",
        menu="operation",
    ),
    NavEntry(
        _("Service relationship"),
        "customer_mine",
        "file-earmark-check",
        customers_only=True,
        section="relationship",
    ),
)
