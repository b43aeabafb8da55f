"""The change-management settings screens: the change policy, standard-change templates,
CAB rules and blackout periods. Staff read them; the management-system owner and
administrators change them (403 for other staff, 404 for customers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.transition import services_config
from serviceloop.transition.forms import BlackoutForm, CabRuleForm, PolicyForm, TemplateForm
from serviceloop.transition.models import BlackoutPeriod, CabRule, ChangePolicy, ChangeTemplate
from serviceloop.transition.permissions import (
    can_configure,
    get_blackout_for,
    get_cab_rule_for,
    get_template_for,
    require_configure,
    staff_only,
)

TEMPLATE_COLUMNS = [
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Risk"), "get_risk_level_display"),
    Column(gettext_lazy("Active"), "is_active"),
    Column(gettext_lazy("Changes raised"), "change_count"),
    Column(gettext_lazy("Updated"), "updated_at"),
]
CAB_COLUMNS = [
    Column(gettext_lazy("Risk level"), "get_risk_level_display"),
    Column(gettext_lazy("Approvers"), lambda r: [str(p) for p in r.approvers.all()]),
    Column(gettext_lazy("Team"), lambda r: str(r.team or "")),
    Column(gettext_lazy("Approvals needed"), "quorum"),
    Column(gettext_lazy("Emergency CAB"), lambda r: [str(p) for p in r.emergency_approvers.all()]),
    Column(gettext_lazy("Emergency approvals needed"), "emergency_quorum"),
    Column(gettext_lazy("Active"), "is_active"),
]
BLACKOUT_COLUMNS = [
    Column(gettext_lazy("Customer"), lambda b: str(b.organisation or _("every customer"))),
    Column(gettext_lazy("Start"), "start"),
    Column(gettext_lazy("End"), "end"),
    Column(gettext_lazy("Reason"), "reason"),
]


@login_required
def change_settings(request):
    """The change policy (edited here) and the way to the other settings."""
    staff_only(request.user)
    policy = ChangePolicy.current()
    allowed = can_configure(request.user)
    initial = {
        "controlled_services": list(policy.controlled_services.values_list("pk", flat=True)),
        "controlled_ci_types": list(policy.controlled_ci_types.values_list("pk", flat=True)),
        "all_controlled": policy.all_controlled,
        "low_risk_without_cab": policy.low_risk_without_cab,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require_configure(request.user)
        if form.is_valid():
            try:
                services_config.policy_update(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Change policy saved."))
                return redirect("change_settings")
    context = {
        "policy": policy,
        "form": form if allowed else None,
        "can_configure": allowed,
        "controlled_services": policy.controlled_services.order_by("name"),
        "controlled_ci_types": policy.controlled_ci_types.order_by("name"),
        "counts": {
            "templates": ChangeTemplate.objects.filter(is_active=True).count(),
            "rules": CabRule.objects.filter(is_active=True).count(),
            "blackouts": BlackoutPeriod.objects.count(),
        },
    }
    return render(request, "transition/settings_home.html", context)


# --- Templates -----------------------------------------------------------------------------


@login_required
def template_list(request):
    staff_only(request.user)
    templates = (
        ChangeTemplate.objects.visible_to(request.user)
        .annotate(change_count=Count("changes"))
        .order_by("name")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "change-templates", TEMPLATE_COLUMNS, templates)
    return render(
        request,
        "transition/template_list.html",
        {"page": paginate(request, templates), "can_configure": can_configure(request.user)},
    )


@login_required
def template_edit(request, pk=None):
    if pk is None:
        require_configure(request.user)
        template = None
    else:
        template = get_template_for(request.user, pk, write=True)
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in TemplateForm.Meta.fields}
        try:
            if template is None:
                services_config.template_create(actor=request.user, **fields)
            else:
                services_config.template_update(actor=request.user, template=template, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Template saved."))
            return redirect("change_template_list")
    title = _("New standard change template") if template is None else template.name
    return render(request, "core/form_page.html", {"form": form, "title": title})


# --- CAB rules -----------------------------------------------------------------------------


@login_required
def cab_rule_list(request):
    staff_only(request.user)
    rules = (
        CabRule.objects.visible_to(request.user)
        .select_related("team")
        .prefetch_related("approvers", "emergency_approvers")
        .order_by("risk_level")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "cab-rules", CAB_COLUMNS, rules)
    return render(
        request,
        "transition/cab_rule_list.html",
        {"rules": rules, "can_configure": can_configure(request.user)},
    )


@login_required
def cab_rule_edit(request, pk=None):
    if pk is None:
        require_configure(request.user)
        rule = None
        initial = {}
    else:
        rule = get_cab_rule_for(request.user, pk, write=True)
        initial = {
            "risk_level": rule.risk_level,
            "approvers": list(rule.approvers.values_list("pk", flat=True)),
            "team": rule.team_id,
            "quorum": rule.quorum,
            "emergency_approvers": list(rule.emergency_approvers.values_list("pk", flat=True)),
            "emergency_quorum": rule.emergency_quorum,
            "is_active": rule.is_active,
        }
    form = CabRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_config.cab_rule_save(
                actor=request.user,
                rule=rule,
                expected_version=rule.version if rule else None,
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("CAB rule saved."))
            return redirect("cab_rule_list")
    title = _("New CAB rule") if rule is None else _("CAB rule: %s") % rule
    return render(request, "core/form_page.html", {"form": form, "title": title})


# --- Blackout periods ----------------------------------------------------------------------


@login_required
def blackout_list(request):
    staff_only(request.user)
    blackouts = BlackoutPeriod.objects.visible_to(request.user).select_related("organisation")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "blackout-periods", BLACKOUT_COLUMNS, blackouts)
    return render(
        request,
        "transition/blackout_list.html",
        {"page": paginate(request, blackouts), "can_configure": can_configure(request.user)},
    )


@login_required
def blackout_edit(request, pk=None):
    if pk is None:
        require_configure(request.user)
        blackout = None
        initial = {}
    else:
        blackout = get_blackout_for(request.user, pk, write=True)
        initial = {
            "organisation": blackout.organisation_id,
            "start": blackout.start,
            "end": blackout.end,
            "reason": blackout.reason,
        }
    form = BlackoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if blackout is None:
                services_config.blackout_create(actor=request.user, **form.cleaned_data)
            else:
                services_config.blackout_update(
                    actor=request.user, blackout=blackout, **form.cleaned_data
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Blackout period saved."))
            return redirect("blackout_list")
    title = _("New blackout period") if blackout is None else blackout.reason
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def blackout_delete(request, pk):
    blackout = get_blackout_for(request.user, pk, write=True)
    services_config.blackout_delete(actor=request.user, blackout=blackout)
    messages.success(request, _("Blackout period removed."))
    return redirect("blackout_list")
