"""How a management-review input is shown: its stored snapshot (language-neutral codes and
numbers, see ``inputs_reviews``) turned into figures, tables and charts labelled in the
active language. The screen and the PDF pack render the same ``SectionView``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from serviceloop.core.svg_charts import bar_chart, line_chart
from serviceloop.evaluation.models import ActionStatus, InputCode, ReviewInput

DANGER, WARNING, SUCCESS = "danger", "warning", "success"


@dataclass
class Figure:
    label: str
    value: Any
    tone: str = ""


@dataclass
class Row:
    cells: list
    tone: str = ""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[Row]
    testid: str = ""


@dataclass
class Chart:
    title: str
    svg: Any


@dataclass
class SectionView:
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unavailable: bool = False


def label(choices, value) -> str:
    """The label of ``value`` in a TextChoices class, else the value itself."""
    try:
        return str(choices(value).label)
    except (ValueError, TypeError):
        return "" if value is None else str(value)


def dash(value) -> Any:
    return "—" if value in (None, "") else value


def yes_no(value) -> str:
    return "—" if value is None else (_("yes") if value else _("no"))


def chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def kpi_name(row: dict) -> str:
    return row.get("name_zh") if chinese() and row.get("name_zh") else row.get("name_en", "")


def unit_text(unit: str) -> str:
    units = {"minutes": _("min"), "hours": _("h"), "days": _("days"), "per_1000": "‰",
             "score": ""}  # fmt: skip
    return str(units.get(unit, unit or ""))


def number(value, unit: str = "") -> str:
    if value is None:
        return "—"
    unit = unit_text(unit)
    text = f"{value:,.0f}" if float(value) == int(value) else f"{value:,.2f}"
    return f"{text} {unit}".strip() if unit and unit != "%" else f"{text}{unit}"


def count_figures(mapping: dict, choices, *, prefix: str = "") -> list[Figure]:
    return [Figure(f"{prefix}{label(choices, k)}", n) for k, n in mapping.items()]


def summary_text(mapping: dict, choices) -> str:
    return ", ".join(f"{label(choices, k)}: {n}" for k, n in mapping.items()) or "—"


KPI_TONE = {"ok": SUCCESS, "warning": WARNING, "breach": DANGER}


def kpi_status(status: str) -> str:
    return str({"ok": _("On target"), "warning": _("Warning"), "breach": _("Breach"),
                "no_data": _("No data"), "unavailable": _("Not available")}
               .get(status, status))  # fmt: skip


# --- One presenter per input --------------------------------------------------------------------


def present_previous_actions(content: dict) -> SectionView:
    view = SectionView(
        figures=[
            Figure(_("Previous review"), dash(content.get("previous_review"))),
            Figure(_("Actions open"), content["open"], WARNING if content["open"] else ""),
            Figure(_("Actions overdue"), content["overdue"], DANGER if content["overdue"] else ""),
            Figure(_("Actions done"), content["done"], SUCCESS if content["done"] else ""),
            Figure(_("Actions cancelled"), content["cancelled"]),
        ]
    )
    view.tables.append(Table(
        pgettext("management review", "Actions"),
        [pgettext("management review", "Action"), _("Description"), _("Owner"), _("Due"),
         _("Status"), _("Closure note")],
        [Row([f"{r['review']} A{r['number']}", r["description"], r["owner"], r["due_on"],
              label(ActionStatus, r["status"]), dash(r["closure_note"])],
             DANGER if r["overdue"] else "") for r in content["rows"]],
        "previous-actions",
    ))  # fmt: skip
    if not content["rows"]:
        view.notes.append(_("No earlier review has actions to report on."))
    return view


def present_context(content: dict) -> SectionView:
    from serviceloop.planning.models import IssueKind, PartyCategory

    changes = {"added": _("Added"), "changed": _("Changed"), "retired": _("Retired"),
               "reinstated": _("Reinstated")}  # fmt: skip
    view = SectionView(figures=[
        Figure(_("Current issues"), content["issues_current"]),
        Figure(_("Current interested parties"), content["parties_current"]),
        *[Figure(str(changes.get(k, k)), n) for k, n in content["changes"].items()],
    ])  # fmt: skip
    view.tables.append(Table(
        _("Changes in the period"),
        [_("Kind"), _("Issue or party"), _("Category"), _("Change"), _("Impact or requirements")],
        [Row([_("Issue") if r["kind"] == "issue" else _("Interested party"), r["title"],
              label(IssueKind if r["kind"] == "issue" else PartyCategory, r["category"]),
              str(changes.get(r["change"], r["change"])), dash(r["detail"])])
         for r in content["rows"]],
        "context-changes",
    ))  # fmt: skip
    for doc in content.get("documents_approved", []):
        name = _("Scope statement") if doc["document"] == "scope" else _("Policy")
        view.notes.append(
            _("%(name)s version %(n)s approved on %(on)s.")
            % {"name": name, "n": doc["number"], "on": doc["approved_on"]}
        )
    if not content["rows"]:
        view.notes.append(_("No issue or interested party changed in the period."))
    return view


def present_objectives(content: dict) -> SectionView:
    from serviceloop.planning.queries_objectives import STATUS_LABELS

    tones = {"missed": DANGER, "at_risk": WARNING, "achieved": SUCCESS, "on_track": SUCCESS}
    view = SectionView(figures=[
        Figure(str(STATUS_LABELS.get(k, k)), n, tones.get(k, "")) for k, n in
        content["statuses"].items()
    ])  # fmt: skip
    view.tables.append(Table(
        _("Objectives"),
        [_("Objective"), _("Owner"), _("Due"), _("Target"), _("Value now"), _("Status")],
        [Row([f"{r['reference']} {r['title']}", r["owner"], r["due_on"],
              number(r["target"], r["unit"]), number(r["value"], r["unit"]),
              str(STATUS_LABELS.get(r["status"], r["status"]))], tones.get(r["status"], ""))
         for r in content["rows"]],
        "objectives",
    ))  # fmt: skip
    if not content["rows"]:
        view.notes.append(_("No active objective."))
    return view


def kpi_chart(row: dict):
    points = row.get("trend") or []
    if len(points) < 2 or all(p["value"] is None for p in points):
        return None
    return line_chart(
        [p["label"] for p in points],
        [(kpi_name(row), [p["value"] for p in points])],
        target=row.get("target"),
        warning=row.get("warning"),
        target_label=_("target"),
        warning_label=_("warning"),
        unit="%" if row.get("unit") == "%" else "",
        title=kpi_name(row),
        width=340,
        height=180,
    )


def present_kpis(content: dict) -> SectionView:
    view = SectionView(figures=[
        Figure(kpi_status(k), n, KPI_TONE.get(k, "")) for k, n in content["statuses"].items()
    ])  # fmt: skip
    view.tables.append(Table(
        _("KPIs over the period"),
        [_("KPI"), _("Value over the period"), _("Target"), _("Status"), _("Basis (denominator)")],
        [Row([kpi_name(r), number(r["value"], r["unit"]), number(r["target"], r["unit"]),
              kpi_status(r["status"]), dash(number(r["denominator"]) if r["denominator"]
                                             is not None else None)],
             KPI_TONE.get(r["status"], "") if r["status"] != "ok" else "")
         for r in content["rows"]],
        "kpis",
    ))  # fmt: skip
    for row in content["rows"]:
        svg = kpi_chart(row)
        if svg is not None:
            view.charts.append(Chart(kpi_name(row), svg))
    return view


def present_audits(content: dict) -> SectionView:
    from serviceloop.evaluation.models.audits import AuditStatus, FindingKind, FindingStatus

    view = SectionView(figures=[
        Figure(_("Audits held"), content["held"]),
        Figure(_("Audits in the period"), content["planned"]),
        *count_figures(content["findings_raised"], FindingKind),
        Figure(_("Findings closed"), content["findings_closed"]),
        Figure(_("Findings open"), content["findings_open"]),
        Figure(_("Findings overdue"), content["findings_overdue"],
               DANGER if content["findings_overdue"] else ""),
    ])  # fmt: skip
    view.tables.append(Table(
        _("Audits"),
        [_("Audit"), _("Status"), _("Planned start"), _("Reported on"), _("Findings")],
        [Row([f"{a['reference']} {a['title']}", label(AuditStatus, a["status"]),
              a["planned_start"], dash(a["reported_on"]),
              summary_text(a["findings"], FindingKind)]) for a in content["audits"]],
        "audits",
    ))  # fmt: skip
    view.tables.append(Table(
        _("Open findings"),
        [_("Finding"), _("Kind"), _("Status"), _("Owner"), _("Due")],
        [Row([f"{f['reference']} {f['title']}", label(FindingKind, f["kind"]),
              label(FindingStatus, f["status"]), dash(f["owner"]), dash(f["due_on"])],
             DANGER if f["overdue"] else "") for f in content["open_findings"]],
        "open-findings",
    ))  # fmt: skip
    return view


def present_nonconformities(content: dict) -> SectionView:
    from serviceloop.improvement.models import ActionKind, NcSource, NcStatus, Severity

    view = SectionView(figures=[
        Figure(_("Raised in the period"), content["raised"]),
        *count_figures(content["raised_by_severity"], Severity),
        Figure(_("Closed in the period"), content["closed"]),
        Figure(_("Not closed"), content["open"]),
        Figure(_("Past their due date"), content["overdue"], DANGER if content["overdue"] else ""),
        Figure(_("Actions done"), content["actions_done"]),
        Figure(_("Verified effective"), content["actions_effective"],
               SUCCESS if content["actions_effective"] else ""),
        Figure(_("Not effective"), content["actions_not_effective"],
               DANGER if content["actions_not_effective"] else ""),
        Figure(_("Actions overdue"), content["actions_overdue"],
               DANGER if content["actions_overdue"] else ""),
    ])  # fmt: skip
    view.notes.append(
        _("Sources: %(sources)s. Actions created: %(kinds)s.")
        % {"sources": summary_text(content["raised_by_source"], NcSource),
           "kinds": summary_text(content["actions_created"], ActionKind)}
    )  # fmt: skip
    view.tables.append(Table(
        _("Nonconformities raised in the period or open"),
        [_("Nonconformity"), _("Severity"), _("Source"), _("Status"), _("Raised"), _("Due")],
        [Row([f"{n['reference']} {n['title']}", label(Severity, n["severity"]),
              label(NcSource, n["source"]), label(NcStatus, n["status"]), n["raised_on"],
              dash(n["due_on"])], DANGER if n["overdue"] else "") for n in content["rows"]],
        "nonconformities",
    ))  # fmt: skip
    return view


def present_customer_feedback(content: dict) -> SectionView:
    from serviceloop.relationship.models import ComplaintSeverity, ComplaintStatus

    view = SectionView(figures=[
        *[Figure(kpi_name(c), number(c["value"], c["unit"] if c["unit"] == "%" else ""),
                 KPI_TONE.get(c["status"], "")) for c in content["csat"]],
        Figure(_("Complaints received"), content["complaints_received"]),
        *count_figures(content["complaints_by_severity"], ComplaintSeverity),
        Figure(_("Response target breached"), content["complaints_breached"],
               DANGER if content["complaints_breached"] else ""),
        Figure(_("Complaints closed"), content["complaints_closed"]),
        Figure(_("Complaints open"), content["complaints_open"]),
        Figure(_("Relationship reviews"), len(content["relationship_reviews"])),
        Figure(_("Relationship actions overdue"), content["relationship_actions_overdue"],
               DANGER if content["relationship_actions_overdue"] else ""),
        Figure(_("Survey responses"), content["survey_responses"]),
        Figure(_("Average survey score (1–5)"), number(content["survey_average"])),
    ])  # fmt: skip
    view.tables.append(Table(
        _("Complaints received"),
        [_("Complaint"), _("Customer"), _("Severity"), _("Status"), _("Received")],
        [Row([f"{c['reference']} {c['subject']}", c["organisation"],
              label(ComplaintSeverity, c["severity"]), label(ComplaintStatus, c["status"]),
              c["received_on"]], DANGER if c["breached"] else "")
         for c in content["complaints"]],
        "complaints",
    ))  # fmt: skip
    view.tables.append(Table(
        _("Relationship reviews held"),
        [_("Review"), _("Customer"), _("Held on")],
        [Row([f"{m['reference']} {m['title']}", m["customer"], m["held_on"]])
         for m in content["relationship_reviews"]],
        "relationship-reviews",
    ))  # fmt: skip
    return view


def present_suppliers(content: dict) -> SectionView:
    view = SectionView(figures=[
        Figure(_("Active suppliers"), content["suppliers_active"]),
        Figure(_("Performance reviews"), content["reviews"]),
        Figure(_("Average rating (1–5)"), number(content["average_rating"])),
        Figure(_("Obligations met"),
               f"{content['obligations_met']} / {content['obligations_scored']}"),
        Figure(_("Disputes raised"), content["disputes_raised"]),
        Figure(_("Disputes open"), content["disputes_open"],
               WARNING if content["disputes_open"] else ""),
    ])  # fmt: skip
    view.tables.append(Table(
        _("Supplier performance reviews"),
        [_("Review"), _("Supplier"), _("Period"), _("Rating"), _("Obligations met")],
        [Row([r["reference"], r["supplier"], f"{r['period_start']} – {r['period_end']}",
              dash(r["rating"]), f"{r['met']} / {r['scored']}"],
             DANGER if r["rating"] is not None and r["rating"] <= 2 else "")
         for r in content["rows"]],
        "supplier-reviews",
    ))  # fmt: skip
    return view


def present_risks(content: dict) -> SectionView:
    from serviceloop.planning.models import RiskKind, RiskLevel, RiskStatus, Treatment

    tones = {"critical": DANGER, "high": WARNING}
    figures = [Figure(_("Open risks and opportunities"), content["open"])]
    for kind, levels in content["open_by_level"].items():
        for level, n in levels.items():
            figures.append(Figure(f"{label(RiskKind, kind)} · {label(RiskLevel, level)}", n,
                                  tones.get(level, "")))  # fmt: skip
    figures += [
        Figure(_("Identified in the period"), content["identified"]),
        Figure(_("Closed in the period"), content["closed"]),
        Figure(_("Review overdue"), content["review_overdue"],
               DANGER if content["review_overdue"] else ""),
    ]  # fmt: skip
    view = SectionView(figures=figures)
    view.tables.append(Table(
        _("Highest-rated open risks and opportunities"),
        [_("Risk or opportunity"), _("Kind"), _("Score"), _("Level"), _("Treatment"),
         _("Owner"), _("Status")],
        [Row([f"{r['reference']} {r['title']}", label(RiskKind, r["kind"]), r["score"],
              label(RiskLevel, r["level"]), label(Treatment, r["treatment"]), r["owner"],
              label(RiskStatus, r["status"])], tones.get(r["level"], ""))
         for r in content["rows"]],
        "risks",
    ))  # fmt: skip
    return view


def present_capacity(content: dict) -> SectionView:
    from serviceloop.demand.models.capacity import AlertTrigger

    levels = {"ok": _("Within thresholds"), "warning": _("Warning"), "critical": _("Critical"),
              "no_data": _("No measurement")}  # fmt: skip
    tones = {"critical": DANGER, "warning": WARNING}
    view = SectionView(figures=[
        Figure(_("Active capacity plans"), content["plans"]),
        *[Figure(str(levels.get(k, k)), n, tones.get(k, "")) for k, n in
          content["levels"].items()],
        *count_figures(content["alerts_opened"], AlertTrigger, prefix=_("Alerts: ")),
        Figure(_("Alerts open"), content["alerts_open"], WARNING if content["alerts_open"] else ""),
        Figure(_("Capacity actions done"), content["actions_done"]),
        Figure(_("Capacity actions open"), content["actions_open"]),
    ])  # fmt: skip
    view.tables.append(Table(
        _("Capacity plans"),
        [_("Plan"), _("Covers"), _("Last value"), _("Warning"), _("Critical"), _("Alerts")],
        [Row([f"{r['reference']} {r['name']}", r["subject"], number(r["value"], r["unit"]),
              number(r["warning"], r["unit"]), number(r["critical"], r["unit"]), r["alerts"]],
             tones.get(r["level"], "")) for r in content["rows"]],
        "capacity",
    ))  # fmt: skip
    return view


def present_availability_continuity(content: dict) -> SectionView:
    from serviceloop.assurance.models.continuity import ContinuityTestKind, ContinuityTestResult

    view = SectionView(figures=[
        Figure(_("Services meeting their target"), content["services_met"],
               SUCCESS if content["services_met"] else ""),
        Figure(_("Services missing their target"), content["services_missed"],
               DANGER if content["services_missed"] else ""),
        Figure(_("Continuity tests"), len(content["tests"])),
        *count_figures(content["test_results"], ContinuityTestResult),
        Figure(_("Invocations"), content["invocations"]),
        Figure(_("Test issues open"), content["issues_open"]),
        Figure(_("Test issues overdue"), content["issues_overdue"],
               DANGER if content["issues_overdue"] else ""),
        Figure(_("Plans with an overdue test"), content["plans_test_overdue"],
               DANGER if content["plans_test_overdue"] else ""),
    ])  # fmt: skip
    view.tables.append(Table(
        _("Availability per service"),
        [_("Service"), _("Availability"), _("Target"), _("Met"), _("Outages"),
         _("Downtime (minutes)")],
        [Row([s["name"], number(s["percent"], "%"), number(s["target"], "%"), yes_no(s["met"]),
              s["outages"], s["downtime_minutes"]], DANGER if s["met"] is False else "")
         for s in content["services"]],
        "availability",
    ))  # fmt: skip
    view.tables.append(Table(
        _("Continuity tests"),
        [_("Plan"), _("Kind"), _("Tested on"), _("Result"), _("Recovery (minutes)"),
         _("RTO met")],
        [Row([f"{t['plan']} {t['title']}", label(ContinuityTestKind, t["kind"]), t["tested_on"],
              label(ContinuityTestResult, t["result"]), dash(t["recovery_minutes"]),
              yes_no(t["met_rto"])], DANGER if t["result"] == "fail" else "")
         for t in content["tests"]],
        "continuity-tests",
    ))  # fmt: skip
    measured = [s for s in content["services"] if s["percent"] is not None]
    if measured:
        view.charts.append(Chart(_("Availability per service"), bar_chart(
            [s["code"] for s in measured], [(_("Availability"), [s["percent"] for s in measured])],
            unit="%", title=_("Availability per service"),
        )))  # fmt: skip
    return view


def present_improvements(content: dict) -> SectionView:
    from serviceloop.improvement.models import (
        ImprovementPriority,
        ImprovementSource,
        ImprovementStatus,
    )

    view = SectionView(figures=[
        Figure(_("Proposed in the period"), content["proposed"]),
        Figure(_("Implemented in the period"), content["implemented"]),
        Figure(_("Benefit measured in the period"), content["measured"]),
        *count_figures(content["open_by_status"], ImprovementStatus),
        Figure(_("Past their target date"), content["overdue"],
               DANGER if content["overdue"] else ""),
    ])  # fmt: skip
    view.notes.append(_("Sources of the proposals: %(sources)s.")
                      % {"sources": summary_text(content["proposed_by_source"],
                                                 ImprovementSource)})  # fmt: skip
    view.tables.append(Table(
        _("Open opportunities for improvement"),
        [_("Improvement"), _("Source"), _("Priority"), _("Status"), _("Owner"), _("Target date")],
        [Row([f"{i['reference']} {i['title']}", label(ImprovementSource, i["source"]),
              label(ImprovementPriority, i["priority"]), label(ImprovementStatus, i["status"]),
              dash(i["owner"]), dash(i["target_on"])], DANGER if i["overdue"] else "")
         for i in content["rows"]],
        "improvements",
    ))  # fmt: skip
    return view


def present_market(content: dict) -> SectionView:
    return SectionView()


PRESENTERS = {
    InputCode.PREVIOUS_ACTIONS: present_previous_actions,
    InputCode.CONTEXT: present_context,
    InputCode.OBJECTIVES: present_objectives,
    InputCode.KPIS: present_kpis,
    InputCode.AUDITS: present_audits,
    InputCode.NONCONFORMITIES: present_nonconformities,
    InputCode.CUSTOMER_FEEDBACK: present_customer_feedback,
    InputCode.SUPPLIERS: present_suppliers,
    InputCode.RISKS: present_risks,
    InputCode.CAPACITY: present_capacity,
    InputCode.AVAILABILITY_CONTINUITY: present_availability_continuity,
    InputCode.IMPROVEMENTS: present_improvements,
    InputCode.MARKET: present_market,
}


def section_view(review_input: ReviewInput) -> SectionView:
    """The input as shown, in the active language (an empty view before generation)."""
    content = review_input.content or {}
    if content.get("unavailable"):
        return SectionView(unavailable=True)
    if not content and review_input.generated_at is None:
        return SectionView()
    return PRESENTERS[review_input.code](content)
