"""The knowledge base (clause 7.6): articles and their versions, categories, reader feedback,
links to tickets and problems, and the search document each article is found by.

An article's *status* is the state of its newest version (draft, in review, published) or
"retired" for the whole article. Readers see ``published_version``: the newest version that
was published. So while a revision of a published article is a draft or in review, readers
keep the published text; retiring the article hides it. The lifecycle is declared as data
(``ARTICLE_TRANSITIONS``); ``article_transition`` is the one way to move an article.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "ARTICLE_TRANSITIONS",
    "Article",
    "ArticleFeedback",
    "ArticleProblemLink",
    "ArticleQuerySet",
    "ArticleSearchDocument",
    "ArticleStatus",
    "ArticleTicketLink",
    "ArticleTransition",
    "ArticleVersion",
    "Audience",
    "KNOWLEDGE_AUTHOR",
    "KNOWLEDGE_PUBLISHER",
    "KnowledgeCategory",
    "article_transition_for",
    "article_transitions_from",
]


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    INTERNAL = "internal", _("Internal (staff)")
    CUSTOMERS = "customers", _("Customers")


# Who moves an article: ``author`` is staff who may write articles (the operate capability),
# ``publisher`` who may also publish them (see services_knowledge.knowledge_may_publish).
KNOWLEDGE_AUTHOR, KNOWLEDGE_PUBLISHER = "author", "publisher"


@dataclass(frozen=True)
class ArticleTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]


def _at(source, target, label, *who):
    return ArticleTransition(source, target, label, frozenset(who))


S = ArticleStatus
ARTICLE_TRANSITIONS: tuple[ArticleTransition, ...] = (
    _at(S.DRAFT, S.IN_REVIEW, _("Submit for review"), KNOWLEDGE_AUTHOR, KNOWLEDGE_PUBLISHER),
    _at(S.IN_REVIEW, S.DRAFT, _("Back to draft"), KNOWLEDGE_AUTHOR, KNOWLEDGE_PUBLISHER),
    _at(S.IN_REVIEW, S.PUBLISHED, _("Publish"), KNOWLEDGE_PUBLISHER),
    *(
        _at(source, S.RETIRED, _("Retire"), KNOWLEDGE_PUBLISHER)
        for source in (S.DRAFT, S.IN_REVIEW, S.PUBLISHED)
    ),
)


def article_transition_for(source: str, target: str, role: str | None) -> ArticleTransition | None:
    """The declared move from ``source`` to ``target`` that ``role`` may make, if any."""
    for t in ARTICLE_TRANSITIONS:
        if t.source == source and t.target == target and role in t.who:
            return t
    return None


def article_transitions_from(source: str, role: str | None) -> list[ArticleTransition]:
    """The moves ``role`` may make from ``source``, in declaration order."""
    return [t for t in ARTICLE_TRANSITIONS if t.source == source and role in t.who]


class KnowledgeCategory(models.Model):
    """A free list of article categories, kept by the knowledge authors."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def readable(self):
        """Articles with a published version that are not retired: what readers see."""
        return self.filter(published_version__isnull=False).exclude(status=ArticleStatus.RETIRED)

    def visible_to(self, user):
        """Staff see every article. A customer sees readable articles for customers that
        name no service, or a live service his organisation is entitled to."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        from serviceloop.portfolio.models import ServiceStatus

        through = Article.services.through.objects.filter(article_id=OuterRef("pk"))
        entitled = through.filter(
            service__status=ServiceStatus.LIVE, service__customers=user.organisation_id
        )
        return (
            self.readable()
            .filter(audience=Audience.CUSTOMERS)
            .filter(~Exists(through) | Exists(entitled))
        )

    def review_overdue(self, today: datetime.date | None = None):
        """Articles (not retired) whose review date has passed."""
        today = today or timezone.localdate()
        return self.exclude(status=ArticleStatus.RETIRED).filter(review_due__lt=today)


class Article(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    # The newest version's title, kept here for lists and sorting (staff see the newest).
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.INTERNAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_articles",
    )
    review_due = models.DateField(_("next review"))
    categories = models.ManyToManyField(
        KnowledgeCategory, verbose_name=_("categories"), blank=True, related_name="articles"
    )
    services = models.ManyToManyField(
        "portfolio.Service",
        verbose_name=_("services"),
        blank=True,
        related_name="knowledge_articles",
    )
    current_version = models.ForeignKey(
        "support.ArticleVersion",
        verbose_name=_("newest version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_version = models.ForeignKey(
        "support.ArticleVersion",
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    first_published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="article_status_recent"),
            models.Index(fields=["review_due"], name="article_review_due"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_readable(self) -> bool:
        return self.published_version_id is not None and self.status != ArticleStatus.RETIRED

    @property
    def is_review_overdue(self) -> bool:
        return self.status != ArticleStatus.RETIRED and self.review_due < timezone.localdate()

    @property
    def has_pending_revision(self) -> bool:
        """A newer version than the published one is being written or reviewed."""
        return (
            self.published_version_id is not None
            and self.current_version_id != self.published_version_id
            and self.status != ArticleStatus.RETIRED
        )


class ArticleVersion(models.Model):
    """One version of an article's text. A version is edited in place while it is a draft or
    in review; once published it never changes (an edit makes the next version)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)  # sanitised HTML (core.sanitise.clean_html)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self):
        return f"{self.article_id} v{self.number}"


class ArticleFeedback(models.Model):
    """ "Was this helpful?": one answer per reader and version (a reader may change it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("given"))
    updated_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="article_feedback_once")
        ]

    def __str__(self):
        return f"{self.version_id} {self.user_id} {'+' if self.helpful else '-'}"


class ArticleLinkBase(models.Model):
    """What a link to an operational record holds: who linked it, and whether the article
    was used to resolve it (the knowledge-use figure: ``queries_knowledge``)."""

    used_to_resolve = models.BooleanField(_("used to resolve"), default=False)
    used_at = models.DateTimeField(_("marked as used"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class ArticleTicketLink(ArticleLinkBase):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="knowledge_links"
    )

    class Meta:
        ordering = ["-linked_at", "-id"]
        verbose_name = _("article–ticket link")
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket"], name="article_ticket_unique")
        ]
        indexes = [models.Index(fields=["used_to_resolve", "used_at"], name="article_ticket_used")]

    def __str__(self):
        return f"{self.article_id} ↔ ticket {self.ticket_id}"


class ArticleProblemLink(ArticleLinkBase):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="problem_links")
    problem = models.ForeignKey(
        "desk.Problem", on_delete=models.CASCADE, related_name="knowledge_links"
    )

    class Meta:
        ordering = ["-linked_at", "-id"]
        verbose_name = _("article–problem link")
        constraints = [
            models.UniqueConstraint(fields=["article", "problem"], name="article_problem_unique")
        ]
        indexes = [models.Index(fields=["used_to_resolve", "used_at"], name="article_problem_used")]

    def __str__(self):
        return f"{self.article_id} ↔ problem {self.problem_id}"


class ArticleSearchDocument(models.Model):
    """Space-separated, lower-cased jieba tokens of an article (``search_knowledge``).

    The published version fills the first two columns (what customers may match); a newer
    draft or in-review version, staff only, fills the last two. The full-text index over
    these columns is created by ``search_knowledge.forwards`` (FTS5 or a tsvector column).
    """

    # The article id is the primary key: it is the FTS5 rowid on SQLite.
    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    title_tokens = models.TextField(blank=True)  # reference and published title
    body_tokens = models.TextField(blank=True)  # published text, categories and services
    draft_title_tokens = models.TextField(blank=True)  # a newer unpublished version (staff)
    draft_body_tokens = models.TextField(blank=True)
    updated_at = models.DateTimeField(_("indexed"))

    class Meta:
        verbose_name = _("article search document")
        verbose_name_plural = _("article search documents")

    def __str__(self):
        return f"search document of article {self.article_id}"
