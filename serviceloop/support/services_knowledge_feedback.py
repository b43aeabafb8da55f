"""The knowledge base (clause 7.6), continued: readers' "Was this helpful?" on an article's
published version, and the answers counted per version. Who may give feedback is declared in
``services_knowledge`` (``knowledge_may_give_feedback``); the write appends one audit row in
its transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.support.models import Article, ArticleFeedback
from serviceloop.support.record_writing import text_clean
from serviceloop.support.services_knowledge import COMMENT_LIMIT, knowledge_may_give_feedback


def article_feedback_give(
    *, actor, article: Article, helpful: bool, comment: str = "", now=None
) -> ArticleFeedback:
    """ "Was this helpful?" on the article's published version: one answer per reader and
    version; answering again changes the reader's answer."""
    now = now or timezone.now()
    if not knowledge_may_give_feedback(actor):
        raise PermissionDenied
    if not isinstance(helpful, bool):
        raise ValidationError({"helpful": _("Answer yes or no.")})
    errors: dict = {}
    comment = text_clean(comment, "comment", errors, limit=COMMENT_LIMIT)
    if errors:
        raise ValidationError(errors)
    if not Article.objects.visible_to(actor).filter(pk=article.pk).exists():
        raise PermissionDenied
    if not article.is_readable:
        raise ValidationError(_("Only a published article can be rated."))
    version = article.published_version
    with transaction.atomic():
        feedback, created = ArticleFeedback.objects.select_for_update(of=("self",)).get_or_create(
            version=version,
            user=actor,
            defaults={
                "article": article,
                "helpful": helpful,
                "comment": comment,
                "created_at": now,
                "updated_at": now,
            },
        )
        if not created:
            feedback.helpful, feedback.comment, feedback.updated_at = helpful, comment, now
            feedback.save(update_fields=["helpful", "comment", "updated_at"])
        audit_record(
            actor=actor,
            verb="knowledge.feedback_given" if created else "knowledge.feedback_changed",
            obj=article,
            organisation=actor.organisation,
            payload={"version": version.number, "helpful": helpful, "comment": bool(comment)},
        )
    return feedback


def feedback_stats(article: Article) -> dict:
    """Helpful / not helpful answers per version and in total, newest version first."""
    rows = {}
    for number, helpful in ArticleFeedback.objects.filter(article=article).values_list(
        "version__number", "helpful"
    ):
        row = rows.setdefault(number, {"version": number, "yes": 0, "no": 0})
        row["yes" if helpful else "no"] += 1
    per_version = [rows[n] for n in sorted(rows, reverse=True)]
    yes = sum(r["yes"] for r in per_version)
    no = sum(r["no"] for r in per_version)
    return {
        "yes": yes,
        "no": no,
        "total": yes + no,
        "percent": round(100 * yes / (yes + no)) if yes + no else None,
        "per_version": per_version,
    }
