from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "serviceloop.portfolio"
    label = "portfolio"
    verbose_name = _("Service portfolio")

    def ready(self):
        # each part registers its navigation entries (core.navigation.register)
        from serviceloop.portfolio import (
            nav_cmdb,  # noqa: F401
            nav_services,  # noqa: F401
        )
