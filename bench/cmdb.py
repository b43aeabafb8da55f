"""Benchmark the CMDB impact analysis at scale, beside a per-level baseline in the same run.

    python bench/cmdb.py [--items N] [--relations M] [--database-url URL] [--quick] [--keep]

``--database-url``: absent or ``sqlite`` for a temporary SQLite file; ``postgres`` or
``postgres://USER@HOST:PORT/DB`` for a PostgreSQL server, on which the run creates a uniquely
named database (``sl_bench_cmdb_…``) and drops it at the end. ``--quick``: a smoke run
(10,000 items, 30,000 relations, few repeats). ``--keep``: keep the database and print its
URL. The tables come from the migrations, or from the models when these are ahead of the
migration files (work in progress; the report says so).

The estate (default 200,000 items and 600,000 relations, bulk inserted): clusters of 200
items, each a data-centre room with racks, a storage array, switches, hosts, VMs, database and
middleware instances and six tiers of applications (part-of, depends-on, runs-on,
connected-to), a few back edges making cycles, and extra same-cluster dependencies up to the
relation count; the first 10 clusters are shared platforms (identity, DNS...) that the
applications of every other cluster depend on. Two services per cluster (one needs a
platform service), each entitled to 1-3 of 50 customers.

Figures (the baseline of each in brackets):
1. seeding: items/s and relations/s by ``bulk_create`` in batches of 5,000;
2. impact of a deep item (the room of an ordinary cluster: 10 levels down to the top
   applications, its services and their customers): p50/p95 ms of
   ``serviceloop.portfolio.impact.impact_of`` (one WITH RECURSIVE query) [the per-level
   Python walk ``impact_by_levels``: one query per level, then the names; both answers
   must be equal], each repeat on another cluster, interleaved;
3. the same for a wide item (a platform cluster's room, reaching thousands of items across
   clusters), for scale; no target.

Target: p95 <= 200 ms for the deep item on PostgreSQL at 200,000 items.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 200
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
CLUSTER = 200
PLATFORM_CLUSTERS = 10
CUSTOMERS = 50
BATCH = 5_000


# --- Database and settings --------------------------------------------------------------------


@dataclass
class Target:
    """The throw-away database of this run and how to remove it."""

    url: str
    vendor: str  # sqlite | postgresql
    data_dir: Path
    admin_url: str = ""  # PostgreSQL: the server's maintenance database
    name: str = ""

    def drop(self) -> None:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    [self.name],
                )
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        shutil.rmtree(self.data_dir, ignore_errors=True)


def make_target(database_url: str | None) -> Target:
    data_dir = Path(tempfile.mkdtemp(prefix="serviceloop-bench-cmdb-"))
    if not database_url or database_url == "sqlite":
        return Target(f"sqlite:///{data_dir / 'bench.sqlite3'}", "sqlite", data_dir)
    if database_url in ("postgres", "postgresql"):
        database_url = DEFAULT_POSTGRES
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database-url: sqlite, postgres or postgres://USER@HOST:PORT/DB")
    import psycopg

    name = f"sl_bench_cmdb_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(database_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    return Target(url, "postgresql", data_dir, admin_url=database_url, name=name)


def configure_django(target: Target) -> None:
    """The project's test settings (DEBUG off) on the benchmark's own database."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "serviceloop.settings_test",
            "SERVICELOOP_DATA_DIR": str(target.data_dir),
            "DATABASE_URL": target.url,
            "HUEY_IMMEDIATE": "0",
            "LOG_LEVEL": "WARNING",
            "SERVICELOOP_DEMO_PASSWORD": "bench-Password-2026",
        }
    )
    (target.data_dir / "static").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def pending_model_changes() -> dict[str, int]:
    """Model changes without a migration file, per app (what makemigrations would write)."""
    from django.apps import apps
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState
    from django.utils import translation

    loader = MigrationLoader(None, ignore_no_migrations=True)
    with translation.override(None):
        changes = MigrationAutodetector(
            loader.project_state(), ProjectState.from_apps(apps)
        ).changes(graph=loader.graph)
    return {label: sum(len(m.operations) for m in found) for label, found in changes.items()}


def build_schema(mode: str) -> str:
    """Migrate; when the models are ahead of the migration files, build the tables from the
    models instead, as ``pytest --nomigrations`` does."""
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    pending = pending_model_changes()
    if mode == "migrate" or (mode == "auto" and not pending):
        call_command("migrate", verbosity=0)
        return "migrated" + (f" (models ahead of migrations: {pending})" if pending else "")
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    missing = ", ".join(f"{app} {n} operation(s)" for app, n in sorted(pending.items()))
    return f"tables built from the models (migrations missing: {missing or 'none'})"


# --- The estate -------------------------------------------------------------------------------

# local index ranges inside a cluster of 200 items
ROOM, RACKS, STORAGE, SWITCHES = 0, (1, 2), 3, (4, 5)
HOSTS = range(6, 14)
VMS = range(14, 54)
DATABASES = range(54, 94)
TIERS = [range(94 + 18 * k, min(94 + 18 * (k + 1), CLUSTER)) for k in range(6)]  # 94..199
TYPES = (
    ("room", "机房 Data-centre room"),
    ("rack", "机柜 Rack"),
    ("storage", "存储 Storage array"),
    ("switch", "交换机 Switch"),
    ("host", "物理服务器 Physical host"),
    ("vm", "虚拟机 Virtual machine"),
    ("database", "数据库 Database"),
    ("application", "应用 Application"),
)


def local_type(index: int) -> str:
    if index == ROOM:
        return "room"
    if index in RACKS:
        return "rack"
    if index == STORAGE:
        return "storage"
    if index in SWITCHES:
        return "switch"
    if index in HOSTS:
        return "host"
    if index in VMS:
        return "vm"
    if index in DATABASES:
        return "database"
    return "application"


@dataclass
class Estate:
    clusters: int
    first_id: int
    items: int
    relations: int
    services: int
    seconds_items: float = 0.0
    seconds_relations: float = 0.0
    seconds_services: float = 0.0
    seconds_finish: float = 0.0
    cycles: int = 0
    notes: list = field(default_factory=list)

    def item_id(self, cluster: int, index: int) -> int:
        return self.first_id + cluster * CLUSTER + index


def structural_edges(rng: random.Random, cluster: int, estate: Estate):
    """The relations that shape one cluster: ``(source, kind, target)`` by local index,
    ``source <kind> target`` as the CMDB reads them."""
    edges = []
    for rack in RACKS:
        edges.append((rack, "part_of", ROOM))
    edges.append((STORAGE, "part_of", RACKS[0]))
    edges.append((SWITCHES[0], "part_of", RACKS[0]))
    edges.append((SWITCHES[1], "part_of", RACKS[1]))
    edges.append((SWITCHES[0], "connected_to", SWITCHES[1]))
    for n, host in enumerate(HOSTS):
        edges.append((host, "part_of", RACKS[n % 2]))
        edges.append((host, "depends_on", STORAGE))
        for switch in SWITCHES:
            edges.append((host, "connected_to", switch))
    for n, vm in enumerate(VMS):
        edges.append((vm, "runs_on", HOSTS[n % len(HOSTS)]))
    for n, database in enumerate(DATABASES):
        edges.append((database, "runs_on", VMS[n % len(VMS)]))
    below = list(DATABASES)
    for tier in TIERS:
        for app in tier:
            for needed in rng.sample(below, 2):
                edges.append((app, "depends_on", needed))
        below = list(tier)
    # back edges: a tier-1 application needs a tier-6 one (a cycle through the tiers)
    for _ in range(2):
        edges.append((rng.choice(TIERS[0]), "depends_on", rng.choice(TIERS[5])))
        estate.cycles += 1
    return edges


def seed(estate: Estate, n_items: int, n_relations: int, seed_value: int, say) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from serviceloop.core.demo import demo_load
    from serviceloop.core.models import Organisation, OrganisationKind
    from serviceloop.portfolio.models import (
        CiRelation,
        CiStatus,
        CiType,
        ConfigurationItem,
        Service,
        ServiceComponent,
        ServiceDependency,
    )

    rng = random.Random(seed_value)
    demo_load(write=lambda *_: None)
    owner = get_user_model().objects.get(username="admin")
    types = {
        code: CiType.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in TYPES
    }
    Organisation.objects.bulk_create(
        Organisation(
            kind=OrganisationKind.CUSTOMER,
            name=f"基准客户 {i:02d} Bench customer {i:02d}",
            short_name=f"B{i:02d}",
        )
        for i in range(CUSTOMERS)
    )
    customers = list(
        Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, short_name__startswith="B")
    )
    first_id = (
        ConfigurationItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    estate.first_id = first_id
    clusters = n_items // CLUSTER
    estate.clusters = clusters

    # 1. items
    began = time.perf_counter()
    batch = []
    for cluster in range(clusters):
        for index in range(CLUSTER):
            pk = estate.item_id(cluster, index)
            code = local_type(index)
            batch.append(
                ConfigurationItem(
                    pk=pk,
                    reference=f"CI-2026-{pk:07d}",
                    name=f"{code}-{cluster:04d}-{index:03d}",
                    ci_type=types[code],
                    status=CiStatus.MAINTENANCE if rng.random() < 0.01 else CiStatus.ACTIVE,
                    owner=owner,
                    location=f"DC{cluster % 4 + 1} room {cluster:04d}",
                    attributes={"cluster": cluster},
                )
            )
            if len(batch) == BATCH:
                with transaction.atomic():
                    ConfigurationItem.objects.bulk_create(batch)
                batch = []
        if cluster % 100 == 99:
            say(f"items: {(cluster + 1) * CLUSTER:,}")
    if batch:
        with transaction.atomic():
            ConfigurationItem.objects.bulk_create(batch)
    estate.items = clusters * CLUSTER
    estate.seconds_items = time.perf_counter() - began

    # 2. relations: the structure of every cluster, its platform dependencies, then extra
    # same-cluster dependencies (upper layer on lower layer) up to the relation count
    began = time.perf_counter()
    seen: set[tuple[int, str, int]] = set()
    pending: list = []
    written = 0

    def add(source: int, kind: str, target: int) -> None:
        nonlocal written, pending
        key = (source, kind, target)
        if source == target or key in seen or written + len(pending) >= n_relations:
            return
        seen.add(key)
        pending.append(CiRelation(source_id=source, kind=kind, target_id=target))
        if len(pending) == BATCH:
            flush()

    def flush() -> None:
        nonlocal written, pending
        if pending:
            with transaction.atomic():
                CiRelation.objects.bulk_create(pending)
            written += len(pending)
            pending = []

    platform = min(PLATFORM_CLUSTERS, max(1, clusters // 10))
    for cluster in range(clusters):
        for source, kind, target in structural_edges(rng, cluster, estate):
            add(estate.item_id(cluster, source), kind, estate.item_id(cluster, target))
        if cluster >= platform:
            for app in rng.sample(list(TIERS[0]), 3):
                shared = rng.randrange(platform)
                add(
                    estate.item_id(cluster, app),
                    "depends_on",
                    estate.item_id(shared, rng.choice(TIERS[5])),
                )
    layers = [list(HOSTS), list(VMS), list(DATABASES), *[list(t) for t in TIERS]]
    next_report = 100_000
    while written + len(pending) < n_relations:
        cluster = rng.randrange(clusters)
        upper = rng.randrange(1, len(layers))
        lower = rng.randrange(max(0, upper - 2), upper)
        kind = "connected_to" if rng.random() < 0.2 else "depends_on"
        add(
            estate.item_id(cluster, rng.choice(layers[upper])),
            kind,
            estate.item_id(cluster, rng.choice(layers[lower])),
        )
        if written >= next_report:
            say(f"relations: {written:,}")
            while next_report <= written:
                next_report += 100_000
    flush()
    estate.relations = written
    estate.seconds_relations = time.perf_counter() - began

    # 3. services: two per cluster, built on its top applications and a database; the second
    # needs a platform cluster's first service; 1-3 customers each
    began = time.perf_counter()
    Service.objects.bulk_create(
        Service(
            code=f"svc-{cluster:04d}-{k}",
            name=f"服务 Service {cluster:04d}-{k}",
            status="live",
            owner=owner,
            summary="Bench service",
        )
        for cluster in range(clusters)
        for k in range(2)
    )
    services = list(Service.objects.filter(code__startswith="svc-").order_by("code"))
    by_code = {s.code: s for s in services}
    components, dependencies, entitlements = [], [], []
    through = Service.customers.through
    for cluster in range(clusters):
        first, second = by_code[f"svc-{cluster:04d}-0"], by_code[f"svc-{cluster:04d}-1"]
        for index in rng.sample(list(TIERS[5]), 2):
            components.append(
                ServiceComponent(
                    service=first, configuration_item_id=estate.item_id(cluster, index)
                )
            )
        components.append(
            ServiceComponent(
                service=second,
                configuration_item_id=estate.item_id(cluster, rng.choice(TIERS[3])),
            )
        )
        components.append(
            ServiceComponent(
                service=second,
                configuration_item_id=estate.item_id(cluster, rng.choice(DATABASES)),
                role="runs_on",
            )
        )
        if cluster >= platform:
            dependencies.append(
                ServiceDependency(
                    service=second, depends_on=by_code[f"svc-{rng.randrange(platform):04d}-0"]
                )
            )
        for service in (first, second):
            for customer in rng.sample(customers, rng.randint(1, 3)):
                entitlements.append(through(service_id=service.pk, organisation_id=customer.pk))
    with transaction.atomic():
        ServiceComponent.objects.bulk_create(components, batch_size=BATCH)
        ServiceDependency.objects.bulk_create(dependencies, batch_size=BATCH)
        through.objects.bulk_create(entitlements, batch_size=BATCH, ignore_conflicts=True)
    estate.services = len(services)
    estate.seconds_services = time.perf_counter() - began

    began = time.perf_counter()
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [ConfigurationItem]):
            cursor.execute(statement)
        # what autovacuum does on a live database (statistics, and the visibility map that
        # lets PostgreSQL answer from the indexes alone)
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    estate.seconds_finish = time.perf_counter() - began


# --- Measuring --------------------------------------------------------------------------------


def percentile(samples, p) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Case:
    label: str
    real_ms: list = field(default_factory=list)
    base_ms: list = field(default_factory=list)
    queries_real: int = 0
    queries_base: int = 0
    equal: bool = True
    sizes: list = field(default_factory=list)  # (items, services, customers, depth)


def measure(label: str, starts: list[int], max_depth: int, say) -> Case:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from serviceloop.portfolio.impact import impact_of
    from serviceloop.portfolio.tests.impact_reference import impact_by_levels

    case = Case(label)
    # warm-up (caches, plans) on an item that is not measured
    impact_of([starts[-1]], max_depth=max_depth)
    impact_by_levels([starts[-1]], max_depth=max_depth)
    for n, start in enumerate(starts[:-1]):
        order = (0, 1) if n % 2 == 0 else (1, 0)
        answers = {}
        for which in order:
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                if which == 0:
                    answers[0] = impact_of([start], max_depth=max_depth)
                else:
                    answers[1] = impact_by_levels([start], max_depth=max_depth)
                elapsed = (time.perf_counter() - began) * 1000
            if which == 0:
                case.real_ms.append(elapsed)
                case.queries_real = len(queries.captured_queries)
            else:
                case.base_ms.append(elapsed)
                case.queries_base = len(queries.captured_queries)
        reset_queries()
        real = answers[0]
        case.equal = case.equal and real == answers[1]
        case.sizes.append(
            (
                len(real.items),
                len(real.services),
                len(real.customers),
                max((i.depth for i in real.items), default=0),
                len(real.edges),
            )
        )
    say(f"{label}: {len(case.real_ms)} repeats, equal: {case.equal}")
    return case


def print_case(case: Case, target: bool) -> None:
    p50, p95 = statistics.median(case.real_ms), percentile(case.real_ms, 95)
    b50, b95 = statistics.median(case.base_ms), percentile(case.base_ms, 95)
    items = [s[0] for s in case.sizes]
    services = [s[1] for s in case.sizes]
    customers = [s[2] for s in case.sizes]
    depth = max(s[3] for s in case.sizes)
    edges = [s[4] for s in case.sizes]
    print(
        f"   impacted per repeat: items {min(items):,}-{max(items):,}, services "
        f"{min(services):,}-{max(services):,}, customers {min(customers)}-{max(customers)}, "
        f"graph edges {min(edges):,}-{max(edges):,}; deepest level {depth}"
    )
    print(f"   {'':44}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    print(
        f"   {'impact_of (one WITH RECURSIVE query)':44}{p50:>9.1f}{p95:>9.1f}"
        f"{case.queries_real:>9}"
    )
    print(f"   {'per-level walk (baseline)':44}{b50:>9.1f}{b95:>9.1f}{case.queries_base:>9}")
    verdict = ""
    if target:
        verdict = (
            f"   target p95 <= {TARGET_P95_MS} ms: {'MET' if p95 <= TARGET_P95_MS else 'MISSED'}"
        )
    print(
        f"   answers equal in every repeat: {'yes' if case.equal else 'NO'}; "
        f"baseline/impact_of at p50: {b50 / p50:.1f}x ({len(case.real_ms)} repeats, interleaved)"
    )
    if verdict:
        print(verdict)
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--items", type=int, help="configuration items (default 200,000)")
    add("--relations", type=int, help="relations (default 3 per item)")
    add("--database-url", help="sqlite (default), postgres or postgres://USER@HOST:PORT/DB")
    add("--quick", action="store_true", help="smoke run: 10,000 items, few repeats")
    add("--repeats", type=int, help="timed impact computations per case (default 30)")
    add("--max-depth", type=int, default=16, help="impact depth limit (16)")
    add("--schema", choices=["auto", "migrate", "models"], default="auto")
    add("--seed", type=int, default=1)
    add("--keep", action="store_true", help="keep the database and data directory")
    options = parser.parse_args()
    n_items = options.items or (10_000 if options.quick else 200_000)
    n_relations = options.relations or 3 * n_items
    repeats = options.repeats or (8 if options.quick else 30)
    if n_items < CLUSTER * 2:
        parser.error(f"--items: at least {CLUSTER * 2}")

    target = make_target(options.database_url)
    began = time.perf_counter()

    def say(text):
        print(f"[{time.perf_counter() - began:7.1f} s] {text}", file=sys.stderr, flush=True)

    try:
        configure_django(target)
        from django.db import connection

        schema = build_schema(options.schema)
        say(f"schema: {schema}")
        estate = Estate(clusters=0, first_id=1, items=0, relations=0, services=0)
        seed(estate, n_items, n_relations, options.seed, say)
        say(f"seeded {estate.items:,} items, {estate.relations:,} relations")
        postgres = target.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version" if postgres else "SELECT sqlite_version()")
            engine = ("PostgreSQL " if postgres else "SQLite ") + cursor.fetchone()[0]

        rng = random.Random(options.seed + 1)
        platform = min(PLATFORM_CLUSTERS, max(1, estate.clusters // 10))
        ordinary = list(range(platform, estate.clusters))
        deep = [
            estate.item_id(c, ROOM) for c in rng.sample(ordinary, min(repeats + 1, len(ordinary)))
        ]
        wide = [estate.item_id(c, ROOM) for c in range(platform)]
        wide = (wide * (repeats // len(wide) + 2))[: min(repeats, 10) + 1]

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"cmdb benchmark: {engine}, {estate.items:,} items, {estate.relations:,} relations, "
            f"{estate.services:,} services, {CUSTOMERS} customers; seed {options.seed}, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}"
        )
        print(f"schema: {schema}; depth limit {options.max_depth}")
        print()
        print("1. seeding (bulk_create, batches of 5,000, one transaction each)")
        print(
            f"   items      {estate.items:>9,} in {estate.seconds_items:6.1f} s: "
            f"{estate.items / estate.seconds_items:>9,.0f}/s"
        )
        print(
            f"   relations  {estate.relations:>9,} in {estate.seconds_relations:6.1f} s: "
            f"{estate.relations / estate.seconds_relations:>9,.0f}/s "
            f"({estate.cycles:,} back edges making cycles)"
        )
        print(
            f"   services   {estate.services:>9,} in {estate.seconds_services:6.1f} s "
            f"(components, dependencies, entitlements); VACUUM/ANALYZE {estate.seconds_finish:.1f} s"
        )
        print()
        print("2. impact of a deep item: a data-centre room of an ordinary cluster")
        print_case(measure("deep", deep, options.max_depth, say), target=True)
        print("3. impact of a wide item: a platform cluster's room (for scale, no target)")
        print_case(measure("wide", wide, options.max_depth, say), target=False)
        print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if options.keep:
            print(f"kept: DATABASE_URL={target.url}", file=sys.stderr)
        from django.db import connections

        connections.close_all()
        if not options.keep:
            target.drop()
        elif target.vendor == "postgresql":
            shutil.rmtree(target.data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
