"""The search document of a ticket: its text segmented by jieba, one row per ticket.

The row is what the database's full-text index reads (``serviceloop.desk.search_sql``):
an FTS5 table over these columns on SQLite, a generated ``tsvector`` column with a GIN
index on PostgreSQL. ``serviceloop.desk.search`` writes it; nothing else does.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketSearchDocument(models.Model):
    """Space-separated, lower-cased jieba tokens per part of the ticket.

    Four columns so that ranking can weigh them (title above description above replies
    above notes) and so that customers never match words found only in internal notes.
    """

    # The ticket id is the primary key: it is the FTS5 rowid on SQLite.
    ticket = models.OneToOneField(
        "desk.Ticket",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_document",
    )
    title_tokens = models.TextField(_("title tokens"), blank=True)  # title and reference
    description_tokens = models.TextField(_("description tokens"), blank=True)
    reply_tokens = models.TextField(_("public reply tokens"), blank=True)
    note_tokens = models.TextField(_("internal note tokens"), blank=True)  # staff only
    updated_at = models.DateTimeField(_("indexed"))

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")

    def __str__(self):
        return f"search document of ticket {self.ticket_id}"
