"""Tailoring writes: applying a profile, switching one module on or off, choosing the KPIs
and the dashboard widgets. Each checks the actor's right (the management-system owner or an
administrator), validates, writes the singleton row and one audit row in one transaction,
and drops the cached module switches (at once and after commit) so the navigation follows.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_text,
    raise_if,
    require_manager,
)
from serviceloop.planning.models import (
    KPI_CATALOGUE,
    PROFILES,
    WIDGET_CATALOGUE,
    Module,
    Profile,
    TailoringSetting,
)
from serviceloop.planning.queries_tailoring import forget_disabled_modules


def _locked_setting() -> TailoringSetting:
    setting, _created = TailoringSetting.objects.select_for_update(of=("self",)).get_or_create(pk=1)
    return setting


def _save(setting: TailoringSetting, actor, verb: str, payload: dict) -> TailoringSetting:
    setting.updated_at = timezone.now()
    setting.version += 1
    setting.save()
    audit_record(actor=actor, verb=verb, obj=setting, payload=payload)
    forget_disabled_modules()
    transaction.on_commit(forget_disabled_modules)
    return setting


def profile_apply(*, actor, profile: str, expected_version: int | None = None) -> TailoringSetting:
    """Apply a profile: switch every module on except the profile's (each with the profile's
    reason, for the scope statement), and take its KPI set and dashboard widgets. Replaces
    what was there; each part can be changed afterwards."""
    require_manager(actor)
    if profile not in Profile.values:
        raise ValidationError({"profile": _("Choose a profile from the list.")})
    spec = PROFILES[profile]
    with transaction.atomic():
        setting = _locked_setting()
        check_version(setting, expected_version)
        before = {
            "profile": setting.profile,
            "disabled_modules": list(setting.disabled_modules or []),
        }
        setting.profile = profile
        setting.disabled_modules = [m for m in Module.values if m in spec.switched_off]
        setting.module_reasons = {str(m): str(spec.off_reason) for m in spec.switched_off}
        setting.kpi_codes = list(spec.kpis)
        setting.dashboard_widgets = list(spec.widgets)
        setting.applied_at = timezone.now()
        setting.applied_by = actor
        return _save(
            setting,
            actor,
            "tailoring.profile_applied",
            {
                "from": before,
                "profile": profile,
                "disabled_modules": setting.disabled_modules,
                "kpi_codes": setting.kpi_codes,
                "dashboard_widgets": setting.dashboard_widgets,
            },
        )


def module_switch(
    *,
    actor,
    module: str,
    enabled: bool,
    reason: str = "",
    expected_version: int | None = None,
) -> TailoringSetting:
    """Switch one module on, or off with the reason (the scope statement's justification
    for excluding it). Switching to the state it is in changes nothing."""
    require_manager(actor)
    errors: dict = {}
    if module not in Module.values:
        errors["module"] = _("Choose a module from the list.")
    reason = clean_text(reason, "reason", errors, limit=2000)
    if not enabled and not reason and "reason" not in errors:
        errors["reason"] = _("Say why the module is switched off: the scope statement needs it.")
    raise_if(errors)
    with transaction.atomic():
        setting = _locked_setting()
        check_version(setting, expected_version)
        off = list(setting.disabled_modules or [])
        reasons = dict(setting.module_reasons or {})
        if enabled == (module not in off):
            return setting
        if enabled:
            off.remove(module)
            reasons.pop(module, None)
        else:
            off.append(module)
            reasons[module] = reason
        setting.disabled_modules = [m for m in Module.values if m in off]
        setting.module_reasons = reasons
        return _save(
            setting,
            actor,
            "tailoring.module_switched",
            {"module": module, "enabled": enabled, "reason": reason},
        )


def tailoring_choose(
    *,
    actor,
    kpi_codes=None,
    dashboard_widgets=None,
    expected_version: int | None = None,
) -> TailoringSetting:
    """Choose the KPI set and/or the dashboard widgets (codes of ``KPI_CATALOGUE`` and
    ``WIDGET_CATALOGUE``; kept in catalogue order, duplicates dropped)."""
    require_manager(actor)
    errors: dict = {}
    values = {}
    for field, chosen, catalogue in (
        ("kpi_codes", kpi_codes, KPI_CATALOGUE),
        ("dashboard_widgets", dashboard_widgets, WIDGET_CATALOGUE),
    ):
        if chosen is None:
            continue
        if not isinstance(chosen, list | tuple) or any(c not in catalogue for c in chosen):
            errors[field] = _("Choose from the list.")
            continue
        values[field] = [code for code in catalogue if code in set(chosen)]
    raise_if(errors)
    with transaction.atomic():
        setting = _locked_setting()
        check_version(setting, expected_version)
        changes = {
            field: [list(getattr(setting, field) or []), value]
            for field, value in values.items()
            if list(getattr(setting, field) or []) != value
        }
        if not changes:
            return setting
        for field, value in values.items():
            setattr(setting, field, value)
        return _save(setting, actor, "tailoring.updated", changes)
