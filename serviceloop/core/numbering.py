"""Allocating human references: ``INC-2026-000123``."""

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from serviceloop.core.models import ReferenceSequence


def _increment(kind: str, year: int) -> int | None:
    """Add one to the sequence and read it back in one statement (``UPDATE … RETURNING``,
    PostgreSQL and SQLite ≥ 3.35); None when the sequence has no row yet."""
    table = ReferenceSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(table)} SET last_number = last_number + 1 "  # noqa: S608
            "WHERE kind = %s AND year = %s RETURNING last_number",
            [kind, year],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def reference_allocate(*, kind: str, year: int | None = None, width: int = 6) -> str:
    """The next reference for ``kind`` in ``year`` (default: this year in TIME_ZONE).

    Call it inside the transaction that creates the record: the sequence row stays locked
    until that transaction ends, and a rollback returns the number, so references are
    gapless and unique under concurrency (PostgreSQL row lock; SQLite serialises writers).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reference_allocate must run inside the creating transaction")
    year = year or timezone.localdate().year
    kind = kind.upper()
    number = _increment(kind, year)
    if number is not None:
        return f"{kind}-{year}-{number:0{width}d}"
    # The first reference of this kind and year: create the sequence row.
    try:
        with transaction.atomic():
            ReferenceSequence.objects.create(kind=kind, year=year, last_number=1)
    except IntegrityError:
        # Another transaction created the row first: take the next number after it.
        return f"{kind}-{year}-{_increment(kind, year):0{width}d}"
    return f"{kind}-{year}-{1:0{width}d}"
