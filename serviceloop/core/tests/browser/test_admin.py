"""The provider administrator sets up a customer, and the audit trail shows what he did."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import (
    field_errors,
    open_nav,
    sign_in,
    translated,
)

NEW_CUSTOMER = "杭州云帆 Hangzhou Yunfan"


@pytest.mark.browser
def test_admin_creates_a_customer_adds_a_person_and_finds_both_in_the_audit_trail(demo, page):
    from serviceloop.core.models import Organisation, User

    sign_in(page, "admin")
    open_nav(page, "organisation_list")
    page.locator("a[href='/organisations/new/']").click()

    page.locator("#id_kind").select_option("customer")
    page.locator("#id_name").fill(NEW_CUSTOMER)
    page.locator("#id_short_name").fill("YF")
    page.locator("#id_time_zone").select_option("Asia/Shanghai")
    page.locator("#id_calendar").select_option(label="中国工作日 China working days")
    page.locator("#id_email_domain").fill("yunfan.example.cn")
    page.get_by_test_id("save").click()

    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(NEW_CUSTOMER)
    customer = Organisation.objects.get(name=NEW_CUSTOMER)
    assert customer.kind == "customer"
    assert customer.time_zone == "Asia/Shanghai"

    # Correct the short name through the edit form.
    page.locator(f"a[href='/organisations/{customer.pk}/edit/']").click()
    page.locator("#id_short_name").fill("HZYF")
    page.get_by_test_id("save").click()
    expect(page.locator("dd").filter(has_text="HZYF")).to_be_visible()

    # Add the customer's manager from the organisation page: the organisation is preset.
    page.locator(f"a[href='/people/new/?organisation={customer.pk}']").click()
    expect(page.locator("#id_organisation")).to_have_value(str(customer.pk))
    page.locator("#id_username").fill("yunfan.manager")
    page.locator("#id_display_name").fill("钱多 Qian Duo")
    page.locator("#id_email").fill("qian.duo@yunfan.example.cn")
    page.locator("#id_role").select_option("customer_manager")
    page.get_by_test_id("save").click()

    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("h1")).to_have_text("钱多 Qian Duo")
    person = User.objects.get(username="yunfan.manager")
    assert person.organisation == customer
    page.locator(f"a[href='/organisations/{customer.pk}/']").click()
    expect(page.locator("table").get_by_role("link", name="钱多 Qian Duo")).to_be_visible()

    # The audit trail, filtered by the organisation: its creation and the edit.
    open_nav(page, "audit_list")
    page.locator("#id_object_type").fill("core.organisation")
    page.locator("#id_object_id").fill(str(customer.pk))
    page.locator("form.sl-card button[type=submit]").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("organisation.updated")
    expect(rows.nth(1)).to_contain_text("organisation.created")
    expect(rows.nth(0)).to_contain_text("admin")

    # The history of the person, then the page of the event that created him.
    page.goto(f"/audit/?object_type=core.user&object_id={person.pk}")
    expect(rows).to_have_count(1)
    rows.nth(0).get_by_role("link").click()
    expect(page.locator("dd.sl-mono").filter(has_text="person.created")).to_be_visible()
    expect(page.locator("pre")).to_contain_text("yunfan.manager")


def _provider_person_with_a_customer_role(page):
    page.goto("/people/new/")
    page.locator("#id_username").fill("wrong.role")
    page.locator("#id_organisation").select_option(label="云栈科技 CloudStack Tech")
    page.locator("#id_role").select_option("customer_user")
    return "role", translated("People of the provider hold a provider role.", "zh-hans")


def _organisation_with_a_taken_name(page):
    from serviceloop.core.models import Organisation

    page.goto("/organisations/new/")
    page.locator("#id_kind").select_option("customer")
    page.locator("#id_name").fill("华东物流 East China Logistics")
    with translation.override("zh-hans"):
        duplicate = Organisation(name="x").unique_error_message(Organisation, ("name",))
        return "name", duplicate.messages[0]


def _second_provider(page):
    page.goto("/organisations/new/")
    page.locator("#id_kind").select_option("provider")
    page.locator("#id_name").fill("另一家服务商 Another Provider")
    return "kind", translated("There is already a provider organisation.", "zh-hans")


@pytest.mark.browser
@pytest.mark.parametrize(
    "fill_bad_form",
    [
        _provider_person_with_a_customer_role,
        _organisation_with_a_taken_name,
        _second_provider,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_bad_form_shows_the_reason_at_its_field_and_creates_nothing(demo, page, fill_bad_form):
    from serviceloop.core.models import Organisation, User

    before = (Organisation.objects.count(), User.objects.count())
    sign_in(page, "admin")  # reads Chinese

    field, message = fill_bad_form(page)
    form_url = page.url
    with page.expect_navigation():
        page.get_by_test_id("save").click()

    expect(field_errors(page, field)).to_have_text(message, timeout=500)
    assert page.url == form_url
    assert (Organisation.objects.count(), User.objects.count()) == before
