from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssuranceConfig(AppConfig):
    name = "serviceloop.assurance"
    label = "assurance"
    verbose_name = _("Service assurance")

    def ready(self):
        from serviceloop.assurance import (
            nav,  # noqa: F401  (navigation entries)
            slots_desk,
        )

        # the assurance panel inside the desk's ticket page (core.slots)
        slots_desk.register()
        # audit rows about security incidents: details hidden from readers outside them
        from serviceloop.assurance.audit_security import audit_rows_hidden
        from serviceloop.core.audit_redaction import AUDIT_HIDDEN
        from serviceloop.core.hooks import collector_register

        collector_register(AUDIT_HIDDEN, audit_rows_hidden)
