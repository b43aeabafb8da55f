"""Service reports (9.4): the snapshot's figures against the KPI engine and the KPI pages,
SLA attainment per target, the lists as they stood at the period's end, regeneration giving
the same snapshot, the PDF (Chinese text, SVG charts) and XLSX, the schedule and e-mail."""

import datetime
import io
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.desk.models import Problem
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation import engine
from serviceloop.evaluation.build_reports import report_build, reports_generate_due
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition, ReportStatus, ServiceReport
from serviceloop.evaluation.pdf_reports import report_document_html
from serviceloop.evaluation.sections_reports import snapshot_checksum
from serviceloop.evaluation.services_reports import report_request, template_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 10, 1, tzinfo=SHANGHAI)
END = datetime.datetime(2026, 11, 1, tzinfo=SHANGHAI)
OCTOBER = datetime.date(2026, 10, 15)


def local(month, day, hour=9, minute=0):
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def minutes(n):
    return datetime.timedelta(minutes=n)


def ticket(org, created, *, priority="P1", kind="incident", response=None, breached=False,
           resolved=None, resolution_breached=False, csat=None, **extra):  # fmt: skip
    row = TicketFactory(
        organisation=org, priority=priority, kind=kind, created_at=created,
        first_response_at=created + minutes(response) if response else None,
        response_met_at=created + minutes(response) if response and not breached else None,
        response_breached=breached, **extra,
    )  # fmt: skip
    if resolved:
        row.status, row.resolved_at = "resolved", resolved
        row.resolution_met_at = None if resolution_breached else resolved
        row.resolution_breached = resolution_breached
    if csat:
        row.csat_score, row.csat_at = csat, (resolved or created) + minutes(60)
    row.save()
    return row


def agreement_for(people, service):
    from serviceloop.relationship.models import Agreement, AgreementTarget, AgreementVersion

    agreement = Agreement.objects.create(reference="SLA-2026-000001", kind="sla",
                                         title="甲方服务级别协议 Customer A SLA")  # fmt: skip
    agreement.customers.add(people.customer_a)
    version = AgreementVersion.objects.create(
        agreement=agreement, number=1, status="agreed", valid_from=datetime.date(2026, 1, 1),
        agreed_on=datetime.date(2026, 1, 1), created_at=local(1, 1), updated_at=local(1, 1),
    )  # fmt: skip
    version.services.add(service)
    for metric, priority, value, unit in (
        ("first_response", "P1", 30, "minutes"),
        ("resolution", "P1", 4, "hours"),
        ("availability", "", "99.5", "percent"),
    ):
        AgreementTarget.objects.create(version=version, metric=metric, priority=priority,
                                       target_value=value, unit=unit)  # fmt: skip
    return agreement


@pytest.fixture
def world(people):
    """Customer A's October 2026 (Asia/Shanghai): four tickets (one major, resolved after
    the month), one of customer B, one in September; an SLA with three targets; a service
    with an outage; a change, a complaint, an open problem and an improvement raised from the
    complaint; contacts to mail."""
    from serviceloop.assurance.tests.factories import OutageFactory
    from serviceloop.improvement.models import Improvement
    from serviceloop.improvement.services_improvements import improvement_propose
    from serviceloop.portfolio.tests.factories import ServiceFactory
    from serviceloop.relationship.models import Complaint, CustomerAccount, CustomerContact
    from serviceloop.transition.tests.factories import ChangeRequestFactory

    kpi_library_load()
    a, b = people.customer_a, people.customer_b
    service = ServiceFactory(code="erp", name="ERP 企业资源计划", customers=[a])
    t = {
        "t1": ticket(a, local(10, 5), response=10, resolved=local(10, 5, 11), csat=5),
        "t2": ticket(a, local(10, 6), response=90, breached=True, resolved=local(10, 7),
                     resolution_breached=True, csat=2),
        "t3": ticket(a, local(10, 10), priority="P3", kind="request", response=30),
        "t4": ticket(a, local(10, 20, 10), response=5, resolved=local(11, 2), is_major=True,
                     service="ERP", title="ERP 全部宕机 ERP down"),
        "b": ticket(b, local(10, 8), response=10),
        "september": ticket(a, local(9, 15), response=10),
    }  # fmt: skip
    agreement_for(people, service)
    OutageFactory(service=service, start=local(10, 20, 10), end=local(10, 20, 14),
                  all_customers=True)  # fmt: skip
    ChangeRequestFactory(reference="CHG-2026-000007", requester=people.agent, status="closed",
                         outcome="implemented", actual_end=local(10, 15), customers=[a])  # fmt: skip
    ChangeRequestFactory(reference="CHG-2026-000008", requester=people.agent, status="closed",
                         outcome="implemented", actual_end=local(10, 16), customers=[b])  # fmt: skip
    received = local(10, 12)
    Complaint.objects.create(
        reference="CMP-2026-000001", channel="email", organisation=a, subject="响应太慢 Slow",
        description="Slow answers", severity="high", received_at=received,
        responded_at=local(10, 13), response_target_hours=8,
        response_due_at=received + datetime.timedelta(hours=8),
        response_warn_at=received + datetime.timedelta(hours=6),
        created_at=received, updated_at=received,
    )  # fmt: skip
    Problem.objects.create(reference="PRB-2026-000001", title="ERP 内存泄漏 ERP memory leak",
                           service="ERP", created_at=local(10, 1), updated_at=local(10, 1))  # fmt: skip
    Problem.objects.create(reference="PRB-2026-000002", title="Solved before the end",
                           service="ERP", created_at=local(10, 1), updated_at=local(10, 1),
                           resolved_at=local(10, 3), status="resolved")  # fmt: skip
    improvement = improvement_propose(people.owner, title="P1 首次响应提速 Faster P1 answers",
                                      source="customer_feedback",
                                      source_reference="CMP-2026-000001")  # fmt: skip
    Improvement.objects.filter(pk=improvement.pk).update(created_at=local(10, 14))
    account = CustomerAccount.objects.create(organisation=a)
    CustomerContact.objects.create(account=account, name="CIO", email="CIO@a.example.cn",
                                   is_primary=True)  # fmt: skip
    CustomerContact.objects.create(account=account, name="No mail")
    CustomerContact.objects.create(account=account, name="Gone", email="gone@a.example.cn",
                                   is_active=False)  # fmt: skip
    template = template_create(
        actor=people.owner, name="甲方月度服务报告 Customer A monthly report",
        organisation=a, period="month", language="zh-hans",
        extra_recipients="boss@provider.example.cn", commentary="本月运行平稳。",
    )  # fmt: skip
    return {"tickets": t, "service": service, "template": template}


def build(people, template, *, day=OCTOBER, captured=None, **kwargs):
    report = report_request(actor=people.owner, template=template, day=day, **kwargs)
    return report_build(report.pk)


def section(report, code):
    return next(s for s in report.snapshot["sections"] if s["code"] == code)


def kpi_value(code, slice_):
    definition = KpiDefinition.objects.get(code=code)
    return engine.kpi_evaluate(definition, START, END, slice_)


def test_figures_equal_the_kpi_engine_and_the_kpi_pages(people, world, client_for):
    report = build(people, world["template"])
    assert report.status == ReportStatus.GENERATED
    org = {"organisation": people.customer_a.pk}
    sla = {fig["code"]: fig for fig in section(report, "sla")["overall"]}
    assert sla["response-within-sla"]["value"] == pytest.approx(75.0)  # 3 of 4 met
    assert sla["resolution-within-sla"]["value"] == pytest.approx(50.0)  # t1 met, t2 not
    for code in ("response-within-sla", "resolution-within-sla", "mean-time-to-resolve"):
        expected = kpi_value(code, org)
        assert (sla[code]["value"], sla[code]["denominator"]) == (
            expected.value, expected.denominator,
        )  # fmt: skip
    csat = {fig["code"]: fig for fig in section(report, "csat")["kpis"]}
    assert (
        csat["csat-average"]["value"] == pytest.approx(3.5) == kpi_value("csat-average", org).value
    )
    # The KPI page's breakdown per customer shows the same figure.
    page = client_for(people.agent).get(
        "/kpis/response-within-sla/", {"day": "2026-10-15", "by": "organisation"}
    )
    row = next(r for r in page.context["breakdown"] if r["key"] == people.customer_a.pk)
    assert row["result"].value == sla["response-within-sla"]["value"]


def test_sla_attainment_per_target_and_volumes(people, world):
    report = build(people, world["template"])
    sla = section(report, "sla")
    assert sla["source"] == "agreement"
    rows = {(r["metric"], r["priority"]): r for r in sla["targets"]}
    response = rows[("first_response", "P1")]
    assert (response["met"], response["total"]) == (2, 3)  # t1, t4 met; t2 breached
    assert response["value"] == pytest.approx(200 / 3)
    assert response["status"] == "breach"  # under the KPI's 95% objective
    resolution = rows[("resolution", "P1")]
    assert (resolution["met"], resolution["total"], resolution["value"]) == (1, 2, 50.0)
    availability = rows[("availability", "")]
    assert availability["value"] == pytest.approx(
        kpi_value("availability-pct", {"organisation": people.customer_a.pk}).value
    )
    assert availability["value"] < 99.5 and availability["status"] == "breach"
    volumes = section(report, "volumes")
    assert (volumes["created"], volumes["resolved"], volumes["incidents"], volumes["requests"],
            volumes["major"]) == (4, 2, 3, 1, 1)  # fmt: skip
    assert {r["priority"]: r["count"] for r in volumes["by_priority"]} == {
        "P1": 3, "P2": 0, "P3": 1, "P4": 0,
    }  # fmt: skip
    assert volumes["trend"]["labels"][-2:] == ["2026-09", "2026-10"]
    assert volumes["trend"]["created"][-2:] == [1, 4]
    assert len(volumes["trend"]["labels"]) == 12


def test_lists_show_records_as_they_stood_at_the_end_of_the_period(people, world):
    report = build(people, world["template"])
    major = section(report, "major_incidents")
    assert [r["reference"] for r in major["rows"]] == [world["tickets"]["t4"].reference]
    assert major["rows"][0]["resolved"] is None  # resolved on 2 November: open at the end
    changes = section(report, "changes")
    assert [r["reference"] for r in changes["rows"]] == ["CHG-2026-000007"]
    assert changes["success_rate"] == 100.0
    csat = section(report, "csat")
    assert [(c["reference"], c["state"]) for c in csat["complaints"]] == [
        ("CMP-2026-000001", "responded")
    ]
    problems = section(report, "problems")
    assert [r["reference"] for r in problems["rows"]] == ["PRB-2026-000001"]
    improvements = section(report, "improvements")
    assert improvements["available"] is True
    assert [r["source_reference"] for r in improvements["rows"]] == ["CMP-2026-000001"]
    assert section(report, "commentary")["text"] == "本月运行平稳。"


def test_regenerating_a_past_period_gives_the_same_snapshot(people, world):
    first = build(people, world["template"])
    second = build(people, world["template"])
    assert (first.version, second.version) == (1, 2)
    assert first.reference != second.reference
    assert second.snapshot == first.snapshot
    assert second.checksum == first.checksum == snapshot_checksum(first.snapshot)
    stored = ServiceReport.objects.get(pk=first.pk)
    assert snapshot_checksum(stored.snapshot) == first.checksum  # survives the JSON column
    assert AuditEvent.objects.filter(verb="service_report.generated").count() == 2


def test_pdf_has_chinese_text_and_svg_charts_and_the_xlsx_the_same_figures(people, world):
    from openpyxl import load_workbook

    report = build(people, world["template"])
    pdf = report.pdf.read()
    assert pdf.startswith(b"%PDF")
    html = report_document_html(report)
    assert html.count("<svg") >= 3 and "甲方月度服务报告" in html
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(  # noqa: S603 - a fixed program on our own bytes
            [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode("utf-8")
        assert "甲方月度服务报告" in text and "SLA 内首次响应率" in text
        assert "75.0%" in text
    else:
        assert b"NotoSansCJK" in pdf
    workbook = load_workbook(io.BytesIO(report.xlsx.read()))
    values = [
        cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]  # fmt: skip
    assert 75.0 in values and 3.5 in values
    assert report.checksum in values
    assert len(workbook.sheetnames) == 1 + len(report.snapshot["sections"])


def test_english_report_is_in_english(people, world):
    from serviceloop.evaluation.services_reports import template_update

    template = template_update(actor=people.owner, template=world["template"], language="en")
    report = build(people, template)
    sla = section(report, "sla")
    assert sla["overall"][0]["name"] == "First response within SLA"
    assert "Attainment per target" in report_document_html(report)


def test_request_rules(people, world):
    template = world["template"]
    with pytest.raises(PermissionDenied):
        report_request(actor=people.agent, template=template, day=OCTOBER)
    with pytest.raises(ValidationError) as error:
        report_request(actor=people.owner, template=template, day=datetime.date(2026, 11, 2))
    assert "day" in error.value.message_dict
    assert not ServiceReport.objects.exists()
    report = report_request(actor=people.lead, template=template, day=OCTOBER)
    assert (report.status, report.period_label, report.period_start) == ("queued", "2026-10", START)


def test_queued_build_runs_after_commit(people, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=people.owner, template=world["template"], day=OCTOBER)
    report.refresh_from_db()
    assert report.status == ReportStatus.GENERATED and report.pdf and report.xlsx
    # A duplicated job changes nothing.
    assert report_build(report.pk).generated_at == report.generated_at


def test_schedule_builds_the_previous_month_once_and_mails_it(people, world):
    from serviceloop.evaluation.services_reports import template_update

    template = template_update(actor=people.owner, template=world["template"],
                               schedule_enabled=True, generation_day=3)  # fmt: skip
    assert reports_generate_due(today=datetime.date(2026, 11, 2)) == []  # before its day
    built = reports_generate_due(today=datetime.date(2026, 11, 3))
    assert [(r.period_label, r.status, r.requested_by) for r in built] == [
        ("2026-10", ReportStatus.SENT, None)
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@provider.example.cn", "cio@a.example.cn"]
    message = mail.outbox[0]
    assert "2026-10" in message.subject
    assert sorted(name.rsplit(".", 1)[1] for name, _c, _t in message.attachments) == [
        "pdf", "xlsx",
    ]  # fmt: skip
    assert built[0].recipients == ["cio@a.example.cn", "boss@provider.example.cn"]
    assert reports_generate_due(today=datetime.date(2026, 11, 4)) == []  # once per period
    assert template.reports.count() == 1


def test_a_failed_build_is_recorded_and_the_schedule_tries_again(people, world, monkeypatch):
    import weasyprint

    from serviceloop.evaluation.services_reports import template_update

    def broken(*args, **kwargs):
        raise OSError("no pango")

    template = template_update(actor=people.owner, template=world["template"],
                               schedule_enabled=True)  # fmt: skip
    monkeypatch.setattr(weasyprint, "HTML", broken)
    [report] = reports_generate_due(today=datetime.date(2026, 11, 5))
    assert report.status == ReportStatus.FAILED and "no pango" in report.error
    assert not report.pdf and mail.outbox == []
    assert AuditEvent.objects.filter(verb="service_report.failed").count() == 1
    monkeypatch.undo()
    [again] = reports_generate_due(today=datetime.date(2026, 11, 6))
    assert (again.version, again.status) == (2, ReportStatus.SENT)
    assert template.reports.count() == 2
