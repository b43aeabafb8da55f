"""Two agents on the same ticket: each page pings its presence (htmx, on load and every 20 s)
and warns of the other agents who have the ticket open."""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in
from serviceloop.desk.tests.browser.steps import tr


def _open_ticket():
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.services.tickets import ticket_create

    requester = User.objects.get(username="ecl.user")
    return ticket_create(
        actor=requester,
        organisation=Organisation.objects.get(short_name="ECL"),
        requester=requester,
        title="ERP 导出很慢 ERP export is slow",
        source="portal",
    )


def _is_ping(reference):
    return lambda response: f"/{reference}/presence/" in response.url


def open_with_presence(page, reference):
    """Open the ticket page and wait for its first presence ping to be answered."""
    with page.expect_response(_is_ping(reference)) as ping:
        page.goto(f"/desk/tickets/{reference}/")
    assert ping.value.ok


def next_poll(page, reference):
    """Let the page's clock run to its next presence poll (every 20 s) and wait for it."""
    with page.expect_response(_is_ping(reference)) as ping:
        page.clock.fast_forward(20_000)
    assert ping.value.ok


@pytest.mark.browser
def test_second_agent_sees_who_else_has_the_ticket_open(desk_demo, new_context):
    reference = _open_ticket().reference
    first = new_context().new_page()
    first.clock.install()  # to run the page's clock to its next poll
    sign_in(first, "agent")
    open_with_presence(first, reference)
    expect(first.get_by_test_id("collision")).to_have_count(0)  # alone so far

    second = new_context().new_page()
    sign_in(second, "agent2")  # reads English
    open_with_presence(second, reference)
    warning = second.get_by_test_id("collision")
    expect(warning).to_be_visible()
    expect(warning).to_have_text(
        tr("%(who)s has this ticket open", "en") % {"who": "刘洋 Liu Yang"}
    )

    # The first agent learns of the second at his page's next poll, without reloading.
    next_poll(first, reference)
    expect(first.get_by_test_id("collision")).to_have_text(
        tr("%(who)s has this ticket open") % {"who": "Emma Clarke"}
    )


@pytest.mark.browser
def test_customer_manager_on_the_ticket_is_no_collision(desk_demo, new_context):
    """Only agents count: the requester's side reading the ticket warns nobody."""
    reference = _open_ticket().reference
    customer = new_context().new_page()
    sign_in(customer, "ecl.manager")
    customer.goto(f"/desk/tickets/{reference}/")
    expect(customer.get_by_test_id("timeline")).to_be_visible()

    agent = new_context().new_page()
    sign_in(agent, "agent")
    open_with_presence(agent, reference)
    expect(agent.get_by_test_id("collision")).to_have_count(0)


@pytest.mark.browser
def test_second_agent_is_warned_while_the_first_writes_a_reply(desk_demo, new_context):
    reference = _open_ticket().reference
    first = new_context().new_page()
    first.clock.install()
    sign_in(first, "agent")
    open_with_presence(first, reference)
    first.locator("textarea[name=body]").fill("我来处理。")  # he is writing…
    next_poll(first, reference)

    second = new_context().new_page()
    sign_in(second, "agent2")
    open_with_presence(second, reference)
    expect(second.get_by_test_id("collision")).to_have_text(
        tr("%(who)s is writing on this ticket", "en") % {"who": "刘洋 Liu Yang"},
        timeout=2000,  # swapped in right after the ping's answer
    )
