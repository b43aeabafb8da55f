"""KPI screens: the list (current period), a KPI's page (definition, trend of the stored
periods, breakdown per slice, every figure linked to the records behind it), the records
behind a figure, and the definition's create and edit forms. Staff only (others: 404);
creating and editing need MANAGE_SYSTEM or ADMINISTER (other staff: 403)."""

import datetime
import json
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.evaluation import engine
from serviceloop.evaluation.forms_kpis import SLICE_LABELS, KpiDefinitionForm
from serviceloop.evaluation.models import Aggregate, KpiDefinition
from serviceloop.evaluation.services_kpis import (
    kpi_can_edit,
    kpi_definition_create,
    kpi_definition_update,
)
from serviceloop.evaluation.snapshots_kpis import kpi_trend
from serviceloop.evaluation.sources_kpis import INTEGER_SLICES

NULL_KEY = "null"  # a slice value that is empty (a ticket without a team)


def _staff_only(user) -> None:
    if not user.has_capability(Capability.STAFF):
        raise Http404


def _definition(user, code) -> KpiDefinition:
    _staff_only(user)
    try:
        return KpiDefinition.objects.visible_to(user).select_related("owner").get(code=code)
    except KpiDefinition.DoesNotExist as exc:
        raise Http404 from exc


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
    """Every KPI's value over its current period: one query per record set and period kind."""
    _staff_only(request.user)
    today = timezone.localdate()
    definitions = list(KpiDefinition.objects.visible_to(request.user).select_related("owner"))
    by_period = defaultdict(list)
    for definition in definitions:
        by_period[definition.period].append(definition)
    results, bounds = {}, {}
    for period, members in by_period.items():
        bounds[period] = engine.period_bounds(period, today)
        results.update(engine.kpi_evaluate_many(members, *bounds[period]))
    rows = [
        {"definition": d, "start": bounds[d.period][0], "end": bounds[d.period][1],
         "result": results[d.code]}
        for d in definitions
    ]  # fmt: skip
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "kpis", LIST_COLUMNS, rows)
    return render(
        request, "evaluation/kpi_list.html", {"rows": rows, "can_edit": kpi_can_edit(request.user)}
    )


def _period_from(request, definition):
    text = request.GET.get("day", "")
    try:
        day = datetime.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return engine.period_bounds(definition.period, day), day


def _local_day(instant) -> str:
    return timezone.localtime(instant).date().isoformat()


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False) if value else ""


def _has_records(definition) -> bool:
    if definition.aggregate != Aggregate.EXTERNAL:
        return True
    external = engine.EXTERNALS.get(definition.external)
    return bool(external and external.records)


def _trend(definition, end):
    snapshots = kpi_trend(definition, 12, before=end)
    target = None if definition.target is None else float(definition.target)
    warning = None if definition.warning is None else float(definition.warning)
    points = [
        {
            "period": _local_day(s.period_start),
            "value": None if s.value is None else float(s.value),
            "target": target,
            "warning": warning,
        }
        for s in snapshots
    ]
    return snapshots, points


@login_required
def kpi_detail(request, code):
    definition = _definition(request.user, code)
    (start, end), day = _period_from(request, definition)
    try:
        engine.definition_validate(definition)
        problems = []
    except ValidationError as error:
        problems = error.messages
    dimensions = engine.definition_slices(definition) if not problems else []
    by = request.GET.get("by", "")
    by = by if by in dimensions else (dimensions[0] if dimensions else "")
    breakdown = engine.kpi_breakdown(definition, start, end, by=by) if by else []
    result = engine.NOT_AVAILABLE if problems else engine.kpi_evaluate(definition, start, end)
    snapshots, points = _trend(definition, end)
    show_rest = (
        definition.unit == "%"
        and definition.aggregate in (Aggregate.RATIO_OF_COUNTS, Aggregate.EXTERNAL)
        and result.numerator is not None
        and result.denominator is not None
    )
    previous_start, _previous_end = engine.previous_period(definition.period, day)
    following = (
        end if end <= engine.period_bounds(definition.period, timezone.localdate())[0] else None
    )
    return render(
        request,
        "evaluation/kpi_detail.html",
        {
            "definition": definition,
            "result": result,
            "problems": problems,
            "start": start,
            "end": end,
            "day": day.isoformat(),
            "previous_day": _local_day(previous_start),
            "next_day": _local_day(following) if following else "",
            "by": by,
            "by_label": SLICE_LABELS.get(by, by),
            "dimensions": [(d, SLICE_LABELS[d]) for d in dimensions],
            "breakdown": breakdown,
            "null_key": NULL_KEY,
            "snapshots": [(s, _local_day(s.period_start)) for s in snapshots],
            "trend": points,
            "target": None if definition.target is None else float(definition.target),
            "can_edit": kpi_can_edit(request.user),
            "has_records": _has_records(definition) and not problems,
            "unavailable": result.status == engine.UNAVAILABLE,
            "rest": result.denominator - result.numerator if show_rest else None,
            "filters": [
                (_("Denominator filter"), _json(definition.denominator_filter)),
                (_("Numerator filter"), _json(definition.numerator_filter)),
            ],
        },
    )


# --- Records behind a figure -----------------------------------------------------------------


LINKS = {
    "Ticket": "ticket_detail",
    "Problem": "problem_detail",
    "Complaint": "complaint_detail",
    "ChangeRequest": "change_detail",
    "Outage": "outage_detail",
    "Finding": "audit_finding_detail",
    "Action": "action_detail",
}


def _record_url(record) -> str:
    name = type(record).__name__
    try:
        if name == "Acknowledgement":
            return reverse("document_campaign_detail", args=[record.campaign.reference])
        if name in LINKS:
            return reverse(LINKS[name], args=[record.reference])
    except NoReverseMatch:
        pass
    return ""


def _record_when(record):
    for name in ("created_at", "received_at", "start", "submitted_at", "added_at"):
        value = getattr(record, name, None)
        if value is not None:
            return value
    return None


def _record_status(record) -> str:
    display = getattr(record, "get_status_display", None)
    return str(display()) if display else ""


RECORD_COLUMNS = [
    Column(gettext_lazy("Reference"), lambda r: getattr(r, "reference", "") or r.pk),
    Column(gettext_lazy("Record"), str),
    Column(gettext_lazy("Customer"), lambda r: getattr(r, "organisation", None) or ""),
    Column(gettext_lazy("Priority"), lambda r: getattr(r, "priority", "")),
    Column(gettext_lazy("Status"), _record_status),
    Column(gettext_lazy("Date"), _record_when),
]


def _slice_from(request, definition) -> dict:
    slice_ = {}
    for name in engine.definition_slices(definition):
        text = request.GET.get(name, "")
        if not text:
            continue
        if text == NULL_KEY:
            slice_[name] = None
        elif name in INTEGER_SLICES:
            if not text.isdigit():
                raise Http404
            slice_[name] = int(text)
        else:
            slice_[name] = text
    return slice_


@login_required
def kpi_records(request, code):
    """The records behind a figure (numerator, denominator or the rest), optionally of one
    slice; a KPI over two record sets shows one section at a time (``?section=``)."""
    definition = _definition(request.user, code)
    if not _has_records(definition):
        raise Http404
    (start, end), day = _period_from(request, definition)
    part = request.GET.get("part", "denominator")
    part = part if part in engine.PARTS else "denominator"
    slice_ = _slice_from(request, definition)
    try:
        sections = engine.kpi_record_sections(definition, start, end, slice_, part=part)
    except ValidationError as exc:
        raise Http404 from exc
    if not sections:
        raise Http404
    index = request.GET.get("section", "0")
    index = int(index) if index.isdigit() and int(index) < len(sections) else 0
    records = sections[index].queryset
    if hasattr(records, "visible_to"):
        records = records.visible_to(request.user)
    if any(f.name == "organisation" for f in records.model._meta.fields):
        records = records.select_related("organisation")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, f"kpi-{definition.code}", RECORD_COLUMNS, records)
    page = paginate(request, records)
    rows = [
        {"record": r, "url": _record_url(r), "reference": getattr(r, "reference", ""),
         "customer": getattr(r, "organisation", None), "priority": getattr(r, "priority", ""),
         "status": _record_status(r), "when": _record_when(r)}
        for r in page
    ]  # fmt: skip
    return render(
        request,
        "evaluation/kpi_records.html",
        {"definition": definition, "page": page, "rows": rows, "part": part, "start": start,
         "end": end, "slice": [(SLICE_LABELS.get(k, k), v) for k, v in slice_.items()],
         "day": day.isoformat(), "sections": [(i, s.label) for i, s in enumerate(sections)],
         "section": index, "section_label": sections[index].label},
    )  # fmt: skip


# --- Create and edit -------------------------------------------------------------------------


@login_required
def kpi_create(request):
    _staff_only(request.user)
    if not kpi_can_edit(request.user):
        raise PermissionDenied
    form = KpiDefinitionForm(
        request.POST or None,
        creating=True,
        initial={"aggregate": Aggregate.RATIO_OF_COUNTS, "source": "desk.tickets",
                 "period": "month", "direction": "higher", "is_active": True, "unit": "%"},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            definition = kpi_definition_create(
                request.user, code=form.cleaned_data["code"], **form.changes()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("KPI created."))
            return redirect("kpi_detail", code=definition.code)
    return render(request, "evaluation/kpi_form.html", {"definition": None, "form": form})


@login_required
def kpi_edit(request, code):
    definition = _definition(request.user, code)
    if not kpi_can_edit(request.user):
        raise PermissionDenied
    form = KpiDefinitionForm(request.POST or None, initial=KpiDefinitionForm.initial_of(definition))
    if request.method == "POST" and form.is_valid():
        try:
            kpi_definition_update(request.user, definition, **form.changes())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("KPI saved."))
            return redirect("kpi_detail", code=definition.code)
    return render(request, "evaluation/kpi_form.html", {"definition": definition, "form": form})
