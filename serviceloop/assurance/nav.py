"""Navigation entries (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Availability"),
        "availability_home",
        "activity",
        Capability.STAFF,
        section="assurance",
        menu="operation",
    ),
    NavEntry(
        _("Continuity"),
        "continuity_plan_list",
        "life-preserver",
        Capability.STAFF,
        section="assurance",
        menu="operation",
    ),
    NavEntry(
        _("Information security"),
        "security_risk_list",
        "shield-lock",
        Capability.STAFF,
        section="assurance",
        menu="operation",
    ),
    NavEntry(
        _("Service availability"),
        "availability_report",
        "activity",
        customers_only=True,
        section="assurance",
    ),
)
