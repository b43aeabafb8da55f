"""Navigation of the context, leadership, objectives, risks and tailoring screens (clauses
4–6), and the filter that hides the entries of modules switched off by tailoring."""

from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _

from serviceloop.core.navigation import NavEntry, register, register_filter, register_page_gate
from serviceloop.core.roles import Capability
from serviceloop.planning.queries_tailoring import (
    hide_switched_off_modules,
    page_switched_off,
    refresh_on_sign_in,
)

register(
    NavEntry(
        _("Context, scope and policy"),
        "context_overview",
        "globe2",
        Capability.STAFF,
        section="planning",
        menu="management",
    ),
    NavEntry(
        _("Objectives"),
        "objective_list",
        "bullseye",
        Capability.STAFF,
        section="planning",
        menu="management",
    ),
    NavEntry(
        _("Risks and opportunities"),
        "risk_list",
        "exclamation-triangle",
        Capability.STAFF,
        section="planning",
        menu="management",
    ),
    NavEntry(
        _("Tailoring"),
        "tailoring",
        "sliders",
        Capability.STAFF,
        section="planning",
        menu="management",
    ),
)
register_filter(hide_switched_off_modules)
register_page_gate(page_switched_off)  # and their pages answer 404 (core ModuleGateMiddleware)
user_logged_in.connect(refresh_on_sign_in, dispatch_uid="planning.tailoring.refresh_on_sign_in")
