"""The KPI page (trend, breakdown, click-through), availability against the assurance app's own
report (service hours included), first-contact resolution case by case, KPIs that cannot be
evaluated, and the demo history."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from serviceloop.core.tests.factories import CalendarFactory, TeamFactory
from serviceloop.desk.models import EventKind, Problem, TicketEvent
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation.engine import (
    EXTERNALS,
    kpi_breakdown,
    kpi_evaluate,
    kpi_record_sections,
    kpi_records,
    kpi_snapshots_store_period,
    period_bounds,
    periods_back,
)
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot

ZONE = timezone.get_default_timezone()
MARCH = period_bounds("month", datetime.date(2026, 3, 1))


def local(*args):
    return datetime.datetime(*args, tzinfo=ZONE)


def kpi(code):
    return KpiDefinition.objects.get(code=code)


@pytest.fixture
def kpis(people):
    kpi_library_load()


# --- First-contact resolution, case by case ----------------------------------------------------


def test_first_contact_resolution_cases(kpis, people):
    at = local(2026, 3, 10, 9)
    minute = datetime.timedelta(minutes=1)

    def ticket(*events, resolved=at + 60 * minute):
        t = TicketFactory(organisation=people.customer_a, created_at=at, resolved_at=resolved,
                          status="resolved")  # fmt: skip
        for kind, offset, response, *values in events:
            TicketEvent.objects.create(
                ticket=t, kind=kind, at=at + offset * minute, provider_response=response,
                from_value=values[0] if values else "", to_value=values[1] if values else "",
            )  # fmt: skip
        return t

    status = EventKind.STATUS
    first_contact = {
        ticket((status, 60, True, "in_progress", "resolved")),  # resolved with the first answer
        ticket((status, 60, False, "in_progress", "resolved")),  # resolved by the system
        ticket((EventKind.REPLY, 10, True), (status, 60, False, "new", "resolved")),
        ticket((status, 60, True, "new", "resolved"), (EventKind.REPLY, 70, True)),  # after
    }
    others = {
        ticket((EventKind.REPLY, 10, True), (status, 60, True, "in_progress", "resolved")),
        ticket(
            (status, 20, True, "in_progress", "resolved"),
            (status, 30, False, "resolved", "in_progress"),  # reopened
            (status, 60, False, "in_progress", "resolved"),
        ),
    }
    result = kpi_evaluate(kpi("first-contact-resolution"), *MARCH)
    assert (result.numerator, result.denominator) == (4, 6)
    numerator = set(kpi_records(kpi("first-contact-resolution"), *MARCH, part="numerator"))
    assert numerator == first_contact
    rest = set(kpi_records(kpi("first-contact-resolution"), *MARCH, part="rest"))
    assert rest == others
    reopen = kpi_evaluate(kpi("reopen-rate"), *MARCH)
    assert (reopen.numerator, reopen.denominator) == (1, 6)


# --- Availability: the assurance app's arithmetic, sliced ---------------------------------------


def test_availability_equals_the_assurance_report_with_service_hours(kpis, people):
    from serviceloop.assurance.queries import availability_report
    from serviceloop.assurance.tests.factories import OutageFactory
    from serviceloop.portfolio.tests.factories import ServiceFactory

    office = CalendarFactory()  # 09:00-12:00, 13:00-18:00 Asia/Shanghai
    a, b = people.customer_a, people.customer_b
    erp = ServiceFactory(code="erp", customers=[a, b], hours=office)
    mail = ServiceFactory(code="mail", customers=[a])
    OutageFactory(service=erp, start=local(2026, 3, 3, 11), end=local(2026, 3, 3, 15),
                  all_customers=False, customers=[b])  # fmt: skip
    OutageFactory(
        service=erp,
        start=local(2026, 3, 4, 10),
        end=local(2026, 3, 4, 11),
        kind="planned",
        announced_at=local(2026, 3, 1),
    )  # announced: excluded
    OutageFactory(service=mail, start=local(2026, 3, 31, 23), end=local(2026, 4, 1, 2))
    OutageFactory(service=mail, start=local(2026, 3, 31, 23, 30), end=local(2026, 4, 1, 1))
    per_service, per_customer = availability_report(*MARCH)
    definition = kpi("availability-pct")

    def percent(rows):
        up = sum(r.result.uptime_seconds for r in rows)
        agreed = sum(r.result.agreed_seconds for r in rows)
        return up * 100 / agreed, up, agreed

    whole = kpi_evaluate(definition, *MARCH)
    assert (whole.value, whole.numerator, whole.denominator) == pytest.approx(percent(per_service))
    for organisation in (a, b):
        mine = [r for r in per_customer if r.customer == organisation]
        sliced = kpi_evaluate(definition, *MARCH, {"organisation": organisation.pk})
        assert sliced.value == pytest.approx(percent(mine)[0])
    assert kpi_evaluate(definition, *MARCH, {"organisation": a.pk}).value < 100
    by_service = {row["key"]: row for row in kpi_breakdown(definition, *MARCH, by="service")}
    assert by_service["mail"]["result"].value == pytest.approx(100 - 100 * 3600 / (31 * 86400))
    assert by_service["erp"]["label"] == erp.name
    by_customer = {row["key"]: row["result"] for row in kpi_breakdown(definition, *MARCH)}
    assert by_customer[b.pk].value == pytest.approx(
        percent([r for r in per_customer if r.customer == b])[0]
    )
    (section,) = kpi_record_sections(definition, *MARCH, {"organisation": a.pk})
    assert section.queryset.count() == 3  # b's outage does not affect a


# --- The KPI page --------------------------------------------------------------------------------


@pytest.fixture
def history(kpis, people):
    team = TeamFactory(organisation=people.provider)
    today = timezone.localdate()
    periods = periods_back("month", 13, today)
    for start, _end in periods:
        for org, breached, with_team in (
            (people.customer_a, False, True),
            (people.customer_b, True, False),
        ):
            created = start + datetime.timedelta(days=3)
            TicketFactory(organisation=org, created_at=created, team=team if with_team else None,
                          response_met_at=created, response_breached=breached)  # fmt: skip
    definitions = list(KpiDefinition.objects.active())
    for bounds in periods:
        kpi_snapshots_store_period(definitions, bounds)
    return periods, team


def test_page_shows_12_periods_and_every_figure_links_to_its_records(history, people, client_for):
    periods, team = history
    client = client_for(people.lead)
    day = timezone.localtime(periods[-1][0]).date().isoformat()
    page = client.get(f"/kpis/response-within-sla/?day={day}").content.decode()
    trend = json.loads(
        re.search(r'id="kpi-trend" type="application/json">(.*?)</script>', page).group(1)
    )
    assert len(trend) == 12 and trend[-1]["period"] == day
    assert {p["value"] for p in trend} == {50.0} and trend[0]["warning"] == 90.0
    assert 'data-testid="trend-table"' in page and "<script>" not in page
    link = f"part=numerator&amp;day={day}&amp;organisation={people.customer_a.pk}"
    assert link in page
    records = client.get(f"/kpis/response-within-sla/records/?{link.replace('&amp;', '&')}")
    assert records.status_code == 200
    assert records.content.decode().count('href="/desk/tickets/') == 1
    by_team = client.get(f"/kpis/response-within-sla/?day={day}&by=team").content.decode()
    assert "team=null" in by_team
    nobody = client.get(f"/kpis/response-within-sla/records/?day={day}&team=null")
    assert nobody.content.decode().count('href="/desk/tickets/') == 1
    sliced = KpiSnapshot.objects.filter(definition__code="response-within-sla").exclude(
        slice_id="{}"
    )
    assert sliced.filter(slice_id=f'{{"team":{team.pk}}}').count() == 13
    csv = client.get(f"/kpis/response-within-sla/records/?day={day}&export=csv")
    assert csv.status_code == 200 and b"INC-" in b"".join(csv.streaming_content)


def test_two_record_sets_and_registered_functions_click_through(kpis, people, client_for):
    closed = local(2026, 3, 5, 10)
    TicketFactory(organisation=people.customer_a, created_at=closed, closed_at=closed,
                  status="closed")  # incomplete: no category, service or resolution  # fmt: skip
    Problem.objects.create(reference="PRB-1", title="Disk", created_at=closed, updated_at=closed,
                           closed_at=closed, status="closed", root_cause="")  # fmt: skip
    client = client_for(people.agent)
    result = kpi_evaluate(kpi("record-completeness"), *MARCH)
    assert (result.numerator, result.denominator) == (0, 2)
    page = client.get("/kpis/record-completeness/?day=2026-03-10").content.decode()
    assert 'data-testid="link-rest"' in page
    rest = client.get("/kpis/record-completeness/records/?part=rest&day=2026-03-10")
    assert 'data-testid="section-1"' in rest.content.decode()
    problems = client.get("/kpis/record-completeness/records/?part=rest&day=2026-03-10&section=1")
    assert "PRB-1" in problems.content.decode()
    complaints = client.get("/kpis/complaints-per-1000/records/?part=numerator&day=2026-03-10")
    assert complaints.status_code == 200


def test_kpi_that_cannot_be_evaluated_shows_why(
    kpis, people, client_for, monkeypatch, api_client_for
):
    monkeypatch.delitem(EXTERNALS, "improvement.corrective_actions_effective", raising=False)
    client = client_for(people.agent)
    page = client.get("/kpis/corrective-actions-effective/")
    assert page.status_code == 200 and 'data-testid="kpi-unavailable"' in page.content.decode()
    assert client.get("/kpis/corrective-actions-effective/records/").status_code == 404
    KpiDefinition.objects.filter(code="csat-average").update(value_field="password")
    broken = client.get("/kpis/csat-average/")
    assert broken.status_code == 200 and 'data-testid="kpi-problems"' in broken.content.decode()
    assert client.get("/kpis/").status_code == 200
    assert api_client_for(people.agent).get("/api/v1/kpis/csat-average/value/").status_code == 400


def test_demo_stores_a_year_of_computed_values(kpis, people):
    from serviceloop.evaluation.demo_kpis import demo_records

    assert demo_records(write=lambda *_: None) == 0  # no demo desk yet: nothing to measure
    today = timezone.localdate()
    periods = periods_back("month", 12, today)
    for start, _end in periods[-4:]:  # records in the last four months only
        TicketFactory(organisation=people.customer_a, created_at=start + datetime.timedelta(days=1))
    created = demo_records(write=lambda *_: None)
    wholes = KpiSnapshot.objects.filter(definition__code="resolution-rate", slice_id="{}")
    assert created > 0 and wholes.count() == 4  # months before the first ticket: left out
    assert {float(s.value) for s in wholes} == {0.0}
    assert demo_records(write=lambda *_: None) == 0
