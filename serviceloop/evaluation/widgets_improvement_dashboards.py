"""List widgets over the Check and Act records, for provider staff: the open nonconformities
(improvement, clause 10.1) and the open internal-audit findings (evaluation, 9.2).

Those areas are young: a widget is registered only when its model is there, and its links
fall back to nothing while a screen is missing, so the dashboard works on any subset.
"""

from __future__ import annotations

import importlib

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.evaluation.widgets_dashboards import (
    CACHE_GLOBAL,
    LIST,
    STAFF,
    Widget,
    WidgetRequest,
    first_rows,
    list_data,
    row,
    url_or,
    widget_register,
)


def _has(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


def _tone(due, today, *, serious: bool) -> str:
    if due is not None and due < today:
        return "danger"
    return "warning" if serious else ""


def build_open_nonconformities(request: WidgetRequest) -> dict:
    """Nonconformities not closed: major ones first, then by due date."""
    from serviceloop.improvement.models import Nonconformity

    ncs = Nonconformity.objects.visible_to(request.user).not_closed()
    records, count = first_rows(
        ncs.order_by("severity", F("due_on").asc(nulls_last=True), "id"), request.limit
    )
    rows = [
        row(
            reference=nc.reference,
            title=nc.title,
            url=url_or("nonconformity_detail", nc.reference),
            meta=f"{nc.get_severity_display()} · {nc.get_status_display()}",
            due=nc.due_on,
            tone=_tone(nc.due_on, request.today, serious=nc.severity == "major"),
        )
        for nc in records
    ]
    return list_data(
        count=count,
        rows=rows,
        url=url_or("nonconformity_list"),
        empty=_("No open nonconformity."),
    )


def build_open_findings(request: WidgetRequest) -> dict:
    """Internal-audit findings not closed, by due date (the undated last)."""
    from serviceloop.evaluation.models import Finding

    findings = Finding.objects.visible_to(request.user).open()
    records, count = first_rows(
        findings.order_by(F("due_on").asc(nulls_last=True), "id"), request.limit
    )
    rows = [
        row(
            reference=finding.reference,
            title=finding.title,
            url=url_or("audit_finding_detail", finding.reference),
            meta=f"{finding.get_kind_display()} · {finding.get_status_display()}",
            due=finding.due_on,
            tone=_tone(finding.due_on, request.today, serious=finding.kind == "major_nc"),
        )
        for finding in records
    ]
    return list_data(
        count=count,
        rows=rows,
        url=url_or("audit_finding_list"),
        empty=_("No open audit finding."),
    )


if _has("serviceloop.improvement.models", "Nonconformity"):
    widget_register(
        Widget(
            "open_nonconformities",
            gettext_lazy("Open nonconformities"),
            LIST,
            build_open_nonconformities,
            STAFF,
            cache=CACHE_GLOBAL,
        )
    )
if _has("serviceloop.evaluation.models", "Finding"):
    widget_register(
        Widget(
            "open_findings",
            gettext_lazy("Open audit findings"),
            LIST,
            build_open_findings,
            STAFF,
            cache=CACHE_GLOBAL,
        )
    )
