"""The demand API: the monitoring push (token auth, idempotent on plan and instant, one bad
item refuses the body), plans with ETag/If-Match and the forecast, demand records (a
customer manager reads his own), budgets, cost lines and the variance and allocation
reports; customers 404, read-only staff 403; the OpenAPI schema."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from serviceloop.core.models import AuditEvent
from serviceloop.demand.models import Measurement
from serviceloop.demand.services_budgets import budget_create, cost_line_create
from serviceloop.demand.tests.factories import DemandRecordFactory
from serviceloop.desk.models import Ticket

pytestmark = pytest.mark.usefixtures("english")
API = "/api/v1"


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def push_body(plan, values, start):
    return {
        "measurements": [
            {"plan": plan.reference, "at": (start + datetime.timedelta(hours=i)).isoformat(),
             "value": value}
            for i, value in enumerate(values)
        ]
    }  # fmt: skip


# --- Measurements --------------------------------------------------------------------------


def test_the_monitoring_push_is_idempotent_on_plan_and_instant(people, demand_world):
    client = token_client(people.agent)
    start = timezone.now() - datetime.timedelta(days=1)
    body = push_body(demand_world.plan, [51.5, 52, 53.25], start)

    first = client.post(f"{API}/capacity-measurements/bulk/", body, format="json")
    again = client.post(f"{API}/capacity-measurements/bulk/", body, format="json")
    one_more = client.post(
        f"{API}/capacity-measurements/",
        {"plan": str(demand_world.plan.uuid), "at": start.isoformat(), "value": "99"},
        format="json",
    )

    assert first.status_code == 201, first.content
    assert (first.json()["created"], first.json()["duplicates"]) == (3, 0)
    assert again.status_code == 200 and again.json() == {
        **again.json(),
        "created": 0,
        "duplicates": 3,
    }
    assert one_more.status_code == 200 and one_more.json()["duplicates"] == 1
    values = list(demand_world.plan.measurements.order_by("at").values_list("value", flat=True))
    assert values == [Decimal("51.5"), Decimal("52"), Decimal("53.25")]  # 99 never stored
    assert set(demand_world.plan.measurements.values_list("source", flat=True)) == {"api"}
    assert AuditEvent.objects.filter(verb="measurement.imported").count() == 1


def test_a_push_reaching_the_critical_threshold_raises_one_incident(people, demand_world):
    client = token_client(people.agent)
    start = timezone.now() - datetime.timedelta(hours=5)
    body = push_body(demand_world.plan, [80, 91], start)

    first = client.post(f"{API}/capacity-measurements/bulk/", body, format="json")
    client.post(f"{API}/capacity-measurements/bulk/", body, format="json")

    assert first.json()["alerts"] == {demand_world.plan.reference: "opened"}
    assert Ticket.objects.count() == 1


def test_one_bad_item_refuses_the_whole_push(people, demand_world):
    client = token_client(people.agent)
    start = timezone.now() - datetime.timedelta(days=1)
    body = push_body(demand_world.plan, [50, 51, 52], start)
    body["measurements"][1]["value"] = "high"
    body["measurements"][2]["plan"] = "CAP-1999-000999"

    response = client.post(f"{API}/capacity-measurements/bulk/", body, format="json")
    future = client.post(
        f"{API}/capacity-measurements/bulk/",
        push_body(demand_world.plan, [1, 2], timezone.now() + datetime.timedelta(days=1)),
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["measurements"]
    # each bad item is named by its position (0-based); the good one is not
    assert set(errors) == {"1", "2"}, errors
    assert list(errors["1"]) == ["value"] and list(errors["2"]) == ["plan"]
    assert future.status_code == 400
    assert future.json()["items"][0].startswith("item 1, at:")
    assert Measurement.objects.count() == 0


def test_who_may_push_and_read_measurements(people, demand_world, api_client_for):
    body = push_body(demand_world.plan, [50], timezone.now() - datetime.timedelta(hours=1))
    url = f"{API}/capacity-measurements/bulk/"

    assert token_client(people.auditor).post(url, body, format="json").status_code == 403
    assert token_client(people.top).post(url, body, format="json").status_code == 403
    assert token_client(people.a_manager).post(url, body, format="json").status_code == 404
    assert APIClient().post(url, body, format="json").status_code in (401, 403)
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token nope")
    assert bad_token.post(url, body, format="json").status_code in (401, 403)
    assert Measurement.objects.count() == 0

    token_client(people.lead).post(url, body, format="json")  # operates: may record
    listed = api_client_for(people.auditor).get(
        f"{API}/capacity-measurements/", {"plan": demand_world.plan.reference}
    )
    assert [m["value"] for m in listed.json()["results"]] == ["50.0000"]
    assert api_client_for(people.b_user).get(f"{API}/capacity-measurements/").status_code == 404


# --- Plans ---------------------------------------------------------------------------------


PLAN = {
    "name": "ERP users",
    "service": "erp",
    "owner": "lead",
    "resource": "concurrent users",
    "unit": "users",
    "warning_threshold": "160",
    "critical_threshold": "200",
    "forecast_alert_days": 30,
}


def test_plans_are_created_and_changed_with_if_match(people, demand_world, api_client_for):
    lead = api_client_for(people.lead)  # owns erp

    created = lead.post(f"{API}/capacity-plans/", PLAN, format="json")
    reference = created.json()["reference"]
    stale = lead.patch(
        f"{API}/capacity-plans/{reference}/",
        {"critical_threshold": "210"},
        format="json",
        HTTP_IF_MATCH='"7"',
    )
    changed = lead.patch(
        f"{API}/capacity-plans/{reference}/",
        {"critical_threshold": "210"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    invalid = lead.patch(
        f"{API}/capacity-plans/{reference}/", {"warning_threshold": "250"}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["service"] == "erp" and created["ETag"] == '"1"'
    assert stale.status_code == 412
    assert changed.status_code == 200 and changed.json()["critical_threshold"] == "210.0000"
    assert changed["ETag"] == '"2"'
    assert invalid.status_code == 400 and "warning_threshold" in invalid.json()


def test_plan_writes_are_refused_to_others(people, demand_world, api_client_for):
    reference = demand_world.plan.reference

    assert api_client_for(people.agent).post(
        f"{API}/capacity-plans/", PLAN, format="json"
    ).status_code == 403  # fmt: skip
    for role in ("auditor", "top", "lead"):
        response = api_client_for(getattr(people, role)).patch(
            f"{API}/capacity-plans/{reference}/", {"name": "x"}, format="json"
        )
        assert response.status_code == 403, role
    for role in ("a_manager", "b_user"):
        client = api_client_for(getattr(people, role))
        assert client.get(f"{API}/capacity-plans/").status_code == 404
        assert client.get(f"{API}/capacity-plans/{reference}/").status_code == 404


def test_the_forecast_of_a_plan(people, demand_world, api_client_for):
    now = timezone.now()
    for day in range(30):
        Measurement.objects.create(
            plan=demand_world.plan,
            at=now - datetime.timedelta(days=30 - day),
            value=Decimal(50 + day),
            created_at=now,
        )

    body = (
        api_client_for(people.top)
        .get(f"{API}/capacity-plans/{demand_world.plan.reference}/forecast/")
        .json()
    )

    assert body["window_days"] == 90
    assert body["critical"]["status"] == "rising"
    assert body["critical"]["slope_per_day"] == pytest.approx(1.0)
    assert body["critical"]["days_to_crossing"] == pytest.approx(11, abs=1)
    assert body["warning"]["status"] == "already_crossed"


# --- Demand records ------------------------------------------------------------------------


def test_demand_records_through_the_api(people, demand_world, api_client_for):
    agent = api_client_for(people.agent)  # owns mail
    created = agent.post(
        f"{API}/demand-records/",
        {"customer": str(people.customer_a.uuid), "service": "mail", "period": "2026-Q2",
         "unit": "mailboxes", "forecast_quantity": "400"},
        format="json",
    )  # fmt: skip
    record = created.json()
    updated = agent.patch(
        f"{API}/demand-records/{record['id']}/", {"actual_quantity": "380"}, format="json"
    )
    DemandRecordFactory(organisation=people.customer_b, service=demand_world.mail)

    manager = api_client_for(people.a_manager)
    own = manager.get(f"{API}/demand-records/").json()["results"]
    write = manager.patch(f"{API}/demand-records/{record['id']}/", {"note": "x"}, format="json")
    create = manager.post(f"{API}/demand-records/", {}, format="json")

    assert created.status_code == 201, created.content
    assert record["period"] == "2026-Q2" and record["period_start"] == "2026-04-01"
    assert updated.json()["variance"] == "-20.00" and updated.json()["variance_percent"] == "-5.0"
    assert [r["id"] for r in own] == [record["id"]]
    assert write.status_code == 403 and create.status_code == 403
    assert api_client_for(people.a_user).get(f"{API}/demand-records/").status_code == 404
    assert api_client_for(people.b_manager).get(
        f"{API}/demand-records/{record['id']}/"
    ).status_code == 404  # fmt: skip
    assert api_client_for(people.auditor).patch(
        f"{API}/demand-records/{record['id']}/", {"note": "x"}, format="json"
    ).status_code == 403  # fmt: skip


# --- Budgets, costs and reports ------------------------------------------------------------


def test_budgets_cost_lines_and_the_reports(people, demand_world, api_client_for):
    lead = api_client_for(people.lead)  # owns erp
    budget = lead.post(
        f"{API}/budgets/", {"service": "erp", "period": "2026-Q1", "amount": "1000"}, format="json"
    )
    cost = lead.post(
        f"{API}/cost-lines/",
        {"service": "erp", "date": "2026-02-10", "category": "licence", "amount": "1250"},
        format="json",
    )
    no_supplier = lead.post(
        f"{API}/cost-lines/",
        {"service": "erp", "date": "2026-02-10", "category": "licence", "amount": "1",
         "supplier": "Nobody"},
        format="json",
    )  # fmt: skip
    not_his = lead.post(
        f"{API}/budgets/", {"service": "mail", "period": "2026", "amount": "1"}, format="json"
    )

    assert budget.status_code == 201 and cost.status_code == 201, (budget.content, cost.content)
    assert no_supplier.status_code == 400 and not_his.status_code == 403
    read = api_client_for(people.auditor).get(f"{API}/budgets/{budget.json()['id']}/").json()
    assert (read["actual"], read["variance"], read["variance_percent"]) == (
        "1250.00",
        "250.00",
        "25.0",
    )
    report = api_client_for(people.top).get(f"{API}/budget-variance/", {"year": 2026}).json()
    assert [(r["service"], r["period"], r["variance_percent"]) for r in report] == [
        ("erp", "2026-Q1", "25.0")
    ]
    allocation = (
        api_client_for(people.top)
        .get(f"{API}/cost-allocation/", {"service": "erp", "period": "2026-Q1", "driver": "users"})
        .json()
    )
    assert allocation["total_cost"] == "1250.00" and allocation["driver_total"] == 2
    assert [(r["customer_name"], r["amount"]) for r in allocation["rows"]] == [
        (people.customer_a.name, "1250.00")
    ]
    bad = api_client_for(people.top).get(f"{API}/cost-allocation/", {"driver": "x"})
    assert bad.status_code == 400 and set(bad.json()) == {"service", "period", "driver"}
    for url in ("budgets/", "cost-lines/", "budget-variance/", "cost-allocation/"):
        assert api_client_for(people.a_manager).get(f"{API}/{url}").status_code == 404


def test_cost_line_updates_need_the_current_version(people, demand_world, api_client_for):
    line = cost_line_create(
        actor=people.admin, service=demand_world.mail, date=datetime.date(2026, 1, 2),
        category="staff", amount=Decimal("10"),
    )  # fmt: skip
    budget_create(actor=people.admin, service=demand_world.mail, period="2026", amount=5)
    client = api_client_for(people.admin)

    stale = client.patch(
        f"{API}/cost-lines/{line.uuid}/", {"amount": "12"}, format="json", HTTP_IF_MATCH='"5"'
    )
    fresh = client.patch(
        f"{API}/cost-lines/{line.uuid}/", {"amount": "12"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert stale.status_code == 412 and fresh.status_code == 200
    assert fresh.json()["amount"] == "12.00"


def test_the_openapi_schema_lists_demand_and_warns_of_nothing_in_it(db, tmp_path):
    """(The whole schema's warnings are the desk's schema test's business; this one checks
    that none of them comes from the demand API.)"""
    target = tmp_path / "schema.yaml"
    warnings = io.StringIO()

    call_command(
        "spectacular", "--validate", "--file", str(target), stdout=io.StringIO(), stderr=warnings
    )

    ours = ("capacity", "measurement", "demand", "budget", "cost", "allocation", "variance",
            "forecast", "plan")  # fmt: skip
    lines = [line for line in warnings.getvalue().splitlines() if "arning" in line]
    assert not [line for line in lines if any(word in line.lower() for word in ours)], lines
    schema = target.read_text()
    for path in (
        "/api/v1/capacity-plans/{reference}/forecast/",
        "/api/v1/capacity-measurements/bulk/",
        "/api/v1/demand-records/{uuid}/",
        "/api/v1/budgets/{uuid}/",
        "/api/v1/cost-lines/",
        "/api/v1/budget-variance/",
        "/api/v1/cost-allocation/",
    ):
        assert path in schema
