"""The dashboard on the home page (``core.home.top`` slot), the full page, the API, trends
from stored KPI values, and the home page's query budget."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from serviceloop.core.slots import slot_panels
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation.engine import kpi_snapshot_store, period_bounds, previous_period
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot
from serviceloop.evaluation.services_dashboards import customer_kpi_snapshots_store
from serviceloop.portfolio.tests.factories import ServiceFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(people, english):
    kpi_library_load()
    start = period_bounds("month", timezone.localdate())[0]
    for organisation, met in (
        (people.customer_a, True),
        (people.customer_a, False),
        (people.customer_b, True),
    ):
        created = start + datetime.timedelta(minutes=5)
        TicketFactory(
            organisation=organisation,
            created_at=created,
            response_met_at=created + datetime.timedelta(minutes=10),
            response_breached=not met,
            resolution_due_at=timezone.now() + datetime.timedelta(hours=2),
        )
    for n in range(5):
        ServiceFactory(name=f"Service {n}", customers=[people.customer_a, people.customer_b])
    return people


def test_the_panel_is_registered_in_the_home_slot():
    assert "evaluation/dashboard_home.html" in [p.template for p in slot_panels("core.home.top")]


@pytest.mark.parametrize(
    "who, title",
    [
        ("agent", "My open tickets"),
        ("lead", "My teams&#x27; queue"),
        ("owner", "Clause readiness"),
        ("top", "Service availability this month"),
        ("auditor", "Open risks and opportunities"),
        ("a_manager", "Our first responses within the SLA"),
        ("a_user", "Open tickets"),
    ],
)
def test_home_page_shows_the_dashboard_of_each_role(world, client_for, who, title):
    response = client_for(getattr(world, who)).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="home-dashboard"' in body
    assert title in body
    assert 'data-kind="error"' not in body
    assert "<script>" not in body  # CSP: data in json_script only


def test_full_page_and_its_trend_chart(world, client_for):
    definition = KpiDefinition.objects.get(code="response-within-sla")
    today = timezone.localdate()
    last = previous_period("month", today)
    before = previous_period("month", (last[0] - datetime.timedelta(days=1)).date())
    kpi_snapshot_store(definition, before)
    kpi_snapshot_store(definition, last)
    response = client_for(world.top).get("/dashboard/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-chart="dashboard-trend"' in body
    assert "vendor/echarts/echarts.min.js" in body
    assert "evaluation/dashboard.js" in body
    trend = response.context["widgets"][0].data["trend"]
    assert [p["period"] for p in trend] == [
        timezone.localtime(before[0]).date().isoformat(),
        timezone.localtime(last[0]).date().isoformat(),
        timezone.localtime(period_bounds("month", today)[0]).date().isoformat(),
    ]
    assert trend[-1]["value"] == pytest.approx(200 / 3, rel=1e-4)


def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    response = client_for(None).get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_navigation_has_the_dashboard(world, client_for):
    body = client_for(world.a_user).get("/").content.decode()
    assert 'data-nav="dashboard"' in body


# --- Customer trends ------------------------------------------------------------------------------


def test_customer_snapshots_give_each_customer_his_own_trend(world, client_for):
    definition = KpiDefinition.objects.get(code="response-within-sla")
    # last month: customer A answered one ticket late, customer B one in time
    last_start, _last_end = previous_period(definition.period)
    for organisation, breached in ((world.customer_a, True), (world.customer_b, False)):
        TicketFactory(
            organisation=organisation,
            created_at=last_start + datetime.timedelta(hours=1),
            response_met_at=last_start + datetime.timedelta(hours=2),
            response_breached=breached,
        )
    created = customer_kpi_snapshots_store()
    assert created == KpiSnapshot.objects.filter(slice_id__startswith='{"organisation"').count()
    assert customer_kpi_snapshots_store() == 0  # idempotent
    a = client_for(world.a_manager).get("/api/v1/dashboard/").json()
    b = client_for(world.b_manager).get("/api/v1/dashboard/").json()
    trend_a = a["widgets"][0]["data"]["trend"]
    trend_b = b["widgets"][0]["data"]["trend"]
    assert [p["value"] for p in trend_a] == [0.0, 50.0]
    assert [p["value"] for p in trend_b] == [100.0, 100.0]


# --- API ------------------------------------------------------------------------------------------


def test_api_returns_the_person_widgets_with_data(world, api_client_for):
    body = api_client_for(world.a_manager).get("/api/v1/dashboard/").json()
    assert body["customised"] is False
    codes = [w["code"] for w in body["widgets"]]
    assert codes[0] == "customer_response_sla"
    first = body["widgets"][0]
    assert first["kind"] == "kpi"
    assert (first["data"]["numerator"], first["data"]["denominator"]) == (1, 2)
    availability = next(w for w in body["widgets"] if w["code"] == "customer_availability")
    assert availability["data"]["count"] == 5
    staff = api_client_for(world.top).get("/api/v1/dashboard/").json()
    kpi = staff["widgets"][0]
    assert kpi["code"] == "kpi.response-within-sla"
    assert (kpi["data"]["numerator"], kpi["data"]["denominator"]) == (2, 3)
    assert api_client_for(None).get("/api/v1/dashboard/").status_code in (401, 403)


def test_schema_describes_the_dashboard_api(world, api_client_for):
    schema = api_client_for(world.admin).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert {"/api/v1/dashboard/", "/api/v1/dashboard/layout/", "/api/v1/dashboard/reset/"} <= set(
        paths
    )


# --- Performance --------------------------------------------------------------------------------


def home_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["top", "lead", "owner", "admin", "a_manager"])
def test_home_page_query_budget(world, client_for, django_assert_max_num_queries, who):
    """A full default dashboard costs a bounded number of queries: 50, plus one per evidence
    function for the clause readiness widget (each reads one aggregate); widgets shared by
    all staff (or all of one customer's people) then come from the cache."""
    from serviceloop.conformity.evidence import _REGISTRY

    evidence_functions = sum(len(functions) for functions in _REGISTRY.values())
    client = client_for(getattr(world, who))
    with django_assert_max_num_queries(50 + evidence_functions):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get("/").status_code == 200


def test_home_page_queries_do_not_grow_with_the_records(world, client_for):
    client = client_for(world.top)
    client.get("/")  # warm the per-process caches (calendars, tailoring)
    cache.clear()
    before = home_queries(client)
    for n in range(8):
        ServiceFactory(name=f"More {n}", customers=[world.customer_a])
        TicketFactory(organisation=world.customer_b, title=f"More {n}")
    cache.clear()
    assert home_queries(client) == before


def test_demo_stores_customer_trends_once(world):
    from serviceloop.evaluation.demo_dashboards import MONTHS, demo_records

    lines = []
    created = demo_records(write=lines.append)
    # two KPIs, three months, every active customer organisation (A, B and the outsider's)
    assert created == 2 * MONTHS * 3
    assert demo_records(write=lines.append) == 0
    assert len(lines) == 1
