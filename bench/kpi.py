"""Benchmark the KPI engine: the whole shipped KPI library for one month, beside the same
figures computed by hand-written SQL in the same run (answers checked equal).

    python bench/kpi.py [--tickets N] [--database-url URL] [--keep] [--repeats R]
    python bench/kpi.py --reuse DATABASE_URL

``--database-url``: absent or ``sqlite`` for a temporary SQLite file; ``postgres`` or
``postgres://USER@HOST:PORT/DB`` for a PostgreSQL server, on which the run creates a uniquely
named database and drops it at the end. ``--keep`` keeps it (and prints its URL) for
``--reuse``. Tickets and their history are seeded by ``bench/desk.py``'s own generator (12
months before the run's instant, with SLA fields from the product's SLA clock); this script
adds what the other KPIs read: reopenings, problems, complaints, changes, services with
outages, and policy acknowledgement campaigns.

Figures (the month measured: the last complete month before the seeded instant):
1. the engine, library batched: ``kpi_evaluate_many`` over every shipped KPI (what the KPI
   list and the nightly snapshot run do), p50 of ``--repeats`` runs;
2. the engine, one KPI at a time: ``kpi_evaluate`` per KPI (each its own queries);
3. the baseline: one hand-written SQL statement per KPI (``cursor.execute``; the queries of
   ``serviceloop/evaluation/tests/test_kpi_sql.py``, which the test suite holds equal to the
   engine), the same KPIs, p50 of as many runs, interleaved with the engine's;
and per KPI, the engine alone beside its SQL. Targets: the library batched <= 1.5x the SQL
time, and <= 2 s for all KPIs of one month (at 1,000,000 tickets on PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import desk as desk_bench  # noqa: E402  (bench/desk.py: target, settings, world, seeding)

RATIO_TARGET = 1.5
SECONDS_TARGET = 2.0


# --- What the other KPIs read -----------------------------------------------------------------


def seed_more(world, n: int, seed: int, say) -> dict:
    """Reopenings (status events out of Resolved on 4% of resolved tickets), problems,
    complaints, changes, 10 services with outages and acknowledgement campaigns, in
    proportion to N; bulk inserts. Skipped when already there (``--reuse``)."""
    from django.db import transaction

    from serviceloop.assurance.models import Outage
    from serviceloop.core.models import User
    from serviceloop.desk.models import EventKind, Problem, Ticket, TicketEvent
    from serviceloop.portfolio.models import Service, ServiceStatus
    from serviceloop.relationship.models import Complaint
    from serviceloop.support.models import (
        Acknowledgement,
        AcknowledgementCampaign,
        Document,
        DocumentVersion,
    )
    from serviceloop.transition.models import ChangeRequest

    if Problem.objects.filter(reference__startswith="PRB-BENCH").exists():
        return {}
    rng = random.Random(seed)
    t0, start = world.t0, world.t0 - dt.timedelta(days=365)
    span = 365 * 86_400

    def when():
        return start + dt.timedelta(seconds=rng.randrange(span))

    counts = {}
    with transaction.atomic():
        resolved = list(
            Ticket.objects.filter(resolved_at__isnull=False).values_list("pk", "resolved_at")
        )
        reopened = rng.sample(resolved, len(resolved) // 25)
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(ticket_id=pk, at=at - dt.timedelta(hours=1), kind=EventKind.STATUS,
                            from_value="resolved", to_value="in_progress")
                for pk, at in reopened
            ],
            batch_size=2000,
        )  # fmt: skip
        counts["reopenings"] = len(reopened)
        problems = []
        for i in range(max(n // 200, 10)):
            closed = when()
            problems.append(Problem(
                reference=f"PRB-BENCH-{i + 1:06d}", title=f"Problem {i}", status="closed",
                root_cause="Disk full." if rng.random() < 0.7 else "", created_at=closed,
                updated_at=closed, closed_at=closed,
            ))  # fmt: skip
        Problem.objects.bulk_create(problems, batch_size=2000)
        counts["problems"] = len(problems)
        complaints = []
        for i in range(max(n // 400, 10)):
            received = when()
            complaints.append(Complaint(
                reference=f"CMP-BENCH-{i + 1:06d}", channel="email",
                organisation=rng.choice(world.customers), subject="Too slow", description="…",
                received_at=received, response_target_hours=24,
                response_due_at=received + dt.timedelta(hours=24),
                response_warn_at=received + dt.timedelta(hours=18),
                created_at=received, updated_at=received,
            ))  # fmt: skip
        Complaint.objects.bulk_create(complaints, batch_size=2000)
        counts["complaints"] = len(complaints)
        changes = []
        for i in range(max(n // 200, 10)):
            submitted = when()
            outcome = rng.choice(["implemented", "implemented", "implemented", "failed", ""])
            changes.append(ChangeRequest(
                reference=f"CHG-BENCH-{i + 1:06d}",
                change_type=rng.choice(["standard", "normal", "normal", "emergency"]),
                title=f"Change {i}", requester=world.admin, owner=world.admin,
                status="closed" if outcome else "submitted", submitted_at=submitted,
                outcome=outcome, review_success=rng.choice([None, True, False]) if outcome else None,
                actual_end=submitted + dt.timedelta(days=2) if outcome else None,
                created_at=submitted, updated_at=submitted,
            ))  # fmt: skip
        ChangeRequest.objects.bulk_create(changes, batch_size=2000)
        counts["changes"] = len(changes)
        services = []
        for i in range(10):
            service = Service.objects.create(
                code=f"bench-service-{i}", name=f"Bench service {i}", status=ServiceStatus.LIVE
            )
            service.customers.set(rng.sample(world.customers, 8))
            services.append(service)
        outages = []
        for i in range(max(n // 500, 50)):
            begin = when().replace(microsecond=0)
            outages.append(Outage(
                reference=f"OUT-BENCH-{i + 1:06d}", service=rng.choice(services), title="Down",
                kind=rng.choice(["unplanned", "unplanned", "planned"]), start=begin,
                end=begin + dt.timedelta(minutes=rng.randint(5, 600)), created_at=begin,
                updated_at=begin,
            ))  # fmt: skip
        Outage.objects.bulk_create(outages, batch_size=2000)
        counts["outages"] = len(outages)
        staff = list(User.objects.filter(organisation=world.provider))
        document = Document.objects.create(
            reference="DOC-BENCH-000001", title="Policy", kind="policy", owner=world.admin,
            created_at=t0, updated_at=t0,
        )  # fmt: skip
        version = DocumentVersion.objects.create(
            document=document, number=1, author=world.admin, created_at=t0, updated_at=t0
        )
        acks = []
        for month in range(12):
            deadline = (start + dt.timedelta(days=30 * month + 15)).date()
            campaign = AcknowledgementCampaign.objects.create(
                reference=f"ACK-BENCH-{month + 1:06d}", document=document, version=version,
                title="Read the policy", deadline=deadline, created_at=t0,
            )  # fmt: skip
            for person in staff:
                late = rng.choice([None, -2, -1, 0, 1])
                acks.append(Acknowledgement(
                    campaign=campaign, person=person, added_at=t0,
                    acknowledged_at=None if late is None else dt.datetime.combine(
                        deadline, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(days=late),
                ))  # fmt: skip
        Acknowledgement.objects.bulk_create(acks, batch_size=2000)
        counts["acknowledgements"] = len(acks)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    say(f"more records: {counts}")
    return counts


# --- Measuring ------------------------------------------------------------------------------------


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def measure(repeats: int, say):
    from django.utils import timezone

    from serviceloop.desk.models import Ticket
    from serviceloop.evaluation.engine import kpi_evaluate, kpi_evaluate_many, previous_period
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.evaluation.models import KpiDefinition
    from serviceloop.evaluation.tests.test_kpi_sql import SQL

    kpi_library_load()
    newest = Ticket.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    start, end = previous_period("month", timezone.localdate(newest))
    library = list(KpiDefinition.objects.filter(is_active=True).order_by("code"))
    twins = [d for d in library if d.code in SQL]

    def sql_all():
        return {d.code: SQL[d.code](start, end, None) for d in twins}

    def engine_single():
        return {d.code: kpi_evaluate(d, start, end) for d in twins}

    # warm-up (caches, plans), and the answers compared
    expected, batched = sql_all(), kpi_evaluate_many(library, start, end)
    mismatches = [
        f"{code}: engine {batched[code]} SQL {expected[code]}"
        for code in expected
        if not close(batched[code].value, expected[code][0])
    ]
    engine_single()
    runs = {"batched": [], "batched_twins": [], "single": [], "sql": []}
    per_kpi = {d.code: ([], []) for d in twins}
    for i in range(repeats):
        order = [0, 1] if i % 2 == 0 else [1, 0]
        for side in order:
            if side == 0:
                runs["batched"].append(timed(lambda: kpi_evaluate_many(library, start, end))[0])
                runs["batched_twins"].append(timed(lambda: kpi_evaluate_many(twins, start, end))[0])
                runs["single"].append(timed(engine_single)[0])
            else:
                runs["sql"].append(timed(sql_all)[0])
        for d in twins:
            per_kpi[d.code][0].append(timed(lambda d=d: kpi_evaluate(d, start, end))[0])
            per_kpi[d.code][1].append(timed(lambda d=d: SQL[d.code](start, end, None))[0])
        say(f"  run {i + 1}/{repeats}")
    month_tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).count()
    return {
        "start": start, "end": end, "library": library, "twins": twins, "runs": runs,
        "per_kpi": per_kpi, "mismatches": mismatches, "values": batched,
        "month_tickets": month_tickets,
    }  # fmt: skip


def report(figures, engine_name: str, n: int, events: int, schema: str) -> None:
    med = {k: statistics.median(v) for k, v in figures["runs"].items()}
    library, twins = figures["library"], figures["twins"]
    print(
        f"kpi benchmark: {engine_name}, N = {n:,} tickets ({events:,} events) over 12 months, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"schema: {schema}")
    print(
        f"month measured: {figures['start']:%Y-%m} ({figures['month_tickets']:,} tickets "
        f"created in it); {len(library)} shipped KPIs, {len(twins)} with a hand-written SQL twin "
        f"(the other {len(library) - len(twins)} are computed by other parts' functions)"
    )
    print()
    ratio = med["batched_twins"] / med["sql"]
    print("1. all KPIs of one month, p50 of", len(figures["runs"]["sql"]), "interleaved runs (ms)")
    print(f"   engine, library batched (kpi_evaluate_many, {len(library)} KPIs): {med['batched']:9.1f}"
          f"   <= {SECONDS_TARGET:.0f} s: {desk_bench.verdict(med['batched'] <= SECONDS_TARGET * 1000)}")  # fmt: skip
    print(
        f"   engine, the same {len(twins)} KPIs as the SQL, batched:        {med['batched_twins']:9.1f}"
    )
    print(
        f"   engine, one KPI at a time (kpi_evaluate x {len(twins)}):          {med['single']:9.1f}"
    )
    print(f"   baseline: hand-written SQL, one statement per KPI:      {med['sql']:9.1f}")
    print(f"   ratio batched / SQL: {ratio:.2f}x (target <= {RATIO_TARGET}x: "
          f"{desk_bench.verdict(ratio <= RATIO_TARGET)}); one at a time / SQL: "
          f"{med['single'] / med['sql']:.2f}x")  # fmt: skip
    same = not figures["mismatches"]
    print(f"   figures equal (engine batched vs SQL, all {len(twins)}): {'yes' if same else 'NO'}")
    for line in figures["mismatches"]:
        print(f"     {line}")
    print()
    print("2. per KPI, alone: p50 ms (engine kpi_evaluate | its SQL) and the month's value")
    for d in twins:
        engine_ms, sql_ms = (statistics.median(v) for v in figures["per_kpi"][d.code])
        value = figures["values"][d.code].value
        shown = "—" if value is None else f"{value:,.3f}"
        print(f"   {d.code:30}{engine_ms:8.1f} |{sql_ms:8.1f}   {shown} {d.unit}")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--tickets", type=int, default=100_000, help="tickets to seed (100,000)")
    add("--database-url", help="sqlite (default), postgres or postgres://USER@HOST:PORT/DB")
    add("--repeats", type=int, default=7, help="timed runs per side (7)")
    add("--schema", choices=["auto", "migrate", "models"], default="auto")
    add("--seed", type=int, default=1)
    add("--keep", action="store_true", help="keep the database and data directory")
    add("--reuse", metavar="DATABASE_URL", help="measure on a database kept by --keep")
    options = parser.parse_args()

    if options.reuse:
        vendor = "sqlite" if options.reuse.startswith("sqlite") else "postgresql"
        data_dir = Path(tempfile.mkdtemp(prefix="serviceloop-bench-kpi-"))
        target = desk_bench.Target(options.reuse, vendor, data_dir)
    else:
        target = desk_bench.make_target(options.database_url)
    began = time.perf_counter()

    def say(text):
        print(f"[{time.perf_counter() - began:7.1f} s] {text}", file=sys.stderr, flush=True)

    try:
        desk_bench.configure_django(target)
        from django.db import connection

        from serviceloop.desk.models import Ticket, TicketEvent

        if options.reuse:
            schema = "reused a database kept by an earlier run (--reuse)"
            world = desk_bench.world_from_database()
        else:
            schema = desk_bench.build_schema(options.schema)
            say(f"schema: {schema}")
            world = desk_bench.build_world()
            desk_bench.seed(world, options.tickets, 1000, 0, options.seed, say)
        seed_more(world, Ticket.objects.count(), options.seed, say)
        n, events = Ticket.objects.count(), TicketEvent.objects.count()
        with connection.cursor() as cursor:
            postgres = connection.vendor == "postgresql"
            cursor.execute("SHOW server_version" if postgres else "SELECT sqlite_version()")
            engine_name = ("PostgreSQL " if postgres else "SQLite ") + cursor.fetchone()[0]
        say("measuring")
        report(measure(options.repeats, say), engine_name, n, events, schema)
    finally:
        kept = options.keep or options.reuse
        if kept:
            print(f"kept: DATABASE_URL={target.url}", file=sys.stderr)
        from django.db import connections

        connections.close_all()
        if not kept:
            target.drop()
        elif options.reuse or target.vendor == "postgresql":
            shutil.rmtree(target.data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
