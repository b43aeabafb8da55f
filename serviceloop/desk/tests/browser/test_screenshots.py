"""The desk's screenshots for the documentation (docs/screenshot-desk-queue.png and
docs/screenshot-desk-ticket.png, 1280×800), refreshed on demand with
``SERVICELOOP_SCREENSHOTS=1 .venv/bin/python -m pytest serviceloop/desk/tests/browser -k screenshot``.

The demo data, seen by the demo agent who reads English (Emma Clarke), with a morning's worth
of open tickets on top of the demo's (mostly closed) history.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in

DOCS = Path(__file__).resolve().parents[4] / "docs"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.environ.get("SERVICELOOP_SCREENSHOTS"),
        reason="writes docs/screenshot-desk-*.png: run with SERVICELOOP_SCREENSHOTS=1",
    ),
]

OPEN_TICKETS = (
    # title, customer, requester, impact, urgency, category prefix, hours ago, what happened
    ("ERP 登录缓慢 ERP login takes a minute", "ECL", "ecl.user", 2, 2, "业务系统", 5, "waiting"),
    ("VPN 无法连接 VPN is down", "MDU", "mdu.user", 3, 2, "网络", 3, "progress"),
    ("打印机卡纸 Printer jam, 2nd floor", "ECL", "ecl.manager", 4, 3, "办公终端", 2, "new"),
    ("邮箱无法收信 Mailbox not receiving", "MDU", "mdu.manager", 3, 3, "邮件", 1, "replied"),
    ("新同事账号 Account for a new colleague", "ECL", "ecl.user", 4, 4, "账号", 0.5, "new"),
    ("机房温度告警 Server room temperature alert", "MDU", "mdu.user", 1, 1, "网络", 0.2, "new"),
)


def _open_tickets():
    """Fresh open tickets in various states, worked through the services."""
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.models import Category
    from serviceloop.desk.services.tickets import (
        ticket_comment,
        ticket_create,
        ticket_transition,
    )

    now = timezone.now()
    tickets = []
    for title, org, who, impact, urgency, category, hours, state in OPEN_TICKETS:
        start = now - datetime.timedelta(hours=hours)
        requester = User.objects.get(username=who)
        ticket = ticket_create(
            actor=requester,
            organisation=Organisation.objects.get(short_name=org),
            requester=requester,
            title=title,
            description="用户反馈，详见标题。Reported by the user.",
            category=Category.objects.get(name__startswith=category),
            impact=impact,
            urgency=urgency,
            source="portal",
            now=start,
        )
        agent = ticket.assignee
        if state in ("waiting", "progress", "replied"):
            ticket_comment(
                actor=agent,
                ticket=ticket,
                body="您好，我们正在处理。Hello, we are looking into it.",
                now=start + datetime.timedelta(minutes=20),
            )
        if state in ("waiting", "progress"):
            ticket_transition(
                actor=agent,
                ticket=ticket,
                target="in_progress",
                now=start + datetime.timedelta(minutes=25),
            )
        if state == "waiting":
            ticket_comment(
                actor=agent,
                ticket=ticket,
                body="服务器日志显示会话超时，已临时调大连接池。\n"
                "Server logs show session time-outs; the connection pool is raised for now.",
                public=False,
                now=start + datetime.timedelta(minutes=50),
            )
            ticket_comment(
                actor=agent,
                ticket=ticket,
                body="请您现在再试一次登录，并告诉我们需要多长时间。\n"
                "Please try to sign in again now and tell us how long it takes.",
                now=start + datetime.timedelta(minutes=55),
            )
            ticket_transition(
                actor=agent,
                ticket=ticket,
                target="waiting_customer",
                now=start + datetime.timedelta(minutes=56),
            )
        tickets.append(ticket)
    return tickets


@pytest.fixture
def screenshot_demo(desk_demo):
    return _open_tickets()


def test_screenshot_of_the_agent_queue(screenshot_demo, page):
    sign_in(page, "agent2")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/desk/?view=open")
    expect(page.get_by_test_id("queue").locator("tbody tr")).to_have_count(len(OPEN_TICKETS))
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=DOCS / "screenshot-desk-queue.png")  # the 1280×800 viewport


def test_screenshot_of_a_ticket(screenshot_demo, page):
    ticket = screenshot_demo[0]  # waiting for the customer, with a reply and a note
    sign_in(page, "agent2")
    page.goto(f"/desk/tickets/{ticket.reference}/")
    expect(page.get_by_test_id("sla-panel")).to_be_visible()
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=DOCS / "screenshot-desk-ticket.png")
