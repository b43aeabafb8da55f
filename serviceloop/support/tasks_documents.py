"""Periodic tasks of the documents part (Huey)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from serviceloop.support.services_document_campaigns import campaign_remind
from serviceloop.support.services_document_versions import documents_take_effect
from serviceloop.support.services_documents import document_review_remind

__all__ = ["document_acknowledgement_reminders", "document_reviews_due", "documents_effective"]


@db_periodic_task(crontab(hour=0, minute=5))
def documents_effective() -> int:
    """Just after midnight: put into force the approved versions whose date has come (the
    versions they supersede become obsolete on that date)."""
    return documents_take_effect(today=timezone.localdate())


@db_periodic_task(crontab(hour=8, minute=45))
def document_reviews_due() -> int:
    """Every morning: remind owners of documents due for their periodic review, once per
    document and review date (see document_review_remind)."""
    return document_review_remind(today=timezone.localdate())


@db_periodic_task(crontab(hour=9, minute=15))
def document_acknowledgement_reminders() -> int:
    """Every morning: remind people who have not acknowledged a document as its deadline
    nears, once per campaign and person (see campaign_remind)."""
    return campaign_remind(today=timezone.localdate())
