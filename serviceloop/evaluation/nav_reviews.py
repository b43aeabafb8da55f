"""Navigation entries of evaluation: management review (9.3)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Management reviews"),
        "management_review_list",
        "people",
        Capability.STAFF,
        menu="management",
    ),
)
