"""Each role signs in, sees its own navigation in its own language, and signs out."""

import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import (
    ADMIN_NAV,
    AUDIT_NAV,
    CUSTOMER_MANAGER_NAV,
    CUSTOMER_NAV,
    DEMO_PASSWORD,
    STAFF_NAV,
    nav_entries,
    open_nav,
    page_language,
    sign_in,
    sign_out,
)

# username, the navigation the role should have, the language of the person's profile
ROLES = [
    ("admin", ADMIN_NAV, "zh-hans"),
    ("owner", AUDIT_NAV, "zh-hans"),
    ("lead", STAFF_NAV, "zh-hans"),
    ("agent", STAFF_NAV, "zh-hans"),
    ("agent2", STAFF_NAV, "en"),
    ("auditor", AUDIT_NAV, "zh-hans"),
    ("ceo", STAFF_NAV, "zh-hans"),
    ("ecl.manager", CUSTOMER_MANAGER_NAV, "zh-hans"),
    ("ecl.user", CUSTOMER_NAV, "zh-hans"),
    ("mdu.manager", CUSTOMER_MANAGER_NAV, "en"),
    ("mdu.user", CUSTOMER_NAV, "zh-hans"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("username", "expected_nav", "language"), ROLES, ids=[r[0] for r in ROLES])
def test_role_signs_in_sees_its_navigation_and_signs_out(
    demo, page, username, expected_nav, language
):
    sign_in(page, username)

    assert nav_entries(page) == expected_nav
    # The browser asks for Chinese; the person's profile decides.
    assert page_language(page) == language
    switch = page.get_by_test_id("language-switch")
    expect(switch).to_have_attribute("value", "zh-hans" if language == "en" else "en")

    for url_name in expected_nav:
        open_nav(page, url_name)
        expect(page.locator("h1")).to_be_visible()
        assert page_language(page) == language

    sign_out(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_test_id("user-menu")).to_have_count(0)


@pytest.mark.browser
def test_wrong_password_is_refused_with_a_message(demo, page):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()

    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_count(0)


@pytest.mark.browser
def test_signed_out_link_to_a_record_leads_through_sign_in_to_the_record(demo, page):
    from serviceloop.core.models import Organisation

    customer = Organisation.objects.get(short_name="ECL")

    response = page.goto(f"/organisations/{customer.pk}/")  # e.g. a link in an e-mail

    assert response.status == 200
    assert "/accounts/login/?next=" in page.url
    page.locator("#id_username").fill("ecl.user")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(rf"/organisations/{customer.pk}/$"))
