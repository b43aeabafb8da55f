"""Live evidence per clause: each function against records made for the test, and the
registry's promise to skip an area that is not there."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.conformity import evidence
from serviceloop.conformity.evidence import Evidence, evidence_for, evidence_register, tone_for
from serviceloop.desk.models import Kind, Problem
from serviceloop.desk.tests.factories import (
    CnWorkdaysCalendarFactory,
    SlaPolicyVersionFactory,
    TicketFactory,
)
from serviceloop.portfolio.models import Service, ServiceStatus

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.date(2026, 6, 30)


def at(days_ago: int) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.mark.parametrize(
    "ratio, tone",
    [
        (None, "info"),
        (1.0, "good"),
        (0.95, "good"),
        (0.949, "warn"),
        (0.75, "warn"),
        (0.74, "bad"),
        (0, "bad"),
    ],
)
def test_tones(ratio, tone):
    assert tone_for(ratio) == tone


def test_incident_sla_attainment_counts_settled_incidents_of_the_last_90_days(people):
    sla = SlaPolicyVersionFactory(policy__name="Standard", calendar=CnWorkdaysCalendarFactory())

    def ticket(days_ago=60, *, kind=Kind.INCIDENT, sla_version=sla, **kwargs):
        return TicketFactory(
            organisation=people.customer_a, kind=kind, created_at=at(days_ago),
            sla_version=sla_version, **kwargs,
        )  # fmt: skip

    # settled within the window: 3 met (resolved, not breached), 1 resolved late, 1 breached
    # and still open; not settled: open inside its target, no SLA; outside the window.
    for _ in range(3):
        ticket(resolved_at=at(55), resolution_met_at=at(55))
    ticket(resolved_at=at(40), resolution_met_at=at(40), resolution_breached=True)
    ticket(resolution_breached=True)
    ticket(5, resolution_due_at=at(-3))
    ticket(5, sla_version=None, resolved_at=at(4))
    ticket(120, resolved_at=at(119), resolution_met_at=at(119), resolution_breached=True)
    ticket(10, kind=Kind.REQUEST, resolved_at=at(9), resolution_met_at=at(9))

    [incidents] = evidence_for(["8.6.1"], today=TODAY)["8.6.1"]
    [requests] = evidence_for(["8.6.2"], today=TODAY)["8.6.2"]

    assert incidents.ratio == pytest.approx(3 / 5) and incidents.tone == "bad"
    assert incidents.value == "3 of 5 (60%)"
    assert incidents.detail == "7 incidents recorded in the last 90 days."
    assert incidents.url == reverse("desk_queue")
    assert requests.ratio == 1.0 and requests.tone == "good"


def test_incidents_without_a_settled_sla_read_as_information(people):
    TicketFactory(organisation=people.customer_a, created_at=at(3))

    [incidents] = evidence_for(["8.6.1"], today=TODAY)["8.6.1"]

    assert (incidents.value, incidents.tone) == ("none with an SLA settled yet", "info")
    assert incidents.detail == "1 incidents recorded in the last 90 days."


def test_live_services_with_an_owner(people):
    Service.objects.create(code="erp", name="ERP", status=ServiceStatus.LIVE, owner=people.lead)
    Service.objects.create(code="mail", name="Mail", status=ServiceStatus.LIVE, owner=people.agent)
    Service.objects.create(code="vpn", name="VPN", status=ServiceStatus.LIVE)
    Service.objects.create(code="new", name="New", status=ServiceStatus.PIPELINE)

    [item] = evidence_for(["8.2"], today=TODAY)["8.2"]

    assert (item.value, item.tone) == ("2 of 3 (67%)", "bad")


def test_problems_with_a_root_cause(people):
    def problem(n, root_cause, days_ago):
        Problem.objects.create(
            reference=f"PRB-2026-{n:06d}", title=f"P{n}", root_cause=root_cause,
            created_at=at(days_ago), updated_at=at(days_ago),
        )  # fmt: skip

    problem(1, "证书过期 Certificate expired", 30)
    problem(2, "", 30)
    problem(3, "Old", 400)  # outside the 12 months

    [item] = evidence_for(["8.6.3"], today=TODAY)["8.6.3"]

    assert (item.value, item.ratio) == ("1 of 2 (50%)", 0.5)


def test_no_records_reads_as_information_not_as_a_gap(db):
    [item] = evidence_for(["8.6.3"], today=TODAY)["8.6.3"]

    assert item.ratio is None and item.tone == "info" and item.value == "no records yet"


def test_an_area_that_is_not_installed_is_skipped(db):
    @evidence_register("99.1")
    def from_a_missing_area(today):
        from serviceloop.nonexistent import Thing  # noqa: F401

    @evidence_register("99.1")
    def from_a_present_area(today):
        return Evidence("99.1", "works", "1")

    try:
        found = evidence_for(["99.1", "99.2"], today=TODAY)
    finally:
        del evidence._REGISTRY["99.1"]

    assert [e.label for e in found["99.1"]] == ["works"] and "99.2" not in found


def test_the_clause_page_and_api_show_live_evidence(people, client_for, api_client_for, clauses):
    TicketFactory(
        organisation=people.customer_a, created_at=timezone.now(), resolved_at=timezone.now(),
        resolution_met_at=timezone.now(),
        sla_version=SlaPolicyVersionFactory(calendar=CnWorkdaysCalendarFactory()),
    )  # fmt: skip

    html = client_for(people.auditor).get(reverse("clause_detail", args=["8.6"])).content.decode()
    api = api_client_for(people.auditor).get("/api/v1/clauses/8.6/evidence/").json()

    assert "Incidents resolved within the SLA" in html and 'data-tone="good"' in html
    assert {item["clause"] for item in api} == {"8.6.1", "8.6.2", "8.6.3"}
    assert next(i for i in api if i["clause"] == "8.6.1")["percent"] == 100


def test_the_tone_follows_the_percentage_shown():
    assert evidence.share("8.2", "x", 73, 77).value == "73 of 77 (95%)"
    assert evidence.share("8.2", "x", 73, 77).tone == "good"
    assert evidence.share("8.2", "x", 74, 100).tone == "bad"


def test_live_services_with_an_sla_when_the_agreements_area_is_there(people):
    pytest.importorskip("serviceloop.relationship.queries_agreements")
    Service.objects.create(code="erp", name="ERP", status=ServiceStatus.LIVE)
    Service.objects.create(code="vpn", name="VPN", status=ServiceStatus.LIVE)

    [item] = evidence_for(["8.3.3"], today=TODAY)["8.3.3"]

    assert item.value == "0 of 2 (0%)" and item.tone == "bad"


def test_external_suppliers_under_contract(people):
    from serviceloop.relationship.models import Contract, ContractStatus, Supplier, SupplierKind

    stamps = {"created_at": at(100), "updated_at": at(100)}
    covered = Supplier.objects.create(name="机房服务商 DC Co", **stamps)
    Supplier.objects.create(name="Cable Co", **stamps)
    Supplier.objects.create(name="Internal IT", kind=SupplierKind.INTERNAL, **stamps)
    for n, (status, end) in enumerate(
        [(ContractStatus.ACTIVE, datetime.date(2026, 12, 31)), (ContractStatus.DRAFT, None)]
    ):
        Contract.objects.create(
            reference=f"CTR-2026-{n:06d}", title="托管 Hosting", supplier=covered, owner=people.lead,
            start_date=datetime.date(2026, 1, 1), end_date=end or datetime.date(2027, 1, 1),
            status=status, created_at=at(100), updated_at=at(100),
        )  # fmt: skip

    [item] = evidence_for(["8.3.4.1"], today=TODAY)["8.3.4.1"]

    assert item.value == "1 of 2 (50%)"
