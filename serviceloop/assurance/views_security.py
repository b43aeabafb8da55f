"""The information security screens: the risk register (with its heat map), the controls
list, and confidential security incidents (404 for anyone outside the security team and the
people named on the incident)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.assurance import queries, services_security, services_security_register
from serviceloop.assurance.forms_security import (
    ControlFilterForm,
    ControlForm,
    IncidentFilterForm,
    NotifiedForm,
    RiskFilterForm,
    RiskForm,
    SecurityIncidentForm,
    ViewersForm,
)
from serviceloop.assurance.lifecycle import INCIDENT_MOVES, RISK_MOVES, moves_from
from serviceloop.assurance.permissions import (
    can_edit_owned,
    can_manage,
    can_work_security_incidents,
    get_control_for,
    get_risk_for,
    get_security_incident_for,
    require_manage,
    staff_only,
)
from serviceloop.assurance.views_common import (
    form_page,
    list_filters,
    posted_call,
    posted_move,
)
from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.models import AuditEvent
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk.models import Ticket

RISK_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Asset"), "asset"),
    Column(
        gettext_lazy("Configuration item"),
        lambda r: r.configuration_item.reference if r.configuration_item_id else "",
    ),
    Column(gettext_lazy("Threat"), "threat"),
    Column(gettext_lazy("Vulnerability"), "vulnerability"),
    Column(gettext_lazy("Likelihood"), "likelihood"),
    Column(gettext_lazy("Impact"), "impact"),
    Column(gettext_lazy("Score"), "score"),
    Column(gettext_lazy("Level"), "get_level_display"),
    Column(gettext_lazy("Treatment"), "get_treatment_display"),
    Column(gettext_lazy("Treatment plan"), "treatment_plan"),
    Column(gettext_lazy("Owner"), lambda r: str(r.owner)),
    Column(gettext_lazy("Next review"), "review_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
]
CONTROL_COLUMNS = [
    Column(gettext_lazy("Code"), "code"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Description"), "description"),
    Column(gettext_lazy("Implementation status"), "get_status_display"),
    Column(gettext_lazy("Justification"), "justification"),
    Column(gettext_lazy("Owner"), lambda c: str(c.owner or "")),
    Column(gettext_lazy("Evidence links"), "evidence_links"),
    Column(gettext_lazy("Risks"), "risk_count"),
    Column(gettext_lazy("Updated"), "updated_at"),
]
INCIDENT_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Ticket"), "ticket.reference"),
    Column(gettext_lazy("Classification"), "get_classification_display"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Detected"), "detected_at"),
    Column(gettext_lazy("Personal data"), "personal_data"),
    Column(gettext_lazy("Notification due"), "notify_due_at"),
    Column(gettext_lazy("Regulator notified"), "notified_at"),
    Column(
        gettext_lazy("Notification overdue"),
        lambda i: i.notification_overdue(timezone.now()),
    ),
]


def _history(obj):
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("id")
    )


# --- Risks -------------------------------------------------------------------------------------


@login_required
def risk_list(request):
    form, filters = list_filters(request, RiskFilterForm)
    risks = queries.risks_for_list(
        request.user,
        status=filters.get("status", ""),
        level=filters.get("level", ""),
        treatment=filters.get("treatment", ""),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "security-risks", RISK_COLUMNS, risks)
    context = {
        "form": form,
        "page": paginate(request, risks),
        "heatmap": queries.risk_heatmap(request.user),
        "today": timezone.localdate(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "assurance/risk_list.html", context)


def _risk_data(cleaned) -> dict:
    """The risk form's values as the services take them (``controls`` a list)."""
    data = dict(cleaned)
    data["controls"] = list(data.pop("controls") or [])
    return data


def _to_risk(risk):
    return redirect("security_risk_detail", reference=risk.reference)


@login_required
def risk_new(request):
    require_manage(request.user)
    return form_page(
        request,
        RiskForm(request.POST or None, initial={"owner": request.user.pk}),
        lambda data: services_security_register.risk_create(actor=request.user, **_risk_data(data)),
        title=_("New security risk"),
        success=lambda risk: (
            _("Risk %(reference)s added to the register.") % {"reference": risk.reference}
        ),
        done=_to_risk,
    )


@login_required
def risk_detail(request, reference):
    risk = get_risk_for(request.user, reference)
    editor = can_edit_owned(request.user, risk)
    context = {
        "risk": risk,
        "controls": risk.controls.order_by("code"),
        "moves": moves_from(RISK_MOVES, risk.status) if editor else [],
        "can_edit": editor,
        "history": _history(risk),
        "review_overdue": risk.review_overdue(timezone.localdate()),
    }
    return render(request, "assurance/risk_detail.html", context)


@login_required
def risk_edit(request, reference):
    risk = get_risk_for(request.user, reference, write=True)
    return form_page(
        request,
        RiskForm(request.POST or None, initial=RiskForm.initial_for(risk)),
        lambda data: services_security_register.risk_update(
            actor=request.user, risk=risk, **_risk_data(data)
        ),
        title=str(risk),
        success=_("Risk saved."),
        done=_to_risk,
    )


@require_POST
@login_required
def risk_move(request, reference):
    risk = get_risk_for(request.user, reference, write=True)
    posted_move(
        request,
        partial(services_security_register.risk_transition, actor=request.user, risk=risk),
        _("Risk updated."),
    )
    return redirect("security_risk_detail", reference=risk.reference)


# --- Controls ----------------------------------------------------------------------------------


@login_required
def control_list(request):
    form, filters = list_filters(request, ControlFilterForm)
    controls = queries.controls_for_list(
        request.user, status=filters.get("status", ""), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "security-controls", CONTROL_COLUMNS, controls)
    context = {
        "form": form,
        "page": paginate(request, controls),
        "can_manage": can_manage(request.user),
    }
    return render(request, "assurance/control_list.html", context)


@login_required
def control_new(request):
    require_manage(request.user)
    return form_page(
        request,
        ControlForm(request.POST or None),
        lambda data: services_security_register.control_create(actor=request.user, **data),
        title=_("New control"),
        success=lambda control: _("Control %(code)s added.") % {"code": control.code},
        done=_to_control,
    )


def _to_control(control):
    return redirect("security_control_detail", code=control.code)


@login_required
def control_detail(request, code):
    control = get_control_for(request.user, code)
    context = {
        "control": control,
        "risks": control.risks.select_related("owner").order_by("-score", "reference"),
        "can_edit": can_edit_owned(request.user, control),
        "history": _history(control),
    }
    return render(request, "assurance/control_detail.html", context)


@login_required
def control_edit(request, code):
    control = get_control_for(request.user, code, write=True)
    return form_page(
        request,
        ControlForm(request.POST or None, initial=ControlForm.initial_for(control), editing=True),
        lambda data: services_security_register.control_update(
            actor=request.user, control=control, **data
        ),
        title=str(control),
        success=_("Control saved."),
        done=_to_control,
    )


@require_POST
@login_required
def controls_seed(request):
    require_manage(request.user)
    added = services_security_register.controls_seed(actor=request.user)
    messages.success(request, _("%(count)s starter controls added.") % {"count": added})
    return redirect("security_control_list")


# --- Security incidents ------------------------------------------------------------------------


@login_required
def incident_list(request):
    form, filters = list_filters(request, IncidentFilterForm)
    incidents = queries.security_incidents_for_list(
        request.user,
        status=filters.get("status", ""),
        classification=filters.get("classification", ""),
        overdue=filters.get("overdue", False),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "security-incidents", INCIDENT_COLUMNS, incidents)
    context = {
        "form": form,
        "page": paginate(request, incidents),
        "now": timezone.now(),
        "can_record": can_work_security_incidents(request.user),
    }
    return render(request, "assurance/incident_list.html", context)


@login_required
def incident_new(request):
    staff_only(request.user)
    if not can_work_security_incidents(request.user):
        raise PermissionDenied
    form = SecurityIncidentForm(
        request.POST or None, initial={"ticket": request.GET.get("ticket", "")}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        ticket = (
            Ticket.objects.visible_to(request.user)
            .filter(reference=data.pop("ticket").strip())
            .first()
        )
        if ticket is None:
            form.add_error("ticket", _("No ticket with this reference."))
        else:
            try:
                incident = services_security.security_incident_create(
                    actor=request.user,
                    ticket=ticket,
                    classification=data["classification"],
                    detected_at=data["detected_at"],
                    personal_data=data["personal_data"],
                    summary=data["summary"],
                    viewers=list(data["viewers"]),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Security incident %(reference)s recorded; its ticket is now confidential.")
                    % {"reference": incident.reference},
                )
                return redirect("security_incident_detail", reference=incident.reference)
    intro = _(
        "The ticket becomes confidential: only the security team and the people named here "
        "(and you) will see it and this record."
    )
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Record a security incident"), "intro": intro},
    )


@login_required
def incident_detail(request, reference):
    incident = get_security_incident_for(request.user, reference)
    worker = can_work_security_incidents(request.user)
    now = timezone.now()
    context = {
        "incident": incident,
        "viewers": incident.viewers.order_by("display_name", "username"),
        "overdue": incident.notification_overdue(now),
        "now": now,
        "can_work": worker,
        "moves": moves_from(INCIDENT_MOVES, incident.status) if worker else [],
        "viewers_form": ViewersForm(
            initial={"viewers": list(incident.viewers.values_list("pk", flat=True))}
        )
        if worker
        else None,
        "notified_form": NotifiedForm() if worker and incident.personal_data else None,
        "history": _history(incident),
    }
    return render(request, "assurance/incident_detail.html", context)


@login_required
def incident_edit(request, reference):
    incident = get_security_incident_for(request.user, reference, write=True)
    initial = {
        "classification": incident.classification,
        "detected_at": timezone.localtime(incident.detected_at),
        "personal_data": incident.personal_data,
        "summary": incident.summary,
    }
    return form_page(
        request,
        SecurityIncidentForm(request.POST or None, initial=initial, editing=True),
        lambda data: services_security.security_incident_update(
            actor=request.user, incident=incident, **data
        ),
        title=str(incident),
        success=_("Security incident saved."),
        done=lambda saved: redirect("security_incident_detail", reference=incident.reference),
    )


@require_POST
@login_required
def incident_viewers(request, reference):
    incident = get_security_incident_for(request.user, reference, write=True)
    posted_call(
        request,
        ViewersForm(request.POST),
        lambda data: services_security.security_incident_viewers_set(
            actor=request.user, incident=incident, viewers=list(data["viewers"])
        ),
        _("The people cleared to see it are saved."),
    )
    if not queries.security_incidents_for_list(request.user).filter(pk=incident.pk).exists():
        return redirect("security_incident_list")  # the actor removed himself
    return redirect("security_incident_detail", reference=incident.reference)


@require_POST
@login_required
def incident_notified(request, reference):
    incident = get_security_incident_for(request.user, reference, write=True)
    posted_call(
        request,
        NotifiedForm(request.POST),
        lambda data: services_security.security_incident_notified(
            actor=request.user,
            incident=incident,
            notified_at=data["notified_at"],
            reference=data["reference"],
        ),
        _("Regulator notification recorded."),
    )
    return redirect("security_incident_detail", reference=incident.reference)


@require_POST
@login_required
def incident_move(request, reference):
    incident = get_security_incident_for(request.user, reference, write=True)
    posted_move(
        request,
        partial(
            services_security.security_incident_transition, actor=request.user, incident=incident
        ),
        _("Security incident updated."),
    )
    return redirect("security_incident_detail", reference=incident.reference)
