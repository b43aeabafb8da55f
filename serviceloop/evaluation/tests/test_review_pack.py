"""The input pack of a management review: the figures of each input equal the records they
come from (seeded here), KPI trends come from the stored values when there are some, and the
PDF pack in Chinese carries Chinese text and the CJK font."""

import datetime
import shutil
import subprocess

import pytest
from django.utils import timezone

from serviceloop.core.pdf import PdfUnavailable
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation import engine
from serviceloop.evaluation.models import InputCode, KpiDefinition
from serviceloop.evaluation.pdf_reviews import review_pdf
from serviceloop.evaluation.services_reviews import review_input_enter, review_pack_generate
from serviceloop.evaluation.tests.steps_reviews import (
    ZONE,
    decide,
    hold_meeting,
    input_of,
    plan_review,
)

pytestmark = pytest.mark.usefixtures("english")


def local(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZONE)


@pytest.fixture
def period():
    """The last 60 days up to today: records written by services now fall inside it."""
    today = timezone.localdate()
    return today - datetime.timedelta(days=60), today


@pytest.fixture
def recent_review(people, kpis, period):
    return plan_review(
        people, title="季度管理评审 Quarterly review", period=period,
        scheduled_on=period[1] + datetime.timedelta(days=3),
    )  # fmt: skip


def rated(people, score, day):
    ticket = TicketFactory(organisation=people.customer_a, created_at=local(day, 9))
    ticket.status, ticket.resolved_at = "resolved", local(day, 11)
    ticket.csat_score, ticket.csat_at = score, local(day, 15)
    ticket.save()
    return ticket


def complaint(people, reference, day, *, severity="medium", breached=False):
    from serviceloop.relationship.models import Complaint

    received = local(day)
    return Complaint.objects.create(
        reference=reference, channel="email", organisation=people.customer_a,
        subject=f"Complaint {reference}", description="Slow answers", severity=severity,
        received_at=received, response_target_hours=8,
        response_due_at=received + datetime.timedelta(hours=8),
        response_warn_at=received + datetime.timedelta(hours=6), response_breached=breached,
        created_at=received, updated_at=received,
    )  # fmt: skip


def test_the_pack_holds_the_figures_of_the_records(people, recent_review, period):
    from serviceloop.assurance.tests.factories import OutageFactory
    from serviceloop.improvement.services_improvements import improvement_propose
    from serviceloop.planning.services_context import issue_create
    from serviceloop.planning.services_risks import risk_create
    from serviceloop.portfolio.tests.factories import ServiceFactory

    first, last = period
    inside = first + datetime.timedelta(days=10)
    for score in (5, 4, 2):
        rated(people, score, inside)
    rated(people, 1, first - datetime.timedelta(days=3))  # before the period: not counted
    complaint(people, "CMP-1", inside, severity="high", breached=True)
    complaint(people, "CMP-2", inside + datetime.timedelta(days=1))
    complaint(people, "CMP-0", first - datetime.timedelta(days=5))
    issue_create(actor=people.owner, kind="external", title="New data security guideline",
                 owner=people.owner, review_on=last + datetime.timedelta(days=90))  # fmt: skip
    risk_create(actor=people.owner, kind="risk", title="UPS ageing", likelihood=4, impact=5,
                treatment="reduce", owner=people.admin,
                review_on=last + datetime.timedelta(days=30))  # fmt: skip
    risk_create(actor=people.owner, kind="opportunity", title="Self-service portal",
                likelihood=2, impact=2, treatment="exploit", owner=people.owner,
                review_on=last - datetime.timedelta(days=1))  # fmt: skip
    improvement_propose(people.lead, title="Printer driver roll-out", source="staff_suggestion")
    service = ServiceFactory(code="erp", name="ERP")
    OutageFactory(service=service, start=local(inside, 10), end=local(inside, 11))

    review = review_pack_generate(actor=people.owner, review=recent_review, language="en")
    content = {i.code: i.content for i in review.inputs.all()}

    feedback = content[InputCode.CUSTOMER_FEEDBACK]
    csat = {row["code"]: row for row in feedback["csat"]}
    assert (csat["csat-average"]["value"], csat["csat-average"]["denominator"]) == (
        pytest.approx(11 / 3), 3,
    )  # fmt: skip
    assert csat["csat-satisfied"]["value"] == pytest.approx(200 / 3)  # 2 of 3 rated 4 or 5
    assert (feedback["complaints_received"], feedback["complaints_breached"]) == (2, 1)
    assert feedback["complaints_by_severity"] == {"high": 1, "medium": 1}
    assert [c["reference"] for c in feedback["complaints"]] == ["CMP-1", "CMP-2"]

    kpi_rows = {row["code"]: row for row in content[InputCode.KPIS]["rows"]}
    start, end = (local(first, 0).replace(hour=0),
                  local(last + datetime.timedelta(days=1), 0).replace(hour=0))  # fmt: skip
    for code in ("csat-average", "resolution-rate"):
        expected = engine.kpi_evaluate(KpiDefinition.objects.get(code=code), start, end)
        assert kpi_rows[code]["value"] == pytest.approx(expected.value)
        assert kpi_rows[code]["status"] == expected.status
    assert len(kpi_rows) == KpiDefinition.objects.filter(is_active=True).count()
    assert kpi_rows["csat-average"]["trend_source"] == "computed"

    risks = content[InputCode.RISKS]
    assert (risks["open"], risks["identified"], risks["review_overdue"]) == (2, 2, 1)
    assert risks["open_by_level"]["risk"] == {"critical": 1}  # 4 × 5 = 20 on the 5×5 matrix
    assert [r["title"] for r in risks["rows"]] == ["UPS ageing", "Self-service portal"]

    context = content[InputCode.CONTEXT]
    assert [(r["kind"], r["title"], r["change"]) for r in context["rows"]] == [
        ("issue", "New data security guideline", "added"),
    ]
    assert context["issues_current"] == 1

    improvements = content[InputCode.IMPROVEMENTS]
    assert (improvements["proposed"], improvements["proposed_by_source"]) == (
        1, {"staff_suggestion": 1},
    )  # fmt: skip

    availability = content[InputCode.AVAILABILITY_CONTINUITY]
    erp = next(s for s in availability["services"] if s["code"] == "erp")
    assert (erp["outages"], erp["downtime_minutes"], erp["breaks"]) == (1, 60, 1)
    assert erp["percent"] < 100

    assert content[InputCode.PREVIOUS_ACTIONS]["rows"] == []
    assert content[InputCode.MARKET] == {}


def test_kpi_trends_read_the_stored_values_of_the_period(people, recent_review, period):
    definition = KpiDefinition.objects.get(code="csat-average")
    first = period[0]
    for offset, score in ((5, 5), (35, 3)):
        day = first + datetime.timedelta(days=offset)
        rated(people, score, day)
        engine.kpi_snapshot_store(definition, (local(day, 0), local(day + datetime.timedelta(
            days=1), 0)))  # fmt: skip

    review = review_pack_generate(actor=people.owner, review=recent_review, language="en")
    row = next(
        r for r in input_of(review, InputCode.KPIS).content["rows"] if r["code"] == "csat-average"
    )
    assert row["trend_source"] == "snapshots"
    assert [p["value"] for p in row["trend"]] == [5.0, 3.0]
    assert row["value"] == 4.0


def pdf_text(content: bytes) -> str:
    return subprocess.run(  # noqa: S603 - a fixed local tool on our own bytes
        [shutil.which("pdftotext"), "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_the_pdf_pack_in_chinese_carries_chinese_text(people, recent_review):
    market = input_of(recent_review, InputCode.MARKET)
    review_input_enter(actor=people.owner, review_input=market, text="竞争对手推出按需计费服务。")
    review = hold_meeting(people, recent_review, language="zh-hans", now=timezone.now())
    decide(people, review, text="服务台增加午间值守。", action="调整排班",
           due_on=timezone.localdate() + datetime.timedelta(days=14), now=timezone.now())  # fmt: skip
    try:
        chinese = review_pdf(review)
    except PdfUnavailable:
        pytest.skip("WeasyPrint is not installed")

    assert chinese.startswith(b"%PDF")
    if shutil.which("pdffonts"):
        fonts = subprocess.run(  # noqa: S603 - a fixed local tool on our own bytes
            [shutil.which("pdffonts"), "-"], input=chinese, capture_output=True, check=True
        ).stdout
        assert b"Noto-Sans-CJK-SC" in fonts
    if not shutil.which("pdftotext"):  # no text extractor: the CJK font must be embedded
        assert b"Noto-Sans-CJK-SC" in chinese or b"FontFile" in chinese
    else:
        text = pdf_text(chinese)
        for words in ("季度管理评审", "竞争对手推出按需计费服务", "SLA 内首次响应率",
                      "服务台增加午间值守", "调整排班"):  # fmt: skip
            assert words in text

    review.language = "en"
    english = review_pdf(review)
    if shutil.which("pdftotext"):
        text = pdf_text(english)
        assert "First response within SLA" in text and "SLA 内首次响应率" not in text
        assert "Decisions" in text
