"""Navigation entries (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Capacity"),
        "capacity_plan_list",
        "speedometer2",
        Capability.STAFF,
        section="demand",
        menu="operation",
    ),
    NavEntry(
        _("Demand"),
        "demand_list",
        "graph-up-arrow",
        Capability.STAFF,
        section="demand",
        menu="operation",
    ),
    NavEntry(
        _("Budgets"),
        "budget_list",
        "cash-coin",
        Capability.STAFF,
        section="demand",
        menu="operation",
    ),
    # A customer manager reads his organisation's demand forecasts against consumption.
    NavEntry(
        _("Demand forecast"),
        "demand_list",
        "graph-up-arrow",
        Capability.ORG_WIDE,
        customers_only=True,
        section="demand",
    ),
)
