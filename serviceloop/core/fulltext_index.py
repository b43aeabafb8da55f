"""A full-text index over a table of search documents, on SQLite FTS5 or PostgreSQL.

Ticket search (``desk.search_sql``) and knowledge search (``support.search_knowledge``) keep
one row of jieba tokens per record, in up to four token columns, and let the database index
them. ``FullTextIndex`` holds the statements both need:

**SQLite**: an FTS5 table with *external content* (``content=`` the document table,
``content_rowid=`` its record column, ``tokenize='unicode61'``) that indexes the token
columns without storing them again, and three triggers on the document table that keep it
in step with every insert, update and delete. The tokens are jieba's, already separated by
spaces; unicode61 only splits at those spaces and folds case and diacritics.

**PostgreSQL**: a stored generated ``tsvector`` column (``simple`` configuration, weights A,
B, C, D per token column) with a GIN index. Stored rather than an expression index because
ranking (``ts_rank``) and weight-restricted queries read the vector of every candidate row.

All statements are idempotent (``IF [NOT] EXISTS``) and nothing is done on other databases.
Only constants and the model's table name are formatted into them. On SQLite, Django alters
a table by re-creating it, which drops its triggers: a migration that alters a document
table must run ``backwards`` then ``forwards`` again (the reindex commands also re-install a
missing index).
"""

from __future__ import annotations

from dataclasses import dataclass

PG_WEIGHTS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class FullTextIndex:
    app_label: str
    model_name: str  # the search document model
    record_column: str  # its column holding the record's id: the FTS5 rowid
    token_columns: tuple[str, ...]  # at most four (PostgreSQL weights A–D, in this order)
    fts_table: str  # SQLite
    pg_index: str  # PostgreSQL; the vector column is ``search_vector``
    pg_vector: str = "search_vector"

    def table(self, apps=None) -> str:
        """The document table (from the migration state ``apps`` when given)."""
        if apps is None:
            from django.apps import apps
        return apps.get_model(self.app_label, self.model_name)._meta.db_table

    def _triggers(self) -> list[str]:
        return [f"{self.fts_table}_{suffix}" for suffix in ("ai", "ad", "au")]

    def sqlite_statements(self, table: str) -> list[str]:
        """The FTS5 table, its triggers, and a rebuild from the documents already there."""
        fts, rowid = self.fts_table, self.record_column
        columns = ", ".join(self.token_columns)
        new = ", ".join(f"new.{c}" for c in self.token_columns)
        old = ", ".join(f"old.{c}" for c in self.token_columns)
        delete_old = (
            f"INSERT INTO {fts}({fts}, rowid, {columns}) "  # noqa: S608
            f"VALUES ('delete', old.{rowid}, {old});"
        )
        insert_new = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.{rowid}, {new});"  # noqa: S608
        inserted, deleted, updated = self._triggers()
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({columns}, "
            f"content='{table}', content_rowid='{rowid}', tokenize='unicode61')",
            f"CREATE TRIGGER IF NOT EXISTS {inserted} AFTER INSERT ON {table} "
            f"BEGIN {insert_new} END",
            f"CREATE TRIGGER IF NOT EXISTS {deleted} AFTER DELETE ON {table} "
            f"BEGIN {delete_old} END",
            f"CREATE TRIGGER IF NOT EXISTS {updated} AFTER UPDATE ON {table} "
            f"BEGIN {delete_old} {insert_new} END",
            # Index the documents already there (and repair a table that fell out of step).
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
        ]

    def sqlite_drop_statements(self) -> list[str]:
        return [*(f"DROP TRIGGER IF EXISTS {t}" for t in self._triggers()),
                f"DROP TABLE IF EXISTS {self.fts_table}"]  # fmt: skip

    def postgresql_statements(self, table: str) -> list[str]:
        vector = " || ".join(
            f"setweight(to_tsvector('simple'::regconfig, coalesce({column}, '')), '{weight}')"
            for column, weight in zip(self.token_columns, PG_WEIGHTS, strict=False)
        )
        return [
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {self.pg_vector} tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED",
            f"CREATE INDEX IF NOT EXISTS {self.pg_index} ON {table} USING gin ({self.pg_vector})",
        ]

    def postgresql_drop_statements(self, table: str) -> list[str]:
        return [
            f"DROP INDEX IF EXISTS {self.pg_index}",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS {self.pg_vector}",
        ]

    def statements(self, vendor: str, table: str, *, drop: bool) -> list[str]:
        if vendor == "sqlite":
            return self.sqlite_drop_statements() if drop else self.sqlite_statements(table)
        if vendor == "postgresql":
            if drop:
                return self.postgresql_drop_statements(table)
            return self.postgresql_statements(table)
        return []

    def forwards(self, apps, schema_editor) -> None:
        """Create the index (``migrations.RunPython``; idempotent)."""
        vendor = schema_editor.connection.vendor
        for sql in self.statements(vendor, self.table(apps), drop=False):
            schema_editor.execute(sql, params=None)

    def backwards(self, apps, schema_editor) -> None:
        """Drop the index (idempotent); the documents themselves stay."""
        vendor = schema_editor.connection.vendor
        for sql in self.statements(vendor, self.table(apps), drop=True):
            schema_editor.execute(sql, params=None)

    def installed(self, connection) -> bool:
        """Whether the index exists (with its three triggers, on SQLite)."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                names = [self.fts_table, *self._triggers()]
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name IN (%s, %s, %s, %s)", names
                )
                return cursor.fetchone()[0] == len(names)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = %s AND column_name = %s",
                    [self.table(), self.pg_vector],
                )
                has_column = cursor.fetchone()[0] == 1
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [self.pg_index])
                return has_column and cursor.fetchone()[0]
        return False

    def install(self, connection, *, rebuild: bool = False) -> None:
        """``forwards`` outside a migration, on an open connection: nothing when the index
        is there, unless ``rebuild`` on SQLite (the FTS5 table is rebuilt from the documents).
        On PostgreSQL an installed index is never touched: ALTER TABLE would take a strong
        lock (and fails inside a transaction that has written) for nothing."""
        if self.installed(connection) and not (rebuild and connection.vendor == "sqlite"):
            return
        with connection.cursor() as cursor:
            for sql in self.statements(connection.vendor, self.table(), drop=False):
                cursor.execute(sql)
