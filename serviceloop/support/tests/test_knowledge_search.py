"""Knowledge search: jieba tokens in SQLite FTS5 (or PostgreSQL full text), ranked, with
snippets, and scoped to what each reader may see.

Articles are written through the services, which rebuild the search document in their own
transaction; the database's index (installed once per session by the ``knowledge_index``
fixture, as the migration does) is what the queries read.
"""

import pytest
from django.db import connection
from django.urls import reverse

from serviceloop.support import search_knowledge
from serviceloop.support.models import ArticleSearchDocument, ArticleStatus, Audience
from serviceloop.support.search_knowledge import search_articles, search_results, suggestions_for


def refs(articles):
    return [a.reference for a in articles]


@pytest.fixture
def library(people, kb):
    printer = kb.article(
        title="打印机故障排除",
        body="<p>打印机无法打印时：检查纸盒、墨粉，并重启打印服务。</p>",
        categories=[kb.devices],
    )
    vpn = kb.article(
        title="VPN 无法连接 VPN cannot connect",
        body="<p>Check the VPN client version and your network.</p>",
        services=[kb.vpn],
    )
    mail = kb.article(
        title="Outlook 反复要求密码",
        body="<p>删除凭据管理器中的旧凭据。打印 is mentioned once.</p>",
        audience=Audience.INTERNAL,
    )
    return {"printer": printer, "vpn": vpn, "mail": mail}


def test_a_chinese_sentence_finds_the_article_about_it(people, library):
    found = refs(search_articles(people.a_user, "打印机 无法 打印"))

    assert found[0] == library["printer"].reference
    assert library["vpn"].reference not in found


def test_a_title_match_ranks_above_a_passing_mention(people, library):
    found = refs(search_articles(people.agent, "打印"))

    assert found[:2] == [library["printer"].reference, library["mail"].reference]


def test_mixed_language_and_category_names_are_searched(people, library):
    assert refs(search_articles(people.agent, "vpn client")) == [library["vpn"].reference]
    # the category name is indexed with the text
    assert library["printer"].reference in refs(search_articles(people.agent, "Workplace"))


def test_a_reference_finds_its_article_first(people, library):
    reference = library["mail"].reference

    assert refs(search_articles(people.agent, f"{reference} 打印"))[0] == reference


def test_results_carry_a_highlighted_title_and_snippet(people, library):
    result = search_results(people.agent, "墨粉")[0]

    assert result.article == library["printer"]
    assert ("墨粉", True) in result.snippet_parts
    assert "".join(text for text, _ in result.title_parts) == "打印机故障排除"


def test_customers_find_only_what_is_published_for_them(people, kb, library):
    draft = kb.article(title="打印机驱动安装", body="打印机驱动", publish=False)
    erp_only = kb.article(title="打印机与 ERP 报表", body="ERP 打印", services=[kb.erp])

    staff = set(refs(search_articles(people.agent, "打印")))
    customer_a = set(refs(search_articles(people.a_user, "打印")))
    customer_b = set(refs(search_articles(people.b_user, "打印")))

    assert {draft.reference, library["mail"].reference, erp_only.reference} <= staff
    assert library["mail"].reference not in customer_a  # internal
    assert draft.reference not in customer_a  # not published
    assert erp_only.reference in customer_a  # A is entitled to ERP
    assert erp_only.reference not in customer_b  # B is not
    assert library["printer"].reference in customer_b  # no service: every customer
    assert refs(search_articles(people.outsider, "VPN")) == []  # VPN is B's service


def test_customers_never_match_the_text_of_an_unpublished_revision(people, kb, library):
    printer = library["printer"]
    kb.services.article_update(actor=people.agent, article=printer, body="<p>固件升级 firmware</p>")

    assert refs(search_articles(people.a_user, "固件")) == []
    assert refs(search_articles(people.a_user, "墨粉")) == [printer.reference]
    staff = search_results(people.agent, "固件")
    assert refs(r.article for r in staff) == [printer.reference] and staff[0].is_draft


def test_retired_articles_leave_the_readers_results(people, kb, library):
    kb.services.article_transition(
        actor=people.lead, article=library["printer"], target=ArticleStatus.RETIRED
    )

    assert refs(search_articles(people.a_user, "打印机")) == []
    assert library["printer"].reference in refs(search_articles(people.agent, "打印机"))
    suggested = refs(r.article for r in suggestions_for(people.agent, "打印机无法打印"))
    assert library["printer"].reference not in suggested


def test_suggestions_respect_the_audience(people, library):
    staff = refs(r.article for r in suggestions_for(people.agent, "Outlook 密码", ""))
    customer = refs(r.article for r in suggestions_for(people.a_user, "Outlook 密码", ""))

    assert staff == [library["mail"].reference]
    assert customer == []
    assert len(suggestions_for(people.agent, "打印 VPN Outlook 密码 墨粉")) <= 5
    assert suggestions_for(people.agent, "  ", "") == []


def test_the_list_screen_searches_within_its_filters(people, library, client_for):
    client = client_for(people.agent)

    page = client.get(reverse("knowledge_list"), {"q": "打印"})
    only_customers = client.get(reverse("knowledge_list"), {"q": "打印", "audience": "customers"})

    found = [r.article.reference for r in page.context["results"]]
    assert found[:2] == [library["printer"].reference, library["mail"].reference]
    assert [r.article.reference for r in only_customers.context["results"]] == [
        library["printer"].reference
    ]
    assert "<mark>" in page.content.decode()


def test_the_portal_search_is_the_customers_view(people, library, client_for):
    page = client_for(people.a_user).get(reverse("portal_knowledge"), {"q": "打印 Outlook"})

    assert [r.article.reference for r in page.context["results"]] == [library["printer"].reference]


def test_the_index_is_rebuilt_from_the_documents(people, library):
    ArticleSearchDocument.objects.all().delete()
    assert search_articles(people.agent, "打印机") == []

    assert search_knowledge.knowledge_reindex() == 3
    assert search_knowledge.index_installed(connection)
    assert refs(search_articles(people.agent, "打印机"))[0] == library["printer"].reference


def test_an_empty_or_odd_query_finds_nothing_and_does_not_fail(people, library):
    assert search_articles(people.agent, "") == []
    assert search_articles(people.agent, '"* OR ) NEAR(') == []
    assert search_articles(people.agent, "的 了 是") == []
