"""The tailoring screen: the profile (chosen at set-up, re-applied at will), every module's
switch with the reason it is off, the KPI set and the dashboard widgets; the modules table
exports as CSV/XLSX.

Provider staff read; the management-system owner and administrators change it (403 for other
staff); customers get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.planning import queries_tailoring as queries
from serviceloop.planning import services_tailoring as services
from serviceloop.planning.forms_tailoring import ChoicesForm, ModuleSwitchForm, ProfileForm
from serviceloop.planning.models import WIDGET_CATALOGUE, Module
from serviceloop.planning.permissions_management import can_manage, require_manage, require_staff

MODULE_COLUMNS = [
    Column(gettext_lazy("Code"), "code"),
    Column(gettext_lazy("Module"), "label"),
    Column(gettext_lazy("Switched on"), lambda row: _("yes") if row["enabled"] else _("no")),
    Column(gettext_lazy("Why it is off"), "reason"),
]


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def tailoring(request):
    require_staff(request.user)
    setting = queries.tailoring_setting()
    modules = queries.module_rows(setting)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "modules", MODULE_COLUMNS, modules)
    widgets = [
        {
            "code": code,
            "label": label,
            "chosen": code in (setting.dashboard_widgets or []),
            "module_on": not module or setting.module_enabled(module),
        }
        for code, (label, module) in WIDGET_CATALOGUE.items()
    ]
    context = {
        "setting": setting,
        "profiles": queries.profile_cards(),
        "modules": modules,
        "kpis": queries.kpi_rows(setting),
        "widgets": widgets,
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/tailoring_page.html", context)


@login_required
@require_POST
def tailoring_profile(request):
    require_manage(request.user)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a profile from the list."))
        return redirect("tailoring")
    try:
        setting = services.profile_apply(
            actor=request.user,
            profile=form.cleaned_data["profile"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("Profile “%(profile)s” applied: modules, KPIs and widgets are set.")
            % {"profile": setting.get_profile_display()},
        )
    return redirect("tailoring")


@login_required
@require_POST
def tailoring_module(request):
    require_manage(request.user)
    form = ModuleSwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a module from the list."))
        return redirect("tailoring")
    module = form.cleaned_data["module"]
    try:
        services.module_switch(
            actor=request.user,
            module=module,
            enabled=form.cleaned_data["enabled"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        label = Module(module).label
        messages.success(
            request,
            (_("%(module)s switched on.") if form.cleaned_data["enabled"] else
             _("%(module)s switched off: its menu entries are hidden.")) % {"module": label},
        )  # fmt: skip
    return redirect("tailoring")


@login_required
@require_POST
def tailoring_choices(request):
    require_manage(request.user)
    form = ChoicesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose from the list."))
        return redirect("tailoring")
    try:
        services.tailoring_choose(
            actor=request.user,
            kpi_codes=form.cleaned_data["kpi_codes"],
            dashboard_widgets=form.cleaned_data["dashboard_widgets"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Changes saved."))
    return redirect("tailoring")
