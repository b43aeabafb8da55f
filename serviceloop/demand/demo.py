"""Demo records of capacity, demand and budgeting (discovered by ``serviceloop demo``).

Capacity plans for three demo services with 120 days of daily utilisation: the cloud SAN
rising towards its critical threshold (its forecast alert records a capacity action), the
mail servers' CPU flat, ERP concurrent users peaking at each month end. Demand records per
customer, service and quarter of last year and this year (actuals for the quarters that
are over), budgets for this year (yearly, and quarterly for cloud hosting) and the monthly
costs so far. Built on the portfolio demo's services and items (looked up by code and
name). Idempotent: what exists is left alone; returns the number of records created.
"""

import datetime
import math
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Organisation, User
from serviceloop.demand.models import (
    AlertAction,
    Budget,
    CapacityPlan,
    CostCategory,
    CostLine,
    DemandRecord,
    MeasurementSource,
)
from serviceloop.demand.periods import Period, PeriodKind
from serviceloop.demand.services_budgets import budget_create, cost_line_create
from serviceloop.demand.services_capacity import measurements_write, plan_create
from serviceloop.demand.services_demand import demand_record_create
from serviceloop.portfolio.models import ConfigurationItem, Service

DAYS = 120
DEMO_NOTE = "演示数据 Demo data"

PLANS = (
    {
        "name": "云存储 SAN 容量 Cloud SAN capacity",
        "service": "cloud",
        "item": "san-01",
        "owner": "agent2",
        "resource": "存储已用 Storage used",
        "unit": "TB",
        "warning_threshold": Decimal("32"),
        "critical_threshold": Decimal("36"),
        "forecast_alert_days": 60,
        "alert_action": AlertAction.ACTION,
        "notes": "40 TB usable (RAID 6). Tenants' VMs grow about 2 TB a month.",
        # value on day d (0 = 120 days ago): a rising line with noise
        "series": lambda d, rng: 24.0 + 0.075 * d + rng.uniform(-0.35, 0.35),
    },
    {
        "name": "邮件服务器 CPU Mail servers CPU",
        "service": "email",
        "item": "vm-mail-01",
        "owner": "lead",
        "resource": "CPU %",
        "unit": "%",
        "warning_threshold": Decimal("70"),
        "critical_threshold": Decimal("90"),
        "forecast_alert_days": None,
        "alert_action": AlertAction.INCIDENT,
        "notes": "Busiest hour of the day, both DAG nodes averaged.",
        "series": lambda d, rng: 42.0 + 6 * math.sin(d / 7 * math.pi) + rng.uniform(-4, 4),
    },
    {
        "name": "ERP 并发用户 ERP concurrent users",
        "service": "erp",
        "item": "vm-erp-app-01",
        "owner": "admin",
        "resource": "并发用户 Concurrent users",
        "unit": "users",
        "warning_threshold": Decimal("160"),
        "critical_threshold": Decimal("200"),
        "forecast_alert_days": 30,
        "alert_action": AlertAction.INCIDENT,
        "notes": "Licensed for 220 concurrent sessions; month-end close peaks.",
        "series": lambda d, rng: (
            118.0 - 0.02 * d + (30 if d % 30 >= 27 else 0) + rng.uniform(-8, 8)
        ),  # noqa: E501
    },
)

# service code → [(customer short name, unit, quarterly forecasts, actual ratio per quarter)]
DEMAND = {
    "email": [
        ("ECL", "mailboxes", (420, 430, 440, 450), (1.01, 0.99, 1.03, 1.0)),
        ("MDU", "mailboxes", (1800, 1850, 1900, 2100), (0.98, 1.02, 1.08, 1.0)),
    ],
    "cloud": [("MDU", "VMs", (120, 135, 150, 165), (1.06, 1.11, 1.09, 1.0))],
    "erp": [("ECL", "named users", (180, 185, 190, 200), (0.96, 1.0, 0.97, 1.0))],
}
# service code → monthly cost lines (category, amount, supplier wanted?)
MONTHLY_COSTS = {
    "cloud": [(CostCategory.STAFF, "28000"), (CostCategory.FACILITIES, "9500"),
              (CostCategory.SUPPLIER, "14000")],
    "email": [(CostCategory.STAFF, "12500"), (CostCategory.LICENCE, "9000")],
    "erp": [(CostCategory.STAFF, "21000"), (CostCategory.SUPPLIER, "18500")],
    "network": [(CostCategory.STAFF, "24000"), (CostCategory.SUPPLIER, "12000")],
}  # fmt: skip
HARDWARE = {"cloud": ("2", "168000", "SAN disk shelf expansion"), "erp": ("3", "42000", "")}


def _capacity(people, services, now, write) -> int:
    created = 0
    today = timezone.localdate(now)
    noon = datetime.time(12, 0)
    zone = timezone.get_current_timezone()
    for number, spec in enumerate(PLANS):
        service = services.get(spec["service"])
        owner = people.get(spec["owner"])
        if service is None or owner is None:
            continue
        plan = CapacityPlan.objects.filter(name=spec["name"]).first()
        if plan is None:
            item = ConfigurationItem.objects.filter(name=spec["item"]).first()
            plan = plan_create(
                actor=None,
                name=spec["name"],
                service=service,
                configuration_item=item,
                owner=owner,
                resource=spec["resource"],
                unit=spec["unit"],
                warning_threshold=spec["warning_threshold"],
                critical_threshold=spec["critical_threshold"],
                forecast_alert_days=spec["forecast_alert_days"],
                alert_action=spec["alert_action"],
                review_date=today + datetime.timedelta(days=30 + 30 * number),
                notes=spec["notes"],
                now=now,
            )
            write(f"capacity plan {plan.reference}")
            created += 1
        rng = random.Random(f"demand-demo-{number}")
        items = []
        for day in range(DAYS):
            date = today - datetime.timedelta(days=DAYS - day)
            value = Decimal(str(round(spec["series"](day, rng), 2)))
            items.append((plan, datetime.datetime.combine(date, noon, tzinfo=zone), value))
        result = measurements_write(actor=None, items=items, source=MeasurementSource.API, now=now)
        if result.created:
            write(f"{result.created} measurements for {plan.reference}")
        created += result.created
    return created


def _demand(services, customers, today, write) -> int:
    created = 0
    for code, rows in DEMAND.items():
        service = services.get(code)
        if service is None:
            continue
        for short, unit, forecasts, ratios in rows:
            customer = customers.get(short)
            if customer is None:
                continue
            for year in (today.year - 1, today.year):
                for quarter in range(1, 5):
                    period = Period(PeriodKind.QUARTER, year, quarter)
                    if DemandRecord.objects.filter(
                        organisation=customer,
                        service=service,
                        period_kind=period.kind,
                        period_start=period.start,
                        unit=unit,
                    ).exists():
                        continue
                    growth = 1.0 if year == today.year else 0.92
                    forecast = Decimal(round(forecasts[quarter - 1] * growth))
                    actual = None
                    if period.end <= today:
                        actual = Decimal(round(float(forecast) * ratios[quarter - 1]))
                    demand_record_create(
                        actor=None,
                        organisation=customer,
                        service=service,
                        period=period,
                        unit=unit,
                        forecast_quantity=forecast,
                        actual_quantity=actual,
                        note=DEMO_NOTE,
                    )
                    created += 1
    if created:
        write(f"{created} demand records")
    return created


def _budgets_and_costs(services, today, write) -> int:
    from serviceloop.relationship.models import Supplier

    created = 0
    year = today.year
    for code in ("network", "email", "erp", "cloud", "desktop"):
        service = services.get(code)
        if service is None or not service.budget_amount:
            continue
        currency = service.budget_currency or "CNY"
        periods = [(Period(PeriodKind.YEAR, year), service.budget_amount)]
        if code == "cloud":
            periods += [
                (Period(PeriodKind.QUARTER, year, q), (service.budget_amount / 4).quantize(Decimal("0.01")))
                for q in range(1, 5)
            ]  # fmt: skip
        for period, amount in periods:
            if Budget.objects.filter(
                service=service, period_kind=period.kind, period_start=period.start
            ).exists():
                continue
            budget_create(
                actor=None,
                service=service,
                period=period,
                amount=amount,
                currency=currency,
                note=DEMO_NOTE,
            )
            created += 1
    supplier = Supplier.objects.order_by("pk").first()
    lines = 0
    for code, costs in MONTHLY_COSTS.items():
        service = services.get(code)
        if service is None:
            continue
        for month in range(1, 13):
            day = datetime.date(year, month, 25)
            if day > today:
                break
            wanted = [(category, Decimal(amount), DEMO_NOTE) for category, amount in costs]
            extra = HARDWARE.get(code)
            if extra and int(extra[0]) == month:
                wanted.append((CostCategory.HARDWARE, Decimal(extra[1]), extra[2] or DEMO_NOTE))
            for category, amount, note in wanted:
                if CostLine.objects.filter(
                    service=service, date=day, category=category, note=note
                ).exists():
                    continue
                cost_line_create(
                    actor=None,
                    service=service,
                    date=day,
                    category=category,
                    amount=amount,
                    currency=service.budget_currency or "CNY",
                    supplier=supplier if category == CostCategory.SUPPLIER else None,
                    note=note,
                )
                lines += 1
    if created:
        write(f"{created} budgets")
    if lines:
        write(f"{lines} cost lines")
    return created + lines


def demo_records(write=print) -> int:
    people = {u.username: u for u in User.objects.filter(username__in=["admin", "lead", "agent2"])}
    if "admin" not in people:
        return 0
    services = {s.code: s for s in Service.objects.all()}
    customers = {o.short_name: o for o in Organisation.objects.customers()}
    now = timezone.now()
    today = timezone.localdate(now)
    created = 0
    with transaction.atomic():
        created += _demand(services, customers, today, write)
        created += _budgets_and_costs(services, today, write)
    # Measurements commit per plan, then each plan's alert is evaluated on its own.
    created += _capacity(people, services, now, write)
    return created
