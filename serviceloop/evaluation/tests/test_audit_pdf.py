"""The audit report PDF: a real PDF, in the reader's language (Chinese clause titles render
with the CJK font), through the screen with the usual permissions."""

import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from serviceloop.evaluation.checklists_audits import checklist_item_answer
from serviceloop.evaluation.findings_audits import finding_create
from serviceloop.evaluation.pdf_audits import audit_report_pdf
from serviceloop.evaluation.services_audits import audit_transition
from serviceloop.evaluation.tests.steps_audits import DAY, TODAY

pytest.importorskip("weasyprint")


def text_of(pdf: bytes, tmp_path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 - a fixed local tool on our own bytes
        [tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")


@pytest.fixture
def reported(people, started, clauses):
    for item in started.checklist.all():
        checklist_item_answer(
            actor=people.auditor, item=item, result="conforming", notes="抽查 5 张工单",
            evidence_links=["INC-2026-000123"],
        )  # fmt: skip
    finding_create(
        actor=people.auditor, audit=started, kind="minor_nc", title="重大事件未回顾",
        clauses=[clauses["8.6.1"]], owner=people.lead, due_on=TODAY + 30 * DAY,
    )  # fmt: skip
    return audit_transition(
        actor=people.auditor, audit=started, target="reported", conclusion="过程基本有效。"
    )


def test_the_report_is_a_pdf_with_chinese_clause_titles(reported, tmp_path):
    with translation.override("zh-hans"):
        pdf = audit_report_pdf(reported)

    text = text_of(pdf, tmp_path)
    assert pdf.startswith(b"%PDF")
    assert "事件管理" in text  # clause 8.6.1's Chinese title
    assert "重大事件未回顾" in text and reported.reference in text
    assert "INC-2026-000123" in text


def test_the_report_in_english(reported, tmp_path):
    with translation.override("en"):
        text = text_of(audit_report_pdf(reported), tmp_path)

    assert "Internal audit report" in text
    assert "Incident management" in text
    assert "Minor nonconformity" in text


def test_the_report_screen_serves_it_to_staff_only(people, reported, client_for):
    url = reverse("audit_report_pdf", args=[reported.reference])

    response = client_for(people.top).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client_for(people.a_manager).get(url).status_code == 404
