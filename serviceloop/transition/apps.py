from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransitionConfig(AppConfig):
    name = "serviceloop.transition"
    label = "transition"
    verbose_name = _("Change and release")

    def ready(self):
        from serviceloop.transition import (
            nav,  # noqa: F401  (navigation entries)
            slots_desk,
        )

        # the change panel inside the desk's ticket page (core.slots)
        slots_desk.register()
