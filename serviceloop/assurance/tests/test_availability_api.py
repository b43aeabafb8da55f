"""The availability API: outages, availability for any period, the monthly report, targets,
single points of failure; and the OpenAPI schema of the whole assurance API."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from serviceloop.assurance.availability import Span
from serviceloop.assurance.models import Outage
from serviceloop.assurance.services_availability import outage_create
from serviceloop.assurance.tests.factories import OutageFactory
from serviceloop.assurance.tests.test_availability_engine import Reference
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind
from serviceloop.desk.tests.factories import TicketEventFactory, TicketFactory
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceComponentFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/outages/"


def at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_recording_adjusting_and_ending_an_outage(people, world, api_client_for):
    client = api_client_for(people.agent)

    created = client.post(
        URL,
        {"service": "mail", "title": "Mail down", "start": "2025-10-14T10:00:00+08:00"},
        format="json",
    )
    reference = created.json()["reference"]
    refused = client.post(
        f"{URL}{reference}/adjust/",
        {"start": "2025-10-14T09:50:00+08:00", "end": None, "reason": ""},
        format="json",
    )
    adjusted = client.post(
        f"{URL}{reference}/adjust/",
        {"start": "2025-10-14T09:50:00+08:00", "end": None, "reason": "Alarm at 09:50"},
        format="json",
        headers={"If-Match": '"1"'},
    )
    stale = client.post(
        f"{URL}{reference}/adjust/",
        {"start": "2025-10-14T09:40:00+08:00", "end": None, "reason": "Again"},
        format="json",
        headers={"If-Match": '"1"'},
    )
    ended = client.post(
        f"{URL}{reference}/end/", {"end": "2025-10-14T11:00:00+08:00"}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["counts_as_downtime"] is True and created["ETag"] == '"1"'
    assert refused.status_code == 400 and "reason" in refused.json()
    assert adjusted.status_code == 200 and adjusted.json()["version"] == 2
    assert stale.status_code == 412
    assert ended.json()["end"].startswith("2025-10-14T")
    assert [e["kind"] for e in ended.json()["events"]] == ["created", "adjusted", "ended"]
    assert ended.json()["events"][1]["reason"] == "Alarm at 09:50"


def test_an_outage_from_a_major_incident(people, world, api_client_for):
    ticket = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        is_major=True,
        status=Status.RESOLVED,
        created_at=at("2025-10-14 09:00"),
        resolved_at=at("2025-10-14 09:45"),
    )
    TicketEventFactory(ticket=ticket, kind=EventKind.CREATED, at=at("2025-10-14 09:00"))
    TicketEventFactory(
        ticket=ticket, kind=EventKind.STATUS, at=at("2025-10-14 09:45"), to_value="resolved"
    )

    response = api_client_for(people.agent).post(
        f"{URL}from-incident/",
        {"ticket": ticket.reference, "service": "erp", "all_customers": False,
         "customers": [str(people.customer_b.uuid)]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["ticket"], body["customers"]) == (
        "major_incident",
        ticket.reference,
        [str(people.customer_b.uuid)],
    )


@pytest.mark.parametrize("role", ["auditor", "top", "owner"])
def test_read_only_staff_get_403_on_writes(role, people, world, api_client_for):
    outage = OutageFactory(service=world.erp)
    client = api_client_for(getattr(people, role))

    assert client.get(f"{URL}{outage.reference}/").status_code == 200
    assert (
        client.post(
            URL,
            {"service": "erp", "title": "x", "start": "2025-10-14T10:00:00+08:00"},
            format="json",
        ).status_code
        == 403
    )
    assert client.post(f"{URL}{outage.reference}/end/", {}, format="json").status_code == 403


@pytest.mark.parametrize("role", ["a_manager", "a_user", "outsider"])
def test_customers_get_404(role, people, world, api_client_for):
    outage = OutageFactory(service=world.erp)
    client = api_client_for(getattr(people, role))

    for url in (URL, f"{URL}{outage.reference}/", "/api/v1/availability-targets/",
                "/api/v1/spof-findings/", "/api/v1/availability/?service=erp"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(URL, {}, format="json").status_code == 404


def test_anonymous_callers_are_refused(db, api_client_for):
    for url in (URL, "/api/v1/availability/", "/api/v1/security-risks/"):
        assert api_client_for(None).get(url).status_code in (401, 403)


def test_availability_for_any_period_matches_the_reference(people, world, api_client_for):
    for start, end in (
        ("2025-10-09 08:59:30", "2025-10-09 12:30:10"),
        ("2025-10-09 12:20:00", "2025-10-09 13:15:45"),
        ("2025-10-11 17:59:59", "2025-10-13 09:00:01"),  # make-up Saturday to Monday
    ):
        outage_create(
            actor=people.agent, service=world.erp, title=start, start=at(start), end=at(end)
        )
    period = ("2025-10-08T00:00:00+08:00", "2025-10-14T00:00:00+08:00")

    response = api_client_for(people.agent).get(
        "/api/v1/availability/", {"service": "erp", "start": period[0], "end": period[1]}
    )

    body = response.json()
    spans = [Span(o.start, o.end) for o in Outage.objects.all()]
    reference = Reference().compute(
        at("2025-10-08 00:00"), at("2025-10-14 00:00"), spans, at("2025-10-20 00:00")
    )
    assert (body["agreed_seconds"], body["downtime_seconds"], body["breaks"]) == (
        reference["agreed"],
        reference["down"],
        reference["breaks"],
    )
    # 09:00-12:00 and 13:00-13:15:45 on Thursday (lunch and 08:59 are not service time),
    # one second on the make-up Saturday and one on Monday
    assert body["downtime_seconds"] == 3 * 3600 + 15 * 60 + 45 + 2 and body["breaks"] == 2
    assert body["outages"] == 3 and body["target_percent"] is None and body["met"] is None


def test_the_monthly_report_for_a_customer_is_his_own(people, world, api_client_for):
    OutageFactory(service=world.erp, start=at("2025-10-14 10:00"), end=at("2025-10-14 11:00"))

    staff = api_client_for(people.agent).get("/api/v1/availability/report/", {"month": "2025-10"})
    customer = api_client_for(people.a_user).get(
        "/api/v1/availability/report/", {"month": "2025-10"}
    )
    bad = api_client_for(people.agent).get("/api/v1/availability/report/", {"month": "10/2025"})

    assert len(staff.json()["per_service"]) == 2 and len(staff.json()["per_customer"]) == 3
    body = customer.json()
    assert body["per_service"] == []
    assert {row["service"] for row in body["per_customer"]} == {"erp", "mail"}
    assert {row["customer"] for row in body["per_customer"]} == {str(people.customer_a.uuid)}
    assert bad.status_code == 400


def test_targets(people, world, api_client_for):
    url = "/api/v1/availability-targets/erp/"

    missing = api_client_for(people.agent).get(url)
    set_by_owner = api_client_for(people.lead).put(url, {"target_percent": "99.9"}, format="json")
    refused = api_client_for(people.agent).put(url, {"target_percent": "99.0"}, format="json")
    listed = api_client_for(people.auditor).get("/api/v1/availability-targets/")
    deleted = api_client_for(people.admin).delete(url)

    assert missing.status_code == 404
    assert set_by_owner.status_code == 200 and set_by_owner.json()["target_percent"] == "99.900"
    assert refused.status_code == 403
    assert [t["service"] for t in listed.json()["results"]] == ["erp"]
    assert deleted.status_code == 204


def test_spof_findings(people, world, api_client_for):
    ServiceComponentFactory(service=world.erp, configuration_item=ConfigurationItemFactory())

    refused = api_client_for(people.agent).post("/api/v1/spof-findings/scan/")
    scanned = api_client_for(people.owner).post("/api/v1/spof-findings/scan/")
    finding = api_client_for(people.agent).get("/api/v1/spof-findings/").json()["results"][0]
    moved = api_client_for(people.owner).post(
        f"/api/v1/spof-findings/{finding['id']}/transition/",
        {"target": "accepted", "note": "Known"},
        format="json",
    )

    assert refused.status_code == 403
    assert scanned.json() == {"created": 1, "reopened": 0, "resolved": 0, "open": 1}
    assert finding["service"] == "erp"
    assert moved.json()["status"] == "accepted"


def test_lists_cost_the_same_queries_for_any_page_size(people, world, api_client_for):
    for _n in range(6):
        OutageFactory(service=world.erp, customers=[people.customer_a], all_customers=False)
    client = api_client_for(people.agent)

    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"page_size": size}).status_code == 200
        return len(captured)

    assert queries(2) == queries(6)


def test_the_openapi_schema_documents_the_assurance_api(db, tmp_path):
    target = tmp_path / "schema.yaml"
    stderr = io.StringIO()
    call_command("spectacular", "--file", str(target), stdout=io.StringIO(), stderr=stderr)
    schema = target.read_text()

    for path in (
        "/api/v1/outages/from-incident/",
        "/api/v1/outages/{reference}/adjust/",
        "/api/v1/availability/report/",
        "/api/v1/availability-targets/{service}/",
        "/api/v1/spof-findings/scan/",
        "/api/v1/continuity-plans/{reference}/tests/",
        "/api/v1/continuity-invocations/{id}/stand-down/",
        "/api/v1/security-incidents/{reference}/viewers/",
        "/api/v1/security-controls/seed/",
    ):
        assert path in schema, path
    assert "assurance" not in stderr.getvalue().lower()  # no warning from this app
