"""Dashboard screens: the full dashboard (``/dashboard/``), the customise screen and its
actions (add, remove, move, configure a widget; reset to the role's default), and the home
page panel (``core.home.top`` slot, see ``slots_dashboards``).

Every signed-in person has a dashboard (its widgets follow what he may see). The actions
are plain POST forms that answer with a redirect, or with the layout partial for htmx; a
refused change (unknown widget, bad setting) shows its message and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.evaluation import services_dashboards as services
from serviceloop.evaluation.models import Period
from serviceloop.evaluation.queries_dashboards import (
    addable_widgets,
    dashboard_for,
    layout_rows,
)
from serviceloop.evaluation.widgets_dashboards import KPI, LIMITS


def has_trends(widgets) -> bool:
    return any(w.kind == KPI and w.data and len(w.data.get("trend") or []) > 1 for w in widgets)


@login_required
def dashboard(request):
    widgets, layout = dashboard_for(request.user)
    return render(
        request,
        "evaluation/dashboard.html",
        {"widgets": widgets, "layout": layout, "charts": has_trends(widgets)},
    )


def _customise_context(user, error: str = "") -> dict:
    rows, layout = layout_rows(user)
    return {
        "rows": rows,
        "layout": layout,
        "addable": addable_widgets(user, layout),
        "periods": Period.choices,
        "limits": LIMITS,
        "kpi_kind": KPI,
        "error": error,
    }


@login_required
def dashboard_customise(request):
    return render(request, "evaluation/dashboard_customise.html", _customise_context(request.user))


def _apply(request, change, done: str):
    """Run ``change()``; answer htmx with the refreshed layout (and the error, if any),
    others with a redirect to the customise screen and a message."""
    try:
        change()
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        error = ""
    if request.htmx:
        context = _customise_context(request.user, error) | {"done": "" if error else done}
        return render(request, "evaluation/dashboard_customise_layout.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("dashboard_customise")


@login_required
@require_POST
def dashboard_widget_add(request):
    code = request.POST.get("code", "")
    return _apply(
        request,
        lambda: services.dashboard_widget_add(actor=request.user, code=code),
        _("Widget added."),
    )


@login_required
@require_POST
def dashboard_widget_remove(request, code):
    return _apply(
        request,
        lambda: services.dashboard_widget_remove(actor=request.user, code=code),
        _("Widget removed."),
    )


@login_required
@require_POST
def dashboard_widget_move(request, code):
    direction = request.POST.get("direction", "")
    return _apply(
        request,
        lambda: services.dashboard_widget_move(actor=request.user, code=code, direction=direction),
        _("Widget moved."),
    )


@login_required
@require_POST
def dashboard_widget_configure(request, code):
    values = {name: request.POST[name] for name in ("period", "limit") if name in request.POST}
    return _apply(
        request,
        lambda: services.dashboard_widget_configure(actor=request.user, code=code, settings=values),
        _("Widget settings saved."),
    )


@login_required
@require_POST
def dashboard_reset(request):
    return _apply(
        request,
        lambda: services.dashboard_reset(actor=request.user),
        _("Your dashboard is back to your role's default."),
    )
