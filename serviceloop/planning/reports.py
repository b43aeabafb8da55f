"""The gap analysis and the implementation plan as documents: XLSX workbooks (openpyxl) and
PDF (WeasyPrint, Noto CJK fonts for Chinese), in the active language.

The figures come from the same queries as the screens (``queries_assessments``,
``queries_plan``), so a workbook and a page always agree. Text a user typed that would start
a spreadsheet formula is prefixed with an apostrophe, as in every ServiceLoop export.
"""

import datetime
import io
from decimal import Decimal

from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from serviceloop.core.exports import FORMULA_STARTS
from serviceloop.core.pdf import (  # noqa: F401  (views catch it)
    PDF_TYPE,  # noqa: F401
    PdfUnavailable,
    render_pdf,
)
from serviceloop.planning import queries_assessments, queries_plan
from serviceloop.planning.questions import question_for

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAR_WIDTH = 320  # px of the PDF's maturity bars at maturity 5


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return force_str(_("yes") if value else _("no"))
    if isinstance(value, int | float | Decimal | datetime.date):
        return value
    text = force_str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def _sheet(workbook, title: str, header: list, rows: list[list], *, first=False):
    from openpyxl.styles import Font

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet.append([force_str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    return sheet


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _pdf(template: str, context: dict) -> bytes:
    return render_pdf(template, context)


# --- Gap analysis --------------------------------------------------------------------------


def assessment_context(assessment) -> dict:
    answers = queries_assessments.answers_of(assessment)
    results = queries_assessments.assessment_results(answers)
    return {"assessment": assessment, "answers": answers, "results": results}


def assessment_xlsx(assessment) -> bytes:
    """Summary (group averages), Answers (one row per clause) and Gaps (ranked) sheets."""
    from openpyxl import Workbook

    context = assessment_context(assessment)
    results = context["results"]
    workbook = Workbook()
    summary = _sheet(
        workbook,
        _("Summary"),
        [
            _("Group"),
            _("Title"),
            _("Average maturity"),
            _("Answered"),
            _("Not applicable"),
            _("Unanswered"),
        ],
        [
            [g.number, g.title, g.average, g.answered, g.not_applicable, g.unanswered]
            for g in results.groups
        ]
        + [
            [
                "",
                _("Overall"),
                results.overall,
                results.answered,
                results.not_applicable,
                results.unanswered,
            ]
        ],
        first=True,
    )
    summary.append([])
    for label, value in (
        (_("Reference"), assessment.reference),
        (_("Title"), assessment.title),
        (_("Assessment date"), assessment.assessed_on),
        (_("Assessor"), str(assessment.assessor)),
        (_("Status"), assessment.get_status_display()),
    ):
        summary.append([force_str(label), _cell(value)])
    _sheet(
        workbook,
        _("Answers"),
        [
            _("Clause"),
            _("Title"),
            _("Question"),
            _("Maturity"),
            _("Not applicable"),
            _("Justification"),
            _("Current practice"),
            _("Evidence"),
            _("Gap"),
        ],  # fmt: skip
        [
            [
                a.clause.number,
                a.clause.title,
                question.text if (question := question_for(a.clause.number)) else "",
                a.maturity,
                a.not_applicable,
                a.justification,
                a.current_practice,
                "\n".join(a.evidence_links or []),
                a.gap,
            ]
            for a in context["answers"]
        ],
    )
    _sheet(
        workbook,
        _("Gaps"),
        [
            _("Rank"),
            _("Clause"),
            _("Title"),
            _("Maturity"),
            _("Weight"),
            _("Score"),
            _("Gap"),
            _("Plan items"),
        ],
        [
            [
                gap.rank,
                gap.clause.number,
                gap.clause.title,
                gap.maturity,
                gap.weight,
                gap.score,
                gap.answer.gap,
                ", ".join(item.reference for item in gap.answer.plan_items.all()),
            ]
            for gap in results.gaps
        ],
    )
    return _workbook_bytes(workbook)


def assessment_pdf(assessment) -> bytes:
    context = assessment_context(assessment)
    bars = [
        {
            "group": g,
            "width": round(float(g.average) / queries_assessments.MAX_MATURITY * BAR_WIDTH, 1)
            if g.average is not None
            else 0,
            "y": index * 22,
        }
        for index, g in enumerate(context["results"].groups)
    ]
    context |= {
        "bars": bars,
        "bar_area": BAR_WIDTH,
        "target_x": round(
            queries_assessments.GAP_BELOW / queries_assessments.MAX_MATURITY * BAR_WIDTH, 1
        ),
        "chart_height": len(bars) * 22,
        "questions": {a.pk: question_for(a.clause.number) for a in context["answers"]},
    }
    return _pdf("planning/pdf/assessment.html", context)


# --- Implementation plan -------------------------------------------------------------------


def plan_context(user, today: datetime.date) -> dict:
    items = list(queries_plan.items_for_list(user))
    milestones = list(queries_plan.milestones_for_list(user))
    return {
        "items": items,
        "milestones": milestones,
        "progress": queries_plan.plan_progress(items, today),
        "today": today,
    }


def plan_xlsx(user, today: datetime.date) -> bytes:
    """Items, Milestones and Progress (overall, per group, per clause) sheets."""
    from openpyxl import Workbook

    context = plan_context(user, today)
    workbook = Workbook()
    _sheet(
        workbook,
        _("Items"),
        [
            _("Reference"),
            _("Title"),
            _("Goal"),
            _("Owner"),
            _("Status"),
            _("Percent complete"),
            _("Start"),
            _("Due"),
            _("Overdue"),
            _("Budget"),
            _("Currency"),
            _("Resources"),
            _("Clauses"),
            _("Depends on"),
            _("Completed on"),
        ],  # fmt: skip
        [
            [
                i.reference,
                i.title,
                i.goal,
                str(i.owner),
                i.get_status_display(),
                100 if i.is_done else i.percent_complete,
                i.start_on,
                i.due_on,
                i.is_overdue(today),
                i.budget,
                i.currency,
                i.resources,
                ", ".join(c.number for c in i.clauses.all()),
                ", ".join(d.reference for d in i.depends_on.all()),
                i.completed_on,
            ]  # fmt: skip
            for i in context["items"]
        ],
        first=True,
    )
    _sheet(
        workbook,
        _("Milestones"),
        [
            _("Milestone"),
            _("Kind"),
            _("Date"),
            _("Achieved on"),
            _("State"),
            _("Items to finish first"),
        ],
        [
            [
                m.title,
                m.get_kind_display(),
                m.due_on,
                m.achieved_on,
                {"achieved": _("achieved"), "overdue": _("overdue"), "upcoming": _("upcoming")}[
                    m.state(today)
                ],
                ", ".join(i.reference for i in m.items.all()),
            ]
            for m in context["milestones"]
        ],
    )
    progress = context["progress"]
    rows = [
        [
            _("Overall"),
            "",
            "",
            progress.overall.count,
            progress.overall.done,
            progress.overall.progress,
            progress.overall.overdue,
            progress.overall.blocked,
        ]
    ]
    rows += [
        [_("Clause group"), r.key, r.title, r.count, r.done, r.progress, r.overdue, r.blocked]
        for r in progress.by_group
    ]
    rows += [
        [_("Clause"), r.key, r.title, r.count, r.done, r.progress, r.overdue, r.blocked]
        for r in progress.by_clause
    ]
    _sheet(
        workbook,
        _("Progress"),
        [
            _("Scope"),
            _("Clause"),
            _("Title"),
            _("Items"),
            _("Done"),
            _("Progress (%)"),
            _("Overdue"),
            _("Blocked"),
        ],
        rows,
    )
    return _workbook_bytes(workbook)


def plan_pdf(user, today: datetime.date) -> bytes:
    context = plan_context(user, today)
    context["gantt"] = queries_plan.gantt_geometry(context["items"], context["milestones"], today)
    return _pdf("planning/pdf/plan.html", context)
