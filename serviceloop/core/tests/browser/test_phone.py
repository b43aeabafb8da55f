"""On a phone (390×844), the menu folds into the toggler and pages fit the screen."""

import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import AUDIT_NAV, reveal_nav, sign_in, sign_out

PHONE_WIDTH = 390
pytestmark = pytest.mark.browser_context_args(
    viewport={"width": PHONE_WIDTH, "height": 844}, has_touch=True
)


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the phone's screen."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE_WIDTH


@pytest.mark.browser
def test_phone_menu_folds_into_the_toggler_and_opens(demo, page):
    sign_in(page, "admin")
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.get_by_test_id("main-nav")).to_be_hidden()
    expect(page.get_by_test_id("user-menu")).to_be_hidden()

    toggler.click()
    expect(page.get_by_test_id("main-nav")).to_be_visible()
    for url_name in AUDIT_NAV:
        expect(reveal_nav(page, url_name)).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_be_visible()

    reveal_nav(page, "team_list").click()
    expect(page).to_have_url(re.compile(r"/teams/$"))
    expect(page.get_by_test_id("main-nav")).to_be_hidden()  # folded again on the new page

    sign_out(page)  # through the toggler and the user menu


@pytest.mark.browser
def test_phone_lists_and_details_fit_the_screen(demo, page):
    sign_in(page, "admin")
    for url in ("/", "/organisations/", "/people/", "/calendars/", "/audit/", "/notifications/"):
        page.goto(url)
        assert sideways_overflow(page) <= 0, url


@pytest.mark.browser
def test_phone_form_pages_fit_the_screen(demo, page):
    sign_in(page, "admin")
    page.goto("/profile/")
    assert sideways_overflow(page) <= 0
