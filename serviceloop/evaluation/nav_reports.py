"""Navigation entries of evaluation: service reports (9.4)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Service reports"),
        "service_report_list",
        "file-earmark-bar-graph",
        Capability.STAFF,
        section="evaluation",
        menu="management",
    ),
    # A customer manager reads his organisation's service reports in the portal.
    NavEntry(
        _("Service reports"),
        "service_report_list",
        "file-earmark-bar-graph",
        Capability.ORG_WIDE,
        customers_only=True,
        section="evaluation",
    ),
)
