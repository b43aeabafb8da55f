"""Navigation entries of competence, training and communication (``core.navigation``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability
from serviceloop.support import nav_documents  # noqa: F401  (documents come first in the menu)

register(
    NavEntry(
        _("Competence"),
        "competence_matrix",
        "grid-3x3",
        Capability.STAFF,
        section="support",
        menu="management",
    ),
    NavEntry(
        _("Training"),
        "training_list",
        "mortarboard",
        Capability.STAFF,
        section="support",
        menu="management",
    ),
    NavEntry(
        _("Communication"),
        "communication_list",
        "megaphone",
        Capability.STAFF,
        section="support",
        menu="management",
    ),
)
