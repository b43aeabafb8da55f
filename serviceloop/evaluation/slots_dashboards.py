"""The dashboard on the home page: a panel in the ``core.home.top`` slot (``core.slots``).
Registered on import (``EvaluationConfig.ready`` imports this module)."""

from serviceloop.core.slots import slot_register
from serviceloop.evaluation.queries_dashboards import dashboard_for
from serviceloop.evaluation.views_dashboards import has_trends


def home_panel_context(context) -> dict | None:
    """The viewer's widgets with their data; None (no panel) for anonymous visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    widgets, layout = dashboard_for(user)
    return {
        "dashboard_widgets": widgets,
        "dashboard_layout": layout,
        "dashboard_charts": has_trends(widgets),
    }


slot_register(
    "core.home.top", "evaluation/dashboard_home.html", context=home_panel_context, order=10
)
