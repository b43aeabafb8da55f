"""Navigation entries (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(_("KPIs"), "kpi_list", "speedometer2", Capability.STAFF, menu="management"),
)
