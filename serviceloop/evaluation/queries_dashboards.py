"""Reading dashboards: each role's default widgets, a person's layout, and the dashboard with
every widget's data (what the home page, ``/dashboard/`` and the API show).

Defaults come from the role (``ROLE_DEFAULTS``; a code whose widget is not there, e.g. an
area not installed, is skipped), with the service owner's widgets put first
for staff who own a live service; they are never stored, so a release may improve them. A
stored ``DashboardLayout`` replaces them once the person changes anything. Widgets the
person may no longer have (a role changed, a KPI switched off, a module tailored away) are
left out when shown, and kept in the stored layout.

Cost: one query for the layout, one for the KPI definitions, one for the KPIs' stored
values, then each widget's own few queries; widgets that are the same for every viewer of
a scope (``Widget.cache``) are reused from Django's cache for ``CACHE_SECONDS``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language

from serviceloop.core.roles import Capability, Role
from serviceloop.evaluation import engine
from serviceloop.evaluation.models import DashboardLayout
from serviceloop.evaluation.widgets_dashboards import (
    CACHE_GLOBAL,
    CACHE_ORGANISATION,
    CACHE_SECONDS,
    KPI_PREFIX,
    Widget,
    WidgetRequest,
    catalogue_for,
    kpi_definitions,
    settings_clean,
    widgets_for_codes,
)

log = logging.getLogger(__name__)

R = Role
ROLE_DEFAULTS: dict[str, tuple[str, ...]] = {
    R.AGENT: (
        "my_tickets",
        "sla_at_risk",
        "unassigned",
        "kpi.response-within-sla",
        "acknowledgements_due",
    ),
    R.TEAM_LEAD: (
        "team_queue",
        "sla_at_risk",
        "breaches_today",
        "unassigned",
        "kpi.response-within-sla",
        "kpi.resolution-within-sla",
        "changes_week",
    ),
    R.SYSTEM_OWNER: (
        "clause_readiness",
        "open_nonconformities",
        "my_overdue_actions",
        "open_risks",
        "kpi.response-within-sla",
        "kpi.resolution-within-sla",
        "kpi.policy-acknowledgement-rate",
        "acknowledgements_due",
    ),
    R.TOP_MANAGEMENT: (
        "kpi.response-within-sla",
        "kpi.resolution-within-sla",
        "kpi.csat-average",
        "kpi.change-success-rate",
        "services_availability",
        "open_risks",
        "clause_readiness",
        "open_nonconformities",
    ),
    R.PROVIDER_ADMIN: (
        "sla_at_risk",
        "unassigned",
        "breaches_today",
        "changes_week",
        "kpi.response-within-sla",
        "clause_readiness",
    ),
    R.AUDITOR: (
        "clause_readiness",
        "open_findings",
        "my_overdue_actions",
        "open_risks",
        "kpi.response-within-sla",
        "acknowledgements_due",
    ),
    R.CUSTOMER_MANAGER: (
        "customer_response_sla",
        "customer_resolution_sla",
        "customer_availability",
        "customer_open_tickets",
        "customer_planned_changes",
    ),
    R.CUSTOMER_USER: ("customer_open_tickets", "customer_planned_changes"),
}
# A service owner is any staff member who owns a live service (not a role of its own).
SERVICE_OWNER_DEFAULTS: tuple[str, ...] = (
    "my_services",
    "changes_week",
    "kpi.resolution-within-sla",
)
MAX_WIDGETS = 20


def owns_live_services(user) -> bool:
    from serviceloop.portfolio.models import Service

    if not user.has_capability(Capability.STAFF):
        return False
    return Service.objects.live().filter(owner=user).exists()


def _defaults(user) -> tuple[list[str], dict]:
    codes = list(ROLE_DEFAULTS.get(user.role, ()))
    if owns_live_services(user):
        codes = [c for c in SERVICE_OWNER_DEFAULTS if c not in codes] + codes
    definitions = kpi_definitions(codes)
    widgets = widgets_for_codes(codes, definitions)
    return [code for code in codes if code in widgets and widgets[code].allowed(user)], definitions


def default_widgets(user) -> list[str]:
    """The role's default widget codes that ``user`` may have (service-owner widgets first
    when he owns a live service)."""
    return _defaults(user)[0]


@dataclass
class Layout:
    codes: list[str]
    settings: dict
    customised: bool
    version: int = 0
    definitions: dict | None = None  # the KPI definitions of its codes, when already read


def layout_for(user) -> Layout:
    """The person's widget codes and settings: his stored layout, else his role's default."""
    stored = DashboardLayout.objects.filter(user_id=user.pk).first()
    if stored is not None:
        return Layout(list(stored.widgets), dict(stored.widget_settings), True, stored.version)
    codes, definitions = _defaults(user)
    return Layout(codes, {}, False, definitions=definitions)


@dataclass
class WidgetView:
    code: str
    title: str
    kind: str
    settings: dict
    data: dict | None
    error: bool = False
    description: str = ""
    position: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "title": self.title,
            "kind": self.kind,
            "settings": self.settings,
            "data": self.data,
            "error": self.error,
        }


def _cache_key(widget: Widget, user, settings: dict, today) -> str | None:
    if widget.cache == CACHE_GLOBAL:
        scope = "all"
    elif widget.cache == CACHE_ORGANISATION and user.organisation_id:
        scope = f"org{user.organisation_id}"
    else:
        return None
    options = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return f"evaluation:dashboard:{widget.code}:{scope}:{get_language()}:{options}:{today}"


def _settings_of(widget: Widget, stored: dict) -> dict:
    try:
        return settings_clean(widget, stored.get(widget.code) or {})
    except ValidationError:
        return {}  # a setting the widget no longer takes: its default


def _memo_for(user, codes, definitions) -> dict:
    from serviceloop.evaluation.widgets_customer_dashboards import CUSTOMER_KPIS

    kpi_codes = {d.code for d in definitions.values()}
    kpi_codes |= {CUSTOMER_KPIS[c] for c in codes if c in CUSTOMER_KPIS}
    slices = {engine.slice_canonical({})}
    if not user.has_capability(Capability.STAFF) and user.organisation_id:
        slices = {engine.slice_canonical({"organisation": user.organisation_id})}
    return {
        "kpi_codes": kpi_codes,
        "kpi_definitions": {d.code: d for d in definitions.values()},
        "kpi_slices": slices,
    }


def widget_data(widget: Widget, user, settings: dict, now, memo: dict) -> dict:
    """One widget's data for ``user`` (from the cache when the widget allows it)."""
    key = _cache_key(widget, user, settings, timezone.localdate(now))
    if key is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    data = widget.build(WidgetRequest(user, widget.code, settings, now, memo))
    if key is not None:
        cache.set(key, data, CACHE_SECONDS)
    return data


def dashboard_for(user, *, now=None) -> tuple[list[WidgetView], Layout]:
    """The person's widgets in order, each with its data built for him. A widget that fails
    is shown as failed (logged; raised when DEBUG is on), never breaking the page."""
    now = now or timezone.now()
    layout = layout_for(user)
    definitions = layout.definitions
    if definitions is None:
        definitions = kpi_definitions(layout.codes)
    widgets = widgets_for_codes(layout.codes, definitions)
    memo = _memo_for(user, layout.codes, definitions)
    views = []
    for code in layout.codes:
        widget = widgets.get(code)
        if widget is None or not widget.allowed(user):
            continue
        settings = _settings_of(widget, layout.settings)
        error = False
        try:
            data = widget_data(widget, user, settings, now, memo)
        except Exception:
            if django_settings.DEBUG:
                raise
            log.exception("dashboard widget %s failed", code)
            data, error = None, True
        views.append(
            WidgetView(
                code=code,
                title=str(widget.title),
                kind=widget.kind,
                settings=settings,
                data=data,
                error=error,
                description=str(widget.description or ""),
                position=len(views) + 1,
            )
        )
    return views, layout


def layout_rows(user) -> tuple[list[dict], Layout]:
    """The customise screen's rows: each widget of the layout with its title, kind, the
    settings it takes and their current values (no data built)."""
    layout = layout_for(user)
    widgets = widgets_for_codes(layout.codes)
    rows = []
    for code in layout.codes:
        widget = widgets.get(code)
        if widget is None or not widget.allowed(user):
            continue
        rows.append(
            {
                "code": code,
                "title": str(widget.title),
                "kind": widget.kind,
                "setting_names": widget.setting_names,
                "settings": _settings_of(widget, layout.settings),
            }
        )
    return rows, layout


def addable_widgets(user, layout: Layout) -> list[Widget]:
    """The catalogue minus what the layout already has, KPI widgets last."""
    present = set(layout.codes)
    widgets = [w for w in catalogue_for(user) if w.code not in present]
    return sorted(widgets, key=lambda w: (w.code.startswith(KPI_PREFIX), str(w.title)))
