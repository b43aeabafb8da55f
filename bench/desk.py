"""Benchmark the service desk at scale, each figure beside a baseline measured in the same run.

    python bench/desk.py [--n N] [--database-url URL] [--quick] [--keep]
    python bench/desk.py --reuse DATABASE_URL [--only queue,create,recompute]

``--database-url``: absent or ``sqlite`` for a temporary SQLite file (default N = 100,000);
``postgres`` or ``postgres://USER@HOST:PORT/DB`` for a PostgreSQL server, on which the run
creates a uniquely named database and drops it at the end (default N = 1,000,000).
``--quick``: a smoke run (N = 2,000, few repeats). ``--keep``: keep the database and print
its URL (for EXPLAIN and profiles, or ``--reuse``: measure again without seeding again).
The tables come from the migrations, or from the models when these are ahead of the
migration files (work in progress; the report says so).

Figures (the baseline of each in brackets):
1. seeding: tickets/s of realistic tickets over the last 12 months with their history,
   written by ``bulk_create`` in batches of ``--batch`` tickets (one transaction each)
   [the same rows by a raw ``executemany`` INSERT into twin tables of identical schema,
   batch by batch interleaved with the ORM, over the first ``--baseline-n`` tickets];
2. agent queue, first page and the page reached after 50 "Next page" steps, views "all" and
   "open", sorts newest and due: p50/p95 ms of ``desk.views.tickets.queue`` through Django's
   test ``Client`` signed in as an agent [a view rendering the same template from one
   hand-written SQL query; its rows must render identically], and the queries per request
   for a full page and a page of 3 rows;
3. ticket create, 4 concurrent clients: ``POST /api/v1/tickets/`` to gunicorn (4 workers)
   when the route exists, else ``ticket_create`` from 4 threads; once with a category (the
   team comes from its routing, the agent by round-robin) and once without [as many raw
   INSERTs of ticket rows from 4 connections]. E-mail deliveries and the search re-index are
   queued (Huey, not immediate), as in a web request in production;
4. SLA recompute: ``sla_recompute`` over every seeded ticket, tickets/s [``sla_clock.replay``
   alone on events loaded beforehand], plus a pass where every ticket has changed.

Seeded tickets carry SLA fields computed by the product's own ``ticket_sla_refresh`` as of
the run's fixed instant, so a recompute as of that instant must change nothing.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UTC = dt.UTC
QUEUE_TARGET_MS = 50
QUEUE_TARGET_RATIO = 1.5
CREATE_TARGET = 100
RECOMPUTE_TARGET = 5_000
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


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
    data_dir = Path(tempfile.mkdtemp(prefix="serviceloop-bench-desk-"))
    if not database_url or database_url == "sqlite":
        return Target(f"sqlite:///{data_dir / 'bench.sqlite3'}", "sqlite", data_dir)
    if database_url in ("postgres", "postgresql"):
        database_url = DEFAULT_POSTGRES
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database-url: sqlite, postgres or postgres://USER@HOST:PORT/DB")
    import psycopg

    name = f"sl_bench_desk_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(database_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    return Target(url, "postgresql", data_dir, admin_url=database_url, name=name)


def configure_django(target: Target) -> dict:
    """The environment of this process and of the gunicorn server: the project's test
    settings (DEBUG off, plain static files) on the benchmark's own database; the queue
    is not immediate, so a request only enqueues its e-mail deliveries, as in production."""
    env = {
        "DJANGO_SETTINGS_MODULE": "serviceloop.settings_test",
        "SERVICELOOP_DATA_DIR": str(target.data_dir),
        "DATABASE_URL": target.url,
        "HUEY_IMMEDIATE": "0",
        "LOG_LEVEL": "WARNING",
        "SERVICELOOP_DEMO_PASSWORD": "bench-Password-2026",
    }
    os.environ.update(env)
    (target.data_dir / "static").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    return env


def pending_model_changes() -> dict[str, int]:
    """Model changes without a migration file, per app (what makemigrations would write)."""
    from django.apps import apps
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState
    from django.utils import translation

    loader = MigrationLoader(None, ignore_no_migrations=True)
    with translation.override(None):  # as makemigrations runs: verbose names untranslated
        changes = MigrationAutodetector(
            loader.project_state(), ProjectState.from_apps(apps)
        ).changes(graph=loader.graph)
    return {label: sum(len(m.operations) for m in found) for label, found in changes.items()}


def build_schema(mode: str) -> str:
    """Migrate; when the models are ahead of the migration files (other work in progress),
    build the tables from the models instead, as ``pytest --nomigrations`` does."""
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
    return (
        f"tables built from the models (--schema models; migrations missing: {missing or 'none'})"
    )


# --- The world the tickets live in ------------------------------------------------------------


@dataclass
class World:
    admin: object
    agent: object
    provider: object
    customers: list
    weights: list
    requesters: dict
    tiny: object  # a customer with exactly 3 tickets: the "page of 3 rows"
    routes: list  # (category, team, agents of the team)
    version: object  # the SLA policy version every ticket matched
    t0: dt.datetime  # the run's fixed "now": seeded SLA figures are as of this instant
    matrix: list = field(default_factory=list)


def build_world(customers: int = 20, people_per_customer: int = 10) -> World:
    """The demo organisation, then more customers, people and agents through the services;
    the demo's categories, routing and SLA targets (China working days)."""
    from django.utils import timezone

    from serviceloop.core.demo import demo_load
    from serviceloop.core.models import Calendar, Organisation, OrganisationKind, Team, User
    from serviceloop.core.roles import Role
    from serviceloop.core.services.organisations import (
        organisation_create,
        person_create,
        team_update,
    )
    from serviceloop.desk.demo import CATEGORIES, TARGETS
    from serviceloop.desk.models import Category, SlaPolicy, SlaPolicyVersion
    from serviceloop.desk.models.config import DEFAULT_MATRIX

    demo_load(write=lambda *_: None)
    admin = User.objects.get(username="admin")
    provider = Organisation.objects.get(kind=OrganisationKind.PROVIDER)
    calendar = Calendar.objects.get(name="cn-workdays")
    for i in range(customers):
        organisation = organisation_create(
            actor=admin,
            kind=OrganisationKind.CUSTOMER,
            name=f"客户 {i:02d} Customer {i:02d}",
            short_name=f"C{i:02d}",
            calendar=calendar,
            email_domain=f"c{i:02d}.example.cn",
        )
        for j in range(people_per_customer):
            person_create(
                actor=admin,
                organisation=organisation,
                username=f"c{i:02d}.user{j:02d}",
                role=Role.CUSTOMER_MANAGER if j == 0 else Role.CUSTOMER_USER,
                display_name=f"用户 {i:02d}-{j:02d}",
                email=f"user{j:02d}@c{i:02d}.example.cn",
            )
    tiny = organisation_create(
        actor=admin, kind=OrganisationKind.CUSTOMER, name="小客户 Tiny Customer", short_name="TINY"
    )
    person_create(actor=admin, organisation=tiny, username="tiny.user", role=Role.CUSTOMER_USER)
    agents = [
        person_create(
            actor=admin,
            organisation=provider,
            username=f"agent{k:02d}",
            role=Role.AGENT,
            display_name=f"坐席 Agent {k:02d}",
            email=f"agent{k:02d}@cloudstack.example.cn",
        )
        for k in range(10)
    ]
    teams = {team.name: team for team in Team.objects.all()}
    for index, team in enumerate(teams.values()):
        members = list(team.members.all()) + agents[index::2]
        team_update(actor=admin, team=team, members=members)
    routes = []
    for name, team_name in CATEGORIES:
        team = teams[team_name]
        category = Category.objects.create(name=name, default_team=team)
        working = [m for m in team.members.order_by("pk") if m.role in (Role.AGENT, Role.TEAM_LEAD)]
        routes.append((category, team, working))
    t0 = timezone.now().replace(microsecond=0)
    policy = SlaPolicy.objects.create(name="标准服务级别 Standard SLA", rank=100)
    version = SlaPolicyVersion.objects.create(
        policy=policy,
        number=1,
        calendar=calendar,
        targets=TARGETS,
        warn_percent=75,
        published_at=t0 - dt.timedelta(days=400),
    )
    version = SlaPolicyVersion.objects.select_related("calendar").get(pk=version.pk)
    customers_list = list(Organisation.objects.customers().exclude(pk=tiny.pk).order_by("pk"))
    requesters = {
        o.pk: list(User.objects.filter(organisation=o).order_by("pk"))
        for o in [*customers_list, tiny]
    }
    # A few large customers and a long tail, as real desks have.
    weights = [1 / (rank + 1) for rank in range(len(customers_list))]
    return World(
        admin=admin,
        agent=User.objects.get(username="agent"),
        provider=provider,
        customers=customers_list,
        weights=weights,
        requesters=requesters,
        tiny=tiny,
        routes=routes,
        version=version,
        t0=t0,
        matrix=DEFAULT_MATRIX,
    )


# --- Seeding ----------------------------------------------------------------------------------

SENTENCES = (
    "用户反馈从今天上午开始出现该问题，影响日常办公。",
    "已尝试重启电脑和重新登录，问题依旧。",
    "The issue started after this morning's update and affects the whole team.",
    "错误提示：连接超时，请稍后重试。",
    "Please call back on the desk phone; mobile coverage is poor in the warehouse.",
    "同一楼层的其他同事也有类似情况。",
    "截图已附上，麻烦尽快处理。",
    "Happens every time I open the monthly report.",
)
RAISE = {"P4": "P3", "P3": "P2", "P2": "P1"}


class TicketGenerator:
    """Realistic tickets, created at evenly jittered instants over the 12 months before t0
    (ids grow with time), routed by category round-robin, worked through the lifecycle the
    way the services record it, their SLA fields replayed by ``ticket_sla_refresh``."""

    def __init__(self, world: World, n: int, seed: int):
        from serviceloop.desk.demo import SERVICES, TITLES

        self.world, self.n = world, n
        self.rng = random.Random(seed)
        self.titles, self.services = TITLES, SERVICES
        self.start = world.t0 - dt.timedelta(days=365)
        self.span = 365 * 86_400
        self.numbers: dict[tuple[str, int], int] = {}
        self.turn = [0] * len(world.routes)
        self.event_id = 0
        self.events_made = 0
        from serviceloop.desk.models import TicketEvent

        self.event_fields = [f.attname for f in TicketEvent._meta.concrete_fields]

    def reference(self, prefix: str, created: dt.datetime) -> str:
        from django.utils import timezone

        key = (prefix, timezone.localtime(created).year)
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{prefix}-{key[1]}-{self.numbers[key]:06d}"

    def batch(self, first: int, count: int):
        """Tickets ``first .. first+count-1`` (0-based) and their events, unsaved, with ids."""
        tickets, events = [], []
        for index in range(first, min(first + count, self.n)):
            ticket, history = self.ticket(index)
            tickets.append(ticket)
            events.extend(history)
        self.events_made += len(events)
        return tickets, events

    def ticket(self, index: int):
        from serviceloop.desk.lifecycle import Status
        from serviceloop.desk.models import EventKind, Kind, Source, Ticket, TicketEvent
        from serviceloop.desk.sla import ticket_sla_refresh

        rng, world, t0 = self.rng, self.world, self.world.t0
        offset = int((index + rng.random()) * self.span / self.n)
        created = self.start + dt.timedelta(seconds=offset)
        organisation = world.tiny if index < 3 else rng.choices(world.customers, world.weights)[0]
        requester = rng.choice(world.requesters[organisation.pk])
        route = rng.randrange(len(world.routes))
        category, team, agents = world.routes[route]
        assignee = agents[self.turn[route] % len(agents)]
        self.turn[route] += 1
        title = rng.choice(self.titles[category.name])
        kind = Kind.REQUEST if ("申请" in title or "New" in title) else Kind.INCIDENT
        impact, urgency = rng.choice([2, 3, 3, 4, 4, 4]), rng.choice([1, 2, 3, 3, 4])
        priority = world.matrix[impact - 1][urgency - 1]
        source = rng.choice([Source.PORTAL, Source.EMAIL, Source.AGENT, Source.API])
        creator = world.agent.pk if source == Source.AGENT else None
        ticket = Ticket(
            id=index + 1,
            reference=self.reference("REQ" if kind == Kind.REQUEST else "INC", created),
            kind=kind,
            organisation_id=organisation.pk,
            requester_id=requester.pk,
            title=title,
            description=" ".join(rng.sample(SENTENCES, rng.randint(1, 4))),
            service=rng.choice(self.services),
            category_id=category.pk,
            impact=impact,
            urgency=urgency,
            priority=priority,
            status=Status.ASSIGNED,
            team_id=team.pk,
            assignee_id=assignee.pk,
            source=source,
            idempotency_key=f"<{uuid.UUID(int=rng.getrandbits(128))}@mail.example.cn>"
            if source == Source.EMAIL
            else "",
            created_at=created,
            updated_at=created,
        )
        ticket.sla_version = world.version
        history: list = []

        def add(at, kind, actor=None, from_value="", to_value="", response=False, **payload):
            if at > t0:
                return False
            self.event_id += 1
            values = {
                "id": self.event_id,
                "ticket_id": ticket.id,
                "at": at,
                "actor_id": actor,
                "kind": kind,
                "from_value": str(from_value),
                "to_value": str(to_value),
                "provider_response": response,
                "payload": payload,
            }
            # Positional arguments in field order: Model.__init__'s fast path.
            history.append(TicketEvent(*[values[name] for name in self.event_fields]))
            return True

        def move(at, target, actor=None, response=False, **payload):
            if not add(at, EventKind.STATUS, actor, ticket.status, target, response, **payload):
                return False
            ticket.status = target
            ticket.updated_at = at
            return True

        minutes = dt.timedelta(minutes=1)
        add(
            created,
            EventKind.CREATED,
            creator,
            to_value=Status.NEW,
            priority=priority,
            source=source,
        )
        add(created, EventKind.ASSIGNED, creator, to_value=assignee.pk, team=team.pk)
        add(created, EventKind.STATUS, creator, Status.NEW, Status.ASSIGNED)
        at = created + rng.randint(5, 240) * minutes
        worked = add(at, EventKind.REPLY, assignee.pk, response=True)
        if worked:
            ticket.first_response_at = at
            worked = move(at + minutes, Status.IN_PROGRESS, assignee.pk)
        if worked and rng.random() < 0.04 and ticket.priority in RAISE:
            at += rng.randint(10, 120) * minutes
            raised = RAISE[ticket.priority]
            if add(at, EventKind.PRIORITY, assignee.pk, ticket.priority, raised):
                ticket.priority = raised
            else:
                worked = False
        branch = rng.random()
        if worked and branch < 0.25:  # waits for the customer, who answers
            at += rng.randint(10, 120) * minutes
            worked = move(at, Status.WAITING_CUSTOMER, assignee.pk)
            at += rng.randint(60, 48 * 60) * minutes
            worked = worked and add(at, EventKind.REPLY, requester.pk)
            worked = worked and move(
                at, Status.IN_PROGRESS, requester.pk, reason="customer replied"
            )
        elif worked and branch < 0.28:  # waits weeks for a supplier
            at += rng.randint(10, 120) * minutes
            worked = move(at, Status.WAITING_SUPPLIER, assignee.pk)
            at += rng.randint(5 * 24 * 60, 40 * 24 * 60) * minutes
            worked = worked and move(at, Status.IN_PROGRESS, assignee.pk)
        at += rng.randint(30, 3 * 24 * 60) * minutes
        if worked and rng.random() < 0.01:
            move(at, Status.CANCELLED, assignee.pk, True, note="Raised twice.")
        elif worked and move(at, Status.RESOLVED, assignee.pk, True, note="已处理完毕。Fixed."):
            ticket.resolved_at, ticket.resolution = at, "已处理完毕。Fixed."
            if rng.random() < 0.3:
                ticket.csat_score, ticket.csat_at = rng.choice([3, 4, 5, 5, 5, 2]), at
            at += rng.randint(1, 5) * 24 * 60 * minutes
            if move(at, Status.CLOSED):
                ticket.closed_at = at
        ticket.version = len(history) - 2
        ticket_sla_refresh(ticket, now=t0, events=history)
        return ticket, history


def twin_tables(connection, models) -> dict:
    """Empty copies of ``models``' tables (columns, defaults, indexes, unique and foreign-key
    constraints), references between them redirected to the copies: the raw baseline's target."""
    names = {m._meta.db_table: f"bench_twin_{m._meta.db_table}" for m in models}
    with connection.cursor() as cursor:
        for table, twin in names.items():
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s "
                    "AND sql IS NOT NULL ORDER BY type DESC",
                    [table],
                )
                for kind, name, sql in cursor.fetchall():
                    for source, copy in names.items():
                        sql = sql.replace(f'"{source}"', f'"{copy}"')
                    if kind == "index":
                        sql = sql.replace(f'"{name}"', f'"bench_twin_{name}"', 1)
                    cursor.execute(sql)
            else:
                cursor.execute(f'CREATE TABLE "{twin}" (LIKE "{table}" INCLUDING ALL)')
                cursor.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for number, (definition,) in enumerate(cursor.fetchall()):
                    for source, copy in names.items():
                        definition = re.sub(
                            rf"REFERENCES {source}\(", f"REFERENCES {copy}(", definition
                        )
                    cursor.execute(
                        f'ALTER TABLE "{twin}" ADD CONSTRAINT "{twin}_fk{number}" {definition}'
                    )
    return names


def raw_rows(connection, model, objects) -> tuple[str, list[tuple]]:
    """The INSERT statement and parameter tuples of ``objects``, values prepared beforehand
    (what the database driver receives; the ORM's own preparation is not timed here)."""
    fields = model._meta.concrete_fields
    columns = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["?" if connection.vendor == "sqlite" else "%s"] * len(fields))
    rows = [
        tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        for obj in objects
    ]
    return f"({columns}) VALUES ({marks})", rows


@dataclass
class SeedReport:
    tickets: int = 0
    events: int = 0
    generate_s: float = 0.0
    orm_s: float = 0.0
    baseline_tickets: int = 0
    baseline_orm_s: float = 0.0
    baseline_raw_s: float = 0.0
    baseline_prep_s: float = 0.0  # turning the same objects into driver parameters
    finish_s: float = 0.0


def seed(world: World, n: int, batch: int, baseline_n: int, seed_value: int, say) -> SeedReport:
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from serviceloop.core.models import ReferenceSequence
    from serviceloop.desk.models import Ticket, TicketEvent

    report = SeedReport()
    generator = TicketGenerator(world, n, seed_value)
    twins = twin_tables(connection, [Ticket, TicketEvent]) if baseline_n else {}

    def orm(tickets, events) -> float:
        started = time.perf_counter()
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=batch)
            TicketEvent.objects.bulk_create(events, batch_size=2 * batch)
        return time.perf_counter() - started

    def raw(tickets, events) -> float:
        started = time.perf_counter()
        statements = [
            (f'INSERT INTO "{twins[m._meta.db_table]}" ', *raw_rows(connection, m, objs))
            for m, objs in ((Ticket, tickets), (TicketEvent, events))
        ]
        report.baseline_prep_s += time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic():
            cursor = connection.connection.cursor()
            for head, tail, rows in statements:
                cursor.executemany(head + tail, rows)
            cursor.close()
        return time.perf_counter() - started

    began = time.perf_counter()
    for first in range(0, n, batch):
        started = time.perf_counter()
        tickets, events = generator.batch(first, batch)
        report.generate_s += time.perf_counter() - started
        in_baseline = first < baseline_n
        raw_first = (first // batch) % 2  # alternate which goes first
        if in_baseline and raw_first:
            report.baseline_raw_s += raw(tickets, events)
        elapsed = orm(tickets, events)
        report.orm_s += elapsed
        if in_baseline:
            report.baseline_orm_s += elapsed
            report.baseline_tickets += len(tickets)
            if not raw_first:
                report.baseline_raw_s += raw(tickets, events)
        report.tickets += len(tickets)
        report.events += len(events)
        if report.tickets * 10 // n != (report.tickets - len(tickets)) * 10 // n:
            rate = report.tickets / (time.perf_counter() - began)
            say(f"  seeded {report.tickets:,} tickets ({rate:,.0f}/s overall, generation included)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Ticket, TicketEvent]):
            cursor.execute(statement)
        for twin in reversed(twins.values()):
            cursor.execute(
                f'DROP TABLE "{twin}"' + (" CASCADE" if connection.vendor != "sqlite" else "")
            )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")  # what autovacuum does on a live database
    for (prefix, year), last in generator.numbers.items():
        ReferenceSequence.objects.update_or_create(
            kind=prefix, year=year, defaults={"last_number": last}
        )
    report.finish_s = time.perf_counter() - started
    return report


# --- The agent queue ---------------------------------------------------------------------------


class BaselineRow:
    """What ``desk/_queue_rows.html`` reads of a ticket, filled from the hand-written query."""

    def __init__(self, values, parse):
        (
            self.pk,
            self.reference,
            self.is_major,
            self.title,
            self.priority,
            self.status,
            self.sla_version_id,
            self.resolution_breached,
            self.response_breached,
            self.sla_paused,
            resolution_due_at,
            resolution_met_at,
            created_at,
            short_name,
            name,
            assignee_id,
            display_name,
            first_name,
            last_name,
            username,
        ) = values
        self.resolution_due_at = parse(resolution_due_at)
        self.resolution_met_at = parse(resolution_met_at)
        self.created_at = parse(created_at)
        self.organisation = _Named(short_name=short_name, name=name)
        full_name = f"{first_name} {last_name}".strip()
        self.assignee = _Named(label=display_name or full_name or username) if assignee_id else None

    def get_status_display(self):
        from serviceloop.desk.lifecycle import Status

        return Status(self.status).label


class _Named:
    def __init__(self, label="", **attributes):
        self.label = label
        self.__dict__.update(attributes)

    def __str__(self):
        return self.label


def _encode_cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str):
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return (dt.datetime.fromisoformat(value) if value else None), int(pk)
    except (ValueError, TypeError):
        return None


def baseline_rows(*, view, sort, organisation, cursor, size=50):
    """The page's tickets from one hand-written SQL query: only the columns the rows show,
    keyset on (sort value, id) with row-value comparisons."""
    from django.db import connection

    from serviceloop.core.models import Organisation, User
    from serviceloop.desk.lifecycle import OPEN_STATUSES
    from serviceloop.desk.models import Ticket

    where, params = [], []
    if view == "open":
        where.append(f"t.status IN ({', '.join(['%s'] * len(OPEN_STATUSES))})")
        params += sorted(OPEN_STATUSES)
    if organisation is not None:
        where.append("t.organisation_id = %s")
        params.append(organisation.pk)
    after = _decode_cursor(cursor) if cursor else None
    adapt = connection.ops.adapt_datetimefield_value
    if sort == "due":
        column, order = "resolution_due_at", "t.resolution_due_at ASC NULLS LAST, t.id ASC"
        if after is not None and after[0] is None:
            where.append("t.resolution_due_at IS NULL AND t.id > %s")
            params.append(after[1])
        elif after is not None:
            where.append("((t.resolution_due_at, t.id) > (%s, %s) OR t.resolution_due_at IS NULL)")
            params += [adapt(after[0]), after[1]]
    else:
        column, order = "created_at", "t.created_at DESC, t.id DESC"
        if after is not None:
            where.append("(t.created_at, t.id) < (%s, %s)")
            params += [adapt(after[0]), after[1]]
    sql = (
        "SELECT t.id, t.reference, t.is_major, t.title, t.priority, t.status, t.sla_version_id,"
        " t.resolution_breached, t.response_breached, t.sla_paused, t.resolution_due_at,"
        " t.resolution_met_at, t.created_at, o.short_name, o.name, a.id, a.display_name,"
        " a.first_name, a.last_name, a.username"
        f" FROM {Ticket._meta.db_table} t"
        f" JOIN {Organisation._meta.db_table} o ON o.id = t.organisation_id"
        f" LEFT JOIN {User._meta.db_table} a ON a.id = t.assignee_id"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {order} LIMIT {size + 1}"
    )

    def parse(value):
        if isinstance(value, str):  # SQLite hands back text; the ORM's converter does this
            value = dt.datetime.fromisoformat(value)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    with connection.cursor() as db:
        db.execute(sql, params)
        rows = [BaselineRow(values, parse) for values in db.fetchall()]
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more:
        value = getattr(rows[-1], column)
        next_cursor = _encode_cursor([value.isoformat() if value else None, rows[-1].pk])
    return rows, next_cursor


class HandWrittenQueries:
    """Stands in for ``serviceloop.desk.queries`` while the baseline view runs: the queue's
    rows come from ``baseline_rows``; every other name is the real module's."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def queue_tickets(
        self, user, *, view="mine", priority="", status="", organisation=None, q="", now=None
    ):
        if view not in ("all", "open") or priority or status or q:
            raise NotImplementedError("the baseline covers the views all and open, unfiltered")
        return {"view": view, "organisation": organisation}

    def keyset_page(self, spec, *, sort="newest", cursor="", size=None):
        rows, next_cursor = baseline_rows(
            **spec, sort=sort, cursor=cursor, size=size or self.real.PAGE_SIZE
        )
        return self.real.QueuePage(tickets=rows, next_cursor=next_cursor, has_previous=bool(cursor))


def baseline_queue(request):
    """``desk.views.tickets.queue`` itself, its two row-fetching calls answered by
    ``HandWrittenQueries``: same checks, forms, context and template, only the rows differ
    in how they are fetched."""
    from serviceloop.desk.views import tickets as views

    real = views.queries
    views.queries = HandWrittenQueries(real)
    try:
        return views.queue(request)
    finally:
        views.queries = real


def install_baseline_url() -> str:
    from django.urls import clear_url_caches, path

    from serviceloop import urls

    urls.urlpatterns.append(path("bench/queue-baseline/", baseline_queue))
    clear_url_caches()
    return "/bench/queue-baseline/"


ROWS = re.compile(r'<tbody id="queue-rows">(.*?)</tbody>', re.S)
NEXT = re.compile(r'hx-get="[^"]*after=([A-Za-z0-9_-]+)')


def rows_html(response) -> str:
    assert response.status_code == 200, response.status_code
    found = ROWS.search(response.content.decode())
    assert found, "no queue table in the page"
    return found.group(1)


def percentile(samples, p) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class QueueCase:
    view: str
    sort: str
    page: str  # first | deep (after k steps)
    steps: int
    rows: int
    real_ms: list
    base_ms: list
    identical: bool


def queue_bench(world: World, repeats: int, steps: int, say):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(world.agent)
    baseline_url = install_baseline_url()
    cases, counts = [], {}

    def get(url, params):
        started = time.perf_counter()
        response = client.get(url, params)
        return response, (time.perf_counter() - started) * 1000

    for view in ("all", "open"):
        for sort in ("newest", "due"):
            params = {"view": view, "sort": sort}
            walked, cursor, step_ms = 0, "", []
            for _ in range(steps):
                response, ms = get("/desk/", {**params, "after": cursor} if cursor else params)
                step_ms.append(ms)
                found = NEXT.search(response.content.decode())
                if not found:
                    break
                cursor, walked = found.group(1), walked + 1
            for page, after in (("first", ""), ("deep", cursor)):
                query = {**params, "after": after} if after else params
                real_rows = rows_html(client.get("/desk/", query))
                base_rows = rows_html(client.get(baseline_url, query))
                real_ms, base_ms = [], []
                for r in range(repeats):
                    order = (("/desk/", real_ms), (baseline_url, base_ms))
                    for url, sink in order if r % 2 else order[::-1]:
                        sink.append(get(url, query)[1])
                cases.append(
                    QueueCase(
                        view,
                        sort,
                        page,
                        walked if page == "deep" else 0,
                        real_rows.count("<tr>"),
                        real_ms,
                        base_ms,
                        real_rows == base_rows,
                    )
                )
            say(
                f"  queue view={view} sort={sort}: {walked} next steps, "
                f"step p50 {statistics.median(step_ms):.1f} ms"
            )
    # The same query shape twice: the largest customer's page (full) and the tiny one's (3).
    for label, params in (
        ("50 rows", {"view": "all", "sort": "newest", "organisation": world.customers[0].pk}),
        ("3 rows", {"view": "all", "sort": "newest", "organisation": world.tiny.pk}),
    ):
        for path, name in (("/desk/", "real"), (baseline_url, "baseline")):
            with CaptureQueriesContext(connection) as captured:
                html = rows_html(client.get(path, params))
            counts[(name, label)] = (len(captured), html.count("<tr>"))
    return cases, counts


# --- Ticket create ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_available() -> bool:
    from django.urls import NoReverseMatch, Resolver404, resolve

    try:
        resolve("/api/v1/tickets/")
        return True
    except (Resolver404, NoReverseMatch):
        return False


def create_payload(world: World, k: int, routed: bool) -> dict:
    """Ticket ``k``'s body: an agent raises it for a customer's person; ``routed``: with a
    category, which routes it to a team whose next agent (round-robin) gets it."""
    rng = random.Random(k)
    organisation = rng.choice(world.customers)
    payload = {
        "requester": str(rng.choice(world.requesters[organisation.pk]).uuid),
        "kind": "incident",
        "title": f"基准测试工单 Benchmark ticket {k}",
        "description": " ".join(rng.sample(SENTENCES, 3)),
        "service": "VPN",
        "impact": rng.choice([2, 3, 4]),
        "urgency": rng.choice([1, 2, 3, 4]),
    }
    if routed:
        payload["category"] = world.routes[k % len(world.routes)][0].name
    return payload


@dataclass
class CreateRun:
    label: str
    count: int
    seconds: float
    latencies: list


@dataclass
class CreateReport:
    path: str
    runs: list
    raw_rows: int
    raw_seconds: float
    checks: dict


def run_clients(count: int, work) -> tuple[float, list]:
    """Run ``work(client_index, k)`` for k in 0..count-1 split over 4 threads; wall seconds."""
    latencies, errors, lock = [], [], threading.Lock()

    def client(index):
        try:
            for k in range(index, count, 4):
                started = time.perf_counter()
                work(index, k)
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # reported after the run
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed, first: {errors[0]}")
    return seconds, latencies


def api_client(world: World, env: dict):
    """Start gunicorn (4 sync workers) on a free port; returns (server, post(k, routed))."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=world.agent)[0].key
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            *(sys.executable, "-m", "gunicorn", "serviceloop.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "4", "--log-level", "warning"),
            *("--chdir", str(ROOT)),
        ],
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}/api/v1/tickets/"

    def post(k, routed):
        request = urllib.request.Request(
            url,
            data=json.dumps(create_payload(world, k, routed)).encode(),
            method="POST",
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (http)
                if response.status != 201:
                    raise RuntimeError(f"HTTP {response.status}")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"HTTP {error.code}: {error.read()[:300]!r}") from error

    for _ in range(300):  # until the workers answer
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)  # noqa: S310
            break
        except OSError:  # refused, reset or timed out while the workers boot
            time.sleep(0.1)
    return server, post


def service_client(world: World):
    """No API yet: ``ticket_create`` itself, called from the client threads."""
    from django.db import connections

    from serviceloop.core.models import User
    from serviceloop.desk.models import Category, Source
    from serviceloop.desk.services.tickets import ticket_create

    people = {str(u.uuid): u for users in world.requesters.values() for u in users}

    def create(k, routed):
        payload = create_payload(world, k, routed)
        requester: User = people[payload["requester"]]
        category = payload.get("category")
        try:
            ticket_create(
                actor=world.agent,
                organisation=requester.organisation,
                requester=requester,
                title=payload["title"],
                description=payload["description"],
                service=payload["service"],
                category=Category.objects.get(name=category) if category else None,
                impact=payload["impact"],
                urgency=payload["urgency"],
                source=Source.API,
            )
        finally:
            connections.close_all()  # this thread's connection

    return create


def create_bench(world: World, target: Target, env: dict, count: int, say) -> CreateReport:
    from django.db import connection

    from serviceloop.core.models import AuditEvent, Notification
    from serviceloop.desk.models import Ticket

    first_new = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    audit_before = AuditEvent.objects.count()
    notifications_before = Notification.objects.count()
    server = None
    if api_available():
        server, create = api_client(world, env)
        path = "POST /api/v1/tickets/ to gunicorn (4 sync workers), token auth, Idempotency-Key"
    else:
        create = service_client(world)
        path = "ticket_create from 4 threads in one process (no /api/v1/tickets/ yet)"
    runs, warmup = [], 8
    try:
        run_clients(warmup, lambda _i, k: create(10_000_000 + k, True))
        for label, routed in (
            ("with a category (team routing, round-robin agent)", True),
            ("without a category (no team, no agent)", False),
        ):
            offset = len(runs) * count
            seconds, latencies = run_clients(
                count, lambda _i, k, offset=offset, routed=routed: create(offset + k, routed)
            )
            runs.append(CreateRun(label, count, seconds, latencies))
            say(f"  create {label}: {count / seconds:,.1f} tickets/s")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    new = Ticket.objects.filter(pk__gt=first_new)
    checks = {
        "tickets": new.count(),
        "with SLA due times": new.filter(
            sla_version__isnull=False, response_due_at__isnull=False
        ).count(),
        "assigned": new.filter(assignee__isnull=False).count(),
        "audit rows": AuditEvent.objects.count() - audit_before,
        "notifications": Notification.objects.count() - notifications_before,
    }
    raw_seconds = raw_ticket_inserts(connection, target, world, count)
    return CreateReport(f"{path}; {warmup} warm-up creates", runs, count, raw_seconds, checks)


def raw_ticket_inserts(connection, target: Target, world: World, count: int) -> float:
    """``count`` single-row INSERTs of full ticket rows, each committed, from 4 connections
    (4 threads); the rows are deleted afterwards."""
    import sqlite3

    from serviceloop.desk.models import Ticket

    Ticket.objects.filter(reference__startswith="BENCH-RAW-").delete()  # an interrupted run's
    template = Ticket.objects.order_by("-pk").first()
    fields = [f for f in Ticket._meta.concrete_fields if f.name != "id"]
    placeholder = "?" if target.vendor == "sqlite" else "%s"
    sql = (
        f'INSERT INTO "{Ticket._meta.db_table}" ({", ".join(f.column for f in fields)}) '
        f"VALUES ({', '.join([placeholder] * len(fields))})"
    )
    rows = []
    for k in range(count):
        template.uuid, template.reference = uuid.uuid4(), f"BENCH-RAW-{k:06d}"
        template.idempotency_key = ""
        rows.append(
            tuple(f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields)
        )
    connections_by_thread = {}

    def connect():
        if target.vendor == "sqlite":
            db = sqlite3.connect(
                connection.settings_dict["NAME"],
                timeout=20,
                isolation_level=None,
                check_same_thread=False,  # opened here, used by its one client thread
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            return db
        import psycopg

        return psycopg.connect(target.url, autocommit=True)

    for index in range(4):
        connections_by_thread[index] = connect()

    def insert(index, k):
        connections_by_thread[index].execute(sql, rows[k])

    seconds, _ = run_clients(count, insert)
    for db in connections_by_thread.values():
        db.close()
    Ticket.objects.filter(reference__startswith="BENCH-RAW-").delete()
    return seconds


# --- SLA recompute ----------------------------------------------------------------------------


@dataclass
class RecomputeFigures:
    checked: int
    changed: int
    seconds: float
    replay_tickets: int
    replay_seconds: float
    write_checked: int
    write_changed: int
    write_seconds: float


def recompute_bench(world: World, seeded: int, sample: int, write_n: int, say) -> RecomputeFigures:
    from django.db import connection

    from serviceloop.desk.models import EventKind, Ticket, TicketEvent
    from serviceloop.desk.services.recompute import sla_recompute
    from serviceloop.desk.sla import clock_events
    from serviceloop.desk.sla_clock import replay

    # Tickets raised by the create benchmark came after t0: left out.
    since, until = world.t0 - dt.timedelta(days=366), world.t0 + dt.timedelta(seconds=1)
    started = time.perf_counter()
    report = sla_recompute(since=since, until=until, now=world.t0)
    seconds = time.perf_counter() - started
    say(f"  recompute checked {report.checked:,}, changed {report.changed:,} in {seconds:.1f} s")

    # The baseline: replay alone, on events loaded beforehand (an even sample of tickets).
    last = seeded
    step = max(1, last // sample)
    ids = list(range(1, last + 1, step))[:sample]
    tickets = {
        t.pk: t for t in Ticket.objects.filter(pk__in=ids).only("pk", "created_at", "priority")
    }
    histories: dict[int, list] = {}
    for start in range(0, len(ids), 5000):
        for event in TicketEvent.objects.filter(ticket_id__in=ids[start : start + 5000]).order_by(
            "at", "id"
        ):
            histories.setdefault(event.ticket_id, []).append(event)
    policy, calendar = world.version.clock_policy(), world.version.calendar.engine()
    inputs = []
    for pk, ticket in tickets.items():
        history = histories.get(pk, [])
        created = next((e for e in history if e.kind == EventKind.CREATED), None)
        inputs.append(
            {
                "created_at": ticket.created_at,
                "status": created.to_value if created else "new",
                "priority": (created.payload.get("priority") if created else None)
                or ticket.priority,
                "events": clock_events(e for e in history if e.kind != EventKind.CREATED),
                "policy": policy,
                "calendar": calendar,
                "now": world.t0,
            }
        )
    started = time.perf_counter()
    for arguments in inputs:
        replay(**arguments)
    replay_seconds = time.perf_counter() - started

    # Every ticket of a recent window changed (its stored figures cleared behind the product's
    # back): each gets its row saved and one audit row.
    window = list(
        Ticket.objects.filter(pk__lte=seeded)
        .order_by("-pk")
        .values_list("pk", "created_at")[:write_n]
    )
    low, high = window[-1], window[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Ticket._meta.db_table} SET paused_seconds = paused_seconds + 1 "
            "WHERE id BETWEEN %s AND %s",
            [low[0], high[0]],
        )
    started = time.perf_counter()
    written = sla_recompute(since=low[1], until=high[1] + dt.timedelta(seconds=1), now=world.t0)
    write_seconds = time.perf_counter() - started
    return RecomputeFigures(
        report.checked,
        report.changed,
        seconds,
        len(inputs),
        replay_seconds,
        written.checked,
        written.changed,
        write_seconds,
    )


# --- Report -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def world_from_database() -> World:
    """The world of a database seeded by an earlier ``--keep`` run (``--reuse``)."""
    from serviceloop.core.models import Organisation, OrganisationKind, User
    from serviceloop.core.roles import Role
    from serviceloop.desk.models import Category, SlaPolicyVersion
    from serviceloop.desk.models.config import DEFAULT_MATRIX

    version = SlaPolicyVersion.objects.select_related("calendar").get(
        policy__name="标准服务级别 Standard SLA", number=1
    )
    tiny = Organisation.objects.get(short_name="TINY")
    customers = list(Organisation.objects.customers().exclude(pk=tiny.pk).order_by("pk"))
    routes = []
    for category in Category.objects.select_related("default_team").order_by("pk"):
        team = category.default_team
        working = [m for m in team.members.order_by("pk") if m.role in (Role.AGENT, Role.TEAM_LEAD)]
        routes.append((category, team, working))
    return World(
        admin=User.objects.get(username="admin"),
        agent=User.objects.get(username="agent"),
        provider=Organisation.objects.get(kind=OrganisationKind.PROVIDER),
        customers=customers,
        weights=[1 / (rank + 1) for rank in range(len(customers))],
        requesters={
            o.pk: list(User.objects.filter(organisation=o).order_by("pk"))
            for o in [*customers, tiny]
        },
        tiny=tiny,
        routes=routes,
        version=version,
        t0=version.published_at + dt.timedelta(days=400),  # as build_world publishes it
        matrix=DEFAULT_MATRIX,
    )


PARTS = ("queue", "create", "recompute")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--n", type=int, help="tickets to seed (default 100,000 SQLite, 1,000,000 PostgreSQL)")
    add("--database-url", help="sqlite (default), postgres or postgres://USER@HOST:PORT/DB")
    add("--quick", action="store_true", help="smoke run: N=2,000, few repeats")
    add("--batch", type=int, default=1000, help="tickets per bulk_create batch (1,000)")
    add("--baseline-n", type=int, help="tickets also written raw (default min(N, 100,000))")
    add("--repeats", type=int, help="timed requests per queue case and path (default 30)")
    add("--creates", type=int, help="tickets per create run (default 400)")
    add("--schema", choices=["auto", "migrate", "models"], default="auto")
    add("--seed", type=int, default=1)
    add("--keep", action="store_true", help="keep the database and data directory")
    add("--reuse", metavar="DATABASE_URL", help="measure on a database kept by --keep, no seeding")
    add("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    options = parser.parse_args()
    parts = {part.strip() for part in options.only.split(",") if part.strip()}
    if parts - set(PARTS):
        parser.error(f"--only: choose among {', '.join(PARTS)}")

    if options.reuse:
        vendor = "sqlite" if options.reuse.startswith("sqlite") else "postgresql"
        data_dir = Path(tempfile.mkdtemp(prefix="serviceloop-bench-desk-"))
        target = Target(options.reuse, vendor, data_dir)  # drop() removes the data dir only
    else:
        target = make_target(options.database_url)
    postgres = target.vendor == "postgresql"
    n = options.n or (2_000 if options.quick else 1_000_000 if postgres else 100_000)
    baseline_n = options.baseline_n if options.baseline_n is not None else min(n, 100_000)
    repeats = options.repeats or (5 if options.quick else 30)
    creates = options.creates or (40 if options.quick else 400)
    began = time.perf_counter()

    def say(text):
        print(f"[{time.perf_counter() - began:7.1f} s] {text}", file=sys.stderr, flush=True)

    try:
        env = configure_django(target)
        from django.db import connection

        from serviceloop.desk.models import Ticket, TicketEvent

        seeded = None
        if options.reuse:
            schema = "reused a database kept by an earlier run (--reuse)"
            world = world_from_database()
            n = Ticket.objects.filter(created_at__lte=world.t0).count()
        else:
            schema = build_schema(options.schema)
            say(f"schema: {schema}")
            world = build_world()
            say(f"world: {len(world.customers) + 1} customers, t0 = {world.t0.isoformat()}")
            seeded = seed(world, n, options.batch, baseline_n, options.seed, say)
            say(f"seeded {seeded.tickets:,} tickets and {seeded.events:,} events")
        events = TicketEvent.objects.filter(ticket__created_at__lte=world.t0).count()
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version" if postgres else "SELECT sqlite_version()")
            engine = ("PostgreSQL " if postgres else "SQLite ") + cursor.fetchone()[0]

        def load() -> str:
            return ", ".join(f"{x:.1f}" for x in os.getloadavg())

        print(
            f"desk benchmark: {engine}, N = {n:,} tickets ({events:,} events) over 12 months, "
            f"seed {options.seed}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
            f"load average {load()} after seeding"
        )
        print(f"schema: {schema}")
        print()
        print_seeding(seeded, options.batch)
        # Each part prints as soon as it is measured (a later failure keeps the earlier ones).
        if "queue" in parts:
            print_queue(*queue_bench(world, repeats, 50, say))
        if "create" in parts:
            print_create(create_bench(world, target, env, creates, say))
        if "recompute" in parts:
            print_recompute(recompute_bench(world, n, min(n, 20_000), min(n // 10, 10_000), say))
        print(f"load average at the end: {load()} (1, 5, 15 min)")
    finally:
        kept = options.keep or options.reuse
        if kept:
            print(f"kept: DATABASE_URL={target.url}", file=sys.stderr)
        from django.db import connections

        connections.close_all()
        if not kept:
            target.drop()
        elif options.reuse or target.vendor == "postgresql":
            shutil.rmtree(target.data_dir, ignore_errors=True)  # the SQLite file lives in it
    return 0


def print_seeding(seeded: SeedReport | None, batch: int) -> None:
    print("1. seeding (tickets with their events, bulk_create, one transaction per batch)")
    if seeded is None:
        print("   not measured: --reuse (the database was seeded by an earlier run)")
        print()
        return
    per = seeded.events / max(seeded.tickets, 1)

    def line(label, tickets, rate):
        print(f"   {label:50}{tickets:>10,}{rate:>12,.0f}{rate * (1 + per):>11,.0f}")

    print(f"   {'':50}{'tickets':>10}{'tickets/s':>12}{'rows/s':>11}")
    sample = seeded.baseline_tickets
    if seeded.baseline_raw_s:
        orm_rate = sample / seeded.baseline_orm_s
        raw_rate = sample / seeded.baseline_raw_s
        line(f"bulk_create, first {sample:,} tickets", sample, orm_rate)
        line("raw executemany of the same rows (baseline)", sample, raw_rate)
        line(
            "raw, values prepared from the objects in the timing",
            sample,
            sample / (seeded.baseline_raw_s + seeded.baseline_prep_s),
        )
    line("bulk_create, all tickets", seeded.tickets, seeded.tickets / seeded.orm_s)
    line(
        "(generating them in Python, SLA replay included)",
        seeded.tickets,
        seeded.tickets / seeded.generate_s,
    )
    if seeded.baseline_raw_s:
        print(
            f"   bulk_create: {orm_rate / raw_rate:.2f}x the raw rate; {per:.1f} events per "
            f"ticket; batches of {batch:,} tickets, interleaved with the raw baseline"
        )
    wall = seeded.generate_s + seeded.orm_s + seeded.baseline_raw_s + seeded.baseline_prep_s
    print(
        f"   seeding wall time {(wall + seeded.finish_s) / 60:.1f} min "
        f"(sequences, ANALYZE: {seeded.finish_s:.1f} s)"
    )
    print()


def print_queue(cases, counts) -> None:
    print("2. agent queue: the whole page through the test Client, signed in as an agent (ms)")
    print(
        f"   {'view':6}{'sort':8}{'page':11}{'rows':>5}{'p50':>8}{'p95':>8}"
        f"{'base p50':>10}{'base p95':>10}{'p95 ratio':>11}  same rows  target"
    )
    for case in cases:
        page = "first" if case.page == "first" else f"deep ({case.steps})"
        p50, p95 = statistics.median(case.real_ms), percentile(case.real_ms, 95)
        b50, b95 = statistics.median(case.base_ms), percentile(case.base_ms, 95)
        ok = p95 <= QUEUE_TARGET_MS and p95 <= QUEUE_TARGET_RATIO * b95
        print(
            f"   {case.view:6}{case.sort:8}{page:11}{case.rows:>5}{p50:>8.1f}{p95:>8.1f}"
            f"{b50:>10.1f}{b95:>10.1f}{p95 / b95:>10.2f}x  {'yes' if case.identical else 'NO':9}  "
            f"{verdict(ok)}"
        )
    print(
        f"   target: p95 <= {QUEUE_TARGET_MS} ms (at 1M on PostgreSQL) and <= "
        f"{QUEUE_TARGET_RATIO}x the baseline's p95. {len(cases[0].real_ms)} timed requests per "
        "path and case, interleaved; deep = after k 'Next page' steps (k < 50: the last page)"
    )
    print("   queries per request, the same filter (one customer) on a full and a 3-row page:")
    for label in ("50 rows", "3 rows"):
        real, rows = counts[("real", label)]
        base, _ = counts[("baseline", label)]
        print(f"     page of {rows:>2} rows: view {real}, baseline {base}")
    grows = counts[("real", "50 rows")][0] != counts[("real", "3 rows")][0]
    print(
        f"     the view's count {'GROWS' if grows else 'does not grow'} with the rows on the page"
    )
    print()


def print_create(created: CreateReport) -> None:
    print(f"3. ticket create, 4 concurrent clients: {created.path}")
    for run in created.runs:
        rate = run.count / run.seconds
        print(
            f"   {run.label:52}{run.count:>5} in {run.seconds:6.1f} s: {rate:7,.1f} tickets/s "
            f"(latency p50 {statistics.median(run.latencies):,.0f} ms, "
            f"p95 {percentile(run.latencies, 95):,.0f} ms)  {verdict(rate >= CREATE_TARGET)}"
        )
    raw = created.raw_rows / created.raw_seconds
    print(
        f"   baseline: {created.raw_rows} raw single-row INSERTs of ticket rows, autocommit, "
        f"from 4 connections: {created.raw_seconds:.2f} s, {raw:,.0f} rows/s"
    )
    print(f"   checks over all creates (warm-up included): {created.checks}")
    print(f"   target >= {CREATE_TARGET} tickets/s on PostgreSQL")
    print()


def print_recompute(figures: RecomputeFigures) -> None:
    print("4. SLA recompute (sla_recompute, batches of 500, one transaction each)")
    rate = figures.checked / figures.seconds
    replay_rate = figures.replay_tickets / figures.replay_seconds
    write_rate = figures.write_checked / figures.write_seconds
    print(
        f"   every ticket, nothing to change: {figures.checked:,} checked, "
        f"{figures.changed:,} changed in {figures.seconds:.1f} s: {rate:,.0f} tickets/s  "
        f"{verdict(rate >= RECOMPUTE_TARGET)}"
    )
    print(
        f"   baseline: sla_clock.replay alone on events loaded beforehand, "
        f"{figures.replay_tickets:,} tickets: {replay_rate:,.0f} tickets/s "
        f"({replay_rate / rate:.1f}x)"
    )
    print(
        f"   the newest {figures.write_checked:,} tickets, each changed (row saved, audit row): "
        f"{figures.write_changed:,} changed in {figures.write_seconds:.1f} s: "
        f"{write_rate:,.0f} tickets/s  {verdict(write_rate >= RECOMPUTE_TARGET)}"
    )
    print(f"   target >= {RECOMPUTE_TARGET:,} tickets/s")
    print()


if __name__ == "__main__":
    sys.exit(main())
