"""The planning screens: who sees what (customers 404, read-only staff 403 on writes), the
questionnaire, the answer form's errors, the results page, gaps into plan items, the plan
pages, and the strict CSP (no inline script or style)."""

import datetime
import re

import pytest
from django.urls import reverse

from serviceloop.planning.models import AssessmentAnswer, ItemStatus, PlanItem
from serviceloop.planning.services_plan import milestone_create, plan_item_create

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def item(people, clauses):
    return plan_item_create(
        actor=people.owner,
        title="建立内部审核方案 Internal audit programme",
        owner=people.lead,
        start_on=datetime.date(2026, 3, 1),
        due_on=datetime.date(2026, 4, 30),
        clauses=[clauses["9.2"]],
    )


@pytest.fixture
def milestone(people):
    return milestone_create(
        actor=people.owner, title="Internal audit done", kind="internal_audit",
        due_on=datetime.date(2026, 5, 15),
    )  # fmt: skip


def pages(assessment, item, milestone):
    ref = assessment.reference
    return [
        reverse("assessment_list"),
        reverse("assessment_detail", args=[ref]),
        reverse("assessment_results", args=[ref]),
        reverse("assessment_export", args=[ref, "xlsx"]),
        reverse("plan_overview"),
        reverse("plan_item_list"),
        reverse("plan_item_detail", args=[item.reference]),
        reverse("milestone_list"),
        reverse("plan_export", args=["xlsx"]),
        reverse("clause_list"),
        reverse("clause_detail", args=["8.6.1"]),
    ]


def test_every_page_opens_for_staff_and_is_404_to_customers(
    people, client_for, assessment, item, milestone
):
    urls = pages(assessment, item, milestone)
    for name in ("owner", "admin", "auditor", "top", "agent"):
        client = client_for(getattr(people, name))
        assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)
    for name in ("a_manager", "a_user", "outsider"):
        client = client_for(getattr(people, name))
        assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)
    anonymous = client_for(None).get(urls[0])
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))


def test_read_only_staff_get_403_on_every_write(people, client_for, assessment, item, milestone):
    row = assessment.answers.first()
    writes = [
        (reverse("assessment_new"), {"title": "x", "assessed_on": "2026-03-01"}),
        (reverse("assessment_edit", args=[assessment.reference]), {"title": "x"}),
        (
            reverse("assessment_answer", args=[assessment.reference, row.pk]),
            {f"a{row.pk}-maturity": "3"},
        ),
        (reverse("assessment_move", args=[assessment.reference]), {"target": "completed"}),
        (reverse("assessment_gaps_to_plan", args=[assessment.reference]), {}),
        (reverse("plan_item_new"), {"title": "x"}),
        (reverse("plan_item_edit", args=[item.reference]), {"title": "x"}),
        (reverse("plan_item_progress", args=[item.reference]), {"percent_complete": "50"}),
        (reverse("plan_item_move", args=[item.reference]), {"target": "in_progress"}),
        (reverse("milestone_new"), {"title": "x"}),
        (reverse("milestone_achieve", args=[milestone.pk]), {"achieved_on": "2026-03-01"}),
    ]
    for name in ("auditor", "top", "agent"):
        client = client_for(getattr(people, name))
        assert {url: client.post(url, data).status_code for url, data in writes} == dict.fromkeys(
            [url for url, _ in writes], 403
        )
    customer = client_for(people.a_manager)
    assert {customer.post(url, data).status_code for url, data in writes} == {404}
    assert AssessmentAnswer.objects.filter(maturity__isnull=False).count() == 0
    assert PlanItem.objects.get().percent_complete == 0


def test_the_owner_of_an_item_reports_progress_without_managing_the_plan(people, client_for, item):
    client = client_for(people.lead)  # a team lead: reads the plan, owns this item

    page = client.get(reverse("plan_item_detail", args=[item.reference])).content.decode()
    saved = client.post(
        reverse("plan_item_progress", args=[item.reference]),
        {"percent_complete": "40", "note": "方案初稿完成", "version": item.version},
    )
    edit = client.post(reverse("plan_item_edit", args=[item.reference]), {"title": "x"})

    assert 'data-testid="save-progress"' in page and "bi-pencil" not in page
    assert saved.status_code == 302
    item.refresh_from_db()
    assert item.percent_complete == 40 and item.status == ItemStatus.IN_PROGRESS
    assert edit.status_code == 403


def test_the_questionnaire_shows_the_question_guidance_and_saves_an_answer(
    people, client_for, assessment
):
    client = client_for(people.owner)
    row = assessment.answers.get(clause__number="6.1")
    url = reverse("assessment_detail", args=[assessment.reference])

    html = client.get(url).content.decode()
    response = client.post(
        reverse("assessment_answer", args=[assessment.reference, row.pk]),
        {
            f"a{row.pk}-maturity": "1",
            f"a{row.pk}-current_practice": "项目风险清单",
            f"a{row.pk}-evidence_links": "https://wiki.example.cn/risks\nPRB-2026-000001",
            f"a{row.pk}-gap": "没有体系层面的风险登记表",
            f"a{row.pk}-version": row.version,
        },
    )

    assert "Do you keep a risk and opportunity register" in html
    assert "risk and opportunity register with owners, ratings" in html  # our guidance
    assert len(re.findall(r'data-testid="question"', html)) == 57
    assert response.status_code == 302 and response.url.endswith("#clause-6.1")
    row.refresh_from_db()
    assert row.maturity == 1 and row.evidence_links[1] == "PRB-2026-000001"


def test_not_applicable_without_justification_shows_the_error_and_keeps_the_input(
    people, client_for, assessment
):
    client = client_for(people.owner)
    row = assessment.answers.get(clause__number="8.3.4.2")

    response = client.post(
        reverse("assessment_answer", args=[assessment.reference, row.pk]),
        {f"a{row.pk}-maturity": "na", f"a{row.pk}-current_practice": "无内部供方"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "needs a justification" in html and "无内部供方" in html
    row.refresh_from_db()
    assert not row.not_applicable and row.current_practice == ""


def test_a_completed_analysis_reads_without_forms_and_links_only_safe_evidence(
    people, client_for, assessment, answer, answer_all
):
    from serviceloop.planning.services_assessments import answer_update, assessment_transition

    answer_all(assessment)
    answer_update(
        actor=people.owner,
        answer=answer(assessment, "4.1"),
        evidence_links=["https://wiki.example.cn/ctx", "质量手册 QM-01", "GAP-2026-000001"],
    )
    assessment_transition(actor=people.owner, assessment=assessment, target="completed")

    html = (
        client_for(people.owner)
        .get(reverse("assessment_detail", args=[assessment.reference]))
        .content.decode()
    )

    assert "<textarea" not in html and "frozen" in html
    assert '<a href="https://wiki.example.cn/ctx" rel="noopener noreferrer nofollow"' in html
    assert (
        f'<a href="{reverse("assessment_detail", args=["GAP-2026-000001"])}">GAP-2026-000001</a>'
        in html
    )
    assert "质量手册 QM-01" in html and 'href="质量手册' not in html


def test_the_results_page_draws_charts_from_json_and_turns_gaps_into_items(
    people, client_for, assessment, answer_all
):
    answer_all(assessment, **{"9.2": 0, "9.3": 1, "4.3": 2})
    client = client_for(people.owner)
    url = reverse("assessment_results", args=[assessment.reference])

    html = client.get(url).content.decode()
    gaps = re.findall(r'<tr data-clause="([\d.]+)"', html)
    chosen = AssessmentAnswer.objects.filter(clause__number__in=["9.2", "4.3"]).values_list(
        "pk", flat=True
    )
    response = client.post(
        reverse("assessment_gaps_to_plan", args=[assessment.reference]),
        {
            "answers": list(chosen),
            "owner": people.lead.pk,
            "start_on": "2026-04-01",
            "due_on": "2026-06-30",
        },
    )

    assert '<script id="maturity-data" type="application/json">' in html
    assert "planning/charts.js" in html and "vendor/echarts/echarts.min.js" in html
    assert gaps == ["9.2", "9.3", "4.3"]
    assert response.status_code == 302 and response.url == reverse("plan_overview")
    items = PlanItem.objects.order_by("reference")
    assert [list(i.clauses.values_list("number", flat=True)) for i in items] == [["9.2"], ["4.3"]]
    assert {i.owner for i in items} == {people.lead}


def test_the_plan_overview_shows_rollups_and_the_timeline_data(people, client_for, item, milestone):
    html = client_for(people.top).get(reverse("plan_overview")).content.decode()

    assert '<script id="timeline-data" type="application/json">' in html
    assert item.reference in html and "Internal audit done" in html
    assert 'data-clause="9.2"' in html and 'data-group="9"' in html


@pytest.mark.parametrize(
    "name", ["assessment_list", "plan_item_list", "milestone_list", "clause_list"]
)
def test_list_screens_export_csv_and_xlsx(name, people, client_for, assessment, item, milestone):
    client = client_for(people.auditor)

    csv = client.get(reverse(name), {"export": "csv"})
    xlsx = client.get(reverse(name), {"export": "xlsx"})

    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_planning_pages_have_no_inline_script_or_style(
    people, client_for, assessment, item, milestone
):
    client = client_for(people.owner)
    for url in pages(assessment, item, milestone):
        response = client.get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
        assert inline_scripts == [], url
        assert " style=" not in html and "<style" not in html, url


def test_list_and_questionnaire_queries_do_not_grow_with_the_rows(
    people, client_for, clauses, assessment
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from serviceloop.planning.tests.factories import PlanItemFactory

    client = client_for(people.owner)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    PlanItemFactory(clauses=[clauses["6.1"]])
    one = {url: count(url) for url in (reverse("plan_item_list"), reverse("plan_overview"))}
    for _ in range(6):
        PlanItemFactory(clauses=[clauses["6.1"], clauses["9.2"]])
    many = {url: count(url) for url in one}
    detail = count(reverse("assessment_detail", args=[assessment.reference]))

    from serviceloop.conformity.evidence import _REGISTRY

    evidence_functions = sum(len(functions) for functions in _REGISTRY.values())
    assert many == one
    # 57 answers with their forms and questions in a fixed handful of queries, and the live
    # evidence at most one query per evidence function (each reads one aggregate)
    assert detail <= 15 + evidence_functions, (detail, evidence_functions)
