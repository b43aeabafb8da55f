"""The database-specific part of ticket search: the full-text index over the search documents.

Call from a migration that follows the one creating ``TicketSearchDocument``::

    migrations.RunPython(search_sql.forwards, search_sql.backwards)

**SQLite**: an FTS5 table ``desk_ticket_fts`` (``tokenize='unicode61'``) with *external
content*: it indexes the document table's four token columns without storing them again,
its rowid is the ticket id, and three triggers on the document table keep it in step with
every insert, update and delete, so the Python code writes documents the same way on both
databases. The tokens are jieba's, already separated by spaces; unicode61 only splits at
those spaces (each token is a run of letters and digits) and folds case and diacritics.

**PostgreSQL**: a stored generated column ``search_vector`` on the document table,
``setweight(to_tsvector('simple', title_tokens), 'A') || … 'B' || … 'C' || … 'D'`` (title,
description, public replies, internal notes), with a GIN index. A stored column rather than
an expression index because ranking (``ts_rank``) and the customers' weight-restricted
queries read the vector of every candidate row: stored, it is not recomputed per query.
The ``simple`` configuration keeps jieba's tokens as they are (no stemming, no stop words).

The statements are ``core.fulltext_index.FullTextIndex``'s (knowledge search uses the same).
Both functions are idempotent (``IF [NOT] EXISTS``) and do nothing on other databases.
After ``forwards`` on SQLite the FTS table is rebuilt from the documents already present.

Caveat for later migrations: on SQLite, Django alters a table by re-creating it, which drops
its triggers; a migration that alters ``TicketSearchDocument`` must run ``backwards`` then
``forwards`` again (or the operator runs ``serviceloop search-reindex``, which re-installs
the index and rebuilds it). On PostgreSQL, altering a token column that the generated column
reads fails loudly; drop it with ``backwards`` first.
"""

from serviceloop.core.fulltext_index import FullTextIndex

INDEX = FullTextIndex(
    app_label="desk",
    model_name="TicketSearchDocument",
    record_column="ticket_id",
    token_columns=("title_tokens", "description_tokens", "reply_tokens", "note_tokens"),
    fts_table="desk_ticket_fts",
    pg_index="desk_ticket_search_vector_gin",
)
FTS_TABLE = INDEX.fts_table
TOKEN_COLUMNS = INDEX.token_columns
PG_VECTOR = INDEX.pg_vector


def forwards(apps, schema_editor) -> None:
    """Create the full-text index of ticket search documents (idempotent)."""
    INDEX.forwards(apps, schema_editor)


def backwards(apps, schema_editor) -> None:
    """Drop the full-text index (idempotent); the documents themselves stay."""
    INDEX.backwards(apps, schema_editor)


def index_install(connection) -> None:
    """``forwards`` outside a migration, on an open connection: what ``search_reindex``
    runs first, so a dropped trigger or index is put back (and, on SQLite, the FTS5 table
    rebuilt) before the documents are."""
    INDEX.install(connection, rebuild=True)


def index_installed(connection) -> bool:
    """Whether the full-text index exists (all three triggers too, on SQLite)."""
    return INDEX.installed(connection)
