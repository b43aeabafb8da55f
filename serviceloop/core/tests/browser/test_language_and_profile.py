"""The language switcher and the profile: a person's choices stick to him."""

import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import (
    open_nav,
    open_user_menu,
    page_language,
    sign_in,
    sign_out,
)


@pytest.mark.browser
def test_language_switch_sticks_for_the_signed_in_user(demo, page, new_context):
    from serviceloop.core.models import User

    sign_in(page, "agent")
    assert page_language(page) == "zh-hans"
    open_nav(page, "calendar_list")

    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/calendars/$"))  # back on the same page
    expect(page.get_by_test_id("language-switch")).to_have_text("中文")
    assert User.objects.get(username="agent").language == "en"

    # Another browser (Chinese, no cookies): the profile decides after sign-in.
    sign_out(page)
    elsewhere = new_context().new_page()
    sign_in(elsewhere, "agent")
    assert page_language(elsewhere) == "en"

    elsewhere.get_by_test_id("language-switch").click()
    expect(elsewhere.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(elsewhere.get_by_test_id("language-switch")).to_have_text("English")
    elsewhere.reload()
    assert page_language(elsewhere) == "zh-hans"
    assert User.objects.get(username="agent").language == "zh-hans"


@pytest.mark.browser
def test_language_switch_on_the_sign_in_page(demo, page):
    page.goto("/accounts/login/")
    assert page_language(page) == "zh-hans"  # from the browser's Accept-Language

    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    assert page_language(page) == "en"  # kept in a cookie


@pytest.mark.browser
def test_profile_change_saves_and_keeps_the_language(demo, page):
    from serviceloop.core.models import User

    sign_in(page, "agent2")  # reads English
    open_user_menu(page)
    page.locator("a.dropdown-item[href='/profile/']").click()
    page.locator("#id_phone").fill("+86 21 5555 0123")
    page.locator("form.sl-card button[type=submit]").click()

    expect(page.locator(".alert-success")).to_be_visible()
    assert page_language(page) == "en"
    person = User.objects.get(username="agent2")
    assert (person.phone, person.language) == ("+86 21 5555 0123", "en")


@pytest.mark.browser
def test_saving_the_profile_keeps_an_unset_time_zone(demo, page):
    from serviceloop.core.models import User

    assert User.objects.get(username="agent2").time_zone == ""  # the organisation's zone
    sign_in(page, "agent2")
    page.goto("/profile/")
    page.locator("#id_phone").fill("+86 21 5555 0123")
    page.locator("form.sl-card button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()

    assert User.objects.get(username="agent2").time_zone == ""
