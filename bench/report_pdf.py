"""Benchmark one monthly service report (PDF + XLSX) for one customer, beside baselines
measured in the same run.

    python bench/report_pdf.py [--n N] [--database-url URL] [--quick] [--repeats R] [--keep]
    python bench/report_pdf.py --reuse DATABASE_URL   # a database kept by bench/desk.py --keep

The data set is ``bench/desk.py``'s (its world and seeding functions): N realistic tickets
(default 50,000; ``--quick``: 5,000) over the 12 months before the run, 20 customers with a
long tail, SLA fields computed by the product's own clock. On top of it: a live service
catalogue entitled to the customers with an outage, an SLA agreement with response and
resolution targets per priority and an availability target, major incidents, changes,
complaints and open problems in the reported month. The reported customer is the largest.

Figures (each beside its baseline):
1. ``report_build``: one monthly report of the last complete month, end to end, as the
   queue runs it (the data snapshot from the KPI engine and the lists, the PDF with its
   charts, the XLSX, both stored, the row and audit written), p50/max of ``--repeats`` runs
   (each a new version of the same period; their checksums must be equal), and its parts:
   snapshot, PDF, XLSX [WeasyPrint alone printing the report's HTML (the floor for the PDF),
   and the headline figures from hand-written SQL (one aggregate per record set), checked
   equal to the snapshot's];
2. the target: a monthly report PDF for one customer in ≤ 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import desk as desk_bench  # noqa: E402  (bench/desk.py: the world and its seeding)

TARGET_S = 5.0


def extras(world, say) -> dict:
    """Catalogue, SLA, major incidents, changes, complaints and problems for the report
    (references ``…-RPT-…``, apart from ``bench/kpi.py``'s ``…-BENCH-…`` records)."""
    from django.utils import timezone

    from serviceloop.assurance.models import Outage
    from serviceloop.core.models import Calendar
    from serviceloop.desk.demo import TARGETS
    from serviceloop.desk.models import Problem, Ticket
    from serviceloop.evaluation.figures_reports import previous_report_period, zone_of
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.portfolio.models import Service
    from serviceloop.relationship.models import (
        Agreement,
        AgreementTarget,
        AgreementVersion,
        Complaint,
        CustomerAccount,
        CustomerContact,
    )
    from serviceloop.transition.models import ChangeRequest

    kpi_library_load()
    customer = world.customers[0]  # the largest (weights 1, 1/2, 1/3 ...)
    zone = zone_of(customer)
    period = previous_report_period("month", world.t0.astimezone(zone).date(), zone)
    inside = period.start + dt.timedelta(days=10)
    hours = {c.name: c for c in Calendar.objects.all()}
    services = []
    for code, name, calendar in (
        ("erp", "ERP 企业资源计划", "cn-workdays"),
        ("email", "邮件服务 Email", "24x7"),
        ("vpn", "VPN 远程接入", "24x7"),
    ):
        service = Service.objects.create(
            code=code, name=name, status="live", hours=hours.get(calendar),
            live_since=world.t0 - dt.timedelta(days=700),
        )  # fmt: skip
        service.customers.set(world.customers)
        services.append(service)
    now = timezone.now()
    Outage.objects.create(
        reference="OUT-RPT-000001", service=services[1], title="邮件中断 Mail outage",
        kind="unplanned", source="manual", start=inside, end=inside + dt.timedelta(hours=3),
        all_customers=True, created_at=now, updated_at=now,
    )  # fmt: skip
    agreement = Agreement.objects.create(
        reference="SLA-RPT-000001", kind="sla", title="标准服务级别协议 Standard SLA"
    )
    agreement.customers.add(customer)
    version = AgreementVersion.objects.create(
        agreement=agreement, number=1, status="agreed", valid_from=dt.date(2020, 1, 1),
        agreed_on=dt.date(2020, 1, 1), created_at=now, updated_at=now,
    )  # fmt: skip
    version.services.set(services)
    position = 0
    for priority, minutes in sorted(TARGETS.items()):
        for metric, key in (("first_response", "response"), ("resolution", "resolution")):
            AgreementTarget.objects.create(
                version=version, metric=metric, priority=priority,
                target_value=minutes[key], unit="minutes", position=position,
            )  # fmt: skip
            position += 1
    AgreementTarget.objects.create(
        version=version, metric="availability", target_value="99.5", unit="percent",
        position=position,
    )  # fmt: skip
    in_month = Ticket.objects.filter(
        organisation=customer, created_at__gte=period.start, created_at__lt=period.end
    ).order_by("pk")
    Ticket.objects.filter(pk__in=list(in_month.values_list("pk", flat=True)[:3])).update(
        is_major=True
    )
    for k in range(4):
        change = ChangeRequest.objects.create(
            reference=f"CHG-RPT-{k:06d}", title=f"变更 Change {k}", requester=world.admin,
            status="closed", outcome="implemented" if k else "failed",
            actual_end=inside + dt.timedelta(days=k), created_at=now, updated_at=now,
        )  # fmt: skip
        change.services.set(services[:1])
    account = CustomerAccount.objects.create(organisation=customer)
    CustomerContact.objects.create(
        account=account, name="客户经理", email="cio@c00.example.cn", is_primary=True
    )
    for k in range(6):
        received = inside + dt.timedelta(days=k, hours=3)
        Complaint.objects.create(
            reference=f"CMP-RPT-{k:06d}", channel="email", organisation=customer,
            subject=f"投诉 Complaint {k}", description="响应慢。", severity="medium",
            received_at=received, response_target_hours=8,
            response_due_at=received + dt.timedelta(hours=8),
            response_warn_at=received + dt.timedelta(hours=6),
            created_at=received, updated_at=received,
        )  # fmt: skip
    for k in range(5):
        Problem.objects.create(
            reference=f"PRB-RPT-{k:06d}", title=f"问题 Problem {k}", service="ERP",
            created_at=period.start - dt.timedelta(days=20 * k), updated_at=now,
        )  # fmt: skip
    say(f"report data: customer {customer.name}, period {period.label}, {in_month.count():,} "
        f"tickets created in it")  # fmt: skip
    return {"customer": customer, "period": period}


def extras_found(world, say) -> dict:
    """The customer and month of the records ``extras`` added in an earlier ``--reuse`` run
    (the same choice, made again from the same tickets)."""
    from serviceloop.evaluation.figures_reports import previous_report_period, zone_of

    customer = world.customers[0]
    zone = zone_of(customer)
    period = previous_report_period("month", world.t0.astimezone(zone).date(), zone)
    say(f"report data: found from an earlier run, customer {customer.name}, {period.label}")
    return {"customer": customer, "period": period}


def raw_sql_figures(customer, period) -> tuple[dict, float]:
    """The headline figures by hand-written SQL (one aggregate per record set): the
    baseline of the snapshot's KPI queries, and the check of its figures."""
    from django.db import connection

    from serviceloop.desk.models import Ticket

    table = Ticket._meta.db_table
    # As the ORM passes instants (SQLite stores UTC text; a raw aware value would not compare).
    start, end = (connection.ops.adapt_datetimefield_value(v) for v in (period.start, period.end))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), "  # noqa: S608 - table name from the model
            f"SUM(CASE WHEN response_met_at IS NOT NULL OR response_breached THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN response_met_at IS NOT NULL AND NOT response_breached THEN 1 ELSE 0 END) "
            f'FROM "{table}" WHERE organisation_id = %s AND created_at >= %s AND created_at < %s',
            [customer.pk, start, end],
        )
        created, responded, met = cursor.fetchone()
        cursor.execute(
            f"SELECT COUNT(*), "  # noqa: S608
            f"SUM(CASE WHEN resolution_met_at IS NOT NULL OR resolution_breached THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN (resolution_met_at IS NOT NULL OR resolution_breached) "
            f"AND NOT resolution_breached THEN 1 ELSE 0 END) "
            f'FROM "{table}" WHERE organisation_id = %s AND resolved_at >= %s AND resolved_at < %s',
            [customer.pk, start, end],
        )
        resolved, with_target, in_time = cursor.fetchone()
    elapsed = time.perf_counter() - started
    return {
        "created": created,
        "resolved": resolved,
        "response": met * 100 / responded if responded else None,
        "resolution": in_time * 100 / with_target if with_target else None,
    }, elapsed


def measure(world, setup, repeats: int, say) -> dict:
    from serviceloop.evaluation.build_reports import report_build, report_contents
    from serviceloop.evaluation.pdf_reports import report_document_html
    from serviceloop.evaluation.sections_reports import report_snapshot_build
    from serviceloop.evaluation.services_reports import report_create, template_create
    from serviceloop.evaluation.xlsx_reports import report_xlsx

    customer, period = setup["customer"], setup["period"]
    template = template_create(
        actor=world.admin, name=f"{customer.name} 月度服务报告 monthly report",
        organisation=customer, period="month", language="zh-hans",
        commentary="本月服务总体平稳。Service was stable this month.",
    )  # fmt: skip
    totals, reports = [], []
    for k in range(repeats + 1):  # the first run warms the caches (templates, fonts)
        report = report_create(actor=world.admin, template=template, period=period,
                               commentary=template.commentary, send=False)  # fmt: skip
        started = time.perf_counter()
        report = report_build(report.pk)
        elapsed = time.perf_counter() - started
        if report.status != "generated":
            raise SystemExit(f"report failed: {report.error}")
        if k:
            totals.append(elapsed)
        reports.append(report)
        say(f"  report_build {k}: {elapsed:.2f} s ({'warm-up' if not k else 'timed'})")
    checksums = {r.checksum for r in reports}
    last = reports[-1]
    # The parts, once each, on the same report.
    started = time.perf_counter()
    snapshot = report_snapshot_build(
        title=template.name, organisation=customer, service=None, period=period,
        sections=template.sections, language=template.language, commentary=template.commentary,
    )  # fmt: skip
    snapshot_s = time.perf_counter() - started
    started = time.perf_counter()
    _s, _c, pdf, _x = report_contents(last)
    contents_s = time.perf_counter() - started
    started = time.perf_counter()
    report_xlsx(last)
    xlsx_s = time.perf_counter() - started
    # Baseline 1: WeasyPrint alone on the report's HTML.
    from weasyprint import HTML

    html = report_document_html(last)
    started = time.perf_counter()
    floor_pdf = HTML(string=html).write_pdf()
    weasy_s = time.perf_counter() - started
    # Baseline 2: the headline figures by raw SQL, checked against the snapshot.
    raw, raw_s = raw_sql_figures(customer, period)
    sections = {s["code"]: s for s in snapshot["sections"]}
    overall = {f["code"]: f for f in sections["sla"]["overall"]}
    mine = {
        "created": sections["volumes"]["created"],
        "resolved": sections["volumes"]["resolved"],
        "response": overall["response-within-sla"]["value"],
        "resolution": overall["resolution-within-sla"]["value"],
    }
    equal = all(
        (mine[k] is None and raw[k] is None) or abs((mine[k] or 0) - (raw[k] or 0)) < 1e-6
        for k in raw
    )
    return {
        "totals": totals,
        "checksums": checksums,
        "pdf_bytes": len(pdf),
        "floor_bytes": len(floor_pdf),
        "snapshot_s": snapshot_s,
        "contents_s": contents_s,
        "xlsx_s": xlsx_s,
        "weasy_s": weasy_s,
        "raw_s": raw_s,
        "raw": raw,
        "mine": mine,
        "equal": equal,
        "svg": html.count("<svg"),
        "targets": len(sections["sla"]["targets"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--n", type=int, help="tickets to seed (default 50,000; --quick 5,000)")
    add("--database-url", help="sqlite (default), postgres or postgres://USER@HOST:PORT/DB")
    add("--quick", action="store_true", help="smoke run: N=5,000, 2 repeats")
    add("--repeats", type=int, help="timed report builds (default 5; --quick 2)")
    add("--seed", type=int, default=1)
    add("--keep", action="store_true", help="keep the database and data directory")
    add(
        "--reuse",
        metavar="DATABASE_URL",
        help="report on a database kept by bench/desk.py --keep (e.g. 1M tickets), no "
        "seeding (the report's own records are added on the first run and found again on "
        "the next ones)",
    )
    options = parser.parse_args()
    n = options.n or (5_000 if options.quick else 50_000)
    repeats = options.repeats or (2 if options.quick else 5)
    if options.reuse:
        vendor = "sqlite" if options.reuse.startswith("sqlite") else "postgresql"
        data_dir = Path(tempfile.mkdtemp(prefix="serviceloop-bench-report-"))
        target = desk_bench.Target(options.reuse, vendor, data_dir)  # drop(): the dir only
    else:
        target = desk_bench.make_target(options.database_url)
    began = time.perf_counter()

    def say(text):
        print(f"[{time.perf_counter() - began:7.1f} s] {text}", file=sys.stderr, flush=True)

    try:
        desk_bench.configure_django(target)
        from django.db import connection

        again = False  # --reuse on a database that has the report's records already
        if options.reuse:
            from serviceloop.desk.models import Ticket
            from serviceloop.portfolio.models import Service

            again = Service.objects.filter(code="erp").exists()
            schema = "reused a database kept by bench/desk.py --keep (--reuse)"
            world = desk_bench.world_from_database()
            n = Ticket.objects.count()
        else:
            schema = desk_bench.build_schema("auto")
            world = desk_bench.build_world()
            seeded = desk_bench.seed(world, n, 1000, 0, options.seed, say)
            say(f"seeded {seeded.tickets:,} tickets and {seeded.events:,} events")
        say(f"schema: {schema}")
        # On a second --reuse run the report's records are there already: found, not added.
        setup = (extras_found if again else extras)(world, say)
        figures = measure(world, setup, repeats, say)
        with connection.cursor() as cursor:
            postgres = target.vendor == "postgresql"
            cursor.execute("SHOW server_version" if postgres else "SELECT sqlite_version()")
            engine = ("PostgreSQL " if postgres else "SQLite ") + cursor.fetchone()[0]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        totals = figures["totals"]
        p50, worst = statistics.median(totals), max(totals)
        print(
            f"service report benchmark: {engine}, N = {n:,} tickets over 12 months, "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        print(f"schema: {schema}")
        print(
            f"report: customer {setup['customer'].name}, month {setup['period'].label}, "
            f"{figures['targets']} SLA targets, {figures['svg']} SVG charts, "
            f"PDF {figures['pdf_bytes'] / 1024:,.0f} KiB"
        )
        print()
        print(
            f"1. report_build (snapshot + PDF + XLSX, stored), {len(totals)} runs: "
            f"p50 {p50:.2f} s, max {worst:.2f} s"
        )
        print(
            f"   parts: snapshot {figures['snapshot_s']:.2f} s; snapshot + PDF + XLSX "
            f"{figures['contents_s']:.2f} s; XLSX {figures['xlsx_s']:.2f} s"
        )
        print(
            f"   [baseline] WeasyPrint alone on the same HTML: {figures['weasy_s']:.2f} s "
            f"(the PDF's floor); headline figures by raw SQL: {figures['raw_s'] * 1000:.0f} ms "
            f"(snapshot {figures['snapshot_s'] * 1000:.0f} ms for 9 sections, 12-month trends)"
        )
        print(
            f"   figures equal to raw SQL: {'yes' if figures['equal'] else 'NO'} "
            f"(created {figures['mine']['created']}, resolved {figures['mine']['resolved']}, "
            f"response {figures['mine']['response']}, resolution {figures['mine']['resolution']})"
        )
        if not figures["equal"]:
            print(f"   raw SQL: {figures['raw']}")
        print(
            f"   regenerations identical (one checksum over {len(totals) + 1} builds): "
            f"{'yes' if len(figures['checksums']) == 1 else 'NO'}"
        )
        ok = worst <= TARGET_S
        print(f"2. target: a monthly report PDF for one customer ≤ {TARGET_S:.0f} s: "
              f"{'met' if ok else 'NOT met'} (max {worst:.2f} s)")  # fmt: skip
    finally:
        from django.db import connections

        connections.close_all()
        if options.keep or options.reuse:
            print(f"kept: DATABASE_URL={target.url}", file=sys.stderr)
            if options.reuse:
                import shutil

                shutil.rmtree(target.data_dir, ignore_errors=True)
        else:
            target.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
