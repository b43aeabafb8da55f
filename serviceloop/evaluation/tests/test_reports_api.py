"""REST API of report templates (``/api/v1/report-templates/``): staff read, report managers
write (other staff 403), customers and outsiders 404; ``ETag``/``If-Match``; a template
that produced reports is deactivated, not deleted; every write leaves its audit row. And the
OpenAPI schema stays free of warnings with it."""

import io

import pytest
from django.core.management import call_command

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.models import ReportTemplate
from serviceloop.evaluation.services_reports import report_request, template_create
from serviceloop.evaluation.tests.test_reports_build import OCTOBER
from serviceloop.portfolio.tests.factories import ServiceFactory

pytestmark = pytest.mark.usefixtures("english")

URL = "/api/v1/report-templates/"


@pytest.fixture
def service(people):
    return ServiceFactory(code="erp", name="ERP", customers=[people.customer_a])


@pytest.fixture
def template(people, service):
    return template_create(
        actor=people.owner, name="Customer A monthly", organisation=people.customer_a,
        service=service, sections=["sla", "availability"], language="en",
    )  # fmt: skip


def body(people, **extra):
    return {
        "name": "Customer A quarterly", "customer": str(people.customer_a.uuid),
        "period_kind": "quarter", "sections": ["volumes", "sla", "commentary"], "language": "en",
        "extra_recipients": "CIO@example.com\nops@example.com", "schedule_enabled": True,
        "generation_day": 5, **extra,
    }  # fmt: skip


def test_staff_list_and_read_with_etag_and_filters(people, template, api_client_for):
    other = template_create(actor=people.owner, name="Customer B", organisation=people.customer_b,
                            is_active=False)  # fmt: skip
    client = api_client_for(people.agent)
    rows = client.get(URL).json()["results"]
    assert {row["name"] for row in rows} == {"Customer A monthly", "Customer B"}
    active = client.get(URL, {"active": "true"}).json()["results"]
    assert [row["id"] for row in active] == [template.pk]
    by_customer = client.get(URL, {"customer": str(people.customer_b.uuid)}).json()["results"]
    assert [row["id"] for row in by_customer] == [other.pk]
    assert client.get(URL, {"customer": "not-a-uuid"}).json()["results"] == []
    detail = client.get(f"{URL}{template.pk}/")
    assert detail.status_code == 200 and detail["ETag"] == '"1"'
    data = detail.json()
    assert data["customer"] == str(people.customer_a.uuid) and data["service"] == "erp"
    assert data["sections"] == ["sla", "availability"] and data["report_count"] == 0


def test_customers_and_outsiders_get_404_and_anonymous_is_refused(people, template,
                                                                  api_client_for):  # fmt: skip
    for who in (people.a_manager, people.a_user, people.outsider):
        client = api_client_for(who)
        assert client.get(URL).status_code == 404
        assert client.get(f"{URL}{template.pk}/").status_code == 404
        assert client.post(URL, body(people), format="json").status_code == 404
        assert client.delete(f"{URL}{template.pk}/").status_code == 404
    assert api_client_for(None).get(URL).status_code in (401, 403)
    assert api_client_for(people.agent).get(f"{URL}999999/").status_code == 404


def test_manager_creates_with_audit_row_other_staff_403(people, api_client_for):
    denied = api_client_for(people.agent).post(URL, body(people), format="json")
    assert denied.status_code == 403 and not ReportTemplate.objects.exists()
    created = api_client_for(people.lead).post(URL, body(people), format="json")
    assert created.status_code == 201, created.content
    assert created["ETag"] == '"1"'
    data = created.json()
    assert data["period_kind"] == "quarter" and data["sections"] == ["volumes", "sla", "commentary"]
    assert data["extra_recipients"] == "cio@example.com\nops@example.com"
    template = ReportTemplate.objects.get(pk=data["id"])
    assert template.organisation == people.customer_a and template.created_by == people.lead
    event = AuditEvent.objects.get(verb="report_template.created", object_id=str(template.pk))
    assert event.actor == people.lead and event.payload["generation_day"] == 5


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": None}, "customer"),  # no scope left (no service either)
        ({"sections": []}, "sections"),
        ({"sections": ["sla", "sla"]}, "sections"),
        ({"sections": ["nonsense"]}, "sections"),
        ({"generation_day": 29}, "generation_day"),
        ({"extra_recipients": "not an address"}, "extra_recipients"),
        ({"customer": "0b5a51a8-7e0c-4bbf-9c55-000000000000"}, "customer"),
        ({"name": ""}, "name"),
        ({"period_kind": "week"}, "period_kind"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(people, api_client_for, change, field):
    answer = api_client_for(people.owner).post(URL, body(people, **change), format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not ReportTemplate.objects.exists()
    assert not AuditEvent.objects.filter(verb="report_template.created").exists()


def test_update_honours_if_match_and_records_the_change(people, template, api_client_for):
    client = api_client_for(people.owner)
    changed = client.patch(f"{URL}{template.pk}/", {"period_kind": "quarter", "is_active": False},
                           format="json", HTTP_IF_MATCH='"1"')  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"' and changed.json()["period_kind"] == "quarter"
    event = AuditEvent.objects.get(verb="report_template.updated", object_id=str(template.pk))
    assert event.payload["changes"]["period"] == ["month", "quarter"]
    assert event.payload["changes"]["is_active"] == [True, False]
    stale = client.patch(f"{URL}{template.pk}/", {"name": "Late"}, format="json",
                         HTTP_IF_MATCH='"1"')  # fmt: skip
    assert stale.status_code == 412
    assert ReportTemplate.objects.get(pk=template.pk).name == "Customer A monthly"
    whole = body(people, name="Customer A, every quarter")
    replaced = client.put(f"{URL}{template.pk}/", whole, format="json", HTTP_IF_MATCH='"2"')
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["name"] == "Customer A, every quarter"
    assert replaced.json()["sections"] == ["volumes", "sla", "commentary"]
    not_entitled = client.patch(
        f"{URL}{template.pk}/", {"customer": str(people.customer_b.uuid)}, format="json"
    )
    assert not_entitled.status_code == 400 and "service" in not_entitled.json()
    assert (
        api_client_for(people.agent)
        .patch(f"{URL}{template.pk}/", {"name": "Mine"}, format="json")
        .status_code
        == 403
    )


def test_delete_only_an_unused_template(people, template, api_client_for):
    client = api_client_for(people.owner)
    assert api_client_for(people.agent).delete(f"{URL}{template.pk}/").status_code == 403
    report_request(actor=people.owner, template=template, day=OCTOBER)
    used = client.delete(f"{URL}{template.pk}/")
    assert used.status_code == 400 and "deactivate" in str(used.json())
    assert ReportTemplate.objects.filter(pk=template.pk).exists()
    spare = template_create(actor=people.owner, name="Spare", organisation=people.customer_b)
    assert client.delete(f"{URL}{spare.pk}/", HTTP_IF_MATCH='"7"').status_code == 412
    gone = client.delete(f"{URL}{spare.pk}/", HTTP_IF_MATCH='"1"')
    assert gone.status_code == 204 and not ReportTemplate.objects.filter(pk=spare.pk).exists()
    event = AuditEvent.objects.get(verb="report_template.deleted", object_id=str(spare.pk))
    assert event.actor == people.owner and event.payload["name"] == "Spare"


def test_list_query_count_does_not_grow_with_rows(people, template, api_client_for,
                                                  django_assert_max_num_queries):  # fmt: skip
    client = api_client_for(people.agent)
    with django_assert_max_num_queries(10) as few:
        client.get(URL)
    for n in range(4):
        template_create(actor=people.owner, name=f"More {n}", organisation=people.customer_b)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 5


def test_the_openapi_schema_builds_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    schema = target.read_text()
    for path in ("/api/v1/report-templates/", "/api/v1/report-templates/{id}/",
                 "/api/v1/service-reports/{reference}/pdf/"):  # fmt: skip
        assert path in schema
