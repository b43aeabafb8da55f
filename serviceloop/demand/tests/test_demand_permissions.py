"""Who may see and change what: customers 404 everywhere (a customer manager reads his own
organisation's demand records only), read-only staff 403 on every write, measurements by
staff who operate, plans and budgets by managers and the service's owner; anonymous
visitors are sent to sign in."""

from decimal import Decimal

import pytest
from django.urls import reverse

from serviceloop.demand.models import Budget, CapacityPlan, CostLine, DemandRecord, Measurement
from serviceloop.demand.tests.factories import (
    BudgetFactory,
    CapacityActionFactory,
    CostLineFactory,
    DemandRecordFactory,
)

pytestmark = pytest.mark.usefixtures("english")
CUSTOMERS = ("a_manager", "a_user", "b_manager", "b_user", "outsider")
READ_ONLY = ("auditor", "top")


@pytest.fixture
def records(people, demand_world):
    return {
        "budget": BudgetFactory(service=demand_world.mail),
        "cost": CostLineFactory(service=demand_world.mail),
        "demand_a": DemandRecordFactory(
            organisation=people.customer_a, service=demand_world.mail, period="2026-Q1"
        ),
        "demand_b": DemandRecordFactory(
            organisation=people.customer_b, service=demand_world.mail, period="2026-Q1"
        ),
        "action": CapacityActionFactory(plan=demand_world.plan),
    }


def staff_pages(world, records):
    plan = world.plan.reference
    return [
        reverse("capacity_plan_list"),
        reverse("capacity_plan_new"),
        reverse("capacity_plan_detail", args=[plan]),
        reverse("capacity_plan_edit", args=[plan]),
        reverse("capacity_measurement_list", args=[plan]),
        reverse("capacity_measurement_add", args=[plan]),
        reverse("capacity_import", args=[plan]),
        reverse("capacity_action_new", args=[plan]),
        reverse("capacity_import_template"),
        reverse("budget_list"),
        reverse("budget_new"),
        reverse("budget_detail", args=[records["budget"].pk]),
        reverse("budget_edit", args=[records["budget"].pk]),
        reverse("cost_line_list"),
        reverse("cost_line_new"),
        reverse("cost_line_edit", args=[records["cost"].pk]),
        reverse("cost_import"),
        reverse("cost_allocation"),
        reverse("demand_new"),
    ]


@pytest.mark.parametrize("role", CUSTOMERS)
def test_customers_get_404_on_every_staff_screen(role, people, demand_world, records, client_for):
    client = client_for(getattr(people, role))

    answers = {url: client.get(url).status_code for url in staff_pages(demand_world, records)}

    assert set(answers.values()) == {404}, answers


def test_anonymous_visitors_are_sent_to_sign_in(people, demand_world, records, client_for):
    client = client_for(None)

    for url in [*staff_pages(demand_world, records), reverse("demand_list")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_staff_read_everything_and_write_nothing(
    role, people, demand_world, records, client_for
):
    client = client_for(getattr(people, role))
    plan = demand_world.plan.reference
    reads = [
        reverse("capacity_plan_list"),
        reverse("capacity_plan_detail", args=[plan]),
        reverse("capacity_measurement_list", args=[plan]),
        reverse("budget_list"),
        reverse("budget_detail", args=[records["budget"].pk]),
        reverse("cost_line_list"),
        reverse("demand_list"),
        reverse("demand_detail", args=[records["demand_a"].pk]),
    ]
    writes = [
        reverse("capacity_plan_new"),
        reverse("capacity_plan_edit", args=[plan]),
        reverse("capacity_measurement_add", args=[plan]),
        reverse("capacity_import", args=[plan]),
        reverse("capacity_action_new", args=[plan]),
        reverse("capacity_plan_evaluate", args=[plan]),
        reverse("capacity_action_close", args=[plan, records["action"].pk]),
        reverse("budget_new"),
        reverse("budget_edit", args=[records["budget"].pk]),
        reverse("cost_line_new"),
        reverse("cost_line_edit", args=[records["cost"].pk]),
        reverse("cost_import"),
        reverse("demand_new"),
        reverse("demand_edit", args=[records["demand_a"].pk]),
    ]

    assert {url: client.get(url).status_code for url in reads} == dict.fromkeys(reads, 200)
    posted = {url: client.post(url, {"value": "1", "status": "done"}).status_code for url in writes}
    assert posted == dict.fromkeys(writes, 403)
    assert Measurement.objects.count() == 0


def test_a_customer_manager_reads_his_own_demand_records_only(
    people, demand_world, records, client_for
):
    client = client_for(people.a_manager)

    listing = client.get(reverse("demand_list"))
    own = client.get(reverse("demand_detail", args=[records["demand_a"].pk]))
    other = client.get(reverse("demand_detail", args=[records["demand_b"].pk]))
    edit = client.get(reverse("demand_edit", args=[records["demand_a"].pk]))
    export = client.get(reverse("demand_list"), {"export": "csv"})

    assert [r.pk for r, _p in listing.context["rows"]] == [records["demand_a"].pk]
    assert 'data-nav="demand_list"' in listing.content.decode()
    assert own.status_code == 200 and other.status_code == 404
    assert edit.status_code == 403
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Customer A" in body and "Customer B" not in body
    # a customer user (not organisation-wide) sees none
    assert client_for(people.a_user).get(reverse("demand_list")).status_code == 404


def test_an_agent_records_measurements_but_edits_only_the_plans_of_services_he_owns(
    people, demand_world, client_for
):
    plan = demand_world.plan  # on mail, which the agent owns
    agent = client_for(people.agent)
    lead = client_for(people.lead)  # operates, owns erp but not mail

    measured = lead.post(
        reverse("capacity_measurement_add", args=[plan.reference]),
        {"at": "2026-01-05T10:00", "value": "42"},
    )
    lead_edit = lead.get(reverse("capacity_plan_edit", args=[plan.reference]))
    agent_edit = agent.post(
        reverse("capacity_plan_edit", args=[plan.reference]),
        {
            "name": "Mail CPU (both nodes)",
            "service": demand_world.mail.pk,
            "owner": people.agent.pk,
            "resource": "CPU %",
            "unit": "%",
            "direction": "higher",
            "warning_threshold": "75",
            "critical_threshold": "92",
            "forecast_window_days": "60",
            "alert_action": "incident",
            "is_active": "on",
        },
    )

    assert measured.status_code == 302 and plan.measurements.count() == 1
    assert lead_edit.status_code == 403
    assert agent_edit.status_code == 302, agent_edit.context["form"].errors
    plan.refresh_from_db()
    assert (plan.name, plan.warning_threshold, plan.forecast_window_days) == (
        "Mail CPU (both nodes)",
        Decimal("75"),
        60,
    )


def test_a_service_owner_writes_budgets_of_his_service_only(people, demand_world, client_for):
    from serviceloop.demand.services_budgets import budget_create

    client = client_for(people.lead)  # owns erp
    for_erp = client.post(
        reverse("budget_new"),
        {"service": demand_world.erp.pk, "period": "2026", "amount": "5000", "currency": "CNY"},
    )
    for_mail = client.post(
        reverse("budget_new"),
        {"service": demand_world.mail.pk, "period": "2026", "amount": "5000", "currency": "CNY"},
    )

    assert for_erp.status_code == 302
    assert for_mail.status_code == 200 and "service" in for_mail.context["form"].errors
    assert list(Budget.objects.values_list("service__code", flat=True)) == ["erp"]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        budget_create(actor=people.lead, service=demand_world.mail, period="2026", amount=1)
    with pytest.raises(PermissionDenied):
        budget_create(actor=people.auditor, service=demand_world.mail, period="2026", amount=1)


def test_an_agent_without_a_service_of_his_own_cannot_create_plans(people, client_for):
    assert client_for(people.agent).get(reverse("capacity_plan_new")).status_code == 403
    assert client_for(people.owner).get(reverse("capacity_plan_new")).status_code == 200


def test_writes_refused_by_a_service_leave_nothing_behind(people, demand_world):
    from django.core.exceptions import PermissionDenied

    from serviceloop.demand.services_capacity import measurement_record, plan_create
    from serviceloop.demand.services_demand import demand_record_create

    with pytest.raises(PermissionDenied):
        measurement_record(actor=people.top, plan=demand_world.plan, at="x", value=1)
    with pytest.raises(PermissionDenied):
        plan_create(actor=people.agent, name="x", service=demand_world.erp)
    with pytest.raises(PermissionDenied):
        demand_record_create(
            actor=people.a_manager,
            organisation=people.customer_a,
            service=demand_world.mail,
            period="2026",
            unit="users",
            forecast_quantity=1,
        )
    assert CapacityPlan.objects.count() == 1
    assert not Measurement.objects.exists() and not DemandRecord.objects.exists()
    assert not CostLine.objects.exists()
