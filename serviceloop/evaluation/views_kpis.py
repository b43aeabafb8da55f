"""KPI screens: the list (current period), a KPI's page (trend, breakdown, click-through to
the records behind the figure) and the definition's edit form. Staff only (others: 404)."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.evaluation import engine
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.evaluation.services_kpis import EDITABLE, kpi_can_edit, kpi_definition_update


def _staff_only(user) -> None:
    if not user.has_capability(Capability.STAFF):
        raise Http404


def _definition(user, code) -> KpiDefinition:
    _staff_only(user)
    try:
        return KpiDefinition.objects.visible_to(user).get(code=code)
    except KpiDefinition.DoesNotExist as exc:
        raise Http404 from exc


def _safe(definition, start, end, slice_=None):
    try:
        return engine.kpi_evaluate(definition, start, end, slice_)
    except ValidationError:
        return engine.KpiResult(None, None, None, "no_data")


LIST_COLUMNS = [
    Column(gettext_lazy("Code"), "definition.code"),
    Column(gettext_lazy("Name"), "definition.name"),
    Column(gettext_lazy("Period start"), "start"),
    Column(gettext_lazy("Value"), "result.value"),
    Column(gettext_lazy("Unit"), "definition.unit"),
    Column(gettext_lazy("Target"), "definition.target"),
    Column(gettext_lazy("Status"), "result.status"),
    Column(gettext_lazy("Numerator"), "result.numerator"),
    Column(gettext_lazy("Denominator"), "result.denominator"),
]


@login_required
def kpi_list(request):
    _staff_only(request.user)
    today = timezone.localdate()
    rows = []
    for definition in KpiDefinition.objects.visible_to(request.user).select_related("owner"):
        start, end = engine.period_bounds(definition.period, today)
        rows.append(
            {
                "definition": definition,
                "start": start,
                "end": end,
                "result": _safe(definition, start, end),
            }
        )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "kpis", LIST_COLUMNS, rows)
    return render(request, "evaluation/kpi_list.html", {"rows": rows})


def _period_from(request, definition):
    text = request.GET.get("day", "")
    try:
        day = datetime.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return engine.period_bounds(definition.period, day), day


@login_required
def kpi_detail(request, code):
    definition = _definition(request.user, code)
    (start, end), day = _period_from(request, definition)
    by = request.GET.get("by", "")
    breakdown = []
    record_set = engine.SOURCES.get(definition.source)
    dimensions = [d for d in (definition.slices or []) if record_set and d in record_set.slices]
    if definition.aggregate == "external":
        dimensions = []
    by = by if by in dimensions else (dimensions[0] if dimensions else "")
    if by:
        try:
            breakdown = engine.kpi_breakdown(definition, start, end, by=by)
        except ValidationError:
            breakdown = []
    trend = [
        {
            "period": timezone.localtime(s.period_start).date().isoformat(),
            "value": None if s.value is None else float(s.value),
        }
        for s in definition.snapshots.filter(slice_id="{}").order_by("period_start")[:60]
    ]
    return render(
        request,
        "evaluation/kpi_detail.html",
        {
            "definition": definition,
            "result": _safe(definition, start, end),
            "start": start,
            "end": end,
            "day": day.isoformat(),
            "by": by,
            "dimensions": dimensions,
            "breakdown": breakdown,
            "trend": trend,
            "target": None if definition.target is None else float(definition.target),
            "can_edit": kpi_can_edit(request.user),
            "has_records": definition.aggregate != "external",
        },
    )


RECORD_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Customer"), "organisation"),
    Column(gettext_lazy("Priority"), "priority"),
    Column(gettext_lazy("Status"), "status"),
    Column(gettext_lazy("Created"), "created_at"),
]


@login_required
def kpi_records(request, code):
    """The records behind the figure (numerator or denominator), optionally of one slice."""
    definition = _definition(request.user, code)
    if definition.aggregate == "external":
        raise Http404
    (start, end), day = _period_from(request, definition)
    part = "numerator" if request.GET.get("part") == "numerator" else "denominator"
    slice_ = {}
    for name in definition.slices or []:
        text = request.GET.get(name, "")
        if text:
            if name in ("organisation", "team") and not text.isdigit():
                raise Http404
            slice_[name] = int(text) if name in ("organisation", "team") else text
    try:
        records = engine.kpi_records(definition, start, end, slice_, part=part)
    except ValidationError as exc:
        raise Http404 from exc
    if hasattr(records, "visible_to"):
        records = records.visible_to(request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, f"kpi-{definition.code}", RECORD_COLUMNS, records)
    page = paginate(request, records)
    return render(
        request,
        "evaluation/kpi_records.html",
        {"definition": definition, "page": page, "part": part, "start": start, "end": end,
         "slice": slice_, "day": day.isoformat(), "is_ticket": records.model.__name__ == "Ticket"},
    )  # fmt: skip


class KpiDefinitionForm(forms.ModelForm):
    class Meta:
        model = KpiDefinition
        fields = list(EDITABLE)


@login_required
def kpi_edit(request, code):
    definition = _definition(request.user, code)
    if not kpi_can_edit(request.user):
        raise PermissionDenied
    form = KpiDefinitionForm(
        request.POST or None, instance=KpiDefinition.objects.get(pk=definition.pk)
    )
    if request.method == "POST" and form.is_valid():
        try:
            kpi_definition_update(
                request.user, definition, **{n: form.cleaned_data[n] for n in EDITABLE}
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("KPI saved."))
            return redirect("kpi_detail", code=definition.code)
    return render(request, "evaluation/kpi_form.html", {"definition": definition, "form": form})
