from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandConfig(AppConfig):
    name = "serviceloop.demand"
    label = "demand"
    verbose_name = _("Demand, capacity and budget")

    def ready(self):
        from serviceloop.demand import nav  # noqa: F401  (navigation entries)
