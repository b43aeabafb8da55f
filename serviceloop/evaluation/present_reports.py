"""A service report's snapshot as sections to show: figures, tables, charts and notes.

``report_sections_view(snapshot, charts=True)`` reads the snapshot only (never the records),
in the active language: the web page, the PDF and the XLSX all show these same sections, so
the three carry the same figures. Each table row holds its display ``cells`` and its typed
``raw`` values (what a spreadsheet cell gets); each figure its display ``value`` and ``raw``.
Charts are inline SVG (``core.svg_charts``), drawn for the page and the PDF alike.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from serviceloop.core.svg_charts import bar_chart, line_chart
from serviceloop.evaluation.models import ReportSection

TONES = {"ok": "success", "warning": "warning", "breach": "danger"}


def status_label(status: str) -> str:
    return {
        "ok": _("Met"),
        "warning": _("Warning"),
        "breach": _("Missed"),
        "no_data": _("No data"),
        "unavailable": _("Not available"),
    }.get(status, status)


def value_text(value, unit: str = "") -> str:
    """A figure as the reader sees it: 96.5%, 42 min, 5.3 h, 4.25, 2.10‰, 120."""
    if value is None:
        return "—"
    value = float(value)
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "minutes":
        return _("%(n)s min") % {"n": f"{value:.0f}"}
    if unit == "hours":
        return _("%(n)s h") % {"n": f"{value:.1f}"}
    if unit == "score":
        return f"{value:.2f}"
    if unit == "per_1000":
        return f"{value:.2f}‰"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}"


def _yes(flag: bool) -> str:
    return _("Yes") if flag else _("No")


def _dash(text) -> str:
    return "—" if text in (None, "") else str(text)


def _figure(label, value, unit="", *, status="", note="") -> dict:
    return {
        "label": label,
        "value": value_text(value, unit),
        "raw": value,
        "unit": unit,
        "tone": TONES.get(status, ""),
        "status": status_label(status) if status else "",
        "note": note,
    }


def _kpi_figure(fig: dict) -> dict:
    note = ""
    if fig["unit"] == "%" and fig["denominator"]:
        note = f"{value_text(fig['numerator'])} / {value_text(fig['denominator'])}"
    if fig["target"] is not None:
        sign = "≤" if fig["direction"] == "lower" else "≥"
        target = f"{sign} {value_text(fig['target'], fig['unit'])}"
        note = f"{note} · {_('target')} {target}" if note else f"{_('target')} {target}"
    return _figure(fig["name"], fig["value"], fig["unit"], status=fig["status"], note=note)


def _table(title: str, headers: list, rows: list[tuple[list, list, str]]) -> dict:
    """``rows``: (display cells, raw values, tone)."""
    return {
        "title": title,
        "headers": [str(h) for h in headers],
        "rows": [{"cells": cells, "raw": raw, "tone": tone} for cells, raw, tone in rows],
    }


def _section(code: str, **parts) -> dict:
    return {
        "code": code,
        "title": str(ReportSection(code).label) if code in ReportSection.values else code,
        "available": True,
        "reason": "",
        "figures": [],
        "tables": [],
        "charts": [],
        "notes": [],
        "text": "",
        **parts,
    }


# --- Sections --------------------------------------------------------------------------------


def _sla(data: dict, charts: bool) -> dict:
    notes = []
    names = ", ".join(data["agreements"])
    if data["source"] == "agreement":
        notes.append(_("Targets of the agreements in force: %(names)s.") % {"names": names})
    elif data["source"] == "policy":
        notes.append(
            _("No agreement in force: targets of the desk SLA policy %(names)s.") % {"names": names}
        )
    else:
        notes.append(_("No service level agreement or SLA policy applies to this scope."))
    rows = []
    for row in data["targets"]:
        met = (
            f"{value_text(row['met'])} / {value_text(row['total'])}"
            if row["total"] is not None and row["metric"] != "availability"
            else "—"
        )
        unit = "%"
        cells = [
            row["agreement"], row["metric_label"], _dash(row["priority"]) if row["metric"] !=
            "availability" else "—", _dash(row["service"]), row["target"],
            value_text(row["value"], unit), met, value_text(row["objective"], unit),
            status_label(row["status"]),
        ]  # fmt: skip
        raw = [
            row["agreement"], row["metric_label"], row["priority"], row["service"], row["target"],
            row["value"], row["met"], row["total"], row["objective"], status_label(row["status"]),
        ]  # fmt: skip
        rows.append((cells, raw, TONES.get(row["status"], "")))
    headers = [
        _("Agreement"), _("Metric"), _("Priority"), _("Service"), _("Target"), _("Attainment"),
        _("Met / total"), _("Objective"), _("Status"),
    ]  # fmt: skip
    table = _table(_("Attainment per target"), headers, rows)
    table["raw_headers"] = [
        *headers[:6], _("Met"), _("Total"), _("Objective"), _("Status")
    ]  # fmt: skip
    trend = data["trend"]
    trend_table = _table(
        _("Trend"),
        [_("Period"), _("First response within SLA"), _("Resolution within SLA")],
        [
            ([label, value_text(a, "%"), value_text(b, "%")], [label, a, b], "")
            for label, a, b in zip(
                trend["labels"], trend["response"], trend["resolution"], strict=True
            )
        ],
    )
    drawn = []
    if charts:
        measured = [r for r in data["targets"] if r["value"] is not None]
        if measured:
            drawn.append(
                bar_chart(
                    [_target_label(r) for r in measured],
                    [(_("Attainment"), [r["value"] for r in measured])],
                    unit="%",
                    title=_("Attainment per target"),
                    width=min(680, max(520, 64 * len(measured))),
                )
            )
        response = next(
            (fig for fig in data["overall"] if fig["code"] == "response-within-sla"), None
        )
        drawn.append(
            line_chart(
                trend["labels"],
                [
                    (_("First response within SLA"), trend["response"]),
                    (_("Resolution within SLA"), trend["resolution"]),
                ],
                target=response["target"] if response else None,
                target_label=_("target"),
                unit="%",
                title=_("SLA attainment trend"),
                width=520,
            )
        )
    return _section(
        "sla",
        figures=[_kpi_figure(fig) for fig in data["overall"]],
        tables=[table, trend_table],
        charts=drawn,
        notes=notes,
    )


def _target_label(row: dict) -> str:
    short = {
        "first_response": pgettext("short", "response"),
        "resolution": pgettext("short", "resolution"),
        "availability": pgettext("short", "availability"),
    }.get(row["metric"], row["metric"])
    return f"{row['priority']} {short}".strip()


def _volumes(data: dict, charts: bool) -> dict:
    change = data["change_pct"]
    figures = [
        _figure(_("Tickets created"), data["created"]),
        _figure(_("Tickets resolved"), data["resolved"]),
        _figure(_("Incidents"), data["incidents"]),
        _figure(_("Service requests"), data["requests"]),
        _figure(_("Major incidents"), data["major"]),
        _figure(
            _("Change from the previous period"),
            change,
            "%",
            note=_("previous: %(n)s") % {"n": value_text(data["previous_created"])},
        ),
    ]
    priorities = _table(
        _("Tickets created per priority"),
        [_("Priority"), _("Tickets")],
        [([row["priority"], str(row["count"])], [row["priority"], row["count"]], "")
         for row in data["by_priority"]],
    )  # fmt: skip
    trend = data["trend"]
    trend_table = _table(
        _("Trend"),
        [_("Period"), _("Tickets created"), _("Tickets resolved")],
        [
            ([label, str(a), str(b)], [label, a, b], "")
            for label, a, b in zip(
                trend["labels"], trend["created"], trend["resolved"], strict=True
            )
        ],
    )
    drawn = []
    if charts:
        drawn.append(
            line_chart(
                trend["labels"],
                [
                    (_("Tickets created"), trend["created"]),
                    (_("Tickets resolved"), trend["resolved"]),
                ],
                title=_("Ticket volumes"),
                width=520,
            )
        )
        drawn.append(
            bar_chart(
                [row["priority"] for row in data["by_priority"]],
                [(_("Tickets"), [row["count"] for row in data["by_priority"]])],
                title=_("Tickets created per priority"),
                width=300,
            )
        )
    return _section("volumes", figures=figures, tables=[priorities, trend_table], charts=drawn)


def _major(data: dict, charts: bool) -> dict:
    open_text = _("open at the end of the period")
    rows = [
        (
            [r["reference"], r["title"], _dash(r["service"]), r["priority"], r["created"],
             r["resolved"] or open_text, value_text(r["hours"]), _yes(r["reviewed"])],
            [r["reference"], r["title"], r["service"], r["priority"], r["created"],
             r["resolved"], r["hours"], _yes(r["reviewed"])],
            "" if r["resolved"] else "warning",
        )
        for r in data["rows"]
    ]  # fmt: skip
    headers = [
        _("Reference"), _("Title"), _("Service"), _("Priority"), _("Created"), _("Resolved"),
        _("Hours to resolve"), _("Post-incident review"),
    ]  # fmt: skip
    return _section(
        "major_incidents",
        figures=[_figure(_("Major incidents"), data["count"])],
        tables=[_table(_("Major incidents"), headers, rows)],
        notes=[] if rows else [_("No major incident in the period.")],
    )


def _changes(data: dict, charts: bool) -> dict:
    figures = [
        _figure(_("Changes implemented"), data["total"]),
        _figure(_("Successful"), data["successful"]),
        _figure(_("Failed or backed out"), data["unsuccessful"]),
        _figure(_("Emergency changes"), data["emergency"]),
        _figure(_("Change success rate"), data["success_rate"], "%"),
    ]
    rows = [
        (
            [r["reference"], r["title"], r["type_label"], r["outcome_label"], r["ended"],
             _yes(r["successful"])],
            [r["reference"], r["title"], r["type_label"], r["outcome_label"], r["ended"],
             _yes(r["successful"])],
            "" if r["successful"] else "danger",
        )
        for r in data["rows"]
    ]  # fmt: skip
    headers = [_("Reference"), _("Title"), _("Type"), _("Outcome"), _("Ended"), _("Successful")]
    return _section(
        "changes",
        figures=figures,
        tables=[_table(_("Changes implemented"), headers, rows)],
        notes=[] if rows else [_("No change ended in the period.")],
    )


def _availability(data: dict, charts: bool) -> dict:
    rows = [
        (
            [r["name"], value_text(r["value"], "%"), value_text(r["uptime_hours"]),
             value_text(r["agreed_hours"]), status_label(r["status"])],
            [r["name"], r["value"], r["uptime_hours"], r["agreed_hours"], status_label(r["status"])],
            TONES.get(r["status"], ""),
        )
        for r in data["services"]
    ]  # fmt: skip
    headers = [_("Service"), _("Availability"), _("Uptime (h)"), _("Agreed service time (h)"),
               _("Status")]  # fmt: skip
    drawn = []
    measured = [r for r in data["services"] if r["value"] is not None]
    if charts and measured:
        drawn.append(
            bar_chart(
                [r["code"] for r in measured],
                [(_("Availability"), [r["value"] for r in measured])],
                unit="%",
                title=_("Availability per service"),
                width=520,
            )
        )
    return _section(
        "availability",
        figures=[_kpi_figure(data["overall"])],
        tables=[_table(_("Availability per service"), headers, rows)],
        charts=drawn,
    )


def _csat(data: dict, charts: bool) -> dict:
    figures = [_kpi_figure(fig) for fig in data["kpis"]]
    figures.append(_figure(_("Complaints received"), data["complaints_total"]))
    ratings = _table(
        _("Ratings given"),
        [_("Rating"), _("Ratings")],
        [
            ([str(r["score"]), str(r["count"])], [r["score"], r["count"]], "")
            for r in data["ratings"]
        ],
    )
    complaints = _table(
        _("Complaints received"),
        [_("Reference"), _("Subject"), _("Severity"), _("Received"), _("At the end of the period")],
        [
            (
                [c["reference"], c["subject"], c["severity_label"], c["received"], c["state_label"]],
                [c["reference"], c["subject"], c["severity_label"], c["received"], c["state_label"]],
                "warning" if c["state"] == "open" else "",
            )
            for c in data["complaints"]
        ],
    )  # fmt: skip
    drawn = []
    if charts and any(r["count"] for r in data["ratings"]):
        drawn.append(
            bar_chart(
                [str(r["score"]) for r in data["ratings"]],
                [(_("Ratings"), [r["count"] for r in data["ratings"]])],
                title=_("Ratings given"),
                width=300,
            )
        )
    return _section(
        "csat",
        figures=figures,
        tables=[ratings, complaints],
        charts=drawn,
        notes=[] if data["complaints"] else [_("No complaint received in the period.")],
    )


def _problems(data: dict, charts: bool) -> dict:
    rows = [
        (
            [r["reference"], r["title"], _dash(r["service"]), r["created"], _yes(r["known_error"]),
             str(r["age_days"])],
            [r["reference"], r["title"], r["service"], r["created"], _yes(r["known_error"]),
             r["age_days"]],
            "",
        )
        for r in data["rows"]
    ]  # fmt: skip
    headers = [_("Reference"), _("Title"), _("Service"), _("Created"), _("Known error"),
               _("Age (days)")]  # fmt: skip
    return _section(
        "problems",
        figures=[_figure(_("Open problems at the end of the period"), data["total"])],
        tables=[_table(_("Open problems"), headers, rows)],
        notes=[] if rows else [_("No problem open at the end of the period.")],
    )


def _improvements(data: dict, charts: bool) -> dict:
    rows = [
        (
            [r["reference"], r["title"], r["source_label"], _dash(r["source_reference"]),
             _dash(r["target_on"]), r["state_label"]],
            [r["reference"], r["title"], r["source_label"], r["source_reference"], r["target_on"],
             r["state_label"]],
            "",
        )
        for r in data["rows"]
    ]  # fmt: skip
    headers = [_("Reference"), _("Title"), _("Source"), _("Raised from"), _("Target date"),
               _("At the end of the period")]  # fmt: skip
    return _section(
        "improvements",
        figures=[_figure(_("Improvement actions"), data["total"])],
        tables=[_table(_("Improvement actions"), headers, rows)],
        notes=[] if rows else [_("No improvement action raised from this scope's records.")],
    )


def _commentary(data: dict, charts: bool) -> dict:
    return _section("commentary", text=data.get("text", ""))


VIEWS = {
    "sla": _sla,
    "volumes": _volumes,
    "major_incidents": _major,
    "changes": _changes,
    "availability": _availability,
    "csat": _csat,
    "problems": _problems,
    "improvements": _improvements,
    "commentary": _commentary,
}


def report_sections_view(snapshot: dict, *, charts: bool = True) -> list[dict]:
    """The snapshot's sections as shown (see the module docstring), in the active language."""
    out = []
    for data in snapshot.get("sections", []):
        code = data.get("code")
        if code not in VIEWS:
            continue
        if not data.get("available", True):
            out.append(_section(code, available=False, reason=data.get("reason", "")))
            continue
        out.append(VIEWS[code](data, charts))
    return out


def scope_text(snapshot: dict) -> str:
    scope = snapshot.get("scope") or {}
    parts = []
    if scope.get("organisation"):
        parts.append(scope["organisation"]["name"])
    if scope.get("service"):
        parts.append(scope["service"]["name"])
    return " · ".join(parts)
