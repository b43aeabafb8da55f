"""On a phone (390×844) the portal and the ticket pages fit the screen: no sideways scrolling."""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in

PHONE_WIDTH = 390
pytestmark = pytest.mark.browser_context_args(
    viewport={"width": PHONE_WIDTH, "height": 844}, has_touch=True, is_mobile=True
)


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the phone's screen."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE_WIDTH


# What customers paste into a ticket: an error code and a link, words without a break.
ERROR_CODE = "ERR_PRINT_SPOOLER_TIMEOUT_0x80070005_AccessDenied"
LINK = "https://wms.ecl.example.cn/admin/printing/queues/shanghai-warehouse-02/jobs?state=failed"


def _ticket_with_history(description="仓库的标签打印机从早上开始一直报错，无法继续作业。"):
    """An open ticket of ecl.user with a reply, an internal note and an SLA."""
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.services.tickets import ticket_comment, ticket_create

    requester = User.objects.get(username="ecl.user")
    agent = User.objects.get(username="agent")
    ticket = ticket_create(
        actor=requester,
        organisation=Organisation.objects.get(short_name="ECL"),
        requester=requester,
        title="上海仓库WMS系统打印标签时报错无法继续作业 WMS label printing fails in Shanghai",
        description=description,
        service="WMS",
        source="portal",
    )
    ticket_comment(actor=agent, ticket=ticket, body="已收到，正在检查打印服务器。")
    ticket_comment(actor=agent, ticket=ticket, body="内部：打印服务器磁盘满。", public=False)
    return ticket


@pytest.mark.browser
def test_customer_portal_and_ticket_fit_a_phone(desk_demo, page):
    reference = _ticket_with_history().reference
    sign_in(page, "ecl.user")
    for url in ("/portal/", "/portal/requests/", "/portal/new/", f"/desk/tickets/{reference}/"):
        page.goto(url)
        assert sideways_overflow(page) <= 0, url
    expect(page.get_by_test_id("timeline")).to_contain_text("已收到")
    expect(page.get_by_test_id("send-reply")).to_be_visible()

    page.goto("/portal/")
    ticket = page.get_by_test_id("portal-tickets").locator("a", has_text=reference)
    expect(ticket).to_be_visible()
    box = ticket.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH


@pytest.mark.browser
def test_agent_ticket_page_and_queue_fit_a_phone(desk_demo, page):
    reference = _ticket_with_history().reference
    sign_in(page, "agent")
    page.goto(f"/desk/tickets/{reference}/")
    expect(page.get_by_test_id("sla-panel")).to_be_attached()
    assert sideways_overflow(page) <= 0
    page.goto("/desk/?view=all")  # the table scrolls inside its card, not the page
    assert sideways_overflow(page) <= 0


@pytest.mark.browser
def test_long_words_in_a_ticket_wrap_on_a_phone(desk_demo, page):
    reference = _ticket_with_history(description=f"报错信息：{ERROR_CODE}\n{LINK}").reference
    sign_in(page, "ecl.user")
    page.goto(f"/desk/tickets/{reference}/")
    expect(page.get_by_text(ERROR_CODE)).to_be_visible()
    assert sideways_overflow(page) <= 0
