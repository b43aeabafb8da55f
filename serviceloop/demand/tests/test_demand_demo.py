"""The demand demo: three capacity plans with 120 days of utilisation (the cloud SAN rising
towards its threshold, with its forecast alert as a capacity action), demand records,
budgets and costs of the demo year; loading twice adds nothing."""

import pytest
from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.core.models import AuditEvent
from serviceloop.demand.demo import demo_records
from serviceloop.demand.models import (
    Budget,
    CapacityAction,
    CapacityAlert,
    CapacityPlan,
    CostLine,
    DemandRecord,
    Measurement,
)
from serviceloop.demand.queries import plan_forecast
from serviceloop.demand.queries_budgets import budgets_with_actuals
from serviceloop.portfolio.demo import demo_records as portfolio_demo


@pytest.fixture
def demo(db):
    demo_load(write=lambda line: None)
    portfolio_demo(write=lambda line: None)
    return demo_records(write=lambda line: None)


def test_the_demo_holds_plans_demand_budgets_and_costs_and_loads_once(demo):
    today = timezone.localdate()
    plans = list(CapacityPlan.objects.select_related("service"))
    assert sorted(p.service.code for p in plans) == ["cloud", "email", "erp"]
    for plan in plans:
        assert plan.measurements.count() == 120
    assert DemandRecord.objects.count() == 8 * 4  # 4 series × 2 years × 4 quarters
    assert DemandRecord.objects.filter(actual_quantity__isnull=False).exists()
    assert Budget.objects.filter(period_start__year=today.year).count() == 9  # 5 yearly, 4 Q
    assert CostLine.objects.filter(date__year=today.year).exists() or today.month == 1
    assert all(b.actual >= 0 for b in budgets_with_actuals_for_staff())

    rows = AuditEvent.objects.count()
    assert demo_records(write=lambda line: None) == 0
    assert AuditEvent.objects.count() == rows
    assert Measurement.objects.count() == 360


def budgets_with_actuals_for_staff():
    from serviceloop.core.models import User

    return budgets_with_actuals(User.objects.get(username="auditor"))


def test_the_cloud_san_is_rising_towards_its_threshold_with_a_capacity_action(demo):
    san = CapacityPlan.objects.get(service__code="cloud")
    forecast = plan_forecast(san)

    assert forecast.status == "rising"
    days = forecast.days_to_crossing(timezone.now())
    assert 20 < days < 60
    [alert] = CapacityAlert.objects.filter(plan=san)
    assert alert.trigger == "forecast" and alert.action is not None
    assert CapacityAction.objects.filter(plan=san).count() == 1
    # the others are quiet
    assert not CapacityAlert.objects.exclude(plan=san).exists()


def test_every_screen_opens_on_the_demo_data(demo, client_for):
    from django.urls import reverse

    from serviceloop.core.models import User

    admin = User.objects.get(username="admin")
    client = client_for(admin)
    budget = Budget.objects.filter(service__code="cloud", period_kind="year").first()
    record = DemandRecord.objects.first()
    urls = [
        reverse("capacity_plan_list"),
        reverse("demand_list"),
        reverse("budget_list"),
        reverse("cost_line_list"),
        reverse("budget_detail", args=[budget.pk]),
        reverse("budget_edit", args=[budget.pk]),
        reverse("demand_detail", args=[record.pk]),
        reverse("demand_edit", args=[record.pk]),
        reverse("cost_allocation")
        + f"?service={budget.service_id}&period={budget.period.label}&driver=users",
    ]
    for plan in CapacityPlan.objects.all():
        urls += [
            reverse("capacity_plan_detail", args=[plan.reference]),
            reverse("capacity_plan_edit", args=[plan.reference]),
            reverse("capacity_measurement_list", args=[plan.reference]),
        ]

    answers = {url: client.get(url).status_code for url in urls}

    assert set(answers.values()) == {200}, answers
    manager = client_for(User.objects.get(username="mdu.manager"))
    page = manager.get(reverse("demand_list"))
    assert page.status_code == 200
    assert {r.organisation.short_name for r, _p in page.context["rows"]} == {"MDU"}
