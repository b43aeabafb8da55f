"""Writes of dashboards: a person changes his own layout (add, remove, move, configure a
widget; save a whole layout; reset to his role's default).

Each service works on the actor's own layout only, validates first (unknown or unavailable
widget codes, bad settings: ``ValidationError`` with a translated message, nothing
written), then stores the layout and one audit row in one transaction. The first change
stores the role's default with the change applied; the reset deletes the stored row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.evaluation.models import DashboardLayout
from serviceloop.evaluation.queries_dashboards import MAX_WIDGETS, default_widgets
from serviceloop.evaluation.widgets_dashboards import settings_clean, widget_for

OBJECT_TYPE = "evaluation.dashboardlayout"


def _require_person(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise ValidationError(_("Sign in to change your dashboard."))


def _locked(actor) -> DashboardLayout | None:
    return DashboardLayout.objects.select_for_update(of=("self",)).filter(user_id=actor.pk).first()


def _current(actor, stored: DashboardLayout | None) -> tuple[list[str], dict]:
    if stored is not None:
        return list(stored.widgets), dict(stored.widget_settings)
    return default_widgets(actor), {}


def _store(actor, stored, widgets: list[str], settings: dict, verb: str, payload: dict):
    """Write the layout (creating it on the first change) and its audit row; the caller
    holds the transaction."""
    settings = {code: value for code, value in settings.items() if code in widgets and value}
    before = _current(actor, stored)
    if stored is None:
        stored = DashboardLayout(user=actor, version=0)
    stored.widgets = widgets
    stored.widget_settings = settings
    stored.updated_at = timezone.now()
    stored.version += 1
    stored.save()
    audit_record(
        actor=actor,
        verb=verb,
        obj=stored,
        organisation=actor.organisation,
        payload={
            **payload,
            "widgets": [before[0], widgets],
            "settings": [before[1], settings],
        },
    )
    return stored


def _check_codes(actor, codes) -> list[str]:
    if not isinstance(codes, list | tuple):
        raise ValidationError(_("Give the widgets as a list of codes."))
    cleaned = []
    for code in codes:
        widget = widget_for(actor, code)
        if widget.code in cleaned:
            raise ValidationError(_("The widget %(code)s is listed twice.") % {"code": widget.code})
        cleaned.append(widget.code)
    if len(cleaned) > MAX_WIDGETS:
        raise ValidationError(_("A dashboard holds at most %(n)d widgets.") % {"n": MAX_WIDGETS})
    return cleaned


def dashboard_layout_save(*, actor, widgets, settings=None) -> DashboardLayout:
    """Replace the actor's layout: ``widgets`` (codes in display order) and ``settings``
    (``{code: {"period": ...} | {"limit": ...}}``) for some of them."""
    _require_person(actor)
    codes = _check_codes(actor, widgets)
    settings = settings or {}
    if not isinstance(settings, dict):
        raise ValidationError(_("Widget settings must be an object."))
    cleaned = {}
    for code, values in settings.items():
        if code not in codes:
            raise ValidationError(
                _("Settings for %(code)s, which is not on the dashboard.")
                % {"code": str(code)[:80]}
            )
        cleaned[code] = settings_clean(widget_for(actor, code), values)
    with transaction.atomic():
        stored = _locked(actor)
        return _store(actor, stored, codes, cleaned, "dashboard.save", {})


def dashboard_widget_add(*, actor, code, settings=None) -> DashboardLayout:
    """Add a widget at the end of the actor's dashboard."""
    _require_person(actor)
    widget = widget_for(actor, code)
    values = settings_clean(widget, settings)
    with transaction.atomic():
        stored = _locked(actor)
        widgets, current = _current(actor, stored)
        if widget.code in widgets:
            raise ValidationError(
                _("The widget %(code)s is already on your dashboard.") % {"code": widget.code}
            )
        if len(widgets) >= MAX_WIDGETS:
            raise ValidationError(
                _("A dashboard holds at most %(n)d widgets.") % {"n": MAX_WIDGETS}
            )
        current[widget.code] = values
        return _store(
            actor, stored, [*widgets, widget.code], current, "dashboard.widget_add",
            {"code": widget.code},
        )  # fmt: skip


def _present(widgets: list[str], code) -> str:
    code = str(code or "").strip()
    if code not in widgets:
        raise ValidationError(
            _("The widget %(code)s is not on your dashboard.") % {"code": code[:80]}
        )
    return code


def dashboard_widget_remove(*, actor, code) -> DashboardLayout:
    _require_person(actor)
    with transaction.atomic():
        stored = _locked(actor)
        widgets, current = _current(actor, stored)
        code = _present(widgets, code)
        remaining = [c for c in widgets if c != code]
        return _store(actor, stored, remaining, current, "dashboard.widget_remove", {"code": code})


def dashboard_widget_move(*, actor, code, direction: str) -> DashboardLayout | None:
    """Move a widget one place ``"up"`` (earlier) or ``"down"``; at an end it stays."""
    _require_person(actor)
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a widget up or down."))
    with transaction.atomic():
        stored = _locked(actor)
        widgets, current = _current(actor, stored)
        code = _present(widgets, code)
        index = widgets.index(code)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(widgets):
            return stored  # already first or last: nothing to change
        widgets[index], widgets[target] = widgets[target], widgets[index]
        return _store(
            actor, stored, widgets, current, "dashboard.widget_move",
            {"code": code, "direction": direction},
        )  # fmt: skip


def dashboard_widget_configure(*, actor, code, settings) -> DashboardLayout:
    """Set a widget's settings (``{"period": "week"}``, ``{"limit": 10}``; an empty value
    returns it to the default)."""
    _require_person(actor)
    widget = widget_for(actor, code)
    values = settings_clean(widget, settings)
    with transaction.atomic():
        stored = _locked(actor)
        widgets, current = _current(actor, stored)
        _present(widgets, widget.code)
        current[widget.code] = values
        return _store(
            actor, stored, widgets, current, "dashboard.widget_configure",
            {"code": widget.code},
        )  # fmt: skip


def dashboard_reset(*, actor) -> bool:
    """Back to the role's default (the stored layout is deleted); False if it was already."""
    _require_person(actor)
    with transaction.atomic():
        stored = _locked(actor)
        if stored is None:
            return False
        before = [list(stored.widgets), dict(stored.widget_settings)]
        pk = stored.pk
        stored.delete()
        audit_record(
            actor=actor,
            verb="dashboard.reset",
            object_type=OBJECT_TYPE,
            object_id=pk,
            organisation=actor.organisation,
            payload={"widgets": [before[0], None], "settings": [before[1], None]},
        )
    return True


def customer_kpi_snapshots_store(today=None) -> int:
    """Store the previous period's value of each customer KPI widget's definition for every
    active customer organisation (slice ``{"organisation": id}``), so a customer's KPI
    widgets have a trend. Idempotent (``kpi_snapshot_store``); returns how many were new."""
    from serviceloop.core.models import Organisation
    from serviceloop.evaluation.engine import kpi_snapshot_store, previous_period
    from serviceloop.evaluation.models import KpiDefinition
    from serviceloop.evaluation.widgets_customer_dashboards import CUSTOMER_KPIS

    definitions = KpiDefinition.objects.active().filter(code__in=set(CUSTOMER_KPIS.values()))
    customers = list(
        Organisation.objects.customers().filter(is_active=True).values_list("pk", flat=True)
    )
    created = 0
    for definition in definitions:
        period = previous_period(definition.period, today)
        for organisation_id in customers:
            try:
                _snapshot, new = kpi_snapshot_store(
                    definition, period, {"organisation": organisation_id}
                )
            except ValidationError:
                break  # the definition cannot be sliced by organisation (edited): skip it
            created += new
    return created
