"""Review dates: an article whose review date has passed is flagged on the lists and on its
page, and its owner is reminded by the daily task exactly once per review date."""

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.support import services_knowledge as services
from serviceloop.support.models import Article, ArticleStatus
from serviceloop.support.tasks_knowledge import knowledge_review_reminders

DAY = datetime.timedelta(days=1)


def overdue_article(kb, *, days=3, **kwargs):
    """An article written a year ago whose review fell due ``days`` ago."""
    today = timezone.localdate()
    written = timezone.now() - datetime.timedelta(days=400)
    article = kb.services.article_create(
        actor=kwargs.pop("author"),
        title=kwargs.pop("title", "VPN 设置"),
        body="步骤",
        review_due=today - datetime.timedelta(days=days),
        now=written,
        **kwargs,
    )
    return Article.objects.get(pk=article.pk)


def test_a_passed_review_date_flags_the_article(people, kb, client_for):
    late = overdue_article(kb, author=people.agent)
    fresh = kb.article()

    assert late.is_review_overdue and not fresh.is_review_overdue
    assert list(Article.objects.review_overdue()) == [late]

    client = client_for(people.agent)
    listing = client.get(reverse("knowledge_list")).content.decode()
    only_overdue = client.get(reverse("knowledge_list"), {"overdue": "on"})
    page = client.get(reverse("knowledge_detail", args=[late.reference])).content.decode()

    assert f'class="table-warning" data-reference="{late.reference}"' in listing
    assert listing.count('data-testid="review-overdue"') == 1
    assert [a.reference for a in only_overdue.context["page"]] == [late.reference]
    assert 'data-testid="review-overdue-alert"' in page


def test_the_owner_is_reminded_exactly_once_per_review_date(
    people, kb, django_capture_on_commit_callbacks
):
    late = overdue_article(kb, author=people.agent, owner=people.lead)
    overdue_article(kb, author=people.agent, title="retired", days=10)
    Article.objects.filter(title="retired").update(status=ArticleStatus.RETIRED)

    with django_capture_on_commit_callbacks(execute=True):
        first = knowledge_review_reminders.call_local()
        second = knowledge_review_reminders.call_local()
        third = services.knowledge_review_remind(today=timezone.localdate() + DAY)

    assert (first, second, third) == (1, 0, 0)
    reminders = Notification.objects.filter(kind="knowledge_review_due")
    assert [n.recipient for n in reminders] == [people.lead]
    assert late.reference in reminders[0].subject
    assert reminders[0].url == reverse("knowledge_detail", args=[late.reference])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [people.lead.email]
    assert AuditEvent.objects.filter(verb="knowledge.review_reminded").count() == 1


def test_a_new_owner_is_not_reminded_again_for_the_same_date(people, kb):
    late = overdue_article(kb, author=people.agent)
    assert services.knowledge_review_remind() == 1

    services.article_update(actor=people.agent, article=late, owner=people.lead)

    assert services.knowledge_review_remind() == 0


def test_confirming_the_review_sets_the_next_date_which_is_reminded_in_its_turn(people, kb):
    late = overdue_article(kb, author=people.agent)
    assert services.knowledge_review_remind() == 1

    next_review = timezone.localdate() + datetime.timedelta(days=90)
    late = services.article_mark_reviewed(actor=people.agent, article=late, next_review=next_review)

    assert late.review_due == next_review and not late.is_review_overdue
    assert late.last_reviewed_at is not None
    assert services.knowledge_review_remind() == 0
    assert services.knowledge_review_remind(today=next_review + DAY) == 1
    assert Notification.objects.filter(kind="knowledge_review_due").count() == 2


def test_only_the_owner_or_a_publisher_confirms_a_review(people, kb, client_for):
    late = overdue_article(kb, author=people.lead)  # owned by the lead

    response = client_for(people.agent).post(reverse("knowledge_reviewed", args=[late.reference]))
    assert response.status_code == 403
    auditor = client_for(people.auditor).post(reverse("knowledge_reviewed", args=[late.reference]))
    assert auditor.status_code == 403

    response = client_for(people.lead).post(reverse("knowledge_reviewed", args=[late.reference]))
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.review_due == timezone.localdate() + services.REVIEW_INTERVAL
