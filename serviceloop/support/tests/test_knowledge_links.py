"""Links between articles and desk tickets / problems, the "used to resolve" flag and the
knowledge-use figure; the knowledge panels desk pages show through slots."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.desk.services.problems import problem_create
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.support import services_knowledge as services
from serviceloop.support import services_knowledge_links as link_services
from serviceloop.support.models import ArticleTicketLink, Audience
from serviceloop.support.queries_knowledge import knowledge_use_counts, knowledge_use_total

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def ticket(people):
    return TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        title="打印机无法打印",
        description="三楼的打印机",
    )


@pytest.fixture
def problem(people):
    return problem_create(actor=people.lead, title="打印机反复卡纸")


def test_linking_an_article_to_a_ticket_once_and_marking_it_used(people, kb, ticket):
    article = kb.article()

    link, created = link_services.article_link_ticket(
        actor=people.agent, article=article, ticket=ticket
    )
    again, created_again = link_services.article_link_ticket(
        actor=people.agent, article=article, ticket=ticket
    )

    assert created and not created_again and again.pk == link.pk
    assert not link.used_to_resolve and link.linked_by == people.agent

    link = link_services.article_link_mark_used(actor=people.agent, link=link, used=True)
    assert link.used_to_resolve and link.used_at and link.used_by == people.agent

    verbs = list(
        AuditEvent.objects.filter(object_id=str(article.pk), verb__startswith="knowledge.")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs[-2:] == ["knowledge.ticket_linked", "knowledge.link_used"]


def test_a_used_link_is_evidence_and_is_not_removed(people, kb, ticket):
    article = kb.article()
    link, _ = link_services.article_link_ticket(
        actor=people.agent, article=article, ticket=ticket, used_to_resolve=True
    )

    with pytest.raises(ValidationError):
        link_services.article_unlink(actor=people.agent, link=link)

    link_services.article_link_mark_used(actor=people.agent, link=link, used=False)
    link_services.article_unlink(actor=people.agent, link=link)
    assert not ArticleTicketLink.objects.exists()


def test_only_staff_who_work_tickets_link_and_retired_articles_are_not_linked(people, kb, ticket):
    article = kb.article()
    for user in (people.auditor, people.top, people.owner, people.a_manager):
        with pytest.raises(PermissionDenied):
            link_services.article_link_ticket(actor=user, article=article, ticket=ticket)

    services.article_transition(actor=people.lead, article=article, target="retired")
    with pytest.raises(ValidationError):
        link_services.article_link_ticket(actor=people.agent, article=article, ticket=ticket)


def test_knowledge_use_counts_the_links_marked_used_in_the_period(people, kb, ticket, problem):
    printer = kb.article()
    vpn = kb.article(title="VPN")
    other = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    now = timezone.now()
    a, _ = link_services.article_link_ticket(
        actor=people.agent, article=printer, ticket=ticket, used_to_resolve=True, now=now
    )
    link_services.article_link_ticket(
        actor=people.agent, article=printer, ticket=other, used_to_resolve=True, now=now - 48 * HOUR
    )
    link_services.article_link_problem(
        actor=people.agent, article=printer, problem=problem, used_to_resolve=True, now=now
    )
    link_services.article_link_ticket(
        actor=people.agent, article=vpn, ticket=ticket, now=now
    )  # not used

    uses = knowledge_use_counts(now - HOUR, now + HOUR)

    assert [(u.reference, u.tickets, u.problems, u.total) for u in uses] == [
        (printer.reference, 1, 1, 2)
    ]
    assert knowledge_use_total(now - 72 * HOUR, now + HOUR) == 3
    assert knowledge_use_counts(now + HOUR, now + 2 * HOUR) == []

    link_services.article_link_mark_used(actor=people.agent, link=a, used=False)
    assert knowledge_use_total(now - HOUR, now + HOUR) == 1


def test_the_article_page_links_tickets_and_problems_by_reference(
    people, kb, ticket, problem, client_for
):
    article = kb.article()
    client = client_for(people.agent)
    url = reverse("knowledge_link", args=[article.reference])

    client.post(url, {"reference": ticket.reference.lower(), "used_to_resolve": "on"})
    client.post(url, {"reference": problem.reference})
    missing = client.post(url, {"reference": "INC-1999-999999"}, follow=True)

    link = article.ticket_links.get()
    assert link.ticket == ticket and link.used_to_resolve
    assert article.problem_links.get().problem == problem
    assert "INC-1999-999999" in missing.content.decode()
    page = client.get(reverse("knowledge_detail", args=[article.reference])).content.decode()
    assert ticket.reference in page and problem.reference in page


def test_the_ticket_page_shows_its_knowledge_panel_to_staff_only(people, kb, ticket, client_for):
    article = kb.article()
    link_services.article_link_ticket(
        actor=people.agent, article=article, ticket=ticket, used_to_resolve=True
    )
    url = reverse("ticket_detail", args=[ticket.reference])

    agent = client_for(people.agent).get(url).content.decode()
    auditor = client_for(people.auditor).get(url).content.decode()
    customer = client_for(people.a_user).get(url).content.decode()

    assert 'data-testid="knowledge-panel"' in agent and article.reference in agent
    assert 'data-testid="used-to-resolve"' in agent
    assert reverse("knowledge_ticket_search", args=[ticket.reference]) in agent
    assert 'data-testid="knowledge-panel"' in auditor
    assert reverse("knowledge_ticket_search", args=[ticket.reference]) not in auditor
    assert 'data-testid="knowledge-panel"' not in customer and article.reference not in customer


def test_searching_and_linking_from_the_ticket_page(people, kb, ticket, client_for):
    article = kb.article()
    client = client_for(people.agent)

    results = client.get(
        reverse("knowledge_ticket_search", args=[ticket.reference]),
        {"q": "打印机 无法 打印"},
        headers={"HX-Request": "true"},
    )
    assert results.templates[0].name == "support/knowledge_ticket_results.html"
    assert article.reference in results.content.decode()

    response = client.post(
        reverse("knowledge_ticket_link", args=[ticket.reference]),
        {"article": article.reference, "used_to_resolve": "on"},
    )
    assert response.status_code == 302
    assert response.url == reverse("ticket_detail", args=[ticket.reference])
    link = ArticleTicketLink.objects.get(article=article, ticket=ticket)
    assert link.used_to_resolve

    # the flag is switched off and on from the panel, which returns to the ticket
    toggle = client.post(
        reverse("knowledge_link_used", args=["ticket", link.pk]), {"back": "ticket"}
    )
    assert toggle.url == reverse("ticket_detail", args=[ticket.reference])
    link.refresh_from_db()
    assert not link.used_to_resolve

    # without JavaScript the search is a page of its own
    page = client.get(reverse("knowledge_ticket_search", args=[ticket.reference]), {"q": "打印机"})
    assert page.templates[0].name == "support/knowledge_ticket_search.html"


def test_link_writes_are_refused_to_read_only_staff_and_hidden_from_customers(
    people, kb, ticket, client_for
):
    article = kb.article()
    link, _ = link_services.article_link_ticket(actor=people.agent, article=article, ticket=ticket)
    link_url = reverse("knowledge_ticket_link", args=[ticket.reference])
    used_url = reverse("knowledge_link_used", args=["ticket", link.pk])

    assert (
        client_for(people.auditor).post(link_url, {"article": article.reference}).status_code == 403
    )
    assert (
        client_for(people.auditor).post(used_url, {"back": "ticket", "used": "on"}).status_code
        == 403
    )
    assert client_for(people.a_user).post(used_url, {"back": "ticket"}).status_code == 404
    assert (
        client_for(people.a_user).post(link_url, {"article": article.reference}).status_code == 404
    )
    search = reverse("knowledge_ticket_search", args=[ticket.reference])
    assert client_for(people.a_user).get(search, {"q": "x"}).status_code == 404


def test_the_new_ticket_forms_carry_the_suggestions_panel(people, kb, client_for):
    internal = kb.article(title="打印服务重启步骤", body="内部步骤", audience=Audience.INTERNAL)
    public = kb.article()

    agent_page = client_for(people.agent).get(reverse("ticket_new")).content.decode()
    portal_page = client_for(people.a_user).get(reverse("portal_new")).content.decode()

    for page in (agent_page, portal_page):
        assert 'data-testid="knowledge-suggestions"' in page
        assert f'hx-get="{reverse("knowledge_suggest")}"' in page
        assert "keyup changed delay:600ms from:#id_title" in page
        assert "input changed delay:600ms from:#id_description" in page
        assert 'hx-include="#id_title, #id_description"' in page

    # A form sent back with errors shows the suggestions for what was typed (no JavaScript).
    back = client_for(people.a_user).post(
        reverse("portal_new"), {"title": "打印机无法打印", "kind": "bogus"}
    )
    html = back.content.decode()
    assert public.reference in html and internal.reference not in html


def test_the_suggestion_endpoint_respects_the_audience(people, kb, client_for):
    internal = kb.article(title="打印服务重启步骤", body="内部步骤", audience=Audience.INTERNAL)
    public = kb.article()
    params = {"title": "打印", "description": "打印机 重启"}

    staff = client_for(people.agent).get(reverse("knowledge_suggest"), params).content.decode()
    customer = client_for(people.a_user).get(reverse("knowledge_suggest"), params).content.decode()
    anonymous = client_for(None).get(reverse("knowledge_suggest"), params)

    assert internal.reference in staff and public.reference in staff
    assert public.reference in customer and internal.reference not in customer
    assert reverse("portal_knowledge_detail", args=[public.reference]) in customer
    assert anonymous.status_code == 302
