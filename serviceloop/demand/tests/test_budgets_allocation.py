"""Budgeting and accounting: the allocation of a service's cost to its customers by each
driver matches a hand count; the shares add up to the cent; the variance report (budget
against actual, with %), its screen and its exports."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.demand.periods import Period
from serviceloop.demand.queries_budgets import (
    Driver,
    _split,
    budgets_with_actuals,
    cost_allocation,
    variance_percent,
)
from serviceloop.demand.services_budgets import budget_create, cost_line_create
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.portfolio.lifecycle import CiStatus
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory

pytestmark = pytest.mark.usefixtures("english")
SHANGHAI = ZoneInfo("Asia/Shanghai")
Q1 = Period.parse("2026-Q1")


def local(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def q1_costs(people, demand_world):
    """Mail's costs: 12,000 CNY in 2026-Q1 (two lines), 5,000 CNY on 1 April, 300 USD in Q1."""
    mail = demand_world.mail
    for day, amount, currency in (
        (datetime.date(2026, 1, 1), "10000.00", "CNY"),
        (datetime.date(2026, 3, 31), "2000.00", "CNY"),
        (datetime.date(2026, 4, 1), "5000.00", "CNY"),
        (datetime.date(2026, 2, 1), "300.00", "USD"),
    ):
        cost_line_create(
            actor=people.admin,
            service=mail,
            date=day,
            category="staff",
            amount=Decimal(amount),
            currency=currency,
        )
    return mail


def ticket(organisation, requester, service, created_at):
    return TicketFactory(
        organisation=organisation, requester=requester, service=service, created_at=created_at
    )


def shares(allocation):
    return {row.organisation.short_name: (row.count, row.amount) for row in allocation.rows}


def test_allocation_by_tickets_matches_a_hand_count(people, q1_costs):
    a, b, out = people.customer_a, people.customer_b, people.outsider_org
    # customer A: three tickets for mail in Q1, spelled three ways
    ticket(a, people.a_user, "mail", local(2026, 1, 5, 9))
    ticket(a, people.a_user, "MAIL", local(2026, 2, 5, 9))
    ticket(a, people.a_manager, "mail 邮件", local(2026, 3, 31, 23, 50))
    # not counted: after the quarter (local time), another service, the provider's own
    ticket(a, people.a_user, "mail", local(2026, 4, 1, 0, 10))
    ticket(a, people.a_user, "email", local(2026, 2, 1, 9))
    ticket(people.provider, people.agent, "mail", local(2026, 2, 1, 9))
    # customer B: one, on the quarter's first minute
    ticket(b, people.b_user, "Mail", local(2026, 1, 1, 0, 0))
    # an organisation not entitled to mail that raised tickets for it still used it
    ticket(out, people.outsider, "mail", local(2026, 1, 20, 9))
    ticket(out, people.outsider, "mail", local(2026, 1, 21, 9))

    allocation = cost_allocation(q1_costs, Q1, Driver.TICKETS)

    assert allocation.currency == "CNY" and allocation.total_cost == Decimal("12000.00")
    assert allocation.driver_total == 6
    assert shares(allocation) == {
        "CA": (3, Decimal("6000.00")),
        "OUT": (2, Decimal("4000.00")),
        "CB": (1, Decimal("2000.00")),
    }
    assert allocation.allocated == allocation.total_cost
    assert allocation.other_currencies == {"USD": Decimal("300.00")}


def test_allocation_by_users_counts_the_active_people_of_entitled_customers(people, q1_costs):
    UserFactory(role=Role.CUSTOMER_USER, organisation=people.customer_a)
    UserFactory(role=Role.CUSTOMER_USER, organisation=people.customer_a, is_active=False)
    UserFactory(role=Role.CUSTOMER_USER, organisation=people.outsider_org)  # not entitled

    allocation = cost_allocation(q1_costs, Q1, Driver.USERS)

    # A: a.manager, a.user and the new one; B: b.manager, b.user
    assert shares(allocation) == {
        "CA": (3, Decimal("7200.00")),
        "CB": (2, Decimal("4800.00")),
    }


def test_allocation_by_configuration_items_counts_those_in_use(people, q1_costs):
    for organisation, status in (
        (people.customer_a, CiStatus.ACTIVE),
        (people.customer_a, CiStatus.MAINTENANCE),
        (people.customer_a, CiStatus.RETIRED),
        (people.customer_b, CiStatus.ACTIVE),
        (None, CiStatus.ACTIVE),  # the provider's own
        (people.outsider_org, CiStatus.ACTIVE),  # not entitled
    ):
        ConfigurationItemFactory(organisation=organisation, status=status)

    allocation = cost_allocation(q1_costs, Q1, Driver.CIS)

    assert shares(allocation) == {
        "CA": (2, Decimal("8000.00")),
        "CB": (1, Decimal("4000.00")),
    }
    assert allocation.allocated == Decimal("12000.00")


def test_allocation_in_another_currency_and_with_nothing_to_share(people, q1_costs):
    in_dollars = cost_allocation(q1_costs, Q1, Driver.TICKETS, "USD")

    assert in_dollars.total_cost == Decimal("300.00") and in_dollars.driver_total == 0
    assert all(row.amount == 0 for row in in_dollars.rows)
    assert in_dollars.other_currencies == {"CNY": Decimal("12000.00")}


@pytest.mark.parametrize(
    ("total", "counts", "expected"),
    [
        ("100.00", {1: 1, 2: 1, 3: 1}, {1: "33.34", 2: "33.33", 3: "33.33"}),
        ("0.05", {1: 1, 2: 1}, {1: "0.03", 2: "0.02"}),
        ("-100.00", {1: 1, 2: 2}, {1: "-33.33", 2: "-66.67"}),
        ("10.00", {1: 0, 2: 0}, {1: "0.00", 2: "0.00"}),
    ],
)
def test_shares_add_up_to_the_cent(total, counts, expected):
    result = _split(Decimal(total), counts)

    assert {pk: str(amount) for pk, amount in result.items()} == expected
    if any(counts.values()):
        assert sum(result.values()) == Decimal(total)


def test_the_allocation_screen_and_its_export(people, q1_costs, client_for):
    ticket(people.customer_a, people.a_user, "mail", local(2026, 1, 5, 9))
    client = client_for(people.auditor)  # read-only staff may read the reports
    params = {"service": q1_costs.pk, "period": "2026-Q1", "driver": "tickets"}

    page = client.get(reverse("cost_allocation"), params)
    export = client.get(reverse("cost_allocation"), {**params, "export": "csv"})

    assert page.status_code == 200
    assert page.context["allocation"].rows[0].amount == Decimal("12000.00")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "Customer,Driver count,Share %,Allocated amount"
    assert "Customer A 甲方,1,100.00,12000.00" in body
    assert client_for(people.a_manager).get(reverse("cost_allocation"), params).status_code == 404


# --- Variance ------------------------------------------------------------------------------


def test_the_variance_report_sets_each_budget_against_its_period_costs(people, q1_costs):
    budget_create(actor=people.admin, service=q1_costs, period="2026-Q1", amount="10000")
    budget_create(actor=people.admin, service=q1_costs, period="2026-Q2", amount="8000")
    budget_create(actor=people.admin, service=q1_costs, period="2026", amount="60000")
    budget_create(actor=people.admin, service=q1_costs, period="2026-02", amount="0")

    rows = {
        b.period.label: (
            b.amount,
            b.actual,
            b.variance,
            variance_percent(b),
            b.other_currency_lines,
        )
        for b in budgets_with_actuals(people.auditor)
    }

    assert rows == {
        "2026-Q1": (Decimal("10000"), Decimal("12000"), Decimal("2000"), Decimal("20.0"), 1),
        "2026-Q2": (Decimal("8000"), Decimal("5000"), Decimal("-3000"), Decimal("-37.5"), 0),
        "2026": (Decimal("60000"), Decimal("17000"), Decimal("-43000"), Decimal("-71.7"), 1),
        "2026-02": (Decimal("0"), Decimal("0"), Decimal("0"), None, 1),
    }


def test_the_variance_screen_filters_and_exports(people, q1_costs, client_for):
    budget_create(actor=people.admin, service=q1_costs, period="2026-Q1", amount="10000")
    budget_create(actor=people.admin, service=q1_costs, period="2025", amount="1000")
    client = client_for(people.top)

    page = client.get(reverse("budget_list"), {"year": "2026"})
    csv = client.get(reverse("budget_list"), {"year": "2026", "export": "csv"})
    xlsx = client.get(reverse("budget_list"), {"export": "xlsx"})

    assert page.status_code == 200
    assert [b.period.label for b, _percent in page.context["rows"]] == ["2026-Q1"]
    assert "+20.0 %" in page.content.decode()
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Service,Period,Currency,Budget,Actual,Variance,Variance %")
    assert lines[1] == "Mail 邮件,2026-Q1,CNY,10000.00,12000.00,2000.00,20.0,1"
    assert len(lines) == 2

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3 and sheet["B2"].value in ("2026-Q1", "2025")


def test_the_budget_page_shows_costs_per_category_and_month(people, q1_costs, client_for):
    budget = budget_create(actor=people.admin, service=q1_costs, period="2026-Q1", amount="10000")

    page = client_for(people.agent).get(reverse("budget_detail", args=[budget.pk]))

    assert page.status_code == 200
    chart = page.context["chart"]
    assert chart["months"] == ["2026-01", "2026-02", "2026-03"]
    assert chart["monthly"] == [10000.0, 0.0, 2000.0]
    assert chart["cumulative"] == [10000.0, 10000.0, 12000.0]
    html = page.content.decode()
    assert 'id="budget-chart-data"' in html and "<script>" not in html
