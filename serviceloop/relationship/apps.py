from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipConfig(AppConfig):
    name = "serviceloop.relationship"
    label = "relationship"
    verbose_name = _("Customers and agreements")

    def ready(self):
        # each part registers its navigation entries (core.navigation.register)
        from serviceloop.relationship import (
            nav_complaints,  # noqa: F401
            nav_customers,  # noqa: F401
            nav_suppliers,  # noqa: F401
        )
