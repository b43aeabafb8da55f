from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "serviceloop.desk"
    label = "desk"
    verbose_name = _("Service desk")

    def ready(self):
        from serviceloop.core.navigation import NavEntry, register
        from serviceloop.core.roles import Capability

        register(
            NavEntry(_("Service desk"), "desk_queue", "inbox", Capability.STAFF, section="desk"),
            NavEntry(_("My tickets"), "portal_home", "life-preserver", customers_only=True),
        )
        # problems and known errors (clause 8.6.3)
        register(NavEntry(_("Problems"), "problem_list", "bug", Capability.STAFF, section="desk"))
        # audit rows about confidential tickets: details hidden from readers not cleared
        from serviceloop.core.audit_redaction import AUDIT_HIDDEN
        from serviceloop.core.hooks import collector_register
        from serviceloop.desk.confidential import audit_rows_hidden

        collector_register(AUDIT_HIDDEN, audit_rows_hidden)
