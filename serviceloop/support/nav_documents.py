"""Navigation entries of the documents part (``core.navigation.register``)."""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register
from serviceloop.core.roles import Capability

register(
    NavEntry(
        _("Documents"),
        "document_list",
        "file-earmark-text",
        Capability.STAFF,
        section="support",
        menu="management",
    ),
)
