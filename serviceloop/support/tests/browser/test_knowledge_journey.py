"""The knowledge base in the browser: suggestions while a customer writes a ticket (htmx,
under the strict CSP), and an agent linking an article from the ticket page."""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in


@pytest.mark.browser
def test_a_customer_writing_a_ticket_sees_matching_articles(knowledge_demo, page):
    sign_in(page, "ecl.user")
    page.goto("/portal/new/")
    suggestions = page.get_by_test_id("knowledge-suggestions")
    expect(suggestions).to_be_visible()

    page.locator("#id_title").press_sequentially("打印机无法打印", delay=20)

    items = page.get_by_test_id("knowledge-suggestion-items")
    expect(items).to_contain_text("打印机无法打印的排查步骤")
    expect(items).not_to_contain_text("ERP 报表导出超时")  # internal

    with page.context.expect_page() as opened:  # in a new tab: the form keeps its text
        items.get_by_role("link", name="打印机无法打印的排查步骤").first.click()
    article = opened.value
    expect(article.get_by_test_id("article-body")).to_contain_text("打印队列")


@pytest.mark.browser
def test_an_agent_links_an_article_used_to_resolve_a_ticket(knowledge_demo, page):
    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.services.tickets import ticket_create
    from serviceloop.support.models import ArticleTicketLink

    requester = User.objects.get(username="ecl.user")
    ticket = ticket_create(
        actor=requester,
        organisation=Organisation.objects.get(short_name="ECL"),
        requester=requester,
        title="VPN 无法连接",
        source="portal",
    )
    sign_in(page, "agent")
    page.goto(f"/desk/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("knowledge-panel")
    result = panel.locator("[data-testid=knowledge-ticket-results] li").filter(
        has_text="VPN 无法连接怎么办"
    )
    expect(result).to_be_visible()  # searched for the ticket's title on load

    result.locator("input[name=used_to_resolve]").check()
    result.get_by_test_id("link-article").click()

    expect(panel.get_by_test_id("used-to-resolve")).to_be_visible()
    link = ArticleTicketLink.objects.get(ticket=ticket)
    assert link.used_to_resolve and link.article.title == "VPN 无法连接怎么办"
