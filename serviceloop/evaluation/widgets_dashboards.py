"""The dashboard widget registry: what each widget is, who may see it, how it is built.

A widget is either a **KPI** (one figure against its target, with a status and a trend) or a
**list** (a count and the first few records). Each has a ``code``; the list widgets and the
customer KPIs are registered by the ``widgets_*_dashboards`` modules with ``widget_register``;
every active KPI definition is also a widget, ``kpi.<definition code>`` (staff only: KPI
definitions are the provider's management records).

``build(request) -> dict`` gets a ``WidgetRequest`` (the viewer, today, the widget's settings
and a per-dashboard memo) and returns JSON-ready data that is scoped by the viewer's
visibility (``visible_to`` querysets, or the viewer's own organisation for customers).

Data shapes (the API returns them as they are):

* KPI: ``{"value", "display", "unit", "target", "status", "status_label", "period",
  "period_label", "start", "end", "numerator", "denominator", "trend": [{"period",
  "value"}], "url"}``; ``status`` is ok | warning | breach | no_data.
* list: ``{"count", "rows": [{"reference", "title", "url", "meta", "due", "due_display",
  "tone"}], "url", "empty", "summary": [{"label", "value", "tone"}]}``; ``tone`` is a
  Bootstrap colour name or "".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.roles import Capability

KPI = "kpi"
LIST = "list"
KPI_PREFIX = "kpi."

STAFF = "staff"  # provider staff (optionally holding ``capability``)
CUSTOMER = "customer"  # people of a customer organisation
EVERYONE = "everyone"

# How long a widget's data may be reused (Django's cache) when it does not depend on the
# viewer: "global" widgets (the same for all staff) and "organisation" widgets (the same for
# every person of one customer). Personal lists are cheap and never cached.
CACHE_SECONDS = 120
NO_CACHE = ""
CACHE_GLOBAL = "global"
CACHE_ORGANISATION = "organisation"

LIMITS = (5, 10, 20)
DEFAULT_LIMIT = 5
PERIODS = ("week", "month", "quarter")
SETTING_NAMES = {"period": PERIODS, "limit": LIMITS}
TONES = {"ok": "success", "warning": "warning", "breach": "danger", "no_data": "secondary"}


@dataclass
class WidgetRequest:
    """What a widget builds its data from; ``memo`` is shared by the widgets of one
    dashboard (e.g. the KPI definitions, loaded once for all)."""

    user: object
    code: str
    settings: dict
    now: datetime.datetime
    memo: dict = field(default_factory=dict)

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    @property
    def limit(self) -> int:
        return self.settings.get("limit", DEFAULT_LIMIT)


@dataclass(frozen=True)
class Widget:
    code: str
    title: str
    kind: str  # KPI | LIST
    build: Callable[[WidgetRequest], dict]
    audience: str = STAFF
    capability: Capability | None = None  # needed on top of the audience
    module: str = ""  # the tailoring module it reads ("" = always on)
    cache: str = NO_CACHE
    description: str = ""

    @property
    def setting_names(self) -> tuple[str, ...]:
        return ("period",) if self.kind == KPI else ("limit",)

    def allowed(self, user) -> bool:
        """Whether ``user`` may have this widget on his dashboard."""
        if not user.is_authenticated or not user.is_active:
            return False
        staff = user.has_capability(Capability.STAFF)
        if self.audience == STAFF and not staff:
            return False
        if self.audience == CUSTOMER and (staff or user.organisation_id is None):
            return False
        if self.capability is not None and not user.has_capability(self.capability):
            return False
        return not self.module or _module_enabled(self.module)


WIDGETS: dict[str, Widget] = {}


def widget_register(widget: Widget) -> Widget:
    if widget.code.startswith(KPI_PREFIX):
        raise ValueError("kpi.* codes are the KPI definitions' own")
    WIDGETS[widget.code] = widget
    return widget


def _module_enabled(module: str) -> bool:
    # planning owns the tailoring switches; a module switched off hides its widgets.
    from serviceloop.planning.queries_tailoring import module_enabled

    return module_enabled(module)


def _ensure_loaded() -> None:
    # The widget modules register themselves on import.
    from serviceloop.evaluation import (  # noqa: F401
        widgets_customer_dashboards,
        widgets_improvement_dashboards,
        widgets_management_dashboards,
        widgets_operation_dashboards,
    )


# --- Lookup ----------------------------------------------------------------------------------


def kpi_definitions(codes) -> dict:
    """The active KPI definitions of ``kpi.<code>`` widget codes, by widget code (one query)."""
    from serviceloop.evaluation.models import KpiDefinition

    wanted = {code[len(KPI_PREFIX) :] for code in codes if code.startswith(KPI_PREFIX)}
    if not wanted:
        return {}
    return {
        KPI_PREFIX + definition.code: definition
        for definition in KpiDefinition.objects.active().filter(code__in=wanted)
    }


def kpi_widget(definition) -> Widget:
    """The widget of one KPI definition (its title is the definition's name)."""
    from serviceloop.evaluation.widgets_kpi_dashboards import build_staff_kpi

    return Widget(
        code=KPI_PREFIX + definition.code,
        title=definition.name,
        kind=KPI,
        build=build_staff_kpi,
        audience=STAFF,
        cache=CACHE_GLOBAL,
        description=definition.description,
    )


def widgets_for_codes(codes, definitions: dict | None = None) -> dict[str, Widget]:
    """The widgets of ``codes`` that exist (unknown codes are left out), by code."""
    _ensure_loaded()
    definitions = kpi_definitions(codes) if definitions is None else definitions
    found = {}
    for code in codes:
        if code in WIDGETS:
            found[code] = WIDGETS[code]
        elif code in definitions:
            found[code] = kpi_widget(definitions[code])
    return found


def widget_for(user, code: str) -> Widget:
    """The widget ``code`` if ``user`` may have it; ValidationError (translated) otherwise."""
    code = str(code or "").strip()
    widget = widgets_for_codes([code]).get(code)
    if widget is None:
        raise ValidationError(
            _("Unknown widget: %(code)s.") % {"code": code[:80]}, code="unknown_widget"
        )
    if not widget.allowed(user):
        raise ValidationError(
            _("The widget %(code)s is not available to you.") % {"code": code},
            code="widget_not_allowed",
        )
    return widget


def catalogue_for(user) -> list[Widget]:
    """Every widget ``user`` may add: the registered ones, then one per active KPI."""
    from serviceloop.evaluation.models import KpiDefinition

    _ensure_loaded()
    widgets = [w for w in WIDGETS.values() if w.allowed(user)]
    if user.has_capability(Capability.STAFF):
        widgets += [kpi_widget(d) for d in KpiDefinition.objects.visible_to(user).active()]
    return widgets


def settings_clean(widget: Widget, values) -> dict:
    """The widget's settings from ``values`` (a dict), checked: only the names the widget
    takes, each one of its allowed values; ValidationError (translated) otherwise."""
    if values in (None, ""):
        return {}
    if not isinstance(values, dict):
        raise ValidationError(_("Widget settings must be an object."), code="bad_settings")
    cleaned = {}
    for name, value in values.items():
        if name not in widget.setting_names:
            raise ValidationError(
                _("The widget %(code)s has no setting %(name)s.")
                % {"code": widget.code, "name": str(name)[:40]},
                code="bad_settings",
            )
        if value in (None, ""):
            continue  # back to the default
        allowed = SETTING_NAMES[name]
        if name == "limit":
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = None
        if value not in allowed:
            raise ValidationError(
                _("%(name)s must be one of: %(choices)s.")
                % {"name": name, "choices": ", ".join(str(c) for c in allowed)},
                code="bad_settings",
            )
        cleaned[name] = value
    return cleaned


# --- Small helpers for the builders ------------------------------------------------------------


def instant_display(value) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def list_data(*, count: int, rows: list, url: str = "", empty: str = "", summary=None) -> dict:
    return {
        "count": count,
        "rows": rows,
        "url": url,
        "empty": empty or _("Nothing here."),
        "summary": summary or [],
    }


def row(*, reference="", title="", url="", meta="", due=None, tone="") -> dict:
    return {
        "reference": str(reference),
        "title": str(title),
        "url": url,
        "meta": str(meta),
        "due": due.isoformat() if due is not None else None,
        "due_display": instant_display(due)
        if isinstance(due, datetime.datetime)
        else (due.isoformat() if due is not None else ""),
        "tone": tone,
    }


def first_rows(queryset, limit: int) -> tuple[list, int]:
    """The first ``limit`` records and the total: the count query runs only when the list is
    full (a short list is its own count)."""
    records = list(queryset[:limit])
    if len(records) < limit:
        return records, len(records)
    return records, queryset.order_by().count()


def url_or(name: str, *args, fallback: str = "") -> str:
    """``reverse(name, args)``, or ``fallback`` while that screen does not exist (areas
    still being built)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback
