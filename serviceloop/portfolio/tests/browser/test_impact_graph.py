"""The item page draws its impact graph with the vendored ECharts under the strict CSP, and
the customers' catalogue shows their services."""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in


@pytest.fixture
def portfolio(demo):
    from serviceloop.portfolio.demo import demo_records

    demo_records(write=lambda *_: None)


@pytest.mark.browser
def test_the_database_servers_page_draws_its_impact_graph(portfolio, page, browser_problems):
    from serviceloop.portfolio.models import ConfigurationItem

    server = ConfigurationItem.objects.get(name__startswith="db-srv-01")
    sign_in(page, "admin")
    page.goto(f"/cmdb/items/{server.reference}/")

    expect(page.locator("#impact-graph canvas")).to_be_visible()
    expect(page.get_by_test_id("impact-services")).to_contain_text("ERP")
    box = page.locator("#impact-graph").bounding_box()
    assert box["height"] > 200 and box["width"] > 300
    browser_problems.assert_none()


@pytest.mark.browser
def test_a_customer_browses_the_catalogue(portfolio, page, browser_problems):
    sign_in(page, "ecl.user")
    page.goto("/portal/services/")
    expect(page.get_by_test_id("portal-services")).to_contain_text("ERP")
    page.locator("[data-service=erp]").click()
    expect(page.get_by_test_id("service-summary")).to_contain_text("Purchasing")
    expect(page.locator("main")).not_to_contain_text("SAP Business One")  # staff notes
    browser_problems.assert_none()
