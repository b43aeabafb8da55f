"""Ticket full-text search with Chinese segmentation (jieba), on SQLite FTS5 or PostgreSQL.

What is indexed: per ticket, one ``TicketSearchDocument`` row holding the jieba tokens of
its reference and title, its description, its public replies and its internal notes, in
four columns. ``ticket_index`` rebuilds one ticket's row from the database (idempotent, so
running it twice or late is harmless); the ticket services schedule it after their commit
(``ticket_index_after_commit``) through the Huey task ``desk.tasks.ticket_search_index``;
``search_reindex`` rebuilds every row in batches (``serviceloop search-reindex``). The
database indexes the rows itself (see ``search_sql``): the Python side is the same on both.

Tokens: the text is NFKC-normalised (full-width ``ＶＰＮ`` becomes ``VPN``), segmented with
``jieba.cut_for_search`` (which also emits the short words inside long ones, so "网络" finds
"网络故障"), lower-cased, and cut into runs of letters and digits; a handful of particles
and English stop words are dropped. References such as ``INC-2026-000123`` become one token
(``inc2026000123``) wherever they appear, so a reference is found exactly.

Queries are segmented the same way; the tokens are OR-ed and the matches ranked: FTS5
``bm25`` with column weights 10/4/2/1, PostgreSQL ``ts_rank`` with weights A/B/C/D
(title/description/replies/notes), newest first among equals. A ticket whose reference is
in the query comes first. Results are permission-filtered in the query itself
(``Ticket.objects.visible_to``), and customers' queries never look at the notes column.

Cost bound on PostgreSQL: ``ts_rank`` must read the vector of every match from the table,
and OR-ed everyday words ("电脑 无法 登录") can match half of a million tickets. A query the
planner expects to match more than RANK_MAX tickets therefore ranks only the newest
~RANK_MAX matches (newest by ticket id); a user who sees at most FEW_VISIBLE tickets (most
customers) has all of his matches ranked, read through his tickets. SQLite ranks every
match (FTS5 computes bm25 from its own index, fast enough at the embedded scale).
"""

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability
from serviceloop.core.segmentation import segmenter
from serviceloop.desk import search_sql
from serviceloop.desk.models import Comment, Ticket, TicketSearchDocument
from serviceloop.desk.models.tickets import confidential_cleared

MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 16
MAX_LIMIT = 200
MAX_TOKEN_CHARS = 64  # longer "words" are base64, hashes or URLs: not searched for
# Token text kept per column: far beyond any real ticket, and far below PostgreSQL's
# 1 MB limit for a tsvector, so one enormous e-mail thread cannot make indexing fail.
COLUMN_LIMITS = {
    "title_tokens": 2_000,
    "description_tokens": 50_000,
    "reply_tokens": 100_000,
    "note_tokens": 48_000,
}
REINDEX_BATCH = 500
# PostgreSQL: a query that matches more tickets than this ranks only the newest ~RANK_MAX
# of them (see _postgresql_ranked_ids); below it, every match is ranked.
RANK_MAX = 10_000
# PostgreSQL: a user who sees at most this many tickets has them searched one by one.
FEW_VISIBLE = 5_000

REFERENCE = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{2,8})-(\d{4})-(\d{3,10})(?![0-9])")
WORD = re.compile(r"[^\W_]+")
# Particles, pronouns and English function words: they match nearly every ticket and only
# slow an OR query down. ("it" stays: it is "IT".)
_STOP_WORDS = """
的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 嗯 是 在 和 与 及 或 而 我 我们 你 您 你们 他 她 它
他们 这 那 这个 那个 就 都 也 还 很 请 麻烦 一下
a an the to of in on at by for from with and or is are was were be been am
this that these those my our your i we you me us do does did
"""
STOP_TOKENS = frozenset(_STOP_WORDS.split())

# --- Tokens ----------------------------------------------------------------------------


def reference_token(reference: str) -> str:
    """``INC-2026-000123`` → ``inc2026000123``: one token for both FTS tokenizers."""
    return "".join(WORD.findall(reference)).lower()


def _word_tokens(text: str) -> list[str]:
    if not text.strip():
        return []
    words = []
    for piece in segmenter().cut_for_search(text):
        for word in WORD.findall(piece.lower()):
            if word not in STOP_TOKENS and len(word) <= MAX_TOKEN_CHARS:
                words.append(word)
    return words


def tokens(text: str) -> list[str]:
    """The search tokens of ``text``, in order (repeats kept: they count for ranking)."""
    text = unicodedata.normalize("NFKC", text or "")
    found = []
    position = 0
    for match in REFERENCE.finditer(text):
        found += _word_tokens(text[position : match.start()])
        found.append(reference_token(match.group(0)))
        position = match.end()
    found += _word_tokens(text[position:])
    return found


def token_text(text: str, limit: int | None = None) -> str:
    """``tokens(text)`` joined by spaces, cut at a token boundary within ``limit`` chars."""
    joined = " ".join(tokens(text))
    if limit is not None and len(joined) > limit:
        joined = joined[:limit].rsplit(" ", 1)[0]
    return joined


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[str, ...]  # distinct tokens, OR-ed
    references: tuple[str, ...]  # upper-cased references written in the query


def query_parse(query: str) -> ParsedQuery:
    """The distinct tokens (at most MAX_QUERY_TOKENS) and references of a search query."""
    text = unicodedata.normalize("NFKC", (query or "")[:MAX_QUERY_CHARS])
    words = tuple(dict.fromkeys(tokens(text)))[:MAX_QUERY_TOKENS]
    references = tuple(dict.fromkeys(m.group(0).upper() for m in REFERENCE.finditer(text)))
    return ParsedQuery(words=words, references=references)


# --- Indexing ----------------------------------------------------------------------------


def documents_for(tickets) -> list[TicketSearchDocument]:
    """Unsaved search documents of ``tickets`` (with ``reference``, ``title`` and
    ``description`` loaded); one query reads all their comments."""
    replies, notes = defaultdict(list), defaultdict(list)
    comments = (
        Comment.objects.filter(ticket_id__in=[t.pk for t in tickets])
        .order_by("created_at", "id")
        .values_list("ticket_id", "body", "is_public")
    )
    for ticket_id, body, is_public in comments:
        (replies if is_public else notes)[ticket_id].append(body)
    now = timezone.now()
    limits = COLUMN_LIMITS
    return [
        TicketSearchDocument(
            ticket_id=ticket.pk,
            title_tokens=token_text(f"{ticket.reference} {ticket.title}", limits["title_tokens"]),
            description_tokens=token_text(ticket.description, limits["description_tokens"]),
            reply_tokens=token_text("\n".join(replies[ticket.pk]), limits["reply_tokens"]),
            note_tokens=token_text("\n".join(notes[ticket.pk]), limits["note_tokens"]),
            updated_at=now,
        )
        for ticket in tickets
    ]


def _documents_save(documents) -> None:
    # One upsert: two workers indexing the same ticket at once cannot collide.
    TicketSearchDocument.objects.bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=[*search_sql.TOKEN_COLUMNS, "updated_at"],
    )


def ticket_index(ticket_id: int) -> bool:
    """Rebuild the search document of one ticket from its current rows. Idempotent; False
    (and no document) when the ticket no longer exists."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("reference", "title", "description").first()
    if ticket is None:
        TicketSearchDocument.objects.filter(ticket_id=ticket_id).delete()
        return False
    with transaction.atomic():
        _documents_save(documents_for([ticket]))
    return True


def ticket_index_after_commit(ticket_id: int) -> None:
    """Queue the re-index of a ticket once the current transaction commits (the services
    call this after a write). ``robust``: a queue that cannot be reached is logged and does
    not fail the request whose change is already committed; ``search_reindex`` repairs."""
    from serviceloop.desk.tasks import ticket_search_index

    transaction.on_commit(lambda: ticket_search_index(ticket_id), robust=True)


@dataclass
class ReindexReport:
    tickets: int = 0
    batches: int = 0
    seconds: float = 0.0


def search_reindex(*, batch_size: int = REINDEX_BATCH, progress=None) -> ReindexReport:
    """Rebuild every ticket's search document, ``batch_size`` tickets per transaction, in id
    order (keyset, so memory stays flat). Re-installs the database index first (a dropped
    FTS5 trigger or GIN index comes back) and rebuilds it. ``progress(report)`` is called
    after each batch."""
    import time

    began = time.monotonic()
    batch_size = max(1, int(batch_size))
    search_sql.index_install(connection)
    report = ReindexReport()
    last = 0
    while True:
        batch = list(
            Ticket.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("reference", "title", "description")[:batch_size]
        )
        if not batch:
            break
        with transaction.atomic():
            _documents_save(documents_for(batch))
        last = batch[-1].pk
        report.tickets += len(batch)
        report.batches += 1
        report.seconds = time.monotonic() - began
        if progress is not None:
            progress(report)
    report.seconds = time.monotonic() - began
    return report


# --- Searching ---------------------------------------------------------------------------


def _sees_internal_notes(user) -> bool:
    return user.has_capability(Capability.STAFF)


def _fts5_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _tsquery_quote(word: str, labels: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + labels


def _ranked_ids(words, visible, *, internal: bool, limit: int, user=None) -> list[int]:
    """Ids of the best ``limit`` visible tickets matching any of ``words``, best first."""
    # Staff see every ticket but the confidential ones they are not cleared for, which are
    # few: rank without a scope and drop those. Anyone else: the tickets visible_to allows.
    subquery, scope_params, hidden = "", [], set()
    if user is not None and user.has_capability(Capability.STAFF):
        hidden = set(
            Ticket.objects.filter(confidential=True)
            .exclude(confidential_cleared(user))
            .values_list("pk", flat=True)
        )
    elif visible.query.has_filters():
        subquery, scope_params = visible.order_by().values("pk").query.sql_with_params()
        scope_params = list(scope_params)
    wanted = limit + len(hidden)
    if connection.vendor == "sqlite":
        ids = _sqlite_ranked_ids(words, subquery, scope_params, internal=internal, limit=wanted)
    elif connection.vendor == "postgresql":
        ids = _postgresql_ranked_ids(words, subquery, scope_params, internal=internal, limit=wanted)
    else:
        raise NotImplementedError(f"ticket search does not support {connection.vendor}")
    return [pk for pk in ids if pk not in hidden][:limit]


# Only constants and Django's compiled visible_to subquery are formatted into the SQL
# below; the query's words and every value are parameters.


def _sqlite_ranked_ids(words, subquery, scope_params, *, internal, limit) -> list[int]:
    table = search_sql.FTS_TABLE
    match = " OR ".join(_fts5_quote(w) for w in words)
    if internal:
        weights = "10.0, 4.0, 2.0, 1.0"
    else:
        match = "{title_tokens description_tokens reply_tokens} : (" + match + ")"
        weights = "10.0, 4.0, 2.0, 0.0"
    ranked = (
        f"SELECT rowid AS id, bm25({table}, {weights}) AS score "  # noqa: S608
        f"FROM {table} WHERE {table} MATCH %s"
    )
    if subquery:
        # Matched once, then filtered: a rowid IN (...) beside MATCH would make FTS5 run
        # the whole query again for every visible ticket (seconds for a customer).
        sql = (
            f"WITH matches AS MATERIALIZED ({ranked}) SELECT id FROM matches "  # noqa: S608
            f"WHERE id IN ({subquery}) ORDER BY score, id DESC LIMIT %s"
        )
    else:
        sql = f"{ranked} ORDER BY score, id DESC LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *scope_params, limit])
        return [row[0] for row in cursor.fetchall()]


def _postgresql_ranked_ids(words, subquery, scope_params, *, internal, limit) -> list[int]:
    """``ts_rank`` reads the vector of every match from the table: a word in 5% of a million
    tickets is 50,000 row visits. So when the planner expects more than RANK_MAX matches,
    only the newest ~RANK_MAX are ranked (a ticket-id window the GIN and primary-key
    indexes intersect); if that window holds fewer than ``limit`` visible matches, every
    match is ranked after all."""
    table = TicketSearchDocument._meta.db_table
    vector = search_sql.PG_VECTOR
    labels = "" if internal else ":ABC"  # customers: not the notes (weight D)
    match = " | ".join(_tsquery_quote(w, labels) for w in words)
    scope = f"AND d.ticket_id IN ({subquery})" if subquery else ""
    sql = (
        f"SELECT d.ticket_id FROM {table} d, to_tsquery('simple', %s) q "  # noqa: S608
        f"WHERE d.{vector} @@ q {{window}} {scope} "
        f"ORDER BY ts_rank(d.{vector}, q) DESC, d.ticket_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        few = _postgresql_few_visible(cursor, subquery, scope_params) if subquery else None
        if few is not None:
            # A customer who sees a few thousand tickets at most: rank all of his matches,
            # reading his tickets' vectors by primary key rather than every match's.
            cursor.execute(
                f"SELECT d.ticket_id FROM {table} d, to_tsquery('simple', %s) q "  # noqa: S608
                f"WHERE d.ticket_id = ANY(%s) AND d.{vector} @@ q "
                f"ORDER BY ts_rank(d.{vector}, q) DESC, d.ticket_id DESC LIMIT %s",
                [match, few, limit],
            )
            return [row[0] for row in cursor.fetchall()]
        after = _postgresql_window(cursor, table, match)
        if after is not None:
            cursor.execute(
                sql.format(window="AND d.ticket_id > %s"), [match, after, *scope_params, limit]
            )
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) >= limit:
                return ids
        cursor.execute(sql.format(window=""), [match, *scope_params, limit])
        return [row[0] for row in cursor.fetchall()]


def _postgresql_few_visible(cursor, subquery: str, scope_params) -> list[int] | None:
    """The ids of the visible tickets if there are FEW_VISIBLE or fewer, else None."""
    cursor.execute(f"{subquery} LIMIT %s", [*scope_params, FEW_VISIBLE + 1])
    ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= FEW_VISIBLE else None


def _postgresql_window(cursor, table: str, match: str) -> int | None:
    """The ticket id above which the newest ~RANK_MAX matches of ``match`` lie, from the
    planner's estimate (the column statistics of the last ANALYZE); None when it expects
    RANK_MAX matches or fewer, so that every match is ranked."""
    vector = search_sql.PG_VECTOR
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} "  # noqa: S608
        f"WHERE {vector} @@ to_tsquery('simple', %s)",
        [match],
    )
    plan = cursor.fetchone()[0]
    if isinstance(plan, str | bytes):
        plan = json.loads(plan)
    expected = plan[0]["Plan"]["Plan Rows"]
    if expected <= RANK_MAX:
        return None
    cursor.execute(f"SELECT min(ticket_id), max(ticket_id) FROM {table}")  # noqa: S608
    oldest, newest = cursor.fetchone()
    if oldest is None:
        return None
    return newest - int((newest - oldest + 1) * RANK_MAX / expected)


def search_tickets(user, query: str, limit: int = 50) -> list[Ticket]:
    """The tickets ``user`` may see that match ``query``, best first (at most ``limit``).

    A ticket whose reference is written in the query comes first; then the full-text
    matches of the query's tokens (any of them), ranked. Customers match neither internal
    notes nor other organisations' tickets. Same behaviour on SQLite and PostgreSQL.
    """
    if not (user.is_authenticated and user.is_active):
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    parsed = query_parse(query)
    visible = Ticket.objects.visible_to(user)
    ranked: list[int] = []
    if parsed.references:
        ranked += visible.filter(reference__in=parsed.references).values_list("pk", flat=True)
    if parsed.words:
        seen = set(ranked)
        found = _ranked_ids(
            parsed.words,
            visible,
            internal=_sees_internal_notes(user),
            limit=limit + len(ranked),
            user=user,
        )
        ranked += [pk for pk in found if pk not in seen]
    ranked = ranked[:limit]
    if not ranked:
        return []
    by_pk = Ticket.objects.select_related("organisation", "requester").order_by().in_bulk(ranked)
    return [by_pk[pk] for pk in ranked if pk in by_pk]


# --- Results with snippets ----------------------------------------------------------------

SNIPPET_BEFORE = 30
SNIPPET_AFTER = 90


@dataclass
class SearchResult:
    ticket: Ticket
    title_parts: list = field(default_factory=list)  # [(text, is_match)]
    snippet_parts: list = field(default_factory=list)
    snippet_source: str = ""


def _highlighter(parsed: ParsedQuery):
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


def _window(text: str, pattern) -> str | None:
    """A short piece of ``text`` around its first match, or None without a match."""
    match = pattern.search(text) if pattern is not None else None
    if match is None:
        return None
    start = max(0, match.start() - SNIPPET_BEFORE)
    end = min(len(text), match.end() + SNIPPET_AFTER)
    piece = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + piece + ("…" if end < len(text) else "")


def search_results(user, query: str, limit: int = 50) -> list[SearchResult]:
    """``search_tickets`` with a highlighted title and snippet per ticket for the search
    page: the first passage that holds a query word, from the description, then the public
    replies, then (staff only) the internal notes. One more query for the comments."""
    tickets = search_tickets(user, query, limit)
    if not tickets:
        return []
    pattern = _highlighter(query_parse(query))
    internal = _sees_internal_notes(user)
    comments = Comment.objects.filter(ticket_id__in=[t.pk for t in tickets])
    if not internal:
        comments = comments.filter(is_public=True)
    by_ticket = defaultdict(list)
    for ticket_id, body, is_public in comments.order_by("created_at", "id").values_list(
        "ticket_id", "body", "is_public"
    ):
        by_ticket[ticket_id].append((body, is_public))
    results = []
    for ticket in tickets:
        result = SearchResult(ticket=ticket, title_parts=_parts(ticket.title, pattern))
        sources = [(_("Description"), ticket.description)] + [
            (_("Reply") if is_public else _("Internal note"), body)
            for body, is_public in by_ticket[ticket.pk]
        ]
        for label, text in sources:
            piece = _window(text or "", pattern)
            if piece is not None:
                result.snippet_parts = _parts(piece, pattern)
                result.snippet_source = label
                break
        else:
            description = " ".join((ticket.description or "").split())
            if description:
                cut = description[: SNIPPET_BEFORE + SNIPPET_AFTER]
                result.snippet_parts = [(cut + ("…" if len(description) > len(cut) else ""), False)]
                result.snippet_source = _("Description")
        results.append(result)
    return results
