"""Navigation entries of evaluation: internal audit (9.2)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Internal audits"),
        "internal_audit_list",
        "search",
        Capability.STAFF,
        section="evaluation",
        menu="management",
    ),
    NavEntry(
        _("Audit programme"),
        "audit_programme_list",
        "calendar2-check",
        Capability.STAFF,
        section="evaluation",
        menu="management",
    ),
    NavEntry(
        _("Audit findings"),
        "audit_finding_list",
        "flag",
        Capability.STAFF,
        section="evaluation",
        menu="management",
    ),
)
