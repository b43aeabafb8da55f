from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "serviceloop.planning"
    label = "planning"
    verbose_name = _("Planning")

    def ready(self):
        from serviceloop.planning import (
            nav,  # noqa: F401  (navigation entries)
            slots_assurance,
        )

        # the risks a single point of failure is the source of, on the finding's pages
        slots_assurance.register()
