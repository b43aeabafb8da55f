"""A customer manager works with his own organisation and nobody else's."""

import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import open_nav, sign_in

HANDOVER = "交接单 handover 2026-11.txt"
HANDOVER_TEXT = "华东物流 仓库网络交接\nwarehouse network handover\n".encode()


@pytest.mark.browser
def test_customer_manager_sees_only_his_organisation_and_shares_a_file(demo, page, new_context):
    from serviceloop.core.models import Organisation

    ecl = Organisation.objects.get(short_name="ECL")
    mdu = Organisation.objects.get(short_name="MDU")
    sign_in(page, "ecl.manager")

    open_nav(page, "my_organisation")
    expect(page).to_have_url(re.compile(rf"/organisations/{ecl.pk}/$"))
    expect(page.locator("h1")).to_contain_text("华东物流 East China Logistics")
    people = page.locator("table tbody tr")
    expect(people).to_have_count(2)  # ecl.manager and ecl.user, nobody of the provider
    expect(page.locator(f"a[href='/organisations/{ecl.pk}/edit/']")).to_have_count(0)
    expect(page.locator("input[name=is_internal]")).to_have_count(0)  # staff only

    # The other customer's page is "not found", in the product's own layout.
    response = page.goto(f"/organisations/{mdu.pk}/")
    assert response.status == 404
    expect(page.locator(".sl-error-code")).to_have_text("404")
    expect(page.get_by_test_id("main-nav")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("明德大学")

    # Attach a file to his organisation, then download it.
    page.goto(f"/organisations/{ecl.pk}/")
    page.locator("input[name=file]").set_input_files(
        {"name": HANDOVER, "mimeType": "text/plain", "buffer": HANDOVER_TEXT}
    )
    page.locator("form[action$='/attachments/'] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    link = page.get_by_role("link", name=HANDOVER)
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == HANDOVER
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == HANDOVER_TEXT

    # The other customer's manager cannot download it, even with the link.
    file_url = link.get_attribute("href")
    other = new_context().new_page()
    sign_in(other, "mdu.manager")
    response = other.goto(file_url)
    assert response.status == 404
    expect(other.locator(".sl-error-code")).to_have_text("404")
