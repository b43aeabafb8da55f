"""A service request with approval steps: the customer fills in the request type's form, his
manager approves, then the team lead, and the request reaches the desk assigned."""

import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import field_errors, open_nav, sign_in
from serviceloop.desk.tests.browser.steps import flash, open_notification, ticket_status, tr

ONBOARDING = "新员工入职 New employee onboarding"
NEWCOMER = "钱多多 Qian Duoduo"


@pytest.mark.browser
def test_onboarding_request_is_approved_twice_and_reaches_the_desk_assigned(desk_demo, new_context):
    from serviceloop.desk.models import RequestType, Ticket

    onboarding = RequestType.objects.get(name=ONBOARDING)
    before = Ticket.objects.count()

    # --- The customer picks the request type from the catalogue.
    customer = new_context().new_page()
    sign_in(customer, "ecl.user")
    open_nav(customer, "portal_home")
    customer.get_by_role("link", name=tr("Raise a ticket")).click()
    card = customer.locator(f"[data-request-type='{onboarding.pk}']")
    expect(card).to_contain_text(tr("needs approval"))
    card.click()
    expect(customer.locator("h1")).to_have_text(ONBOARDING)

    # The name is required: left empty, the form comes back with the error and nothing is raised.
    customer.locator("#id_start").fill("2026-12-01")
    customer.locator("#id_laptop").select_option('15"')
    customer.locator("#id_mailbox").check()
    customer.get_by_test_id("save").click()
    expect(field_errors(customer, "employee")).to_be_visible()
    expect(customer.locator("#id_start")).to_have_value("2026-12-01")  # kept
    assert Ticket.objects.count() == before

    customer.locator("#id_employee").fill(NEWCOMER)
    customer.locator("#id_title").fill(f"入职：{NEWCOMER}")
    customer.get_by_test_id("save").click()
    expect(flash(customer)).to_be_visible()
    ticket = Ticket.objects.get(request_type=onboarding, form_data__employee=NEWCOMER)
    expect(customer).to_have_url(re.compile(rf"/desk/tickets/{ticket.reference}/$"))
    expect(ticket_status(customer)).to_have_text(tr("Waiting for approval"))
    expect(customer.get_by_test_id("approvals").locator("li")).to_have_count(2)
    expect(customer.get_by_test_id("approve")).to_have_count(0)  # not his to approve
    assert (ticket.kind, ticket.form_data["start"], ticket.form_data["mailbox"]) == (
        "request",
        "2026-12-01",
        True,
    )

    # --- His manager approves first, from the notification.
    manager = new_context().new_page()
    sign_in(manager, "ecl.manager")
    open_notification(manager, ticket.reference)
    expect(manager).to_have_url(re.compile(rf"/desk/tickets/{ticket.reference}/$"))
    expect(manager.locator(".sl-card", has_text=tr("Request details"))).to_contain_text(NEWCOMER)
    manager.get_by_test_id("approvals").locator("textarea[name=comment]").fill("同意。")
    manager.get_by_test_id("approve").click()
    expect(flash(manager)).to_have_text(tr("Decision recorded."))
    expect(manager.get_by_test_id("approvals")).to_contain_text("孙强 Sun Qiang")
    expect(ticket_status(manager)).to_have_text(tr("Waiting for approval"))

    # --- Then the team lead, the request type's approver, also from the notification.
    lead = new_context().new_page()
    sign_in(lead, "lead")
    open_notification(lead, ticket.reference)
    expect(lead.get_by_test_id("approve")).to_have_count(1)
    lead.get_by_test_id("approve").click()
    expect(flash(lead)).to_have_text(tr("Decision recorded."))

    # --- Released to the desk: routed by its category to the service desk and assigned.
    expect(ticket_status(lead)).to_have_text(tr("Assigned"))
    ticket.refresh_from_db()
    assert ticket.status == "assigned"
    assert ticket.team.name == "一线服务台 Service Desk"
    assert ticket.assignee is not None and ticket.assignee.username in {"lead", "agent", "agent2"}
    expect(lead.get_by_test_id("approvals").locator("li")).to_have_count(2)
    expect(lead.get_by_test_id("approve")).to_have_count(0)
    expect(lead.locator(".sl-card", has_text=tr("Team / assignee"))).to_contain_text(
        str(ticket.assignee)
    )
    customer.reload()
    expect(ticket_status(customer)).to_have_text(tr("Assigned"))
