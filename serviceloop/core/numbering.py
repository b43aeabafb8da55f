"""Allocating human references: ``INC-2026-000123``."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from serviceloop.core.models import ReferenceSequence


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
    updated = ReferenceSequence.objects.filter(kind=kind, year=year).update(
        last_number=F("last_number") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                ReferenceSequence.objects.create(kind=kind, year=year, last_number=1)
        except IntegrityError:
            # Another transaction created the row first: take the next number after it.
            ReferenceSequence.objects.filter(kind=kind, year=year).update(
                last_number=F("last_number") + 1
            )
    number = ReferenceSequence.objects.get(kind=kind, year=year).last_number
    return f"{kind}-{year}-{number:0{width}d}"
