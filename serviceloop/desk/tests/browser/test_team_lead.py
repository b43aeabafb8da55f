"""A team lead works the queue: bulk actions on ticked tickets, and a saved view."""

import re

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in
from serviceloop.desk.tests.browser.steps import flash, open_queue, queue_row, tr


def _unassigned_tickets(n):
    """``n`` new tickets nobody works on yet (no category, so no routing)."""
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.services.tickets import ticket_create

    mdu = Organisation.objects.get(short_name="MDU")
    requester = User.objects.get(username="mdu.user")
    return [
        ticket_create(
            actor=requester,
            organisation=mdu,
            requester=requester,
            title=f"图书馆打印机 {k} Library printer {k} offline",
            source="portal",
        ).reference
        for k in (1, 2)[:n]
    ]


def tick(page, references):
    for reference in references:
        queue_row(page, reference).locator("input[name=tickets]").check()


def apply_bulk(page, action, target=None):
    bar = page.get_by_test_id("bulk-bar")
    bar.locator("select[name=action]").select_option(action)
    if target:
        bar.locator("select[name=target]").select_option(target)
    bar.locator("button[type=submit]").click()


@pytest.mark.browser
def test_team_lead_bulk_assigns_and_moves_ticked_tickets_and_saves_a_view(desk_demo, page):
    from serviceloop.desk.models import Ticket

    references = _unassigned_tickets(2)
    sign_in(page, "lead")

    # Tick the two unassigned tickets and take them.
    open_queue(page, "unassigned")
    tick(page, references)
    apply_bulk(page, "assign_me")
    expect(flash(page)).to_have_text(tr("Done for %(n)s tickets.") % {"n": 2})
    expect(page.locator("[data-queue=unassigned]")).to_have_class(re.compile(r"\bactive\b"))
    for reference in references:  # no longer unassigned
        expect(queue_row(page, reference)).to_have_count(0)
    assert set(
        Ticket.objects.filter(reference__in=references).values_list("assignee__username", "status")
    ) == {("lead", "assigned")}

    # In his own queue, start work on both at once.
    open_queue(page, "mine")
    for reference in references:
        expect(queue_row(page, reference)).to_contain_text(tr("Assigned"))
        expect(queue_row(page, reference)).to_contain_text("张伟 Zhang Wei")
    tick(page, references)
    apply_bulk(page, "status", target="in_progress")
    expect(flash(page)).to_have_text(tr("Done for %(n)s tickets.") % {"n": 2})
    for reference in references:
        expect(queue_row(page, reference)).to_contain_text(tr("In progress"))

    # Filter his tickets in progress, oldest first, and save the filters as a view.
    page.locator("select[name=status]").first.select_option("in_progress")
    page.locator("select[name=sort]").select_option("oldest")
    page.get_by_role("button", name=tr("Filter")).click()
    expect(page.get_by_test_id("queue").locator("tbody tr")).to_have_count(2)
    page.locator("input[name=name]").fill("我在处理的 In progress")
    page.get_by_role("button", name=tr("Save view")).click()
    expect(flash(page)).to_have_text(tr("View saved."))
    saved = page.locator("[data-saved-view]", has_text="我在处理的 In progress")
    expect(saved).to_be_visible()

    # Elsewhere, the saved view brings the same filters back.
    open_queue(page, "all")
    expect(page.get_by_test_id("queue").locator("tbody tr")).not_to_have_count(2)
    saved.click()
    rows = page.get_by_test_id("queue").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(references[0])  # oldest first
    expect(rows.last).to_contain_text(references[1])
    expect(page.locator("select[name=status]").first).to_have_value("in_progress")
    expect(page.locator("select[name=sort]")).to_have_value("oldest")
    assert "view=mine" in page.url
