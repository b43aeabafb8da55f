from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "serviceloop.support"
    label = "support"
    verbose_name = _("Support")

    def ready(self):
        # each part registers its navigation entries (core.navigation.register)
        from serviceloop.support import (
            nav_competence,  # noqa: F401
            nav_documents,  # noqa: F401
            nav_knowledge,  # noqa: F401
            slots_knowledge,
        )

        # knowledge panels inside desk pages (core.slots)
        slots_knowledge.register()
        # the competence check when the desk assigns a ticket (core.hooks)
        from serviceloop.support import checks_competence

        checks_competence.register()
