"""The knowledge demo records: fifteen articles over the demo services, linked to demo
tickets and known errors when the desk's demo exists; loading twice adds nothing."""

import datetime

from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.desk.services.problems import problem_create
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.portfolio.models import Service
from serviceloop.support import demo_knowledge as support_demo
from serviceloop.support.demo_knowledge import ARTICLES
from serviceloop.support.models import (
    Article,
    ArticleFeedback,
    ArticleProblemLink,
    ArticleStatus,
    ArticleTicketLink,
    Audience,
)
from serviceloop.support.search_knowledge import search_articles


def test_the_demo_is_complete_and_idempotent(db, knowledge_index):
    demo_load(write=lambda line: None)
    from serviceloop.core.models import Organisation, User

    ecl = Organisation.objects.get(short_name="ECL")
    vpn = Service.objects.create(code="vpn", name="VPN", status="live")
    vpn.customers.set([ecl])
    Service.objects.create(code="erp", name="ERP", status="live")
    requester = User.objects.get(username="ecl.user")
    for _ in range(3):
        TicketFactory(organisation=ecl, requester=requester, title="VPN 无法连接")
    lead = User.objects.get(username="lead")
    problem_create(
        actor=lead,
        title="Outlook 反复要求输入密码 Outlook keeps asking for the password",
        now=timezone.now() - datetime.timedelta(days=30),
    )

    assert support_demo.demo_records(write=lambda line: None) == len(ARTICLES) == 15
    assert support_demo.demo_records(write=lambda line: None) == 0

    articles = Article.objects.all()
    assert articles.count() == 15
    statuses = set(articles.values_list("status", flat=True))
    assert statuses == {"draft", "in_review", "published", "retired"}
    assert articles.review_overdue().count() == 3
    assert articles.filter(audience=Audience.INTERNAL).exists()
    assert any(a.has_pending_revision for a in articles)
    assert ArticleFeedback.objects.count() >= 5
    assert ArticleTicketLink.objects.filter(used_to_resolve=True).count() == 2
    assert ArticleProblemLink.objects.filter(used_to_resolve=True).count() == 1
    assert Article.objects.get(title="VPN 无法连接怎么办").services.get() == vpn
    # customers of ECL find the VPN article; MDU, not entitled to the VPN, does not
    ecl_user = User.objects.get(username="ecl.user")
    mdu_user = User.objects.get(username="mdu.user")
    assert "VPN 无法连接怎么办" in [a.title for a in search_articles(ecl_user, "VPN 连接")]
    assert "VPN 无法连接怎么办" not in [a.title for a in search_articles(mdu_user, "VPN 连接")]
    assert not Article.objects.filter(status=ArticleStatus.RETIRED).readable().exists()
