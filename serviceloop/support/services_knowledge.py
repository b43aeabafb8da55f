"""The knowledge base (clause 7.6): every write, and who may do what.

Who may do what (declared once here; the views and the API ask these functions):

- **read**: staff read every article; a customer reads articles published for customers
  that name no service or a live service his organisation is entitled to (others: 404).
- **write** (create, edit, submit for review, link to tickets and problems, categories):
  staff with the *operate* capability, and publishers.
- **publish** (publish, retire, change the audience or services of a readable article,
  edit a published article in place): staff with the *lead* or *manage system* capability,
  or the article's owner when he leads an active team. Read-only staff (auditors, top
  management) get 403 on every write.
- **feedback**: anyone who reads a published article, except read-only staff.

Editing: while an article's newest version is a draft or in review it is edited in place.
An edit of the title or text of a *published* article makes a new version: a publisher's
edit is published at once; an author's edit becomes a draft revision (the published version
stays what readers see until the revision is published). Versions are never deleted.

Each service validates, writes the change, refreshes the article's search document and
appends one audit row, in one transaction; bad input raises ValidationError (nothing
written), a missing right PermissionDenied.

This module holds the rights, articles, categories and review reminders; readers' feedback
is in ``services_knowledge_feedback``, links to tickets and problems in
``services_knowledge_links``.
"""

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.sanitise import clean_html
from serviceloop.support.models import (
    KNOWLEDGE_AUTHOR,
    KNOWLEDGE_PUBLISHER,
    Article,
    ArticleStatus,
    ArticleVersion,
    Audience,
    KnowledgeCategory,
    article_transition_for,
)
from serviceloop.support.record_writing import (
    pks_sorted,
    record_lock,
    record_touch,
    reminders_send,
    text_clean,
)
from serviceloop.support.search_knowledge import article_index

REVIEW_INTERVAL = datetime.timedelta(days=365)
BODY_LIMIT = 200_000
TITLE_LIMIT = 200
NOTE_LIMIT = 300
COMMENT_LIMIT = 2_000
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")

# --- Who may do what -----------------------------------------------------------------------


def knowledge_may_write(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.has_capability(Capability.OPERATE)
            or user.has_capability(Capability.LEAD)
            or user.has_capability(Capability.MANAGE_SYSTEM)
        )
    )


def knowledge_may_publish(user, article: Article | None = None) -> bool:
    """Publishers: the lead or manage-system capability; or, for ``article``, its owner when
    he works operational records and leads an active team."""
    if not knowledge_may_write(user):
        return False
    if user.has_capability(Capability.LEAD) or user.has_capability(Capability.MANAGE_SYSTEM):
        return True
    return (
        article is not None
        and article.owner_id == user.pk
        and Team.objects.filter(lead=user, is_active=True).exists()
    )


def knowledge_role(user, article: Article | None = None) -> str | None:
    """``publisher``, ``author`` or None (readers and read-only staff)."""
    if knowledge_may_publish(user, article):
        return KNOWLEDGE_PUBLISHER
    if knowledge_may_write(user):
        return KNOWLEDGE_AUTHOR
    return None


def knowledge_may_give_feedback(user) -> bool:
    """Readers answer "was this helpful?"; read-only staff do not write anything."""
    if not (user.is_authenticated and user.is_active):
        return False
    return not user.has_capability(Capability.STAFF) or knowledge_may_write(user)


def get_article_for(user, reference: str, *, write: bool = False) -> Article:
    """The article by reference if the user may see it (else 404); with ``write``, 403
    unless the user may write articles."""
    try:
        article = (
            Article.objects.visible_to(user)
            .select_related("owner", "current_version", "published_version", "created_by")
            .get(reference=reference)
        )
    except (Article.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if write and not knowledge_may_write(user):
        raise PermissionDenied
    return article


def get_category_for(user, pk, *, write: bool = False) -> KnowledgeCategory:
    if not user.is_authenticated or not user.has_capability(Capability.STAFF):
        raise Http404
    try:
        category = KnowledgeCategory.objects.get(pk=pk)
    except (KnowledgeCategory.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write and not knowledge_may_write(user):
        raise PermissionDenied
    return category


def _require_write(user) -> None:
    if not knowledge_may_write(user):
        raise PermissionDenied


# --- Validation ----------------------------------------------------------------------------


def body_clean(body: str) -> str:
    """The stored form of an article's text: sanitised HTML. Text without any HTML tag is
    taken as plain text (paragraphs and line breaks kept, everything escaped)."""
    body = (body or "").strip()
    if not body:
        return ""
    if not HTML_TAG.search(body):
        body = linebreaks(body, autoescape=True)
    return clean_html(body).strip()


def _clean_owner(owner, errors: dict):
    if owner is None:
        errors["owner"] = _("An article needs an owner.")
    elif not (owner.is_active and knowledge_may_write(owner)):
        errors["owner"] = _("The owner must be an active member of staff who writes articles.")
    return owner


def _clean_review_due(value, errors: dict, *, today: datetime.date):
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors["review_due"] = _("Enter the date of the next review.")
        return value
    if value < today:
        errors["review_due"] = _("The next review cannot be in the past.")
    return value


def _clean_audience(value, errors: dict) -> str:
    if value not in Audience.values:
        errors["audience"] = _("Choose who may read the article.")
    return value


def _content(title, body, errors: dict) -> tuple[str, str]:
    title = text_clean(title, "title", errors, limit=TITLE_LIMIT)
    if not title and "title" not in errors:
        errors["title"] = _("Give the article a title.")
    if body is not None and not isinstance(body, str):
        errors["body"] = _("Enter text.")
        body = ""
    if len(body or "") > BODY_LIMIT:
        errors["body"] = _("Keep it under %(n)d characters.") % {"n": BODY_LIMIT}
    body = body_clean(body or "")
    if not body and "body" not in errors:
        errors["body"] = _("Write the article's text.")
    return title, body


def _locked(article: Article, expected_version: int | None) -> Article:
    return record_lock(
        article,
        expected_version,
        _("Someone else changed this article meanwhile; check it and try again."),
    )


# --- Articles ----------------------------------------------------------------------------


def article_create(
    *,
    actor,
    title: str,
    body: str,
    audience: str = Audience.INTERNAL,
    owner: User | None = None,
    review_due: datetime.date | None = None,
    categories=(),
    services=(),
    change_note: str = "",
    now=None,
) -> Article:
    """Write a new article as a draft, version 1 (reference ``KB-YYYY-NNNNNN``). The owner
    defaults to the actor, the next review to a year from today."""
    now = now or timezone.now()
    _require_write(actor)
    today = timezone.localdate(now)
    errors: dict = {}
    title, body = _content(title, body, errors)
    change_note = text_clean(change_note, "change_note", errors, limit=NOTE_LIMIT)
    audience = _clean_audience(audience, errors)
    owner = _clean_owner(owner or actor, errors)
    review_due = _clean_review_due(review_due or today + REVIEW_INTERVAL, errors, today=today)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        article = Article.objects.create(
            reference=reference_allocate(kind="KB", year=today.year),
            title=title,
            audience=audience,
            owner=owner,
            review_due=review_due,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        version = ArticleVersion.objects.create(
            article=article,
            number=1,
            title=title,
            body=body,
            change_note=change_note,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        article.current_version = version
        article.save(update_fields=["current_version"])
        article.categories.set(categories)
        article.services.set(services)
        article_index(article)
        audit_record(
            actor=actor,
            verb="knowledge.article_created",
            obj=article,
            payload={
                "reference": article.reference,
                "title": title,
                "audience": audience,
                "owner": owner.pk,
                "review_due": review_due,
                "categories": pks_sorted(categories),
                "services": pks_sorted(services),
            },
        )
    return article


UNSET = object()


def article_update(
    *,
    actor,
    article: Article,
    title=UNSET,
    body=UNSET,
    change_note: str = "",
    audience=UNSET,
    owner=UNSET,
    review_due=UNSET,
    categories=UNSET,
    services=UNSET,
    expected_version: int | None = None,
    now=None,
) -> Article:
    """Change an article. Title and text: edited in place while the newest version is a
    draft or in review; on a published article a new version (published at once when the
    actor may publish, else a draft revision). Audience and services of a readable article
    only by a publisher (they change who reads it). Nothing is written when nothing changed.
    A retired article is final."""
    now = now or timezone.now()
    _require_write(actor)
    errors: dict = {}
    change_note = text_clean(change_note, "change_note", errors, limit=NOTE_LIMIT)
    with transaction.atomic():
        article = _locked(article, expected_version)
        if article.status == ArticleStatus.RETIRED:
            raise ValidationError(_("This article is retired; it can no longer change."))
        current = article.current_version
        new_title = current.title if title is UNSET else title
        new_body = current.body if body is UNSET else body
        new_title, new_body = _content(new_title, new_body, errors)
        meta = {}
        if audience is not UNSET:
            meta["audience"] = _clean_audience(audience, errors)
        if owner is not UNSET:
            meta["owner"] = _clean_owner(owner, errors)
        if review_due is not UNSET:
            today = timezone.localdate(now)
            if review_due != article.review_due:
                meta["review_due"] = _clean_review_due(review_due, errors, today=today)
        if errors:
            raise ValidationError(errors)
        may_publish = knowledge_may_publish(actor, article)
        changes: dict = {}
        for name, value in meta.items():
            old = getattr(article, f"{name}_id") if name == "owner" else getattr(article, name)
            new = value.pk if name == "owner" else value
            if old != new:
                changes[name] = [old, new]
                setattr(article, name, value)
        for name, given in (("categories", categories), ("services", services)):
            if given is UNSET:
                continue
            old, new = pks_sorted(getattr(article, name).all()), pks_sorted(given)
            if old != new:
                changes[name] = [old, new]
        if article.is_readable and not may_publish and ({"audience", "services"} & set(changes)):
            raise PermissionDenied(_("Only a publisher may change who reads a published article."))
        content_changed = new_title != current.title or new_body != current.body
        new_version = None
        if content_changed:
            if current.published_at is None:
                current.title, current.body, current.updated_at = new_title, new_body, now
                if change_note:
                    current.change_note = change_note
                current.save(update_fields=["title", "body", "updated_at", "change_note"])
            else:
                new_version = ArticleVersion.objects.create(
                    article=article,
                    number=current.number + 1,
                    title=new_title,
                    body=new_body,
                    change_note=change_note,
                    created_by=actor,
                    created_at=now,
                    updated_at=now,
                    published_at=now if may_publish else None,
                    published_by=actor if may_publish else None,
                )
                article.current_version = new_version
                if may_publish:
                    article.published_version = new_version
                    article.status = ArticleStatus.PUBLISHED
                else:
                    article.status = ArticleStatus.DRAFT
            article.title = new_title
            changes["content"] = {
                "version": article.current_version.number,
                "new_version": new_version is not None,
                "published": bool(new_version and may_publish),
            }
        if not changes:
            return article
        record_touch(article, now)
        for name, given in (("categories", categories), ("services", services)):
            if name in changes:
                getattr(article, name).set(given)
        article_index(article)
        audit_record(actor=actor, verb="knowledge.article_updated", obj=article, payload=changes)
    return article


def article_transition(
    *, actor, article: Article, target: str, expected_version: int | None = None, now=None
) -> Article:
    """Move the article along the declared lifecycle (``ARTICLE_TRANSITIONS``) if the actor's
    role allows it. Publishing makes the newest version the one readers see."""
    now = now or timezone.now()
    _require_write(actor)
    with transaction.atomic():
        article = _locked(article, expected_version)
        role = knowledge_role(actor, article)
        move = article_transition_for(article.status, target, role)
        if move is None:
            if article_transition_for(article.status, target, KNOWLEDGE_PUBLISHER) is not None:
                raise PermissionDenied(_("Only a publisher may do this."))
            source = ArticleStatus(article.status).label
            label = ArticleStatus(target).label if target in ArticleStatus.values else target
            raise ValidationError(
                {
                    "status": _("An article cannot go from “%(from)s” to “%(to)s”.")
                    % {"from": source, "to": label}
                }
            )
        source = article.status
        article.status = target
        version = article.current_version
        if target == ArticleStatus.PUBLISHED:
            version.published_at, version.published_by = now, actor
            version.save(update_fields=["published_at", "published_by"])
            article.published_version = version
            article.first_published_at = article.first_published_at or now
        elif target == ArticleStatus.RETIRED:
            article.retired_at = now
        record_touch(article, now)
        article_index(article)
        audit_record(
            actor=actor,
            verb="knowledge.article_transition",
            obj=article,
            payload={"from": source, "to": target, "version": version.number},
        )
    return article


def article_mark_reviewed(
    *, actor, article: Article, next_review: datetime.date | None = None, now=None
) -> Article:
    """Record that the article was reviewed and still holds: the next review date moves to
    ``next_review`` (default: a year from today). The owner or a publisher."""
    now = now or timezone.now()
    _require_write(actor)
    if actor.pk != article.owner_id and not knowledge_may_publish(actor, article):
        raise PermissionDenied(_("Only the owner or a publisher may confirm a review."))
    today = timezone.localdate(now)
    errors: dict = {}
    next_review = _clean_review_due(next_review or today + REVIEW_INTERVAL, errors, today=today)
    if next_review == today:
        errors["review_due"] = _("The next review must be after today.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        article = _locked(article, None)
        if article.status == ArticleStatus.RETIRED:
            raise ValidationError(_("This article is retired; it can no longer change."))
        old = article.review_due
        article.review_due = next_review
        article.last_reviewed_at = now
        record_touch(article, now)
        audit_record(
            actor=actor,
            verb="knowledge.article_reviewed",
            obj=article,
            payload={"review_due": [old, next_review]},
        )
    return article


# --- Categories --------------------------------------------------------------------------


def _category_fields(name, description, errors: dict) -> tuple[str, str]:
    name = text_clean(name, "name", errors, limit=120)
    if not name and "name" not in errors:
        errors["name"] = _("Give the category a name.")
    description = text_clean(description, "description", errors, limit=2000)
    return name, description


def category_create(*, actor, name: str, description: str = "") -> KnowledgeCategory:
    """Add a knowledge category (names are unique)."""
    _require_write(actor)
    errors: dict = {}
    name, description = _category_fields(name, description, errors)
    if name and KnowledgeCategory.objects.filter(name__iexact=name).exists():
        errors["name"] = _("A category with this name exists.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        category = KnowledgeCategory.objects.create(name=name, description=description)
        audit_record(
            actor=actor,
            verb="knowledge.category_created",
            obj=category,
            payload={"name": name},
        )
    return category


def category_update(
    *, actor, category: KnowledgeCategory, name=None, description=None, is_active=None
) -> KnowledgeCategory:
    """Rename, describe, or (de)activate a category; an inactive one is no longer offered."""
    _require_write(actor)
    errors: dict = {}
    new_name, new_description = _category_fields(
        category.name if name is None else name,
        category.description if description is None else description,
        errors,
    )
    if (
        new_name
        and KnowledgeCategory.objects.filter(name__iexact=new_name).exclude(pk=category.pk).exists()
    ):
        errors["name"] = _("A category with this name exists.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        category = KnowledgeCategory.objects.select_for_update(of=("self",)).get(pk=category.pk)
        changes = {}
        for field, value in (
            ("name", new_name),
            ("description", new_description),
            ("is_active", category.is_active if is_active is None else bool(is_active)),
        ):
            if getattr(category, field) != value:
                changes[field] = [getattr(category, field), value]
                setattr(category, field, value)
        if not changes:
            return category
        category.save()
        audit_record(actor=actor, verb="knowledge.category_updated", obj=category, payload=changes)
        if "name" in changes:
            for article in category.articles.all():
                article_index(article)
    return category


# --- Review reminders --------------------------------------------------------------------


def review_reminder_key(article: Article) -> str:
    return f"knowledge-review:{article.pk}:{article.review_due.isoformat()}"


def knowledge_review_remind(*, today: datetime.date | None = None) -> int:
    """Remind the owner of every article (not retired) whose review date has passed.

    Exactly once per article and review date: the notification's dedupe key names both, and
    no second reminder is sent for that key even if the owner changed meanwhile (the
    database's unique key settles a race between two workers). Confirming the review or
    changing the date sets a new date, which is reminded of in its turn. Returns the number
    of reminders sent."""
    today = today or timezone.localdate()
    return reminders_send(
        Article.objects.review_overdue(today).select_related("owner").order_by("pk"),
        key=review_reminder_key,
        recipient=lambda article: article.owner,
        kind="knowledge_review_due",
        context=lambda article: {"article": article, "review_due": article.review_due},
        url=lambda article: reverse("knowledge_detail", args=[article.reference]),
        verb="knowledge.review_reminded",
        payload=lambda article: {"owner": article.owner_id, "review_due": article.review_due},
    )
