"""Ticket full-text search: jieba tokens in SQLite FTS5 or PostgreSQL full text.

Tickets are written through the services and the commit callbacks run (the Huey task is
immediate in tests), so each test goes through the real path: service → on_commit →
``ticket_search_index`` → document row → the database's own index (FTS5 triggers, or the
generated tsvector column) → ``search_tickets``. The index is created once per session by
``search_sql.forwards`` with the test database's schema editor (tests run without migrations).
"""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from serviceloop.desk import search_sql
from serviceloop.desk.models import Ticket, TicketSearchDocument
from serviceloop.desk.search import (
    search_results,
    search_tickets,
    ticket_index,
    tokens,
)
from serviceloop.desk.services.tickets import ticket_comment, ticket_update
from serviceloop.desk.tests.factories import TicketFactory


@pytest.fixture(scope="session")
def search_index(django_db_setup, django_db_blocker):
    """The full-text index in the test database, as the migration creates it."""
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            search_sql.forwards(apps, editor)
        assert search_sql.index_installed(connection)


@pytest.fixture
def committed(search_index, django_capture_on_commit_callbacks):
    """``committed(service, **kwargs)``: call a service and run its commit callbacks (the
    re-index task), as the end of a real request would."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


@pytest.fixture
def raise_indexed(raise_ticket, committed):
    def make(**kwargs):
        return committed(raise_ticket, **kwargs)

    return make


def refs(tickets):
    return [t.reference for t in tickets]


def test_chinese_two_character_words_find_longer_phrases(people, raise_indexed):
    network = raise_indexed(title="网络故障，无法访问内网", description="三楼会议室的网口没有信号")
    mailbox = raise_indexed(title="邮箱无法登录", description="Outlook 提示密码错误")
    printer = raise_indexed(title="打印机卡纸", description="二楼彩色打印机")

    assert refs(search_tickets(people.agent, "网络")) == [network.reference]
    assert refs(search_tickets(people.agent, "故障")) == [network.reference]
    assert refs(search_tickets(people.agent, "邮箱")) == [mailbox.reference]
    assert refs(search_tickets(people.agent, "会议室")) == [network.reference]
    # A sentence: its tokens are OR-ed, so both tickets it speaks of are found.
    found = refs(search_tickets(people.agent, "我的邮箱和网络都不能用"))
    assert set(found) == {network.reference, mailbox.reference}
    assert printer.reference not in found


def test_mixed_chinese_and_english(people, raise_indexed):
    outlook = raise_indexed(
        title="Outlook 邮箱同步失败", description="Exchange server 报错 0x8004010F"
    )
    raise_indexed(title="VPN 连接中断", description="Cisco AnyConnect 每小时掉线")

    for query in ("outlook", "OUTLOOK 同步", "exchange", "0x8004010f", "ＯＵＴＬＯＯＫ", "同步"):
        assert refs(search_tickets(people.agent, query)) == [outlook.reference], query
    assert refs(search_tickets(people.agent, "anyconnect 掉线")) != [outlook.reference]
    assert search_tickets(people.agent, "teams") == []


def test_reference_is_found_exactly_and_first(people, raise_indexed, committed):
    first = raise_indexed(title="打印机卡纸")
    second = raise_indexed(title="显示器闪烁")
    # A third ticket mentions the first one's reference in a reply.
    mention = raise_indexed(title="打印机又卡纸了")
    committed(
        ticket_comment,
        actor=people.agent,
        ticket=mention,
        body=f"与 {first.reference} 重复 (duplicate)",
    )

    found = refs(search_tickets(people.agent, first.reference))
    assert found[0] == first.reference
    assert set(found) == {first.reference, mention.reference}
    assert refs(search_tickets(people.agent, second.reference.lower())) == [second.reference]
    # A reference nobody has finds nothing, not every ticket of that year.
    year = first.reference.split("-")[1]
    assert search_tickets(people.agent, f"INC-{year}-999999") == []


def test_internal_note_words_are_hidden_from_customers(people, raise_indexed, committed):
    ticket = raise_indexed(title="共享盘权限申请", requester=people.a_user)
    committed(
        ticket_comment,
        actor=people.agent,
        ticket=ticket,
        body="内部：需要调整防火墙策略 firewall",
        public=False,
    )
    committed(ticket_comment, actor=people.agent, ticket=ticket, body="已开通，请重新登录试试")

    for staff in (people.agent, people.auditor, people.top):
        assert refs(search_tickets(staff, "防火墙")) == [ticket.reference]
        assert refs(search_tickets(staff, "firewall")) == [ticket.reference]
    for customer in (people.a_user, people.a_manager):
        assert search_tickets(customer, "防火墙") == []
        assert search_tickets(customer, "firewall 策略") == []
        # ...but the public reply and the title are theirs to search.
        assert refs(search_tickets(customer, "重新登录")) == [ticket.reference]
        assert refs(search_tickets(customer, "共享盘 防火墙")) == [ticket.reference]


def test_other_organisations_tickets_are_never_returned(people, raise_indexed):
    mine = raise_indexed(title="邮箱满了 mailbox full", requester=people.a_user)
    colleague = raise_indexed(title="邮箱收不到邮件", requester=people.a_manager)
    other = raise_indexed(
        title="邮箱满了 mailbox full",
        organisation=people.customer_b,
        requester=people.b_user,
    )

    assert set(refs(search_tickets(people.agent, "邮箱"))) == {
        mine.reference,
        colleague.reference,
        other.reference,
    }
    # A customer user: the tickets he raised; his manager: the whole organisation's.
    assert refs(search_tickets(people.a_user, "邮箱")) == [mine.reference]
    assert set(refs(search_tickets(people.a_manager, "邮箱"))) == {
        mine.reference,
        colleague.reference,
    }
    assert refs(search_tickets(people.b_manager, "mailbox")) == [other.reference]
    assert search_tickets(people.outsider, "邮箱 mailbox") == []
    # Not even by reference.
    assert search_tickets(people.b_user, mine.reference) == []
    assert search_tickets(people.a_manager, other.reference) == []


def test_watched_ticket_is_found_by_a_customer_user(people, raise_indexed):
    ticket = raise_indexed(title="会议室投影仪无法开机", requester=people.a_manager)
    assert search_tickets(people.a_user, "投影仪") == []
    ticket.watchers.add(people.a_user)
    assert refs(search_tickets(people.a_user, "投影仪")) == [ticket.reference]


def test_title_match_ranks_above_reply_match(people, raise_indexed, committed):
    in_title = raise_indexed(title="电脑蓝屏", description="开机后几分钟就出现")
    in_reply = raise_indexed(title="电脑很慢", description="打开网页要一分钟")
    committed(
        ticket_comment,
        actor=people.agent,
        ticket=in_reply,
        body="上周也出现过蓝屏吗？蓝屏代码是多少？",
    )
    in_description = raise_indexed(title="电脑异常", description="偶尔蓝屏，然后重启")

    # The newest ticket would come first if the rank did not decide.
    assert in_reply.pk > in_title.pk
    for user in (people.agent, people.a_user):
        assert refs(search_tickets(user, "蓝屏")) == [
            in_title.reference,
            in_description.reference,
            in_reply.reference,
        ]


def test_reindex_after_reply_and_update_finds_the_new_words(people, raise_indexed, committed):
    ticket = raise_indexed(title="ERP 登录慢")
    assert search_tickets(people.agent, "数据库连接池") == []

    committed(ticket_comment, actor=people.agent, ticket=ticket, body="原因是数据库连接池耗尽")
    assert refs(search_tickets(people.agent, "数据库连接池")) == [ticket.reference]
    assert refs(search_tickets(people.a_user, "连接池")) == [ticket.reference]

    committed(ticket_update, actor=people.agent, ticket=ticket, title="SAP 报表导出失败")
    assert refs(search_tickets(people.agent, "报表")) == [ticket.reference]
    assert search_tickets(people.agent, "ERP") == []

    # A customer's own reply is indexed too.
    committed(ticket_comment, actor=people.a_user, ticket=ticket, body="导出 Excel 的时候卡住")
    assert refs(search_tickets(people.a_user, "excel")) == [ticket.reference]


def test_queries_that_are_syntax_to_the_database_are_plain_words(people, raise_indexed):
    ticket = raise_indexed(title="NEAR OR AND 网络")
    for query in (
        '"网络',
        "网络*",
        "(网络) OR",
        "{title_tokens}: 网络",
        "网络:A",
        "'网络' | !",
        "\\",
    ):
        found = refs(search_tickets(people.agent, query))
        assert found in ([ticket.reference], []), query
    assert refs(search_tickets(people.agent, "near")) == [ticket.reference]
    assert search_tickets(people.agent, "！？。，") == []
    assert search_tickets(people.agent, "") == []


def test_limit_and_order_among_equals(people, raise_indexed):
    tickets = [raise_indexed(title=f"打印机卡纸 第{n}台") for n in range(4)]
    found = refs(search_tickets(people.agent, "卡纸", limit=3))
    assert found == [t.reference for t in reversed(tickets)][:3]  # newest first among equals


def test_search_reindex_command_rebuilds_every_document(people, search_index):
    made = [
        TicketFactory(organisation=people.customer_a, requester=people.a_user, title=title)
        for title in ("键盘失灵", "鼠标失灵", "耳机没有声音")
    ]
    assert search_tickets(people.agent, "失灵") == []  # factories write no document

    out = io.StringIO()
    call_command("search_reindex", "--batch-size", "2", stdout=out)

    assert "Indexed 3 tickets in 2 batches" in out.getvalue()
    assert TicketSearchDocument.objects.count() == 3
    assert refs(search_tickets(people.agent, "失灵")) == [made[1].reference, made[0].reference]
    # Re-running changes nothing but the time stamps.
    call_command("search_reindex", stdout=io.StringIO())
    assert refs(search_tickets(people.agent, "失灵")) == [made[1].reference, made[0].reference]


def test_index_of_a_missing_ticket_removes_its_document(people, raise_indexed):
    ticket = raise_indexed(title="临时工单")
    pk = ticket.pk
    Ticket.objects.filter(pk=pk).delete()
    assert ticket_index(pk) is False
    assert not TicketSearchDocument.objects.filter(ticket_id=pk).exists()
    assert search_tickets(people.agent, "临时工单") == []


def test_results_have_highlighted_snippets_without_a_query_per_row(
    people, raise_indexed, committed
):
    for n in range(5):
        ticket = raise_indexed(title=f"报表 {n}", description="每天早上 VPN 断开一次，需要重连")
        committed(ticket_comment, actor=people.agent, ticket=ticket, body="请更新客户端")
        committed(
            ticket_comment, actor=people.agent, ticket=ticket, body="内部：VPN 网关", public=False
        )
    raise_indexed(title="显示器闪烁", description="只有这一张工单提到显示器")

    def queries_of(user, query, expected):
        with CaptureQueriesContext(connection) as captured:
            results = search_results(user, query)
        assert len(results) == expected
        with translation.override("en"):
            for result in results:
                result.snippet_source = str(result.snippet_source)
        return len(captured), results

    one, _ = queries_of(people.agent, "显示器", 1)
    five, results = queries_of(people.agent, "vpn", 5)
    assert five == one <= 5  # the tickets, their comments: one query each, not one per row
    assert ("VPN", True) in results[0].snippet_parts
    assert results[0].snippet_source == "Description"

    _, results = queries_of(people.agent, "网关", 5)
    assert [r.snippet_source for r in results] == ["Internal note"] * 5
    assert search_results(people.a_user, "网关") == []
    customer_one, _ = queries_of(people.a_user, "显示器", 1)
    customer_five, _ = queries_of(people.a_user, "vpn", 5)
    assert customer_five == customer_one


def test_tokens_are_jieba_search_words(search_index):
    assert tokens("网络故障") == ["网络", "故障", "网络故障"]
    assert tokens("ＶＰＮ连接失败") == ["vpn", "连接", "失败"]
    assert tokens("见INC-2026-000123。") == ["见", "inc2026000123"]
    assert "的" not in tokens("我的电脑")


# --- The page -------------------------------------------------------------------------------


@pytest.fixture
def english_client(client_for):
    """A signed-in client that reads the pages in English (the messages are asserted)."""

    def make(user):
        if user is not None:
            user.language = "en"
            user.save(update_fields=["language"])
        return client_for(user)

    return make


def test_search_page_for_an_agent(people, raise_indexed, committed, english_client):
    in_title = raise_indexed(title="邮箱无法登录")
    in_reply = raise_indexed(title="电脑很慢")
    committed(ticket_comment, actor=people.agent, ticket=in_reply, body="请检查邮箱客户端的缓存")

    response = english_client(people.agent).get("/desk/search/", {"q": "邮箱"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(in_title.reference) < html.index(in_reply.reference)
    assert "<mark>邮箱</mark>无法登录" in html
    assert "请检查<mark>邮箱</mark>客户端的缓存" in html
    assert ">CA<" not in html and " · CA · " in html  # staff see the customer


def test_search_page_for_a_customer_is_scoped(people, raise_indexed, english_client):
    mine = raise_indexed(title="打印机卡纸", requester=people.a_user)
    other = raise_indexed(
        title="打印机卡纸", organisation=people.customer_b, requester=people.b_user
    )

    html = english_client(people.a_user).get("/desk/search/?q=打印机").content.decode()
    assert mine.reference in html
    assert other.reference not in html

    html = english_client(people.outsider).get("/desk/search/?q=打印机").content.decode()
    assert mine.reference not in html and other.reference not in html
    assert "No ticket matches" in html


def test_search_page_bad_input_gets_a_message(people, search_index, english_client):
    client = english_client(people.agent)
    response = client.get("/desk/search/", {"q": "？！。"})
    assert response.status_code == 200
    assert "Nothing to search for" in response.content.decode()

    response = client.get("/desk/search/", {"q": "网" * 201})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()

    response = client.get("/desk/search/")
    assert response.status_code == 200
    assert 'data-testid="search-results"' not in response.content.decode()


def test_search_page_needs_sign_in(client_for, search_index):
    response = client_for(None).get("/desk/search/?q=邮箱")
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


# --- The index's SQL ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_forwards_backwards_forwards(people, search_index):
    ticket = TicketFactory(
        organisation=people.customer_a, requester=people.a_user, title="硬盘故障"
    )
    ticket_index(ticket.pk)
    assert refs(search_tickets(people.agent, "硬盘")) == [ticket.reference]

    with connection.schema_editor() as editor:
        search_sql.backwards(apps, editor)
        search_sql.backwards(apps, editor)  # idempotent
    assert not search_sql.index_installed(connection)
    assert TicketSearchDocument.objects.filter(ticket=ticket).exists()  # documents stay

    with connection.schema_editor() as editor:
        search_sql.forwards(apps, editor)
        search_sql.forwards(apps, editor)  # idempotent
    assert search_sql.index_installed(connection)
    # The documents written before the index existed are indexed (FTS5 'rebuild'; the
    # generated column is computed for existing rows).
    assert refs(search_tickets(people.agent, "硬盘")) == [ticket.reference]
    ticket.title = "内存故障"
    ticket.save(update_fields=["title"])
    ticket_index(ticket.pk)
    assert search_tickets(people.agent, "硬盘") == []
    assert refs(search_tickets(people.agent, "内存")) == [ticket.reference]


# --- PostgreSQL: bounded ranking for very common words ----------------------------------------


@pytest.mark.postgres
def test_a_query_matching_more_than_rank_max_ranks_the_newest_matches(
    people, raise_indexed, committed, monkeypatch
):
    from serviceloop.desk import search

    old_best = raise_indexed(title="打印机 打印机 卡纸")  # the best match, and the oldest
    newer = []
    for n in range(6):
        ticket = raise_indexed(title=f"工单 {n}")
        committed(ticket_comment, actor=people.agent, ticket=ticket, body="顺便看看打印机")
        newer.append(ticket)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TicketSearchDocument._meta.db_table}")

    # Every match ranked: the title match comes first.
    assert refs(search_tickets(people.agent, "打印机", limit=3))[0] == old_best.reference
    # At most ~3 matches ranked: the newest ones, so the old title match is not among them.
    monkeypatch.setattr(search, "RANK_MAX", 3)
    found = refs(search_tickets(people.agent, "打印机", limit=2))
    assert found == [newer[-1].reference, newer[-2].reference]
    # Asking for more than the window holds ranks every match after all.
    found = refs(search_tickets(people.agent, "打印机", limit=20))
    assert found[0] == old_best.reference and len(found) == 7


@pytest.mark.parametrize("few_visible", [0, 5_000])
def test_customer_search_is_scoped_whichever_side_drives(
    people, raise_indexed, committed, monkeypatch, few_visible
):
    """On PostgreSQL a customer's search reads either his few tickets one by one or the
    matches of the words (FEW_VISIBLE decides): both paths keep the same permissions."""
    from serviceloop.desk import search

    monkeypatch.setattr(search, "FEW_VISIBLE", few_visible)
    mine = raise_indexed(title="网络断线", requester=people.a_user)
    colleague = raise_indexed(title="网络慢", requester=people.a_manager)
    other = raise_indexed(
        title="网络 断线", organisation=people.customer_b, requester=people.b_user
    )
    committed(ticket_comment, actor=people.agent, ticket=mine, body="内部 路由器型号", public=False)

    assert refs(search_tickets(people.a_user, "网络")) == [mine.reference]
    assert set(refs(search_tickets(people.a_manager, "网络"))) == {
        mine.reference,
        colleague.reference,
    }
    assert refs(search_tickets(people.b_user, "网络 断线")) == [other.reference]
    assert search_tickets(people.a_manager, "路由器") == []
    assert refs(search_tickets(people.agent, "路由器")) == [mine.reference]
