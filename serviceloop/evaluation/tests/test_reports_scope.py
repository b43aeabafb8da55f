"""Service report periods (month, quarter, the organisation's time zone) and scopes (a
service spelt two ways in tickets, the desk SLA policy when no agreement is in force)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from serviceloop.desk.tests.factories import SlaPolicyVersionFactory
from serviceloop.evaluation import engine
from serviceloop.evaluation.figures_reports import (
    previous_report_period,
    report_period,
    trend_periods,
)
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.evaluation.sections_reports import report_snapshot_build
from serviceloop.evaluation.tests.test_reports_build import END, START, local, ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("kind", "day", "first", "after", "label"),
    [
        ("month", datetime.date(2026, 12, 31), datetime.date(2026, 12, 1),
         datetime.date(2027, 1, 1), "2026-12"),
        ("month", datetime.date(2026, 2, 1), datetime.date(2026, 2, 1),
         datetime.date(2026, 3, 1), "2026-02"),
        ("quarter", datetime.date(2026, 8, 15), datetime.date(2026, 7, 1),
         datetime.date(2026, 10, 1), "2026-Q3"),
        ("quarter", datetime.date(2026, 12, 31), datetime.date(2026, 10, 1),
         datetime.date(2027, 1, 1), "2026-Q4"),
    ],
)  # fmt: skip
def test_period_bounds_are_local_midnights(kind, day, first, after, label):
    period = report_period(kind, day, LONDON)
    assert period.start == datetime.datetime.combine(first, datetime.time.min, tzinfo=LONDON)
    assert period.end == datetime.datetime.combine(after, datetime.time.min, tzinfo=LONDON)
    assert period.label == label
    assert period.last_day == after - datetime.timedelta(days=1)


def test_previous_period_and_trend():
    assert previous_report_period("month", datetime.date(2027, 1, 3), SHANGHAI).label == "2026-12"
    assert previous_report_period("quarter", datetime.date(2026, 10, 2), SHANGHAI).label == (
        "2026-Q3"
    )
    labels = [p.label for p in trend_periods(report_period("month", datetime.date(2026, 3, 9),
                                                           SHANGHAI))]  # fmt: skip
    assert labels[0] == "2025-04" and labels[-1] == "2026-03" and len(labels) == 12


def _snapshot(organisation=None, service=None, period=None, sections=("sla", "volumes", "csat")):
    return report_snapshot_build(
        title="t", organisation=organisation, service=service,
        period=period or report_period("month", datetime.date(2026, 10, 1), SHANGHAI),
        sections=list(sections), language="en",
    )  # fmt: skip


def _section(snapshot, code):
    return next(s for s in snapshot["sections"] if s["code"] == code)


def test_the_organisations_time_zone_decides_the_period(people):
    kpi_library_load()
    london = people.customer_b
    london.time_zone = "Europe/London"
    london.save()
    # 31 October 23:30 in London is 1 November 07:30 in Shanghai.
    ticket(london, datetime.datetime(2026, 10, 31, 23, 30, tzinfo=LONDON), response=10)
    ticket(london, datetime.datetime(2026, 10, 1, 0, 30, tzinfo=LONDON), response=10)
    ticket(london, datetime.datetime(2026, 9, 30, 23, 30, tzinfo=LONDON), response=10)
    period = report_period("month", datetime.date(2026, 10, 1), LONDON)
    volumes = _section(_snapshot(london, period=period, sections=["volumes"]), "volumes")
    assert volumes["created"] == 2
    assert _snapshot(london, period=period, sections=[])["period"]["time_zone"] == ("Europe/London")


def test_a_service_spelt_two_ways_is_counted_once_each(people):
    from serviceloop.portfolio.tests.factories import ServiceFactory

    kpi_library_load()
    a, b = people.customer_a, people.customer_b
    service = ServiceFactory(code="erp", name="ERP 企业资源计划", customers=[a, b])
    ticket(a, local(10, 5), response=10, service="ERP", resolved=local(10, 5, 12), csat=4)
    ticket(b, local(10, 6), response=90, breached=True, service="erp", resolved=local(10, 6, 15),
           resolution_breached=True, csat=2)  # fmt: skip
    ticket(a, local(10, 7), response=10, service="Mail")  # another service
    snapshot = _snapshot(service=service)
    assert snapshot["scope"]["service_spellings"] == ["ERP", "erp"]
    volumes = _section(snapshot, "volumes")
    assert (volumes["created"], volumes["resolved"]) == (2, 2)
    overall = {fig["code"]: fig for fig in _section(snapshot, "sla")["overall"]}
    response = overall["response-within-sla"]
    definition = KpiDefinition.objects.get(code="response-within-sla")
    parts = [engine.kpi_evaluate(definition, START, END, {"service": s}) for s in ("ERP", "erp")]
    assert (response["numerator"], response["denominator"]) == (
        sum(p.numerator for p in parts), sum(p.denominator for p in parts),
    )  # fmt: skip
    assert response["value"] == 50.0
    # Averages are weighted by their counts; a percentile over two spellings is not merged.
    assert overall["mean-time-to-resolve"]["value"] == pytest.approx((3 + 6) / 2)
    assert overall["first-response-median"]["status"] == "unavailable"
    csat = {fig["code"]: fig for fig in _section(snapshot, "csat")["kpis"]}
    assert csat["csat-average"]["value"] == 3.0
    assert csat["complaints-per-1000"]["status"] == "unavailable"  # by customer only


def test_without_an_agreement_the_desk_policy_targets_are_reported(people):
    kpi_library_load()
    a = people.customer_a
    version = SlaPolicyVersionFactory(policy__name="Standard SLA")
    ticket(a, local(10, 5), priority="P2", response=30)
    ticket(a, local(10, 6), priority="P2", response=90, breached=True)
    sla = _section(_snapshot(a, sections=["sla"]), "sla")
    assert sla["source"] == "policy" and sla["agreements"] == [f"Standard SLA v{version.number}"]
    rows = {(r["metric"], r["priority"]): r for r in sla["targets"]}
    assert len(rows) == 8
    p2 = rows[("first_response", "P2")]
    assert (p2["target"], p2["met"], p2["total"], p2["value"]) == (
        "1 h (business time)",
        1,
        2,
        50.0,
    )
    expected = engine.kpi_evaluate(
        KpiDefinition.objects.get(code="response-within-sla"), START, END,
        {"organisation": a.pk, "priority": "P2"},
    )  # fmt: skip
    assert p2["value"] == expected.value
    assert rows[("resolution", "P1")]["status"] == "no_data"


def test_no_sla_at_all(people):
    kpi_library_load()
    sla = _section(_snapshot(people.customer_a, sections=["sla"]), "sla")
    assert (sla["source"], sla["targets"]) == ("none", [])
