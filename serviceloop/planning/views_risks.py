"""The risk register screens (clause 6.1): the list (filters, CSV/XLSX export), the heat map
(ECharts, data through json_script), a risk's page with its reviews, the forms, status moves,
reviews, and the rating matrix.

Provider staff read; the management-system owner and administrators write (403 for other
staff); customers get 404.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.planning import queries_risks as queries
from serviceloop.planning import services_risks as services
from serviceloop.planning.forms_risks import (
    MatrixForm,
    RiskFilterForm,
    RiskForm,
    RiskMoveForm,
    RiskReviewForm,
)
from serviceloop.planning.models import (
    LEVELS,
    MATRIX_DEFAULTS,
    RiskLevel,
    risk_transitions_from,
)
from serviceloop.planning.permissions_management import (
    can_manage,
    get_risk_for,
    require_manage,
    require_staff,
)

REVIEW_EVERY_DAYS = 90  # the next review date a review form proposes


def list_columns(matrix) -> list[Column]:
    return [
        Column(gettext_lazy("Reference"), "reference"),
        Column(gettext_lazy("Kind"), "get_kind_display"),
        Column(gettext_lazy("Title"), "title"),
        Column(gettext_lazy("Likelihood"), "likelihood"),
        Column(gettext_lazy("Impact"), "impact"),
        Column(gettext_lazy("Score"), "score"),
        Column(gettext_lazy("Level"), lambda r: RiskLevel(matrix.level_of(r.score)).label),
        Column(gettext_lazy("Treatment"), "get_treatment_display"),
        Column(gettext_lazy("Treatment plan"), "treatment_plan"),
        Column(gettext_lazy("Owner"), lambda r: str(r.owner)),
        Column(gettext_lazy("Next review"), "review_on"),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Services"), lambda r: [s.name for s in r.services.all()]),
        Column(
            gettext_lazy("Configuration items"),
            lambda r: [c.reference for c in r.configuration_items.all()],
        ),
        Column(gettext_lazy("Objectives"), lambda r: [o.reference for o in r.objectives.all()]),
        Column(gettext_lazy("Source"), spof_source_text),
    ]


def spof_source_text(risk) -> str:
    """The single point of failure the risk was raised for, as text ("" when none)."""
    finding = risk.spof_finding
    if finding is None:
        return ""
    return f"{finding.configuration_item} → {finding.service.name}"


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def risk_list(request):
    require_staff(request.user)
    matrix = queries.matrix_setting()
    today = timezone.localdate()
    form = RiskFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    risks = queries.risks_for_list(
        request.user,
        matrix=matrix,
        kind=filters.get("kind", ""),
        status="" if status == "open" else status,
        open_only=status == "open",
        level=filters.get("level", ""),
        owner=filters.get("owner"),
        overdue_on=today if filters.get("overdue") else None,
        likelihood=filters.get("likelihood"),
        impact=filters.get("impact"),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        risks = risks.select_related(
            "spof_finding__service", "spof_finding__configuration_item"
        ).prefetch_related("services", "configuration_items", "objectives")
        return export_response(fmt, "risks", list_columns(matrix), risks)
    page = paginate(request, risks)
    rows = []
    for risk in page:
        level = matrix.level_of(risk.score)
        rows.append((risk, level, RiskLevel(level).label))
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "today": today,
        "matrix": matrix,
        "overdue_count": queries.risks_for_list(request.user, overdue_on=today).count(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/risk_list.html", context)


@login_required
def risk_heatmap(request):
    require_staff(request.user)
    matrix = queries.matrix_setting()
    kind = request.GET.get("kind", "")
    kind = kind if kind in ("risk", "opportunity") else ""
    heatmap = queries.heatmap_data(request.user, matrix, kind=kind)
    context = {
        "heatmap": heatmap,
        "matrix": matrix,
        "kind": kind,
        "levels": [
            {
                "level": level,
                "label": RiskLevel(level).label,
                "low": matrix.score_range(level)[0],
                "high": matrix.score_range(level)[1],
            }
            for level in LEVELS
        ],
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/risk_heatmap.html", context)


@login_required
def risk_new(request):
    require_manage(request.user)
    matrix = queries.matrix_setting()
    form = RiskForm(
        request.POST or None,
        size=matrix.size,
        initial={"owner": request.user.pk, "kind": "risk", "treatment": "reduce"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_create(actor=request.user, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%s recorded.") % risk.reference)
            return redirect("risk_detail", reference=risk.reference)
    title = _("New risk or opportunity")
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def risk_detail(request, reference):
    risk = get_risk_for(request.user, reference)
    matrix = queries.matrix_setting()
    today = timezone.localdate()
    may_manage = can_manage(request.user)
    context = {
        "risk": risk,
        "level": matrix.level_of(risk.score),
        "level_label": RiskLevel(matrix.level_of(risk.score)).label,
        "colour": queries.LEVEL_COLOURS[matrix.level_of(risk.score)],
        "matrix": matrix,
        "today": today,
        "overdue": risk.review_overdue(today),
        "services": risk.services.order_by("name"),
        "items": risk.configuration_items.order_by("reference"),
        "objectives": risk.objectives.order_by("reference"),
        "reviews": risk.reviews.select_related("reviewer"),
        "moves": risk_transitions_from(risk.status) if may_manage else [],
        "review_form": RiskReviewForm(
            size=matrix.size,
            initial={
                "likelihood": risk.likelihood,
                "impact": risk.impact,
                "next_review_on": today + datetime.timedelta(days=REVIEW_EVERY_DAYS),
                "version": risk.version,
            },
        )
        if may_manage and risk.is_open
        else None,
        "can_manage": may_manage,
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, "planning/risk_detail.html", context)


@login_required
def risk_edit(request, reference):
    risk = get_risk_for(request.user, reference, write=True)
    matrix = queries.matrix_setting()
    form = RiskForm(request.POST or None, size=matrix.size, initial=RiskForm.initial_for(risk))
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            services.risk_update(
                actor=request.user, risk=risk, expected_version=version, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("risk_detail", reference=risk.reference)
    title = _("Edit %s") % risk.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def risk_move(request, reference):
    risk = get_risk_for(request.user, reference, write=True)
    form = RiskMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("risk_detail", reference=risk.reference)
    try:
        services.risk_transition(
            actor=request.user,
            risk=risk,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("risk_detail", reference=risk.reference)


@login_required
@require_POST
def risk_review(request, reference):
    risk = get_risk_for(request.user, reference, write=True)
    form = RiskReviewForm(request.POST, size=queries.matrix_setting().size)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("risk_detail", reference=risk.reference)
    try:
        services.risk_review(
            actor=request.user,
            risk=risk,
            likelihood=form.cleaned_data["likelihood"],
            impact=form.cleaned_data["impact"],
            next_review_on=form.cleaned_data["next_review_on"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Review recorded."))
    return redirect("risk_detail", reference=risk.reference)


@login_required
def risk_matrix(request):
    require_manage(request.user)
    matrix = queries.matrix_setting()
    initial = {
        "size": matrix.size,
        "medium_from": matrix.medium_from,
        "high_from": matrix.high_from,
        "critical_from": matrix.critical_from,
        "version": matrix.version if matrix.pk and matrix.updated_at else None,
    }
    form = MatrixForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.risk_matrix_update(actor=request.user, expected_version=version, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Risk matrix saved."))
            return redirect("risk_heatmap")
    defaults = "; ".join(
        _("%(n)d×%(n)d: medium from %(m)d, high from %(h)d, critical from %(c)d")
        % {"n": n, "m": m, "h": h, "c": c}
        for n, (m, h, c) in MATRIX_DEFAULTS.items()
    )
    context = {
        "form": form,
        "title": _("Risk matrix"),
        "intro": _(
            "Score = likelihood × impact. Each level starts at the score given. "
            "Usual thresholds: %(defaults)s."
        )
        % {"defaults": defaults},
    }
    return render(request, "core/form_page.html", context)
