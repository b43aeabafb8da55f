"""The knowledge screens: list (filters, export), page, writing, moving, feedback, portal;
who may do what (customers 404 on internal articles, read-only staff 403 on writes)."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.core.navigation import entries_for
from serviceloop.support.models import Article, ArticleFeedback, Audience


@pytest.fixture
def articles(people, kb):
    public = kb.article(categories=[kb.devices])
    internal = kb.article(title="内部：打印服务器重启", audience=Audience.INTERNAL)
    erp = kb.article(title="ERP 报表导出", body="<p>导出步骤</p>", services=[kb.erp])
    draft = kb.article(title="草稿 draft", publish=False)
    return {"public": public, "internal": internal, "erp": erp, "draft": draft}


def test_anonymous_visitors_are_sent_to_sign_in(db, client_for):
    for name in ("knowledge_list", "portal_knowledge", "knowledge_new", "knowledge_suggest"):
        response = client_for(None).get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_navigation_has_one_knowledge_entry_per_side(people):
    def names(user):
        return [
            e.url_name
            for e in entries_for(user)
            if e.url_name.endswith("knowledge") or e.url_name == "knowledge_list"
        ]

    assert names(people.agent) == ["knowledge_list"]
    assert names(people.auditor) == ["knowledge_list"]
    assert names(people.a_user) == ["portal_knowledge"]
    staff_entry = next(e for e in entries_for(people.agent) if e.url_name == "knowledge_list")
    assert staff_entry.menu == "operation"


def test_the_list_filters_and_exports(people, kb, articles, client_for, english):
    client = client_for(people.auditor)  # read-only staff read everything

    every = client.get(reverse("knowledge_list"))
    drafts = client.get(reverse("knowledge_list"), {"status": "draft"})
    internal = client.get(reverse("knowledge_list"), {"audience": "internal"})
    devices = client.get(reverse("knowledge_list"), {"category": kb.devices.pk})
    erp = client.get(reverse("knowledge_list"), {"service": kb.erp.pk})

    def listed(response):
        return {a.reference for a in response.context["page"]}

    assert listed(every) == {a.reference for a in articles.values()}
    assert listed(drafts) == {articles["draft"].reference}
    assert listed(internal) == {articles["internal"].reference}
    assert listed(devices) == {articles["public"].reference}
    assert listed(erp) == {articles["erp"].reference}
    assert 'data-testid="new-article"' not in every.content.decode()  # read only

    csv = client.get(reverse("knowledge_list"), {"export": "csv", "status": "draft"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Reference,Title,Status,Audience,Owner,Next review")
    assert articles["draft"].reference in text and articles["public"].reference not in text

    xlsx = client.get(reverse("knowledge_list"), {"export": "xlsx", "q": "ERP"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        articles["erp"].reference
    ]


def test_the_list_reads_a_fixed_number_of_queries(
    people, kb, client_for, django_assert_max_num_queries
):
    for n in range(6):
        kb.article(title=f"文章 {n}", categories=[kb.devices, kb.network], services=[kb.erp])
    client = client_for(people.agent)
    client.get(reverse("knowledge_list"))  # warm up (session, content types)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("knowledge_list"))
    assert len(response.context["page"]) == 6


def test_the_article_page_shows_versions_and_feedback(people, kb, articles, client_for):
    article = articles["public"]
    kb.feedback.article_feedback_give(actor=people.a_user, article=article, helpful=True)
    kb.feedback.article_feedback_give(
        actor=people.b_user, article=article, helpful=False, comment="图片看不清"
    )
    kb.services.article_update(actor=people.lead, article=article, title="打印机故障排除 v2")

    page = client_for(people.agent).get(reverse("knowledge_detail", args=[article.reference]))
    html = page.content.decode()

    assert page.context["stats"]["yes"] == 1 and page.context["stats"]["no"] == 1
    assert "图片看不清" in html
    assert html.count(reverse("knowledge_version", args=[article.reference, 1])) >= 1
    assert reverse("knowledge_version", args=[article.reference, 2]) in html
    old = client_for(people.agent).get(reverse("knowledge_version", args=[article.reference, 1]))
    assert "打印机故障排除 Printer troubleshooting" in old.content.decode()


def test_writing_an_article_through_the_screens(people, kb, client_for):
    client = client_for(people.agent)
    review = (timezone.localdate() + datetime.timedelta(days=180)).isoformat()

    response = client.post(
        reverse("knowledge_new"),
        {
            "title": "VPN 证书过期",
            "body": "<h2>步骤</h2><p>重新导入证书</p><script>x</script>",
            "audience": "customers",
            "owner": people.agent.pk,
            "review_due": review,
            "categories": [kb.network.pk],
            "services": [kb.vpn.pk],
        },
    )

    article = Article.objects.get()
    assert response.url == reverse("knowledge_detail", args=[article.reference])
    assert article.status == "draft" and "script" not in article.current_version.body
    assert list(article.services.all()) == [kb.vpn]

    client.post(reverse("knowledge_move", args=[article.reference]), {"target": "in_review"})
    refused = client.post(
        reverse("knowledge_move", args=[article.reference]), {"target": "published"}
    )
    assert refused.status_code == 403
    client_for(people.lead).post(
        reverse("knowledge_move", args=[article.reference]), {"target": "published"}
    )
    article.refresh_from_db()
    assert article.status == "published"

    edit = client.get(reverse("knowledge_edit", args=[article.reference]))
    assert 'data-testid="new-version-note"' in edit.content.decode()
    client.post(
        reverse("knowledge_edit", args=[article.reference]),
        {
            "title": "VPN 证书过期",
            "body": "<p>新步骤</p>",
            "audience": "customers",
            "owner": people.agent.pk,
            "review_due": review,
            "categories": [kb.network.pk],
            "services": [kb.vpn.pk],
            "version": article.version,
        },
    )
    article.refresh_from_db()
    assert article.status == "draft" and article.current_version.number == 2
    assert article.published_version.number == 1


def test_a_bad_form_is_shown_again_with_its_errors(people, kb, client_for):
    response = client_for(people.agent).post(
        reverse("knowledge_new"),
        {
            "title": "",
            "body": "x",
            "audience": "internal",
            "owner": people.agent.pk,
            "review_due": "2001-01-01",
        },
    )

    assert response.status_code == 200 and not Article.objects.exists()
    assert response.context["form"].errors


@pytest.mark.parametrize("role", ["auditor", "top"])
def test_read_only_staff_get_403_on_every_write(people, kb, articles, client_for, role):
    client = client_for(getattr(people, role))
    ref = articles["public"].reference

    assert client.get(reverse("knowledge_detail", args=[ref])).status_code == 200
    assert client.get(reverse("knowledge_new")).status_code == 403
    assert client.get(reverse("knowledge_edit", args=[ref])).status_code == 403
    assert (
        client.post(reverse("knowledge_move", args=[ref]), {"target": "retired"}).status_code == 403
    )
    assert (
        client.post(reverse("knowledge_feedback", args=[ref]), {"helpful": "yes"}).status_code
        == 403
    )
    assert client.post(reverse("knowledge_link", args=[ref]), {"reference": "X"}).status_code == 403
    assert client.get(reverse("knowledge_category_new")).status_code == 403
    assert Article.objects.get(reference=ref).status == "published"


def test_customers_never_see_internal_or_unentitled_articles(people, articles, client_for):
    client = client_for(people.b_user)  # customer B: not entitled to ERP

    for key in ("internal", "draft", "erp"):
        ref = articles[key].reference
        assert client.get(reverse("portal_knowledge_detail", args=[ref])).status_code == 404
        assert client.get(reverse("knowledge_detail", args=[ref])).status_code == 404
    public = articles["public"].reference
    assert client.get(reverse("portal_knowledge_detail", args=[public])).status_code == 200
    # the staff address of a readable article leads a customer to the portal page
    assert client.get(reverse("knowledge_detail", args=[public])).url == reverse(
        "portal_knowledge_detail", args=[public]
    )
    for name in ("knowledge_list", "knowledge_new", "knowledge_categories"):
        assert client.get(reverse(name)).status_code == 404
    listed = {a.reference for a in client.get(reverse("portal_knowledge")).context["page"]}
    assert listed == {public}

    entitled = client_for(people.a_user).get(reverse("portal_knowledge")).context["page"]
    assert {a.reference for a in entitled} == {public, articles["erp"].reference}


def test_the_portal_page_shows_the_published_version_and_takes_feedback(
    people, kb, articles, client_for
):
    article = articles["public"]
    kb.services.article_update(actor=people.agent, article=article, body="<p>未发布的修订</p>")
    client = client_for(people.a_user)
    url = reverse("portal_knowledge_detail", args=[article.reference])

    html = client.get(url).content.decode()
    assert "检查纸盒" in html and "未发布的修订" not in html

    client.post(
        reverse("knowledge_feedback", args=[article.reference]),
        {"helpful": "no", "comment": "没用"},
    )
    client.post(reverse("knowledge_feedback", args=[article.reference]), {"helpful": "yes"})

    feedback = ArticleFeedback.objects.get()  # one per reader and version: the answer changed
    assert feedback.helpful and feedback.comment == "" and feedback.version.number == 1
    assert client.get(url).context["feedback_form"].mine == feedback


def test_categories_are_a_free_list(people, kb, client_for):
    client = client_for(people.agent)

    client.post(reverse("knowledge_category_new"), {"name": "邮件 E-mail", "is_active": "on"})
    duplicate = client.post(reverse("knowledge_category_new"), {"name": "邮件 e-mail"})
    page = client.get(reverse("knowledge_categories"))

    assert duplicate.status_code == 200 and duplicate.context["form"].errors
    names = [c.name for c in page.context["categories"]]
    assert sorted(names) == sorted(["办公终端 Workplace devices", "网络 Network", "邮件 E-mail"])
    csv = client.get(reverse("knowledge_categories"), {"export": "csv"})
    assert "邮件 E-mail" in b"".join(csv.streaming_content).decode("utf-8-sig")
    category = next(c for c in page.context["categories"] if c.name == "邮件 E-mail")
    client.post(reverse("knowledge_category_edit", args=[category.pk]), {"name": "邮件"})
    category.refresh_from_db()
    assert category.name == "邮件" and not category.is_active
