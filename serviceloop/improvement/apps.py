from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    name = "serviceloop.improvement"
    label = "improvement"
    verbose_name = _("Improvement")

    def ready(self):
        # each part registers its navigation entries (core.navigation.register)
        from serviceloop.improvement import (  # noqa: F401
            kpi_nonconformities,  # noqa: F401  (KPI function)
            nav_improvements,
            nav_nonconformities,
            nav_signals,
        )
