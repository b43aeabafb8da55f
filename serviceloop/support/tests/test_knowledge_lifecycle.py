"""Articles: the declared lifecycle, versions, who may publish, sanitised text, audit rows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.core.tests.factories import TeamFactory
from serviceloop.support import services_knowledge as services
from serviceloop.support.models import (
    ARTICLE_TRANSITIONS,
    Article,
    ArticleStatus,
    ArticleVersion,
    Audience,
)

S = ArticleStatus


def verbs(article):
    return list(
        AuditEvent.objects.filter(object_type="support.article", object_id=str(article.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_the_lifecycle_is_declared_as_data():
    moves = {(t.source, t.target): t.who for t in ARTICLE_TRANSITIONS}

    assert moves[(S.DRAFT, S.IN_REVIEW)] == {"author", "publisher"}
    assert moves[(S.IN_REVIEW, S.DRAFT)] == {"author", "publisher"}
    assert moves[(S.IN_REVIEW, S.PUBLISHED)] == {"publisher"}
    assert moves[(S.PUBLISHED, S.RETIRED)] == {"publisher"}
    assert (S.DRAFT, S.PUBLISHED) not in moves  # a draft is reviewed before it is published
    assert not [t for t in ARTICLE_TRANSITIONS if t.source == S.RETIRED]  # retired is final


def test_an_article_goes_from_draft_through_review_to_published_and_retired(people, kb):
    article = kb.article(publish=False)

    assert article.reference.startswith(f"KB-{timezone.localdate().year}-")
    assert article.status == S.DRAFT and article.current_version.number == 1
    assert article.published_version is None and not article.is_readable

    services.article_transition(actor=people.agent, article=article, target=S.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        services.article_transition(actor=people.agent, article=article, target=S.PUBLISHED)
    article = services.article_transition(actor=people.lead, article=article, target=S.PUBLISHED)

    assert article.status == S.PUBLISHED and article.is_readable
    assert article.published_version.number == 1
    assert article.published_version.published_by == people.lead
    assert article.first_published_at is not None

    article = services.article_transition(actor=people.admin, article=article, target=S.RETIRED)

    assert article.status == S.RETIRED and not article.is_readable and article.retired_at
    with pytest.raises(ValidationError):
        services.article_transition(actor=people.admin, article=article, target=S.PUBLISHED)
    with pytest.raises(ValidationError):
        services.article_update(actor=people.admin, article=article, title="Changed")
    assert verbs(article) == [
        "knowledge.article_created",
        "knowledge.article_transition",
        "knowledge.article_transition",
        "knowledge.article_transition",
    ]


def test_a_move_the_lifecycle_does_not_declare_is_refused(people, kb):
    article = kb.article(publish=False)

    with pytest.raises(ValidationError) as error:
        services.article_transition(actor=people.lead, article=article, target=S.PUBLISHED)

    assert "status" in error.value.message_dict
    assert Article.objects.get(pk=article.pk).status == S.DRAFT


def test_editing_a_draft_changes_its_version_in_place(people, kb):
    article = kb.article(publish=False)

    article = services.article_update(
        actor=people.agent, article=article, title="打印机卡纸 Paper jam", body="New text"
    )

    assert ArticleVersion.objects.filter(article=article).count() == 1
    assert article.current_version.title == "打印机卡纸 Paper jam"
    assert article.title == "打印机卡纸 Paper jam"
    assert article.current_version.body == "<p>New text</p>"


def test_an_authors_edit_of_a_published_article_is_a_draft_revision(people, kb):
    article = kb.article()

    article = services.article_update(
        actor=people.agent, article=article, body="<p>更新的步骤</p>", change_note="new steps"
    )

    assert article.status == S.DRAFT and article.has_pending_revision
    assert article.current_version.number == 2 and article.current_version.published_at is None
    assert article.published_version.number == 1  # readers keep version 1
    assert article.is_readable
    assert article.current_version.change_note == "new steps"

    services.article_transition(actor=people.agent, article=article, target=S.IN_REVIEW)
    article = services.article_transition(actor=people.lead, article=article, target=S.PUBLISHED)

    assert article.published_version.number == 2 and not article.has_pending_revision
    versions = list(article.versions.order_by("number").values_list("number", "published_at"))
    assert [n for n, _ in versions] == [1, 2] and all(at for _, at in versions)


def test_a_publishers_edit_of_a_published_article_is_a_new_published_version(people, kb):
    article = kb.article()

    article = services.article_update(actor=people.lead, article=article, title="Printer help")

    assert article.status == S.PUBLISHED
    assert article.current_version.number == 2
    assert article.published_version_id == article.current_version_id
    assert list(article.versions.values_list("number", flat=True)) == [2, 1]  # kept
    assert ArticleVersion.objects.get(article=article, number=1).title.startswith("打印机")
    assert verbs(article)[-1] == "knowledge.article_updated"


def test_metadata_changes_make_no_new_version_and_nothing_changed_writes_nothing(people, kb):
    article = kb.article()
    before = len(verbs(article))

    article = services.article_update(
        actor=people.agent,
        article=article,
        categories=[kb.devices],
        review_due=timezone.localdate() + datetime.timedelta(days=30),
    )
    services.article_update(actor=people.agent, article=article, categories=[kb.devices])

    assert article.versions.count() == 1
    assert list(article.categories.all()) == [kb.devices]
    assert len(verbs(article)) == before + 1


def test_only_a_publisher_changes_who_reads_a_published_article(people, kb):
    article = kb.article(audience=Audience.CUSTOMERS)

    with pytest.raises(PermissionDenied):
        services.article_update(actor=people.agent, article=article, audience=Audience.INTERNAL)
    with pytest.raises(PermissionDenied):
        services.article_update(actor=people.agent, article=article, services=[kb.erp])

    article = services.article_update(actor=people.lead, article=article, services=[kb.erp])
    assert list(article.services.all()) == [kb.erp]


def test_who_may_publish(people, kb):
    article = kb.article(publish=False)

    assert services.knowledge_may_publish(people.lead)
    assert services.knowledge_may_publish(people.admin)
    assert services.knowledge_may_publish(people.owner)  # manage system
    assert not services.knowledge_may_publish(people.agent, article)
    assert not services.knowledge_may_publish(people.auditor)
    assert not services.knowledge_may_write(people.top)
    assert not services.knowledge_may_write(people.a_manager)

    # An agent who owns the article and leads an active team publishes it.
    TeamFactory(organisation=people.provider, lead=people.agent)
    services.article_transition(actor=people.agent, article=article, target=S.IN_REVIEW)
    article = services.article_transition(actor=people.agent, article=article, target=S.PUBLISHED)
    assert article.status == S.PUBLISHED


def test_read_only_staff_and_customers_may_not_write(people, kb):
    article = kb.article()
    for user in (people.auditor, people.top, people.a_manager):
        with pytest.raises(PermissionDenied):
            services.article_create(actor=user, title="x", body="y")
        with pytest.raises(PermissionDenied):
            services.article_update(actor=user, article=article, title="x")
        with pytest.raises(PermissionDenied):
            services.article_transition(actor=user, article=article, target=S.RETIRED)


def test_the_text_is_sanitised_and_plain_text_keeps_its_paragraphs(people, kb):
    article = kb.article(
        publish=False,
        body='<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">l</a></p>',
    )
    body = article.current_version.body

    assert "script" not in body and "onclick" not in body and "javascript" not in body
    assert body.startswith("<p>Hi")

    plain = kb.article(publish=False, body="第一段 1 < 2 & 3\n\n第二段\n第三行")
    assert plain.current_version.body == "<p>第一段 1 &lt; 2 &amp; 3</p>\n\n<p>第二段<br>第三行</p>"


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "   "}, "body"),
        ({"audience": "everyone"}, "audience"),
        ({"review_due": datetime.date(2000, 1, 1)}, "review_due"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(people, kb, fields, error_field):
    data = {"title": "VPN", "body": "text", **fields}

    with pytest.raises(ValidationError) as error:
        services.article_create(actor=people.agent, **data)

    assert error_field in error.value.message_dict
    assert not Article.objects.exists()


def test_the_owner_must_write_articles(people, kb):
    with pytest.raises(ValidationError) as error:
        services.article_create(actor=people.agent, title="t", body="b", owner=people.a_user)

    assert "owner" in error.value.message_dict


def test_a_stale_version_is_refused(people, kb):
    article = kb.article(publish=False)
    stale = article.version
    services.article_update(actor=people.agent, article=article, title="first change")

    with pytest.raises(ValidationError) as error:
        services.article_update(
            actor=people.lead, article=article, title="second", expected_version=stale
        )

    assert error.value.error_list[0].code == "stale"
    assert Article.objects.get(pk=article.pk).title == "first change"
