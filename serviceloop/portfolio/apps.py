import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "serviceloop.portfolio"
    label = "portfolio"
    verbose_name = _("Service portfolio")

    def ready(self):
        # each part registers its navigation entries (core.navigation.register), the
        # catalogue before the CMDB so the menu reads in that order
        for part in ("nav_services", "nav_cmdb"):
            importlib.import_module(f"serviceloop.portfolio.{part}")
