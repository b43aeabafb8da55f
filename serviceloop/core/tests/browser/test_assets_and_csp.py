"""Pages load their own assets and hold to the strict Content Security Policy.

The policy is ``default-src 'self'`` without 'unsafe-inline': any inline script, inline
style element or style attribute is refused by the browser and reported here, as are
console errors and assets that fail to load (see ``BrowserProblems`` in conftest.py).
"""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import nav_entries, reveal_nav, sign_in

# Per role: the pages reached by URL besides the navigation and the first record of each list.
EXTRA_PAGES = {
    "admin": [
        "/organisations/new/",
        "/people/new/",
        "/teams/new/",
        "/calendars/new/",
        "/profile/",
        "/notifications/",
        "/accounts/password_change/",
        "/api/docs/",
        "/no-such-page/",
    ],
    "agent": ["/organisations/new/", "/profile/"],  # the 403 page
    "ecl.manager": ["/calendars/", "/notifications/", "/profile/", "/audit/"],
}


def _assert_strict_policy(response) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy, f"{response.url}: {policy!r}"
    assert "unsafe-inline" not in policy, f"{response.url}: {policy!r}"


@pytest.mark.browser
@pytest.mark.parametrize("username", list(EXTRA_PAGES))
def test_every_page_a_role_reaches_is_clean(demo, page, browser_problems, username):
    sign_in(page, username)
    visited = []
    for url_name in nav_entries(page):
        with page.expect_navigation() as navigation:
            reveal_nav(page, url_name).click()
        _assert_strict_policy(navigation.value)
        visited.append(page.url)
        first_record = page.locator("main table a, main .list-group-item a").first
        if first_record.count():
            with page.expect_navigation() as navigation:
                first_record.click()
            _assert_strict_policy(navigation.value)
            visited.append(page.url)
    for url in EXTRA_PAGES[username]:
        response = page.goto(url)
        if not url.startswith("/api/"):
            _assert_strict_policy(response)
        visited.append(page.url)

    assert len(visited) >= 5
    browser_problems.assert_none()


@pytest.mark.browser
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/api/docs/",
    ],
)
def test_no_page_breaks_the_policy(demo, page, browser_problems, url):
    sign_in(page, "admin")
    browser_problems.entries.clear()  # only this page's problems
    page.goto(url)
    page.wait_for_load_state("networkidle")
    browser_problems.assert_none(including_known_bugs=True)


@pytest.mark.browser
def test_product_static_files_are_served(transactional_db, live_server, page):
    page.goto("/accounts/login/")
    response = page.request.get("/static/serviceloop/app.css")
    assert response.status == 200
    # app.css gives the body its grey background.
    expect(page.locator("body")).to_have_css("background-color", "rgb(246, 247, 249)")
