"""Navigation entries of evaluation: role-based dashboards (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register

# Every signed-in person has a dashboard: its widgets follow what he may see.
register(NavEntry(_("Dashboard"), "dashboard", "grid-1x2"))
