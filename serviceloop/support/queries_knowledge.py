"""Named reads of the knowledge base: the article list, the readers' list, and the
knowledge-use figure (articles used to resolve incidents and problems) for the KPIs."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from serviceloop.support.models import (
    Article,
    ArticleProblemLink,
    ArticleTicketLink,
)


def articles_for_list(
    user,
    *,
    status: str = "",
    audience: str = "",
    category=None,
    service=None,
    overdue: bool = False,
    today: datetime.date | None = None,
) -> QuerySet:
    """The articles ``user`` may see, filtered, with their owner, versions, categories,
    services and feedback counts loaded (a fixed number of queries for any page)."""
    articles = Article.objects.visible_to(user)
    if status:
        articles = articles.filter(status=status)
    if audience:
        articles = articles.filter(audience=audience)
    if category is not None:
        articles = articles.filter(categories=category)
    if service is not None:
        articles = articles.filter(services=service)
    if overdue:
        articles = articles.review_overdue(today)
    return (
        articles.select_related("owner", "current_version", "published_version")
        .prefetch_related("categories", "services")
        .annotate(
            helpful_yes=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
            helpful_no=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
        )
        .order_by("-updated_at", "-id")
    )


def articles_for_readers(user, *, category=None) -> QuerySet:
    """What the portal lists: the readable articles ``user`` may see, newest first."""
    articles = Article.objects.visible_to(user).readable()
    if category is not None:
        articles = articles.filter(categories=category)
    return (
        articles.select_related("published_version")
        .prefetch_related("categories", "services")
        .order_by("-published_version__published_at", "-id")
    )


def ticket_article_links(ticket) -> QuerySet:
    return ArticleTicketLink.objects.filter(ticket=ticket).select_related(
        "article__published_version", "article__current_version", "linked_by", "used_by"
    )


@dataclass(frozen=True)
class KnowledgeUse:
    """How often one article was marked as used to resolve in a period."""

    article_id: int
    reference: str
    title: str
    tickets: int
    problems: int

    @property
    def total(self) -> int:
        return self.tickets + self.problems


def knowledge_use_counts(start: datetime.datetime, end: datetime.datetime) -> list[KnowledgeUse]:
    """Per article, the links to tickets and to problems marked "used to resolve" in
    ``[start, end)`` (by the instant they were marked), most used first; articles never
    marked in the period are left out. Aware datetimes (naive ones are taken in TIME_ZONE).
    Two grouped queries, whatever the number of links."""
    start, end = _aware(start), _aware(end)
    tickets = dict(
        ArticleTicketLink.objects.filter(used_to_resolve=True, used_at__gte=start, used_at__lt=end)
        .values("article_id")
        .annotate(n=Count("id"))
        .values_list("article_id", "n")
    )
    problems = dict(
        ArticleProblemLink.objects.filter(used_to_resolve=True, used_at__gte=start, used_at__lt=end)
        .values("article_id")
        .annotate(n=Count("id"))
        .values_list("article_id", "n")
    )
    ids = set(tickets) | set(problems)
    if not ids:
        return []
    articles = Article.objects.filter(pk__in=ids).values_list("pk", "reference", "title")
    uses = [
        KnowledgeUse(pk, reference, title, tickets.get(pk, 0), problems.get(pk, 0))
        for pk, reference, title in articles
    ]
    uses.sort(key=lambda use: (-use.total, use.reference))
    return uses


def knowledge_use_total(start: datetime.datetime, end: datetime.datetime) -> int:
    """The number of tickets and problems resolved with a knowledge article in the period."""
    return sum(use.total for use in knowledge_use_counts(start, end))


def _aware(value: datetime.datetime) -> datetime.datetime:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    return value if timezone.is_aware(value) else timezone.make_aware(value)
