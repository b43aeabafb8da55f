"""KPI screens and API: staff read, MANAGE_SYSTEM/ADMINISTER edit, read-only 403, customers 404."""

import pytest

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.evaluation.tests.test_kpi_engine import available_codes


@pytest.fixture
def kpis(people):
    kpi_library_load()


def test_list_detail_records_and_export_for_staff(kpis, people, client_for):
    client = client_for(people.agent)
    page = client.get("/kpis/")
    assert page.status_code == 200
    assert "response-within-sla" in page.content.decode()
    assert client.get("/kpis/?export=csv").status_code == 200
    assert client.get("/kpis/?export=xlsx").status_code == 200
    detail = client.get("/kpis/response-within-sla/")
    assert detail.status_code == 200
    assert 'data-testid="breakdown"' in detail.content.decode()
    assert client.get("/kpis/response-within-sla/records/?part=numerator").status_code == 200
    assert client.get("/kpis/change-success-rate/").status_code == 200
    assert client.get("/kpis/change-success-rate/records/").status_code == 200
    assert client.get("/kpis/positive-rating-rate/records/?part=rest").status_code == 200


def test_customers_get_404(kpis, people, client_for):
    client = client_for(people.a_manager)
    assert client.get("/kpis/").status_code == 404
    assert client.get("/kpis/response-within-sla/").status_code == 404
    assert client.get("/kpis/response-within-sla/edit/").status_code == 404


def test_edit_by_owner_is_audited_and_read_only_roles_get_403(kpis, people, client_for):
    definition = KpiDefinition.objects.get(code="resolution-rate")
    for name in ("auditor", "top", "agent"):
        assert (
            client_for(getattr(people, name))
            .post("/kpis/resolution-rate/edit/", {"name_en": "x"})
            .status_code
            == 403
        )
    data = {"name_en": "Resolution rate", "name_zh": "解决率", "description": "", "unit": "%",
            "direction": "higher", "target": "92", "warning": "85", "period": "month",
            "owner": people.owner.pk, "is_active": "on", "aggregate": "ratio_of_counts",
            "source": "desk.tickets", "denominator_filter": '{"status__ne": "cancelled"}',
            "numerator_filter": '{"resolved_at__isnull": false}',
            "slices": ["organisation", "priority"]}  # fmt: skip
    bad = client_for(people.owner).post("/kpis/resolution-rate/edit/", {**data, "warning": "95"})
    assert bad.status_code == 200
    definition.refresh_from_db()
    assert float(definition.target) == 90
    response = client_for(people.owner).post("/kpis/resolution-rate/edit/", data)
    assert response.status_code == 302
    definition.refresh_from_db()
    assert float(definition.target) == 92 and definition.owner == people.owner
    assert AuditEvent.objects.filter(verb="kpi.updated").count() == 1


def test_api_read_only(kpis, people, api_client_for):
    staff = api_client_for(people.auditor)
    listing = staff.get("/api/v1/kpis/")
    assert listing.status_code == 200
    assert staff.get("/api/v1/kpis/response-within-sla/value/").json()["status"] == "no_data"
    assert staff.post("/api/v1/kpis/", {"code": "x"}).status_code == 405
    assert staff.get("/api/v1/kpi-values/").status_code == 200
    customer = api_client_for(people.a_manager)
    assert customer.get("/api/v1/kpis/response-within-sla/").status_code == 404


def test_records_with_bad_slice_is_404_and_anonymous_redirects(kpis, people, client_for):
    client = client_for(people.agent)
    assert client.get("/kpis/response-within-sla/records/?organisation=abc").status_code == 404
    assert (
        client.get(
            f"/kpis/response-within-sla/records/?organisation={people.customer_a.pk}"
        ).status_code
        == 200
    )
    assert client_for().get("/kpis/").status_code == 302


def test_admin_may_edit_and_periodic_task_is_idempotent(kpis, people, client_for):
    from serviceloop.evaluation.models import KpiSnapshot
    from serviceloop.evaluation.tasks_kpis import kpi_snapshots

    assert client_for(people.admin).get("/kpis/resolution-rate/edit/").status_code == 200
    first = kpi_snapshots.call_local()
    # no records: the whole of every active KPI (slices only exist where records do)
    assert KpiSnapshot.objects.filter(slice_id="{}").count() == len(available_codes())
    assert kpi_snapshots.call_local() == 0
    assert KpiSnapshot.objects.count() == first
    detail = client_for(people.agent).get("/kpis/resolution-rate/")
    assert 'data-testid="trend-chart"' in detail.content.decode()
    assert "evaluation/kpi.js" in detail.content.decode()


def test_every_shipped_kpi_page_and_form_render(kpis, people, client_for):
    from serviceloop.evaluation.library import LIBRARY

    staff, owner = client_for(people.agent), client_for(people.owner)
    for entry in LIBRARY:
        code = entry["code"]
        page = staff.get(f"/kpis/{code}/?day=2026-03-15")
        assert page.status_code == 200, code
        assert 'data-testid="kpi-formula"' in page.content.decode()
        assert owner.get(f"/kpis/{code}/edit/").status_code == 200, code
