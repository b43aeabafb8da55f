"""The capacity, demand and budget pages draw their charts with the vendored ECharts under
the strict CSP (no console error, no violation)."""

import os

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in


@pytest.fixture
def demand_demo(demo):
    from serviceloop.demand.demo import demo_records
    from serviceloop.portfolio.demo import demo_records as portfolio_demo

    portfolio_demo(write=lambda *_: None)
    demo_records(write=lambda *_: None)


@pytest.mark.browser
def test_the_capacity_budget_and_demand_charts_draw(demand_demo, page, browser_problems):
    from serviceloop.demand.models import Budget, CapacityPlan

    san = CapacityPlan.objects.get(service__code="cloud")
    budget = Budget.objects.get(service__code="cloud", period_kind="year")
    shots = os.environ.get("SERVICELOOP_DEMAND_SCREENSHOTS", "")
    sign_in(page, "admin")

    page.goto(f"/capacity/{san.reference}/")
    expect(page.locator("#capacity-chart canvas")).to_be_visible()
    expect(page.get_by_test_id("forecast-critical")).to_have_attribute("data-status", "rising")
    if shots:
        page.screenshot(path=f"{shots}/capacity.png", full_page=True)

    page.goto(f"/budgets/{budget.pk}/")
    expect(page.locator("#budget-chart canvas")).to_be_visible()
    if shots:
        page.screenshot(path=f"{shots}/budget.png", full_page=True)

    page.goto("/demand/?service=&year=")
    expect(page.locator("#demand-chart canvas")).to_be_visible()
    if shots:
        page.screenshot(path=f"{shots}/demand.png", full_page=True)
    browser_problems.assert_none()
