"""The agent's ticket page beyond the walkthrough: canned responses, internal files, and the
status buttons."""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in
from serviceloop.desk.tests.browser.steps import flash, tr

CANNED = "需要更多信息 Need details"


def _new_ticket():
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.services.tickets import ticket_create

    requester = User.objects.get(username="ecl.user")
    return ticket_create(
        actor=requester,
        organisation=Organisation.objects.get(short_name="ECL"),
        requester=requester,
        title="会议室投影仪无信号 Projector shows no signal",
        source="portal",
    )


def _major_incident():
    from serviceloop.desk.models import Ticket

    return Ticket.objects.get(is_major=True)  # the demo's ERP outage


def _reply_box(page):
    return page.locator("form[action$='/comment/'] textarea[name=body]")


def _choose_canned(page):
    page.locator("select[data-canned-target]").select_option(label=CANNED)


@pytest.mark.browser
def test_canned_response_fills_the_reply_box(desk_demo, page):
    from serviceloop.desk.models import CannedResponse

    reference = _new_ticket().reference
    sign_in(page, "agent")
    page.goto(f"/desk/tickets/{reference}/")
    _reply_box(page).fill("您好，")
    _choose_canned(page)
    body = CannedResponse.objects.get(title=CANNED).body
    expect(_reply_box(page)).to_have_value(f"您好，\n{body}")
    expect(_reply_box(page)).to_be_focused()


@pytest.mark.browser
def test_canned_response_fills_the_reply_box_on_a_major_incident(desk_demo, page):
    sign_in(page, "agent")
    page.goto(f"/desk/tickets/{_major_incident().reference}/")
    _choose_canned(page)
    # A change event fills the box at once: no need to wait long for what is already there.
    expect(page.locator("form[action$='/major/'] textarea[name=body]")).to_have_value(
        "", timeout=1000
    )
    expect(_reply_box(page)).not_to_have_value("")


@pytest.mark.browser
def test_file_marked_internal_by_its_label_stays_hidden_from_the_customer(desk_demo, new_context):
    reference = _new_ticket().reference
    agent = new_context().new_page()
    sign_in(agent, "agent")
    agent.goto(f"/desk/tickets/{reference}/")
    files = agent.locator("form[action$='/files/']")
    files.locator("input[name=file]").set_input_files(
        {"name": "内部排查记录.txt", "mimeType": "text/plain", "buffer": "交换机口令…".encode()}
    )
    files.get_by_text(tr("Internal (staff only)")).click()  # the label, as people do
    files.locator("button[type=submit]").click()
    expect(flash(agent)).to_have_text(tr("File attached."))

    customer = new_context().new_page()
    sign_in(customer, "ecl.user")
    customer.goto(f"/desk/tickets/{reference}/")
    expect(customer.get_by_test_id("timeline")).to_be_visible()
    expect(customer.get_by_text("内部排查记录.txt")).to_have_count(0, timeout=1000)  # rendered


@pytest.mark.browser
def test_no_ticket_is_assigned_to_nobody(desk_demo, page):
    from serviceloop.desk.models import Ticket

    ticket = _new_ticket()
    sign_in(page, "agent")
    page.goto(f"/desk/tickets/{ticket.reference}/")
    assign = page.locator("button[data-move=assigned]")
    if assign.count():
        assign.click()
        expect(flash(page)).to_be_visible()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert not (ticket.status == "assigned" and ticket.assignee is None), "assigned to nobody"
