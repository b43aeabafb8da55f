"""Knowledge-base full-text search with Chinese segmentation, on SQLite FTS5 or PostgreSQL.

The same approach as ticket search (``serviceloop.desk.search``, whose tokenizer this module
reuses): per article one ``ArticleSearchDocument`` row of jieba tokens, in four columns —

    title_tokens        reference + published title               (FTS5 weight 10, PG "A")
    body_tokens         published text + categories + services    (FTS5 weight 4,  PG "B")
    draft_title_tokens  a newer unpublished version's title       (FTS5 weight 3,  PG "C")
    draft_body_tokens   a newer unpublished version's text        (FTS5 weight 1,  PG "D")

Customers, and every reader's suggestions, match only the published columns; staff searching
the knowledge base also find drafts and revisions. ``article_index`` rebuilds one article's
row; the knowledge services call it inside their own transaction (articles change rarely,
so the index is never stale). The database indexes the rows itself:

**Index creation** (``forwards``/``backwards``) must run in a migration after the one that
creates ``ArticleSearchDocument``::

    from serviceloop.support import search_knowledge
    migrations.RunPython(search_knowledge.forwards, search_knowledge.backwards)

SQLite: an external-content FTS5 table ``support_knowledge_fts`` (rowid = article id) kept
in step by three triggers. PostgreSQL: a stored generated ``tsvector`` column
``search_vector`` over the four columns (``simple`` configuration, weights A–D) with a GIN
index. Both idempotent (``IF [NOT] EXISTS``); tests without migrations call ``index_install``
from a session fixture. As with desk search, a later migration that alters the document
table on SQLite must run ``backwards`` then ``forwards`` again (Django re-creates the table
and drops its triggers); ``knowledge_reindex`` repairs an index that fell out of step.

Ranking: FTS5 ``bm25`` / PostgreSQL ``ts_rank``, most recently updated first among equals.
A knowledge base holds thousands of articles, not millions: every match is ranked.
"""

import contextlib
import html
import logging
import re
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from serviceloop.core.fulltext_index import FullTextIndex
from serviceloop.core.roles import Capability
from serviceloop.desk.search import query_parse, token_text
from serviceloop.support.models import Article, ArticleSearchDocument

log = logging.getLogger(__name__)

MAX_LIMIT = 200
COLUMN_LIMIT = 100_000  # token text per column: far below PostgreSQL's 1 MB per tsvector
REINDEX_BATCH = 200


# --- The index in the database (``core.fulltext_index``, as ticket search) -----------------

INDEX = FullTextIndex(
    app_label="support",
    model_name="ArticleSearchDocument",
    record_column="article_id",
    token_columns=("title_tokens", "body_tokens", "draft_title_tokens", "draft_body_tokens"),
    fts_table="support_knowledge_fts",
    pg_index="support_knowledge_search_vector_gin",
)
FTS_TABLE = INDEX.fts_table
TOKEN_COLUMNS = INDEX.token_columns
PG_VECTOR = INDEX.pg_vector


def forwards(apps, schema_editor) -> None:
    """Create the full-text index of the article search documents (idempotent)."""
    INDEX.forwards(apps, schema_editor)


def backwards(apps, schema_editor) -> None:
    """Drop the full-text index (idempotent); the documents themselves stay."""
    INDEX.backwards(apps, schema_editor)


def index_installed(conn=None) -> bool:
    """Whether the full-text index exists (with its three triggers, on SQLite)."""
    return INDEX.installed(conn or connection)


def index_install(conn=None) -> None:
    """``forwards`` outside a migration, on an open connection (idempotent, nothing when it
    is there): what the test fixture and ``knowledge_reindex`` run."""
    INDEX.install(conn or connection)


# --- Documents -------------------------------------------------------------------------------


def body_text(body_html: str) -> str:
    """The words of a stored (sanitised HTML) article text, without tags or entities."""
    text = re.sub(r"<(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", "\n", body_html or "", flags=re.I)
    return html.unescape(strip_tags(text))


def document_for(article: Article) -> ArticleSearchDocument:
    """The unsaved search document of ``article`` from its published and newest versions."""
    published, current = article.published_version, article.current_version
    labels = [c.name for c in article.categories.all()] + [
        f"{s.code} {s.name}" for s in article.services.all()
    ]
    document = ArticleSearchDocument(article_id=article.pk, updated_at=timezone.now())
    if published is not None:
        document.title_tokens = token_text(f"{article.reference} {published.title}", COLUMN_LIMIT)
        document.body_tokens = token_text(
            body_text(published.body) + "\n" + "\n".join(labels), COLUMN_LIMIT
        )
    if current is not None and current.pk != getattr(published, "pk", None):
        draft_title = (
            current.title if published is not None else f"{article.reference} {current.title}"
        )
        document.draft_title_tokens = token_text(draft_title, COLUMN_LIMIT)
        draft_body = body_text(current.body)
        if published is None:
            draft_body += "\n" + "\n".join(labels)
        document.draft_body_tokens = token_text(draft_body, COLUMN_LIMIT)
    return document


def article_index(article: Article) -> None:
    """Rebuild the search document of ``article`` from its current rows (idempotent). The
    knowledge services call it inside the transaction of their change."""
    article = (
        Article.objects.select_related("published_version", "current_version")
        .prefetch_related("categories", "services")
        .get(pk=article.pk)
    )
    document = document_for(article)
    ArticleSearchDocument.objects.bulk_create(
        [document],
        update_conflicts=True,
        unique_fields=["article"],
        update_fields=[*TOKEN_COLUMNS, "updated_at"],
    )


def knowledge_reindex(*, batch_size: int = REINDEX_BATCH) -> int:
    """Re-install the index if it is missing and rebuild every article's document, in
    batches; returns the number of articles indexed."""
    index_install()
    count, last = 0, 0
    while True:
        batch = list(Article.objects.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            return count
        with transaction.atomic():
            for article in batch:
                article_index(article)
        count += len(batch)
        last = batch[-1].pk


# --- Searching ---------------------------------------------------------------------------


def _fts5_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _tsquery_quote(word: str, labels: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + labels


def _ranked_ids(words, scope, *, drafts: bool, limit: int) -> list[int]:
    """Ids of the best ``limit`` articles of ``scope`` (a queryset) matching any of
    ``words``, best first. ``drafts``: also match the unpublished columns."""
    subquery, params = scope.order_by().values("pk").query.sql_with_params()
    params = list(params)
    if connection.vendor == "sqlite":
        table = FTS_TABLE
        match = " OR ".join(_fts5_quote(w) for w in words)
        if drafts:
            weights = "10.0, 4.0, 3.0, 1.0"
        else:
            match = "{title_tokens body_tokens} : (" + match + ")"
            weights = "10.0, 4.0, 0.0, 0.0"
        sql = (
            f"WITH matches AS MATERIALIZED (SELECT rowid AS id, bm25({table}, {weights}) AS score "  # noqa: S608
            f"FROM {table} WHERE {table} MATCH %s) "
            f"SELECT m.id FROM matches m JOIN {Article._meta.db_table} a ON a.id = m.id "
            f"WHERE m.id IN ({subquery}) ORDER BY m.score, a.updated_at DESC, m.id DESC LIMIT %s"
        )
        args = [match, *params, limit]
    elif connection.vendor == "postgresql":
        table = ArticleSearchDocument._meta.db_table
        labels = "" if drafts else ":AB"
        match = " | ".join(_tsquery_quote(w, labels) for w in words)
        sql = (
            f"SELECT d.article_id FROM {table} d "  # noqa: S608
            f"JOIN {Article._meta.db_table} a ON a.id = d.article_id, "
            f"to_tsquery('simple', %s) q WHERE d.{PG_VECTOR} @@ q AND d.article_id IN ({subquery}) "
            f"ORDER BY ts_rank(d.{PG_VECTOR}, q) DESC, a.updated_at DESC, d.article_id DESC LIMIT %s"
        )
        args = [match, *params, limit]
    else:  # pragma: no cover - the two supported databases
        raise NotImplementedError(f"knowledge search does not support {connection.vendor}")
    # Should the index be missing (a database not migrated yet), the page that searched
    # still works, without results. Inside a transaction the query runs in a savepoint, so
    # that transaction stays usable; outside one, no transaction is opened (on SQLite that
    # would take the write lock for a read).
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard, connection.cursor() as cursor:
            cursor.execute(sql, args)
            return [row[0] for row in cursor.fetchall()]
    except DatabaseError:
        log.exception("knowledge search failed; is the full-text index installed?")
        return []


def _sees_drafts(user, readable_only: bool) -> bool:
    return not readable_only and user.has_capability(Capability.STAFF)


def search_articles(
    user, query: str, *, limit: int = 50, scope=None, readable_only: bool = False
) -> list[Article]:
    """The articles ``user`` may see that match ``query``, best first (at most ``limit``).

    ``scope`` narrows the search (a filtered ``Article`` queryset; it is intersected with
    what the user may see). Customers, and ``readable_only`` searches (suggestions, the
    portal), find only readable articles through their published text; staff otherwise
    also find drafts and unpublished revisions. The article's reference in the query
    finds it first.
    """
    if not (user.is_authenticated and user.is_active):
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    parsed = query_parse(query)
    visible = Article.objects.visible_to(user)
    if scope is not None:
        visible = visible.filter(pk__in=scope.order_by().values("pk"))
    if readable_only:
        visible = visible.readable()
    ranked: list[int] = []
    if parsed.references:
        ranked += visible.filter(reference__in=parsed.references).values_list("pk", flat=True)
    if parsed.words:
        seen = set(ranked)
        drafts = _sees_drafts(user, readable_only)
        found = _ranked_ids(parsed.words, visible, drafts=drafts, limit=limit + len(ranked))
        ranked += [pk for pk in found if pk not in seen]
    ranked = ranked[:limit]
    if not ranked:
        return []
    by_pk = (
        Article.objects.select_related("published_version", "current_version", "owner")
        .order_by()
        .in_bulk(ranked)
    )
    return [by_pk[pk] for pk in ranked if pk in by_pk]


# --- Results with snippets ----------------------------------------------------------------

SNIPPET_BEFORE = 30
SNIPPET_AFTER = 90


@dataclass
class ArticleResult:
    article: Article
    title: str = ""
    title_parts: list = field(default_factory=list)  # [(text, is_match)]
    snippet_parts: list = field(default_factory=list)
    is_draft: bool = False  # the match is in a version readers do not see yet


def _highlighter(parsed):
    terms = [*parsed.references, *(w for w in parsed.words if not w.isdigit() or len(w) > 1)]
    if not terms:
        return None
    terms.sort(key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


def _parts(text: str, pattern) -> list[tuple[str, bool]]:
    if pattern is None:
        return [(text, False)]
    parts, position = [], 0
    for match in pattern.finditer(text):
        if match.start() > position:
            parts.append((text[position : match.start()], False))
        parts.append((match.group(0), True))
        position = match.end()
    if position < len(text):
        parts.append((text[position:], False))
    return parts


def _snippet(text: str, pattern) -> list[tuple[str, bool]]:
    text = " ".join(text.split())
    match = pattern.search(text) if pattern is not None else None
    if match is None:
        cut = text[: SNIPPET_BEFORE + SNIPPET_AFTER]
        return [(cut + ("…" if len(text) > len(cut) else ""), False)] if cut else []
    start = max(0, match.start() - SNIPPET_BEFORE)
    end = min(len(text), match.end() + SNIPPET_AFTER)
    piece = ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")
    return _parts(piece, pattern)


def search_results(
    user, query: str, *, limit: int = 50, scope=None, readable_only: bool = False
) -> list[ArticleResult]:
    """``search_articles`` with a highlighted title and a snippet of the text around the
    first query word: the published version for readers, the newest version for staff."""
    articles = search_articles(user, query, limit=limit, scope=scope, readable_only=readable_only)
    pattern = _highlighter(query_parse(query))
    drafts = _sees_drafts(user, readable_only)
    results = []
    for article in articles:
        version = article.current_version if drafts else article.published_version
        version = version or article.current_version or article.published_version
        title = version.title if version else article.title
        results.append(
            ArticleResult(
                article=article,
                title=title,
                title_parts=_parts(title, pattern),
                snippet_parts=_snippet(body_text(version.body) if version else "", pattern),
                is_draft=version is not None and version.published_at is None,
            )
        )
    return results


SUGGESTION_LIMIT = 5
SUGGESTION_QUERY_CHARS = 200


def suggestions_for(user, title: str, description: str = "") -> list[ArticleResult]:
    """The top readable articles for a ticket being written (its title and the start of its
    description), respecting the user's audience: staff see internal and customer articles,
    customers only those published for them."""
    text = f"{title or ''} {(description or '')[: SUGGESTION_QUERY_CHARS - len(title or '')]}"
    if not text.strip():
        return []
    return search_results(user, text, limit=SUGGESTION_LIMIT, readable_only=True)
