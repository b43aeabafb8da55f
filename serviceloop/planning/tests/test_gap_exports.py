"""Gap analysis and plan exports: the XLSX holds the same figures as the screens; the PDF
embeds a Chinese font and maps its glyphs back to the Chinese text."""

import datetime
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from serviceloop.planning import reports
from serviceloop.planning.queries_assessments import answers_of, assessment_results
from serviceloop.planning.services_plan import (
    milestone_create,
    plan_item_create,
    plan_item_progress,
)


def pdf_streams(pdf: bytes) -> str:
    """Every stream of the PDF, inflated where compressed (fonts, CMaps, object streams).

    Streams are cut by their ``/Length``, not by searching for "endstream" (binary font data
    may hold those bytes)."""
    parts = []
    position = 0
    header = re.compile(rb"/Length (\d+)(?:[^>]|>(?!>))*>>\s*stream\r?\n")
    while match := header.search(pdf, position):
        start = match.end()
        body = pdf[start : start + int(match.group(1))]
        position = start + len(body)
        try:
            parts.append(zlib.decompress(body))
        except zlib.error:
            parts.append(body)
    return b"\n".join(parts).decode("latin-1")


def assert_pdf_shows(pdf: bytes, text: str) -> None:
    """The PDF embeds a CJK font whose ToUnicode map covers every character of ``text``."""
    streams = pdf_streams(pdf)
    assert pdf.startswith(b"%PDF-")
    fonts = re.findall(r"/BaseFont\s*/([^\s/<>\[\]]+)", streams)
    assert any("CJK" in font for font in fonts), fonts
    mapped = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", streams, re.S):
        for target in re.findall(r"^<[0-9a-fA-F]+>\s+<([0-9a-fA-F]+)>$", block, re.M):
            # a target may be several characters (a ligature "fi" is <00660069>)
            mapped |= {int(target[i : i + 4], 16) for i in range(0, len(target), 4)}
    for block in re.findall(r"beginbfrange(.*?)endbfrange", streams, re.S):
        for first, last, start in re.findall(
            r"^<([0-9a-fA-F]+)>\s+<([0-9a-fA-F]+)>\s+<([0-9a-fA-F]{4})>$", block, re.M
        ):
            mapped |= set(
                range(int(start, 16), int(start, 16) + int(last, 16) - int(first, 16) + 1)
            )
    missing = [ch for ch in text if not ch.isspace() and ord(ch) not in mapped]
    assert not missing, missing


@pytest.fixture
def answered(people, assessment, answer_all):
    answer_all(assessment, default=3, **{"9.2": 0, "9.3": 1, "4.3": 2, "8.3.4.2": "na"})
    return assessment


def test_the_assessment_workbook_holds_the_screens_figures(people, client_for, answered):
    response = client_for(people.auditor).get(
        reverse("assessment_export", args=[answered.reference, "xlsx"])
    )
    results = assessment_results(answers_of(answered))

    book = load_workbook(io.BytesIO(response.content))
    summary, answers, gaps = book.worksheets

    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{answered.reference}-'
    )
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    averages = {row[0]: row[2] for row in rows[: len(results.groups)]}
    assert averages == {g.number: float(g.average) for g in results.groups}
    assert rows[len(results.groups)][2] == float(results.overall)
    assert answers.max_row == 1 + 57
    gap_rows = list(gaps.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3], Decimal(str(r[5]))) for r in gap_rows] == [
        (g.rank, g.clause.number, g.maturity, g.score) for g in results.gaps
    ]
    assert [(r[1], r[5]) for r in gap_rows] == [("9.2", 7.5), ("9.3", 6), ("4.3", 4.5)]


def test_a_formula_typed_into_an_answer_stays_text(people, assessment, answer):
    from serviceloop.planning.services_assessments import answer_update

    answer_update(actor=people.owner, answer=answer(assessment, "4.1"), gap='=HYPERLINK("x")')

    book = load_workbook(io.BytesIO(reports.assessment_xlsx(assessment)))

    values = [row[8] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("x")' in values


def test_the_assessment_pdf_renders_chinese(people, client_for, answered):
    client = client_for(people.top)  # top management reads it in Chinese (the default)

    response = client.get(reverse("assessment_export", args=[answered.reference, "pdf"]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_pdf_shows(response.content, "差距分析内部审核管理评审")  # title, clause titles
    with pytest.raises(AssertionError):
        assert_pdf_shows(response.content, "鑫")  # the check can fail: 鑫 is nowhere in it


def test_the_plan_exports_hold_the_rollups_and_render_chinese(people, client_for, clauses):
    item = plan_item_create(
        actor=people.owner, title="制定服务管理方针", owner=people.owner,
        start_on=datetime.date(2026, 3, 1), due_on=datetime.date(2026, 3, 31),
        clauses=[clauses["5.2.1"]], budget=Decimal("12000"),
    )  # fmt: skip
    plan_item_progress(actor=people.owner, item=item, percent=50)
    plan_item_create(
        actor=people.owner, title="风险登记表", owner=people.lead,
        start_on=datetime.date(2026, 3, 1), due_on=datetime.date(2026, 5, 31),
        clauses=[clauses["6.1"], clauses["5.2.1"]],
    )  # fmt: skip
    milestone_create(
        actor=people.owner,
        title="管理评审召开",
        kind="management_review",
        due_on=datetime.date(2026, 6, 1),
    )
    client = client_for(people.auditor)

    xlsx = client.get(reverse("plan_export", args=["xlsx"]))
    pdf = client.get(reverse("plan_export", args=["pdf"]))

    items, milestones, progress = load_workbook(io.BytesIO(xlsx.content)).worksheets
    assert items.max_row == 3 and milestones.max_row == 2
    rows = {(r[0], r[1]): r for r in progress.iter_rows(min_row=2, values_only=True)}
    overall = next(r for key, r in rows.items() if key[1] in ("", None))
    assert (overall[3], overall[5]) == (2, 25)  # two items, (50 + 0) / 2
    clause_rows = {r[1]: r for r in progress.iter_rows(min_row=2, values_only=True) if r[1]}
    assert (clause_rows["5.2.1"][3], clause_rows["5.2.1"][5]) == (2, 25)
    assert (clause_rows["6.1"][3], clause_rows["6.1"][5]) == (1, 0)
    assert pdf.status_code == 200
    with translation.override("zh-hans"):
        assert_pdf_shows(pdf.content, "制定服务管理方针管理评审召开")
