from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConformityConfig(AppConfig):
    name = "serviceloop.conformity"
    label = "conformity"
    verbose_name = _("Conformity")

    def ready(self):
        from serviceloop.conformity import nav  # noqa: F401  (navigation entries)
