"""The knowledge base (clause 7.6), continued: links from articles to desk tickets and to
problems or known errors, and marking a link as "used to resolve" (the knowledge-use
figure counts those). Staff with the *operate* capability link (``knowledge_may_link``);
each write appends one audit row in its transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.roles import Capability
from serviceloop.support.models import (
    Article,
    ArticleProblemLink,
    ArticleStatus,
    ArticleTicketLink,
)


def knowledge_may_link(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.OPERATE))


def _link(model, *, actor, article, target_field: str, target, used_to_resolve: bool, now):
    if not knowledge_may_link(actor):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        article = Article.objects.select_for_update(of=("self",)).get(pk=article.pk)
        if article.status == ArticleStatus.RETIRED:
            raise ValidationError(_("A retired article cannot be linked."))
        lookup = {"article": article, target_field: target}
        link = model.objects.select_for_update(of=("self",)).filter(**lookup).first()
        created = link is None
        if created:
            try:
                with transaction.atomic():
                    link = model.objects.create(**lookup, linked_at=now, linked_by=actor)
            except IntegrityError:  # linked a moment ago by someone else
                link = model.objects.get(**lookup)
                created = False
        if used_to_resolve and not link.used_to_resolve:
            link.used_to_resolve, link.used_at, link.used_by = True, now, actor
            link.save(update_fields=["used_to_resolve", "used_at", "used_by"])
        elif not created:
            return link, False
        audit_record(
            actor=actor,
            verb=f"knowledge.{target_field}_linked",
            obj=article,
            payload={
                target_field: target.reference,
                "created": created,
                "used_to_resolve": link.used_to_resolve,
            },
        )
    return link, created


def article_link_ticket(
    *, actor, article: Article, ticket, used_to_resolve: bool = False, now=None
) -> tuple[ArticleTicketLink, bool]:
    """Link the article to a desk ticket (once); with ``used_to_resolve`` also mark it as
    used to resolve the ticket. Returns (link, created)."""
    return _link(
        ArticleTicketLink,
        actor=actor,
        article=article,
        target_field="ticket",
        target=ticket,
        used_to_resolve=used_to_resolve,
        now=now,
    )


def article_link_problem(
    *, actor, article: Article, problem, used_to_resolve: bool = False, now=None
) -> tuple[ArticleProblemLink, bool]:
    """Link the article to a problem or known error (once); see ``article_link_ticket``."""
    return _link(
        ArticleProblemLink,
        actor=actor,
        article=article,
        target_field="problem",
        target=problem,
        used_to_resolve=used_to_resolve,
        now=now,
    )


def _link_target(link):
    return (
        ("ticket", link.ticket)
        if isinstance(link, ArticleTicketLink)
        else (
            "problem",
            link.problem,
        )
    )


def article_link_mark_used(*, actor, link, used: bool, now=None):
    """Mark (or unmark) a link as "used to resolve": the knowledge-use figure counts marked
    links by the time they were marked."""
    if not knowledge_may_link(actor):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        link = (
            type(link)
            .objects.select_for_update(of=("self",))
            .select_related("article")
            .get(pk=link.pk)
        )
        if link.used_to_resolve == bool(used):
            return link
        link.used_to_resolve = bool(used)
        link.used_at, link.used_by = (now, actor) if used else (None, None)
        link.save(update_fields=["used_to_resolve", "used_at", "used_by"])
        kind, target = _link_target(link)
        audit_record(
            actor=actor,
            verb="knowledge.link_used" if used else "knowledge.link_unused",
            obj=link.article,
            payload={kind: target.reference},
        )
    return link


def article_unlink(*, actor, link) -> None:
    """Remove a link. A link marked as used to resolve is evidence for the knowledge-use
    figure: unmark it first."""
    if not knowledge_may_link(actor):
        raise PermissionDenied
    with transaction.atomic():
        link = (
            type(link)
            .objects.select_for_update(of=("self",))
            .select_related("article")
            .get(pk=link.pk)
        )
        if link.used_to_resolve:
            raise ValidationError(
                _("This link is marked as used to resolve; unmark it before removing it.")
            )
        kind, target = _link_target(link)
        article = link.article
        link.delete()
        audit_record(
            actor=actor,
            verb=f"knowledge.{kind}_unlinked",
            obj=article,
            payload={kind: target.reference},
        )
