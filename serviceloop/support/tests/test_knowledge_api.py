"""The knowledge API under /api/v1/knowledge/: articles (versions, transitions, feedback,
links), categories, links and search; permissions as on the screens."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from serviceloop.desk.services.problems import problem_create
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.support.models import Article, ArticleFeedback, Audience

API = "/api/v1/knowledge"


def article_url(article, suffix=""):
    return f"{API}/articles/{article.reference}/{suffix}"


@pytest.fixture
def articles(people, kb):
    return {
        "public": kb.article(),
        "internal": kb.article(title="内部 VPN 网关重启", audience=Audience.INTERNAL),
        "erp": kb.article(title="ERP 报表", body="ERP 报表导出", services=[kb.erp]),
        "draft": kb.article(title="草稿", publish=False),
    }


def references(response):
    return {row["reference"] for row in response.json()["results"]}


def test_staff_list_everything_with_filters(people, kb, articles, api_client_for):
    client = api_client_for(people.auditor)

    assert references(client.get(f"{API}/articles/")) == {a.reference for a in articles.values()}
    assert references(client.get(f"{API}/articles/", {"status": "draft"})) == {
        articles["draft"].reference
    }
    assert references(client.get(f"{API}/articles/", {"service": "erp"})) == {
        articles["erp"].reference
    }
    assert references(client.get(f"{API}/articles/", {"audience": "internal"})) == {
        articles["internal"].reference
    }
    assert references(client.get(f"{API}/articles/", {"overdue": "true"})) == set()


def test_customers_read_only_what_is_published_for_them(people, articles, api_client_for):
    a = api_client_for(people.a_user)
    b = api_client_for(people.b_user)

    assert references(a.get(f"{API}/articles/")) == {
        articles["public"].reference,
        articles["erp"].reference,
    }
    assert references(b.get(f"{API}/articles/")) == {articles["public"].reference}
    for key in ("internal", "draft"):
        assert a.get(article_url(articles[key])).status_code == 404
    assert b.get(article_url(articles["erp"])).status_code == 404
    body = a.get(article_url(articles["public"])).json()
    assert body["title"].startswith("打印机") and "status" not in body and "version" not in body
    assert "owner" not in body
    assert a.get(article_url(articles["public"], "versions/")).status_code == 404
    assert a.get(article_url(articles["public"], "links/")).status_code == 404
    assert a.get(f"{API}/ticket-links/").status_code == 404


def test_create_edit_with_etag_and_move_an_article(people, kb, api_client_for):
    client = api_client_for(people.agent)

    created = client.post(
        f"{API}/articles/",
        {
            "title": "VPN 证书导入",
            "body": "步骤一\n\n步骤二",
            "audience": "customers",
            "categories": [kb.network.name],
            "services": ["vpn"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["categories"] == [kb.network.name]
    assert body["body"] == "<p>步骤一</p>\n\n<p>步骤二</p>"
    url = f"{API}/articles/{body['reference']}/"
    etag = created["ETag"]

    assert client.patch(url, {"title": "x"}, format="json").status_code == 428
    assert (
        client.patch(url, {"title": "x"}, format="json", headers={"If-Match": '"999"'}).status_code
        == 412
    )
    changed = client.patch(
        url, {"title": "VPN 证书导入步骤"}, format="json", headers={"If-Match": etag}
    )
    assert changed.status_code == 200 and changed.json()["title"] == "VPN 证书导入步骤"

    moved = client.post(
        f"{url}transition/", {"target": "in_review"}, format="json", headers={"If-Match": "*"}
    )
    assert moved.json()["status"] == "in_review"
    refused = client.post(
        f"{url}transition/", {"target": "published"}, format="json", headers={"If-Match": "*"}
    )
    assert refused.status_code == 403
    bad = api_client_for(people.lead).post(
        f"{url}transition/", {"target": "nowhere"}, format="json", headers={"If-Match": "*"}
    )
    assert bad.status_code == 400
    published = api_client_for(people.lead).post(
        f"{url}transition/", {"target": "published"}, format="json", headers={"If-Match": "*"}
    )
    assert published.json()["status"] == "published"
    assert published.json()["published_version_number"] == 1

    revision = client.patch(url, {"body": "<p>新</p>"}, format="json", headers={"If-Match": "*"})
    assert revision.json()["version_number"] == 2
    versions = client.get(f"{url}versions/").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["published_by"] == people.lead.username


def test_bad_input_is_a_400_and_nothing_is_written(people, kb, api_client_for):
    client = api_client_for(people.agent)

    missing = client.post(f"{API}/articles/", {"body": "x"}, format="json")
    bad = client.post(
        f"{API}/articles/",
        {"title": "t", "body": "b", "audience": "world", "review_due": "2000-01-01"},
        format="json",
    )

    assert missing.status_code == 400 and "title" in missing.json()
    assert bad.status_code == 400 and {"audience", "review_due"} <= set(bad.json())
    assert not Article.objects.exists()


@pytest.mark.parametrize("role", ["auditor", "top", "a_manager"])
def test_writes_are_refused_to_read_only_staff_and_customers(
    people, kb, articles, api_client_for, role
):
    client = api_client_for(getattr(people, role))
    article = articles["public"]

    assert (
        client.post(f"{API}/articles/", {"title": "t", "body": "b"}, format="json").status_code
        == 403
    )
    assert (
        client.patch(
            article_url(article), {"title": "x"}, format="json", headers={"If-Match": "*"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            article_url(article, "transition/"), {"target": "retired"}, format="json"
        ).status_code
        == 403
    )
    assert client.post(f"{API}/categories/", {"name": "n"}, format="json").status_code == 403


def test_feedback_through_the_api(people, articles, api_client_for):
    article = articles["public"]
    url = article_url(article, "feedback/")

    first = api_client_for(people.a_user).post(
        url, {"helpful": False, "comment": "太长"}, format="json"
    )
    again = api_client_for(people.a_user).post(url, {"helpful": True}, format="json")
    api_client_for(people.agent).post(url, {"helpful": True}, format="json")

    assert first.status_code == 200 and first.json()["version"] == 1
    assert again.json()["helpful"] is True
    assert ArticleFeedback.objects.count() == 2
    stats = api_client_for(people.agent).get(url).json()
    assert (stats["yes"], stats["no"], stats["percent"]) == (2, 0, 100)
    assert api_client_for(people.a_user).get(url).status_code == 404  # figures: staff only
    assert (
        api_client_for(people.auditor).post(url, {"helpful": True}, format="json").status_code
        == 403
    )
    assert (
        api_client_for(people.a_user)
        .post(article_url(articles["internal"], "feedback/"), {"helpful": True}, format="json")
        .status_code
        == 404
    )


def test_links_through_the_api(people, articles, api_client_for):
    ticket = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    problem = problem_create(actor=people.lead, title="打印机卡纸")
    client = api_client_for(people.agent)
    article = articles["public"]

    created = client.post(
        f"{API}/ticket-links/",
        {"article": article.reference, "ticket": ticket.reference, "used_to_resolve": True},
        format="json",
    )
    repeated = client.post(
        f"{API}/ticket-links/",
        {"article": article.reference, "ticket": ticket.reference},
        format="json",
    )
    problem_link = client.post(
        f"{API}/problem-links/",
        {"article": article.reference, "problem": problem.reference},
        format="json",
    )
    unknown = client.post(
        f"{API}/ticket-links/", {"article": article.reference, "ticket": "NOPE"}, format="json"
    )

    assert created.status_code == 201 and created.json()["used_to_resolve"] is True
    assert repeated.status_code == 200 and unknown.status_code == 400
    assert problem_link.status_code == 201
    link_id = created.json()["id"]
    assert client.delete(f"{API}/ticket-links/{link_id}/").status_code == 400  # used: evidence
    unused = client.patch(
        f"{API}/ticket-links/{link_id}/", {"used_to_resolve": False}, format="json"
    )
    assert unused.json()["used_to_resolve"] is False and unused.json()["used_at"] is None
    assert client.delete(f"{API}/ticket-links/{link_id}/").status_code == 204
    links = client.get(article_url(article, "links/")).json()
    assert links["tickets"] == [] and links["problems"][0]["problem"] == problem.reference
    listed = client.get(f"{API}/problem-links/", {"article": article.reference}).json()
    assert [row["problem"] for row in listed["results"]] == [problem.reference]
    auditor = api_client_for(people.auditor)
    assert (
        auditor.post(
            f"{API}/ticket-links/",
            {"article": article.reference, "ticket": ticket.reference},
            format="json",
        ).status_code
        == 403
    )


def test_search_through_the_api(people, articles, api_client_for):
    staff = api_client_for(people.agent).get(f"{API}/search/", {"q": "打印机 无法 打印"}).json()
    customer = (
        api_client_for(people.b_user).get(f"{API}/search/", {"q": "ERP 报表 VPN 网关"}).json()
    )

    assert staff[0]["reference"] == articles["public"].reference
    assert "打印" in staff[0]["snippet"]
    assert customer == []  # ERP is not B's service; the VPN gateway article is internal


def test_categories_through_the_api(people, kb, api_client_for):
    client = api_client_for(people.agent)

    created = client.post(f"{API}/categories/", {"name": "邮件"}, format="json")
    duplicate = client.post(f"{API}/categories/", {"name": "邮件"}, format="json")
    renamed = client.patch(
        f"{API}/categories/{created.json()['id']}/", {"is_active": False}, format="json"
    )

    assert created.status_code == 201 and duplicate.status_code == 400
    assert renamed.json()["is_active"] is False
    customer = api_client_for(people.a_user).get(f"{API}/categories/").json()["results"]
    assert "邮件" not in [c["name"] for c in customer]


def test_reviewed_through_the_api(people, kb, api_client_for):
    article = kb.article(author=people.agent)
    next_review = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()

    response = api_client_for(people.agent).post(
        article_url(article, "reviewed/"), {"next_review": next_review}, format="json"
    )

    assert response.status_code == 200 and response.json()["review_due"] == next_review


def test_the_schema_describes_the_knowledge_api(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), stdout=io.StringIO(), stderr=io.StringIO())
    schema = target.read_text()

    for path in (
        "/api/v1/knowledge/articles/{reference}/transition/:",
        "/api/v1/knowledge/articles/{reference}/feedback/:",
        "/api/v1/knowledge/articles/{reference}/versions/:",
        "/api/v1/knowledge/ticket-links/{id}/:",
        "/api/v1/knowledge/search/:",
    ):
        assert path in schema
