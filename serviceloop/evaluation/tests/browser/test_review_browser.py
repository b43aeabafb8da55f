"""Management review in the browser (Debian chromium, the demo organisation, Chinese UI): top
management opens the generated pack of the planned review (the previous review's actions in
its first input), starts the meeting, records a decision and an action on the KPI input
(htmx swaps the input in place), downloads the PDF, ends the meeting and the chair approves
the minutes. No console error, CSP violation or failed request on any page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from serviceloop.core.tests.browser.conftest import (  # noqa: F401 (fixtures)
    base_url,
    browser_context_args,
    browser_problems,
    browser_type_launch_args,
    demo,
    new_context,
)
from serviceloop.core.tests.browser.steps import open_nav, sign_in


@pytest.fixture
def review_demo(request):
    """The demo reviews (one approved, the next planned) and the planned one's pack, generated
    in Chinese by the management-system owner."""
    from serviceloop.core.models import User
    from serviceloop.evaluation import demo_reviews
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.evaluation.models import ManagementReview
    from serviceloop.evaluation.services_reviews import review_pack_generate

    request.getfixturevalue("demo")
    kpi_library_load()
    demo_reviews.demo_records(write=lambda *_: None)
    planned = ManagementReview.objects.get(title=demo_reviews.NEXT_TITLE)
    owner = User.objects.get(username="owner")
    return review_pack_generate(actor=owner, review=planned, language="zh-hans")


@pytest.mark.browser
def test_top_management_holds_the_review_and_approves_the_minutes(review_demo, page, request):
    from serviceloop.core.models import User
    from serviceloop.evaluation.models import ManagementReview, ReviewAction

    review = review_demo
    lead = User.objects.get(username="lead")
    due = timezone.localdate() + datetime.timedelta(days=21)
    sign_in(page, "ceo")

    open_nav(page, "management_review_list")
    page.locator(f"[data-review={review.reference}] a").click()
    expect(page.get_by_test_id("review-status")).to_have_attribute("data-status", "pack_generated")
    expect(page.get_by_test_id("previous-actions")).to_contain_text("调整服务台排班")
    expect(page.get_by_test_id("kpis")).to_contain_text("SLA 内首次响应率")
    with page.expect_download() as download:
        page.get_by_test_id("pdf").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_test_id("move-in_meeting").click()
    expect(page.get_by_test_id("review-status")).to_have_attribute("data-status", "in_meeting")

    kpis = page.get_by_test_id("input-kpis")
    kpis.locator("#id_decision-kpis-text").fill("首次响应 SLA 未达标：增加午间值守。")
    kpis.get_by_test_id("record-decision-kpis").click()
    expect(page.get_by_test_id("decisions-kpis")).to_contain_text("增加午间值守")
    kpis = page.get_by_test_id("input-kpis")  # swapped in place by htmx
    kpis.locator("#id_action-kpis-description").fill("两周内调整排班")
    kpis.locator("#id_action-kpis-owner").select_option(str(lead.pk))
    kpis.locator("#id_action-kpis-due_on").fill(due.isoformat())
    kpis.locator("#id_action-kpis-decision").select_option("1")
    kpis.get_by_test_id("add-action-kpis").click()
    expect(page.get_by_test_id("actions-kpis")).to_contain_text("两周内调整排班")
    expect(page.get_by_test_id("flash")).to_be_visible()

    page.get_by_test_id("move-minutes_draft").click()
    expect(page.get_by_test_id("minutes-decisions")).to_contain_text("增加午间值守")
    page.locator("#id_minutes_summary").fill("体系适宜、充分、有效。")
    page.get_by_test_id("save-minutes").click()
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approved")).to_be_visible()
    expect(page.get_by_test_id("review-status")).to_have_attribute("data-status", "approved")

    review = ManagementReview.objects.get(pk=review.pk)
    assert (review.status, review.approved_by.username) == ("approved", "ceo")
    assert review.minutes_summary == "体系适宜、充分、有效。"
    action = ReviewAction.objects.get(review=review)
    assert (action.owner, action.due_on, action.decision.number) == (lead, due, 1)
    request.getfixturevalue("browser_problems").assert_none()
