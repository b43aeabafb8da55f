"""Human references: ``INC-2026-000001``, per kind and year, gapless and unique."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from serviceloop.core.models import ReferenceSequence
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.tests.factories import ReferenceSequenceFactory


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_references_have_kind_year_and_a_six_digit_number():
    with transaction.atomic():
        first = reference_allocate(kind="inc", year=2026)
        second = reference_allocate(kind="INC", year=2026)

    assert (first, second) == ("INC-2026-000001", "INC-2026-000002")


@pytest.mark.django_db
def test_the_year_defaults_to_this_year_in_the_installations_time_zone():
    with transaction.atomic():
        reference = reference_allocate(kind="CHG")

    assert reference == f"CHG-{timezone.localdate().year}-000001"


@pytest.mark.django_db
def test_each_kind_and_year_counts_on_its_own():
    with transaction.atomic():
        allocated = [
            reference_allocate(kind="INC", year=2026),
            reference_allocate(kind="REQ", year=2026),
            reference_allocate(kind="INC", year=2027),
            reference_allocate(kind="INC", year=2026),
            reference_allocate(kind="REQ", year=2026, width=4),
        ]

    assert allocated == [
        "INC-2026-000001",
        "REQ-2026-000001",
        "INC-2027-000001",
        "INC-2026-000002",
        "REQ-2026-0002",
    ]
    assert ReferenceSequence.objects.get(kind="INC", year=2026).last_number == 2


@pytest.mark.django_db
def test_an_existing_sequence_continues_where_it_stopped():
    ReferenceSequenceFactory(kind="PRB", year=2026, last_number=41)

    with transaction.atomic():
        reference = reference_allocate(kind="PRB", year=2026)

    assert reference == "PRB-2026-000042"


@pytest.mark.django_db
@pytest.mark.parametrize("numbers_before", [0, 3], ids=["new sequence", "existing sequence"])
def test_a_rolled_back_creation_gives_its_number_back(numbers_before):
    with transaction.atomic():
        for _ in range(numbers_before):
            reference_allocate(kind="INC", year=2026)

    with pytest.raises(Rollback), transaction.atomic():
        lost = reference_allocate(kind="INC", year=2026)
        raise Rollback
    with transaction.atomic():
        next_one = reference_allocate(kind="INC", year=2026)

    assert lost == next_one == f"INC-2026-{numbers_before + 1:06d}"


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the creating transaction"):
        reference_allocate(kind="INC", year=2026)

    assert not ReferenceSequence.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_are_gapless_and_unique():
    """8 threads × 25 allocations, each in its own transaction, racing on a sequence row
    that does not exist yet: exactly 1..200, no gap, no duplicate."""
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)
    allocated: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    reference = reference_allocate(kind="INC", year=2026)
                with lock:
                    allocated.append(reference)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)

    assert not errors, errors
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in allocated)
    assert numbers == list(range(1, threads * per_thread + 1))
    assert ReferenceSequence.objects.get(kind="INC", year=2026).last_number == 200
