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

Both functions are idempotent (``IF [NOT] EXISTS``) and do nothing on other databases.
After ``forwards`` on SQLite the FTS table is rebuilt from the documents already present.

Caveat for later migrations: on SQLite, Django alters a table by re-creating it, which drops
its triggers; a migration that alters ``TicketSearchDocument`` must run ``backwards`` then
``forwards`` again (or the operator runs ``serviceloop search-reindex``, which re-installs
the index and rebuilds it). On PostgreSQL, altering a token column that the generated column
reads fails loudly; drop it with ``backwards`` first.
"""

FTS_TABLE = "desk_ticket_fts"
TOKEN_COLUMNS = ("title_tokens", "description_tokens", "reply_tokens", "note_tokens")
PG_WEIGHTS = ("A", "B", "C", "D")  # per token column, in the order above
PG_VECTOR = "search_vector"
PG_INDEX = "desk_ticket_search_vector_gin"


def _document_table(apps) -> str:
    return apps.get_model("desk", "TicketSearchDocument")._meta.db_table


# The statements below format in identifiers only: constants and the model's table name.


def sqlite_statements(table: str) -> list[str]:
    """The FTS5 table and its triggers over the document table ``table``."""
    columns = ", ".join(TOKEN_COLUMNS)
    new = ", ".join(f"new.{c}" for c in TOKEN_COLUMNS)
    old = ", ".join(f"old.{c}" for c in TOKEN_COLUMNS)
    delete_old = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {columns}) "  # noqa: S608
        f"VALUES ('delete', old.ticket_id, {old});"
    )
    insert_new = f"INSERT INTO {FTS_TABLE}(rowid, {columns}) VALUES (new.ticket_id, {new});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({columns}, "
        f"content='{table}', content_rowid='ticket_id', tokenize='unicode61')",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON {table} "
        f"BEGIN {insert_new} END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON {table} "
        f"BEGIN {delete_old} END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE ON {table} "
        f"BEGIN {delete_old} {insert_new} END",
        # Index the documents already there (and repair a table that fell out of step).
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",  # noqa: S608
    ]


def sqlite_drop_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
        f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
        f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
        f"DROP TABLE IF EXISTS {FTS_TABLE}",
    ]


def postgresql_statements(table: str) -> list[str]:
    """The generated tsvector column and its GIN index on the document table ``table``."""
    vector = " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, coalesce({column}, '')), '{weight}')"
        for column, weight in zip(TOKEN_COLUMNS, PG_WEIGHTS, strict=True)
    )
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {PG_VECTOR} tsvector "
        f"GENERATED ALWAYS AS ({vector}) STORED",
        f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {table} USING gin ({PG_VECTOR})",
    ]


def postgresql_drop_statements(table: str) -> list[str]:
    return [
        f"DROP INDEX IF EXISTS {PG_INDEX}",
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS {PG_VECTOR}",
    ]


def _statements(vendor: str, table: str, *, drop: bool) -> list[str]:
    if vendor == "sqlite":
        return sqlite_drop_statements(table) if drop else sqlite_statements(table)
    if vendor == "postgresql":
        return postgresql_drop_statements(table) if drop else postgresql_statements(table)
    return []


def forwards(apps, schema_editor) -> None:
    """Create the full-text index of ticket search documents (idempotent)."""
    for sql in _statements(schema_editor.connection.vendor, _document_table(apps), drop=False):
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor) -> None:
    """Drop the full-text index (idempotent); the documents themselves stay."""
    for sql in _statements(schema_editor.connection.vendor, _document_table(apps), drop=True):
        schema_editor.execute(sql, params=None)


def index_install(connection) -> None:
    """``forwards`` outside a migration, on an open connection: what ``search_reindex``
    runs first, so a dropped trigger or index is put back before the rebuild."""
    from django.apps import apps

    if connection.vendor == "postgresql" and index_installed(connection):
        return  # ALTER TABLE would take a strong lock (and fails mid-transaction) for nothing
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, _document_table(apps), drop=False):
            cursor.execute(sql)


def index_installed(connection) -> bool:
    """Whether the full-text index exists (all three triggers too, on SQLite)."""
    from django.apps import apps

    table = _document_table(apps)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN (%s, %s, %s, %s)",
                [FTS_TABLE, f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au"],
            )
            return cursor.fetchone()[0] == 4
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s AND column_name = %s",
                [table, PG_VECTOR],
            )
            has_column = cursor.fetchone()[0] == 1
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PG_INDEX])
            return has_column and cursor.fetchone()[0]
    return False
