"""Named reads of budgeting and accounting: the variance report (budget against actual cost
per service and period) and the allocation of a service's cost to its customers.

Both are computed by the database (``Sum``/``Count`` aggregates, one query per report
part), never by walking rows in Python.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.demand.models import Budget, CostLine
from serviceloop.demand.periods import Period
from serviceloop.portfolio.models import ConfigurationItem, Service

CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=16, decimal_places=2)


# --- Variance ------------------------------------------------------------------------------


def _costs_in_budget_period():
    return CostLine.objects.filter(
        service=OuterRef("service"),
        date__gte=OuterRef("period_start"),
        date__lt=OuterRef("period_end"),
    )


def budgets_with_actuals(user, *, year=None, service=None, period_kind: str = ""):
    """Budgets the user may see with ``actual`` (the sum of the service's cost lines in the
    budget's currency dated inside its period), ``variance`` (actual − budget: positive is
    an overspend) and ``other_currency_lines`` (lines in another currency, not counted).
    ``variance_percent(budget)`` gives the percentage."""
    in_period = _costs_in_budget_period()
    actual = (
        in_period.filter(currency=OuterRef("currency"))
        .values("service")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    other = (
        in_period.exclude(currency=OuterRef("currency"))
        .values("service")
        .annotate(n=Count("pk"))
        .values("n")
    )
    budgets = (
        Budget.objects.visible_to(user)
        .select_related("service")
        .annotate(
            actual=Coalesce(Subquery(actual, output_field=MONEY), Value(Decimal("0"), MONEY)),
            other_currency_lines=Coalesce(
                Subquery(other, output_field=IntegerField()), Value(0, IntegerField())
            ),
        )
        .annotate(variance=F("actual") - F("amount"))
        .order_by("-period_start", "service__name", "period_kind", "id")
    )
    if year:
        budgets = budgets.filter(period_start__year=year)
    if service is not None:
        budgets = budgets.filter(service=service)
    if period_kind:
        budgets = budgets.filter(period_kind=period_kind)
    return budgets


def money(value) -> Decimal:
    """An amount to the cent (sums read back from SQLite lose their trailing zeros)."""
    return Decimal(value or 0).quantize(CENT)


def variance_percent(budget) -> Decimal | None:
    """(actual − budget) / budget × 100, to one decimal; None for a zero budget."""
    if not budget.amount:
        return None
    return (Decimal(budget.variance) * 100 / budget.amount).quantize(Decimal("0.1"))


def costs_by_category(budget: Budget) -> list[dict]:
    """The budget period's costs of the service in its currency, per category."""
    return list(
        CostLine.objects.filter(
            service_id=budget.service_id,
            currency=budget.currency,
            date__gte=budget.period_start,
            date__lt=budget.period_end,
        )
        .values("category")
        .annotate(total=Sum("amount"), lines=Count("pk"))
        .order_by("-total")
    )


def costs_by_month(budget: Budget) -> list[tuple[str, Decimal]]:
    """(YYYY-MM, total) for every month of the budget's period, zero where nothing was
    spent: the cumulative line of the budget chart."""
    from django.db.models.functions import TruncMonth

    totals = {
        row["month"].strftime("%Y-%m"): row["total"]
        for row in CostLine.objects.filter(
            service_id=budget.service_id,
            currency=budget.currency,
            date__gte=budget.period_start,
            date__lt=budget.period_end,
        )
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(total=Sum("amount"))
    }
    months = []
    year, month = budget.period_start.year, budget.period_start.month
    while (year, month) < (budget.period_end.year, budget.period_end.month):
        label = f"{year}-{month:02d}"
        months.append((label, totals.get(label, Decimal("0"))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- Allocation ----------------------------------------------------------------------------


class Driver:
    TICKETS = "tickets"
    USERS = "users"
    CIS = "cis"
    choices = [
        (TICKETS, _("Tickets raised for the service in the period")),
        (USERS, _("People of the customer")),
        (CIS, _("Configuration items of the customer")),
    ]
    values = [TICKETS, USERS, CIS]


@dataclass
class AllocationRow:
    organisation: Organisation
    count: int
    share: Decimal  # percent, two decimals
    amount: Decimal


@dataclass
class Allocation:
    service: Service
    period: Period
    driver: str
    currency: str
    total_cost: Decimal
    driver_total: int
    rows: list[AllocationRow] = field(default_factory=list)
    other_currencies: dict[str, Decimal] = field(default_factory=dict)

    @property
    def allocated(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal("0"))


def _customers_of(service: Service):
    """The service's entitled customers; every active customer when it names none."""
    entitled = service.customers.filter(kind=OrganisationKind.CUSTOMER)
    if entitled.exists():
        return entitled
    return Organisation.objects.customers().filter(is_active=True)


def driver_counts(service: Service, period: Period, driver: str) -> dict[int, int]:
    """{organisation id: count} of the driver, by one aggregate query.

    - tickets: desk tickets of each customer created in the period (local time) whose
      service text equals the service's code or name, ignoring case;
    - users: the active people of each customer;
    - cis: the configuration items in use (not retired) of each customer.
    """
    customers = _customers_of(service)
    if driver == Driver.TICKETS:
        from serviceloop.desk.models import Ticket

        start, end = period.instants()
        rows = (
            Ticket.objects.filter(
                Q(service__iexact=service.code) | Q(service__iexact=service.name),
                created_at__gte=start,
                created_at__lt=end,
                organisation__kind=OrganisationKind.CUSTOMER,
            )
            .values("organisation")
            .annotate(n=Count("pk"))
        )
        counts = {row["organisation"]: row["n"] for row in rows}
        # Customers who raised tickets for the service use it, entitled or not.
        for pk in customers.values_list("pk", flat=True):
            counts.setdefault(pk, 0)
        return counts
    if driver == Driver.USERS:
        rows = (
            User.objects.filter(organisation__in=customers, is_active=True)
            .values("organisation")
            .annotate(n=Count("pk"))
        )
    elif driver == Driver.CIS:
        rows = (
            ConfigurationItem.objects.in_use()
            .filter(organisation__in=customers)
            .values("organisation")
            .annotate(n=Count("pk"))
        )
    else:
        raise ValueError(f"unknown driver: {driver}")
    counts = dict.fromkeys(customers.values_list("pk", flat=True), 0)
    counts.update({row["organisation"]: row["n"] for row in rows})
    return counts


def period_cost_totals(service: Service, period: Period) -> dict[str, Decimal]:
    """{currency: total} of the service's cost lines dated in the period."""
    rows = (
        CostLine.objects.filter(service=service, date__gte=period.start, date__lt=period.end)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: row["total"] for row in rows}


def _split(total: Decimal, counts: dict[int, int]) -> dict[int, Decimal]:
    """Shares of ``total`` in proportion to ``counts``, in cents, summing exactly to
    ``total`` (the cents left by rounding down go to the largest remainders)."""
    weight = sum(counts.values())
    if not weight:
        return dict.fromkeys(counts, Decimal("0.00"))
    exact = {pk: total * n / weight for pk, n in counts.items()}
    floored = {pk: value.quantize(CENT, rounding=ROUND_DOWN) for pk, value in exact.items()}
    left = int(((total - sum(floored.values())) / CENT).to_integral_value())
    order = sorted(counts, key=lambda pk: (-abs(exact[pk] - floored[pk]), pk))
    step = CENT if left >= 0 else -CENT
    for pk in order[: abs(left)]:
        floored[pk] += step
    return floored


def cost_allocation(
    service: Service, period: Period, driver: str, currency: str = ""
) -> Allocation:
    """The service's cost in ``period`` (in ``currency``; default: the currency most of its
    lines use there) shared among its customers in proportion to ``driver``."""
    totals = period_cost_totals(service, period)
    if not currency:
        used = Counter(
            CostLine.objects.filter(
                service=service, date__gte=period.start, date__lt=period.end
            ).values_list("currency", flat=True)
        )
        currency = used.most_common(1)[0][0] if used else (service.budget_currency or "CNY")
    total = totals.pop(currency, Decimal("0.00"))
    counts = driver_counts(service, period, driver)
    amounts = _split(total, counts)
    weight = sum(counts.values())
    organisations = Organisation.objects.in_bulk(list(counts))
    rows = [
        AllocationRow(
            organisation=organisations[pk],
            count=counts[pk],
            share=(Decimal(counts[pk]) * 100 / weight).quantize(CENT) if weight else Decimal("0"),
            amount=amounts[pk],
        )
        for pk in counts
    ]
    rows.sort(key=lambda row: (-row.amount, row.organisation.name))
    return Allocation(
        service=service,
        period=period,
        driver=driver,
        currency=currency,
        total_cost=total,
        driver_total=weight,
        rows=rows,
        other_currencies=totals,
    )
