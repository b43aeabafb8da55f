"""The desk's walkthrough: a customer raises a ticket in the portal, an agent picks it up,
replies, waits for the customer, who answers by e-mail, resolves it, and the customer rates
it from the resolution e-mail. The SLA panel follows the cn-workdays calendar to the second.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import open_nav, sign_in
from serviceloop.desk.tests.browser.steps import (
    SHANGHAI,
    customer_reply_mail,
    flash,
    mails_to,
    move,
    open_queue,
    path_of,
    queue_row,
    reply,
    shown,
    sla_value,
    ticket_status,
    tr,
)

TITLE = "仓库扫码枪无法联网 Warehouse scanners offline"
DETAILS = "二号仓库的扫码枪从今天早上开始连不上 Wi-Fi。"
AGENT_REPLY = "您好，请重启二号仓库的无线接入点后再试。Please restart the access point."
CUSTOMER_MAIL = "重启了接入点，还是连不上。Restarted it, the scanners are still offline."
RESOLUTION = "已更换接入点固件，扫码枪恢复联网。Access point firmware replaced."


def cn_workdays():
    """A fresh engine for the cn-workdays calendar (not the cache the desk uses)."""
    from serviceloop.core.business_time import BusinessCalendar
    from serviceloop.core.models import Calendar

    return BusinessCalendar(Calendar.objects.get(name="cn-workdays").to_spec())


def business_duration(seconds: int) -> str:
    """Business seconds as the SLA panel shows them: whole minutes, hours from 60 min."""
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return tr("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    return tr("%(m)s min") % {"m": minutes}


def status_change_at(ticket, status):
    return ticket.events.filter(kind="status", to_value=status).latest("at", "id").at


@pytest.mark.browser
def test_portal_ticket_to_rating_with_email_reply_and_sla_on_the_calendar(
    desk_demo, new_context, mailoutbox
):
    from serviceloop.desk.intake_email import mail_process
    from serviceloop.desk.models import Ticket

    # --- The customer raises a ticket in the portal: catalogue → report a problem.
    customer = new_context().new_page()
    sign_in(customer, "ecl.user")
    open_nav(customer, "portal_home")
    customer.get_by_role("link", name=tr("Raise a ticket")).click()
    customer.get_by_text(tr("Report a problem"), exact=True).click()
    customer.locator("#id_title").fill(TITLE)
    customer.locator("#id_description").fill(DETAILS)
    customer.locator("#id_service").fill("办公网络 Office network")
    customer.get_by_test_id("save").click()
    ticket = Ticket.objects.get(title=TITLE)
    reference = ticket.reference
    expect(customer).to_have_url(re.compile(rf"/desk/tickets/{reference}/$"))
    expect(flash(customer)).to_contain_text(reference)
    expect(ticket_status(customer)).to_have_text(tr("New"))

    open_nav(customer, "portal_home")
    mine = customer.get_by_test_id("portal-tickets").locator("a", has_text=reference)
    expect(mine).to_contain_text(TITLE)
    expect(mine).to_contain_text(tr("New"))

    # --- An agent finds it among the unassigned tickets and opens it.
    agent = new_context().new_page()
    sign_in(agent, "agent")
    open_queue(agent, "unassigned")
    row = queue_row(agent, reference)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("ECL")
    row.get_by_role("link", name=reference).click()
    expect(ticket_status(agent)).to_have_text(tr("New"))

    # The SLA: the standard policy's targets on the cn-workdays calendar, from creation.
    assert ticket.sla_version.calendar.name == "cn-workdays"
    targets = ticket.sla_version.targets[ticket.priority]
    calendar = cn_workdays()
    created = ticket.created_at
    expect(sla_value(agent, "First response due")).to_have_text(
        shown(calendar.add(created, targets["response"]))
    )
    expect(sla_value(agent, "Resolution due")).to_have_text(
        shown(calendar.add(created, targets["resolution"]))
    )

    # --- He assigns it to himself, replies publicly and waits for the customer.
    assignment = agent.locator("form[action$='/assign/']")
    assignment.locator("select[name=team]").select_option(label="一线服务台 Service Desk")
    assignment.locator("select[name=assignee]").select_option(label="刘洋 Liu Yang")
    assignment.locator("button[type=submit]").click()
    expect(flash(agent)).to_have_text(tr("Assignment saved."))
    expect(ticket_status(agent)).to_have_text(tr("Assigned"))
    assert Ticket.objects.get(pk=ticket.pk).assignee.username == "agent"

    reply(agent, AGENT_REPLY)
    expect(agent.get_by_test_id("timeline")).to_contain_text(AGENT_REPLY)
    expect(sla_value(agent, "First response due")).to_contain_text(tr("met at"))

    move(agent, "waiting_customer")
    expect(ticket_status(agent)).to_have_text(tr("Waiting for customer"))
    expect(sla_value(agent, "Resolution due")).to_have_text(tr("paused"))
    paused_at = status_change_at(ticket, "waiting_customer")

    # The customer saw the reply in his mailbox and in the portal.
    address = "ecl.user@ecl.example.cn"
    mails = mails_to(mailoutbox, address, reference)
    assert any(AGENT_REPLY in m.body for m in mails), [m.subject for m in mails]
    mine.click()
    expect(customer.get_by_test_id("timeline")).to_contain_text(AGENT_REPLY)
    expect(ticket_status(customer)).to_have_text(tr("Waiting for customer"))

    # --- The customer answers the last e-mail from his mail client.
    raw = customer_reply_mail(
        sender=f"周婷 Zhou Ting <{address}>", answering=mails[-1], body=CUSTOMER_MAIL
    )
    result = mail_process(raw=raw, mailbox="desk@cloudstack.example.cn/INBOX")
    assert (result.record.outcome, result.record.ticket_id) == ("replied", ticket.pk)

    agent.reload()
    expect(ticket_status(agent)).to_have_text(tr("In progress"))
    timeline = agent.get_by_test_id("timeline")
    expect(timeline).to_contain_text(CUSTOMER_MAIL)
    expect(timeline).not_to_contain_text("写道")  # the quoted history is cut off

    # The clock resumed: the business time consumed before the pause counts, the pause not.
    resumed_at = status_change_at(ticket, "in_progress")
    consumed = calendar.elapsed_seconds(created, paused_at)
    expect(sla_value(agent, "Resolution due")).to_have_text(
        shown(calendar.add_seconds(resumed_at, targets["resolution"] * 60 - consumed))
    )
    paused = calendar.elapsed_seconds(paused_at, resumed_at)
    expect(sla_value(agent, "Paused so far")).to_have_text(
        re.compile("^" + re.escape(business_duration(paused)) + r"\s")
    )

    # --- The agent resolves it with a note for the customer.
    move(agent, "resolved", note=RESOLUTION)
    expect(ticket_status(agent)).to_have_text(tr("Resolved"))
    expect(agent.locator(".alert-success", has_text=RESOLUTION)).to_be_visible()
    expect(sla_value(agent, "Resolution due")).to_contain_text(tr("met at"))

    # --- The customer rates it 5 from the resolution e-mail, without signing in.
    resolved_mail = mails_to(mailoutbox, address, reference)[-1]
    assert RESOLUTION in resolved_mail.body
    link = re.search(r"^5/5: (\S+)$", resolved_mail.body, re.MULTILINE)
    assert link, resolved_mail.body
    rating = new_context().new_page()
    rating.goto(path_of(link[1]))
    expect(rating.locator("h1")).to_contain_text(reference)
    expect(rating.locator("#id_score")).to_have_value("5")
    rating.locator("#id_comment").fill("处理很快，谢谢！")
    rating.get_by_test_id("rate-submit").click()
    expect(rating.locator("h1")).to_have_text(tr("Thank you for your rating"))
    expect(rating.locator("main")).to_contain_text("5")

    # --- The agent sees the rating on the ticket.
    agent.reload()
    expect(agent.locator(".sl-card", has_text=tr("Customer rating"))).to_contain_text("5/5")
    expect(agent.locator(".sl-card", has_text=tr("Customer rating"))).to_contain_text(
        "处理很快，谢谢！"
    )
    rated = Ticket.objects.get(pk=ticket.pk)
    assert (rated.status, rated.csat_score) == ("resolved", 5)


@pytest.mark.browser
def test_sla_panel_counts_china_holidays_make_up_days_lunch_breaks_and_pauses(desk_demo, page):
    """A P3 ticket (response 2 h, resolution 24 h) raised on Wed 2026-09-30 16:30, the eve of
    National Day: 1.5 working hours that day, nothing on the holidays Oct 1-7, 8 h on Thu
    Oct 8 and Fri Oct 9, then Sat Oct 10, a make-up workday: 09:00-12:00 and, after the lunch
    break, 13:00-16:30. First response due Oct 8 09:30, resolution due Oct 10 16:30.

    Then the agent answers at 17:00 and waits for the customer from 17:30 (1 h consumed) until
    the customer replies on Fri Oct 9 at 10:15: paused 30 min + 8 h + 1 h 15 = 9 h 45 min of
    working time. The 23 h left run Oct 9 10:15-18:00 (6 h 45), Sat Oct 10 (8 h), Mon Oct 12
    (8 h) and Tue Oct 13 09:00-09:15: resolution due Oct 13 09:15."""
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.services.tickets import (
        ticket_comment,
        ticket_create,
        ticket_transition,
    )

    def at(month, day, hour, minute):
        return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)

    agent, customer = User.objects.get(username="agent"), User.objects.get(username="ecl.user")
    created = at(9, 30, 16, 30)
    ticket = ticket_create(
        actor=agent,
        organisation=Organisation.objects.get(short_name="ECL"),
        requester=customer,
        title="节前网络中断 Network down before the holiday",
        impact=3,
        urgency=3,
        now=created,
    )
    assert ticket.priority == "P3"
    calendar = cn_workdays()
    assert shown(calendar.add(created, 2 * 60)) == "2026-10-08 09:30:00"
    assert shown(calendar.add(created, 24 * 60)) == "2026-10-10 16:30:00"

    sign_in(page, "agent")
    page.goto(f"/desk/tickets/{ticket.reference}/")
    expect(sla_value(page, "First response due")).to_have_text("2026-10-08 09:30:00")
    expect(sla_value(page, "Resolution due")).to_have_text("2026-10-10 16:30:00")
    expect(sla_value(page, "Calendar")).to_contain_text("中国工作日")
    # Long overdue by now: the live countdown badge counts below zero, in red.
    countdown = page.locator(".sl-due").first
    expect(countdown).to_have_text(re.compile(r"^-\d+d \d+h$"))
    expect(countdown).to_have_class(re.compile(r"\btext-bg-danger\b"))
    expect(countdown).to_have_attribute("title", re.compile(r"2026-10-10 16:30$"))

    ticket_comment(actor=agent, ticket=ticket, body="正在排查。", now=at(9, 30, 17, 0))
    ticket_transition(actor=agent, ticket=ticket, target="waiting_customer", now=at(9, 30, 17, 30))
    ticket_comment(actor=customer, ticket=ticket, body="节后已恢复。", now=at(10, 9, 10, 15))
    paused = calendar.elapsed_seconds(at(9, 30, 17, 30), at(10, 9, 10, 15))
    assert paused == (9 * 60 + 45) * 60
    assert shown(calendar.add(at(10, 9, 10, 15), 23 * 60)) == "2026-10-13 09:15:00"

    page.reload()
    expect(ticket_status(page)).to_have_text(tr("In progress"))
    expect(sla_value(page, "First response due")).to_have_text(f"{tr('met at')} 2026-09-30 17:00")
    expect(sla_value(page, "Resolution due")).to_have_text("2026-10-13 09:15:00")
    expect(sla_value(page, "Paused so far")).to_have_text(
        re.compile("^" + re.escape(business_duration(paused)) + r"\s")
    )
    assert business_duration(paused) == tr("%(h)s h %(m)02d min") % {"h": 9, "m": 45}
