"""Service report screens, portal and API: who sees what (staff, the customer manager of the
report's organisation, other customers 404), templates, "Generate now", sending, exports."""

import datetime

import pytest
from django.core import mail

from serviceloop.core.models import AuditEvent
from serviceloop.core.navigation import entries_for
from serviceloop.evaluation.build_reports import report_build
from serviceloop.evaluation.models import ReportStatus, ReportTemplate, ServiceReport
from serviceloop.evaluation.services_reports import report_request
from serviceloop.evaluation.tests.test_reports_build import OCTOBER, build, world  # noqa: F401


@pytest.fixture
def generated(people, world):  # noqa: F811
    return build(people, world["template"])


def test_staff_list_detail_exports_and_downloads(people, generated, client_for):
    client = client_for(people.agent)
    listing = client.get("/service-reports/")
    assert listing.status_code == 200 and generated.reference in listing.content.decode()
    for fmt in ("csv", "xlsx"):
        export = client.get("/service-reports/", {"export": fmt})
        assert export.status_code == 200
    csv = client.get("/service-reports/?export=csv")
    assert generated.reference in b"".join(csv.streaming_content).decode("utf-8-sig")
    detail = client.get(f"/service-reports/{generated.reference}/")
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "<svg" in page and "SLA 内首次响应率" in page and generated.checksum in page
    pdf = client.get(f"/service-reports/{generated.reference}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(f"/service-reports/{generated.reference}/xlsx/")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].endswith("spreadsheetml.sheet")


def test_list_query_count_does_not_grow_with_rows(people, generated, client_for,
                                                  django_assert_max_num_queries):  # fmt: skip
    client = client_for(people.agent)
    with django_assert_max_num_queries(12) as few:
        client.get("/service-reports/")
    for _n in range(3):
        report_build(report_request(actor=people.owner, template=generated.template,
                                    day=OCTOBER).pk)  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/service-reports/")


def test_customer_manager_reads_his_organisations_reports_only(people, generated, client_for):
    manager = client_for(people.a_manager)
    listing = manager.get("/service-reports/")
    assert listing.status_code == 200 and generated.reference in listing.content.decode()
    assert manager.get(f"/service-reports/{generated.reference}/").status_code == 200
    assert manager.get(f"/service-reports/{generated.reference}/pdf/").status_code == 200
    assert manager.get("/service-reports/templates/").status_code == 404
    assert manager.post(f"/service-reports/{generated.reference}/send/").status_code == 403
    other = client_for(people.b_manager)
    assert generated.reference not in other.get("/service-reports/").content.decode()
    for user in (people.b_manager, people.a_user, people.outsider):
        client = client_for(user)
        assert client.get(f"/service-reports/{generated.reference}/").status_code == 404
        assert client.get(f"/service-reports/{generated.reference}/xlsx/").status_code == 404
    assert client_for(people.a_user).get("/service-reports/").status_code == 404
    # A queued report is not shown to the customer yet.
    queued = report_request(actor=people.owner, template=generated.template, day=OCTOBER)
    assert manager.get(f"/service-reports/{queued.reference}/").status_code == 404


def test_navigation_entries(people):
    def has(user):
        return any(e.url_name == "service_report_list" for e in entries_for(user))

    assert has(people.agent) and has(people.a_manager)
    assert not has(people.a_user)
    staff_entry = next(e for e in entries_for(people.agent) if e.url_name == "service_report_list")
    assert staff_entry.menu == "management"


def test_template_screens_and_read_only_staff(people, world, client_for):  # noqa: F811
    template = world["template"]
    agent = client_for(people.agent)
    assert agent.get("/service-reports/templates/").status_code == 200
    assert agent.get("/service-reports/templates/?export=xlsx").status_code == 200
    detail = agent.get(f"/service-reports/templates/{template.pk}/")
    assert detail.status_code == 200 and 'data-testid="generate"' not in detail.content.decode()
    assert agent.get("/service-reports/templates/new/").status_code == 403
    assert agent.get(f"/service-reports/templates/{template.pk}/edit/").status_code == 403
    generate = agent.post(f"/service-reports/templates/{template.pk}/generate/",
                          {"day": "2026-10-01"})  # fmt: skip
    assert generate.status_code == 403
    assert not ServiceReport.objects.exists()
    owner_page = client_for(people.owner).get(f"/service-reports/templates/{template.pk}/")
    assert 'data-testid="generate"' in owner_page.content.decode()
    assert (
        client_for(people.a_manager).get(f"/service-reports/templates/{template.pk}/").status_code
        == 404
    )


def _form(**changes):
    data = {
        "name": "服务报告 Service report", "organisation": "", "service": "",
        "period": "quarter", "language": "en", "send_to_contacts": "on",
        "extra_recipients": "", "generation_day": "5", "commentary": "", "is_active": "on",
        "position_volumes": "1", "position_sla": "2",
    }  # fmt: skip
    data.update(changes)
    return data


def test_template_form_creates_and_edits_with_sections_in_order(
    people,
    world,  # noqa: F811
    client_for,
    english,
):
    client = client_for(people.owner)
    bad = client.post("/service-reports/templates/new/", _form())
    assert (
        bad.status_code == 200 and "Choose a customer, a service or both." in bad.content.decode()
    )
    assert ReportTemplate.objects.count() == 1
    created = client.post(
        "/service-reports/templates/new/", _form(organisation=people.customer_b.pk)
    )
    assert created.status_code == 302
    template = ReportTemplate.objects.get(organisation=people.customer_b)
    assert (template.sections, template.period, template.language) == (
        ["volumes", "sla"], "quarter", "en",
    )  # fmt: skip
    form_page = client.get(f"/service-reports/templates/{template.pk}/edit/")
    assert form_page.status_code == 200
    edited = client.post(
        f"/service-reports/templates/{template.pk}/edit/",
        _form(organisation=people.customer_b.pk, position_volumes="", position_sla="1",
              position_commentary="2", extra_recipients="x@b.example.cn, not-an-address",
              version=template.version),
    )  # fmt: skip
    assert edited.status_code == 200 and "Not an e-mail address" in edited.content.decode()
    edited = client.post(
        f"/service-reports/templates/{template.pk}/edit/",
        _form(organisation=people.customer_b.pk, position_volumes="", position_sla="1",
              position_commentary="2", version=template.version),
    )  # fmt: skip
    assert edited.status_code == 302
    template.refresh_from_db()
    assert template.sections == ["sla", "commentary"] and template.version == 2
    assert AuditEvent.objects.filter(verb__startswith="report_template.").count() == 3


def test_generate_now_queues_a_complete_period(people, world, client_for,  # noqa: F811
                                               django_capture_on_commit_callbacks):  # fmt: skip
    template = world["template"]
    client = client_for(people.lead)
    page = client.get(f"/service-reports/templates/{template.pk}/")
    choices = page.context["generate_form"].fields["day"].choices
    assert choices[0] == ("2026-10-01", "2026-10")  # the last complete month first
    refused = client.post(f"/service-reports/templates/{template.pk}/generate/",
                          {"day": "2026-11-01"})  # fmt: skip
    assert refused.status_code == 200 and not ServiceReport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/service-reports/templates/{template.pk}/generate/",
            {"day": "2026-10-01", "commentary": "手工生成。", "send": "on"},
        )
    report = ServiceReport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{report.reference}/")
    assert (report.status, report.requested_by, report.commentary) == (
        ReportStatus.SENT, people.lead, "手工生成。",
    )  # fmt: skip
    assert len(mail.outbox) == 2


def test_send_button(people, generated, client_for):
    assert (
        client_for(people.agent).post(f"/service-reports/{generated.reference}/send/").status_code
        == 403
    )
    response = client_for(people.owner).post(f"/service-reports/{generated.reference}/send/")
    assert response.status_code == 302
    generated.refresh_from_db()
    assert generated.status == ReportStatus.SENT and len(mail.outbox) == 2
    assert AuditEvent.objects.filter(verb="service_report.sent", actor=people.owner).exists()


def test_api_visibility_downloads_and_generate(people, generated, api_client_for):
    staff = api_client_for(people.auditor)
    rows = staff.get("/api/v1/service-reports/").json()["results"]
    assert [r["reference"] for r in rows] == [generated.reference]
    detail = staff.get(f"/api/v1/service-reports/{generated.reference}/").json()
    assert detail["checksum"] == generated.checksum
    assert detail["snapshot"]["period"]["label"] == "2026-10"
    pdf = staff.get(detail["pdf_url"])
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    manager = api_client_for(people.a_manager)
    assert len(manager.get("/api/v1/service-reports/").json()["results"]) == 1
    assert manager.get(detail["xlsx_url"]).status_code == 200
    assert len(api_client_for(people.b_manager).get("/api/v1/service-reports/").json()[
        "results"]) == 0  # fmt: skip
    assert (
        api_client_for(people.b_manager)
        .get(f"/api/v1/service-reports/{generated.reference}/")
        .status_code
        == 404
    )
    assert api_client_for(people.a_user).get("/api/v1/service-reports/").status_code == 404
    body = {"template": generated.template_id, "day": "2026-10-20"}
    assert staff.post("/api/v1/service-reports/generate/", body, format="json").status_code == 403
    lead = api_client_for(people.lead)
    bad = lead.post("/api/v1/service-reports/generate/", {**body, "day": "2026-11-20"},
                    format="json")  # fmt: skip
    assert bad.status_code == 400 and "day" in bad.json()
    queued = lead.post("/api/v1/service-reports/generate/", body, format="json")
    assert queued.status_code == 202 and queued.json()["version"] == 2
    assert queued.json()["pdf_url"] is None


def test_demo_records_are_idempotent(people):
    from serviceloop.core.tests.factories import OrganisationFactory
    from serviceloop.evaluation.demo_reports import CUSTOMER, demo_records

    OrganisationFactory(name=CUSTOMER, short_name="ECL")
    assert demo_records(write=lambda *_: None) == 2
    report = ServiceReport.objects.get()
    assert report.status == ReportStatus.GENERATED and report.pdf
    assert report.period_end <= datetime.datetime.now(datetime.UTC)
    assert demo_records(write=lambda *_: None) == 0
