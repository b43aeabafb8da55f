"""The screens: capacity list and plan page (chart data through json_script, the forecast
sentence, no inline script), forms that write through the services with an audit row,
exports of every list, demand forecast against actual, cost lines; list query counts."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.demand.models import (
    CapacityAction,
    CapacityPlan,
    CostLine,
    DemandRecord,
    Measurement,
)
from serviceloop.demand.services_capacity import measurements_write
from serviceloop.demand.tests.factories import (
    CapacityPlanFactory,
    DemandRecordFactory,
    MeasurementFactory,
)

pytestmark = pytest.mark.usefixtures("english")


def rising(people, plan, days=60, start=40.0, slope=0.5):
    now = timezone.now()
    items = [
        (plan, now - datetime.timedelta(days=days - d), Decimal(str(start + slope * d)))
        for d in range(days)
    ]
    measurements_write(actor=people.agent, items=items, source="api", now=now, evaluate=False)


def no_inline_script(html: str) -> bool:
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    return not scripts and " style=" not in html


def test_the_plan_page_draws_series_trend_and_thresholds(people, demand_world, client_for):
    plan = demand_world.plan
    rising(people, plan)  # 40 → 69.5 %; 90 % is 41 days ahead

    page = client_for(people.auditor).get(reverse("capacity_plan_detail", args=[plan.reference]))

    html = page.content.decode()
    assert page.status_code == 200
    chart = json.loads(re.search(r'id="capacity-chart-data"[^>]*>(.*?)</script>', html).group(1))
    assert len(chart["series"]) == 60 and len(chart["trend"]) == 2
    assert (chart["warning"], chart["critical"]) == (70.0, 90.0)
    assert chart["crossing"] is not None
    expected = timezone.localdate() + datetime.timedelta(days=41)
    assert abs(page.context["forecast"]["crossing_date"] - expected) <= datetime.timedelta(days=1)
    assert page.context["forecast"]["status"] == "rising"
    assert "The trend reaches 90 % on" in html
    assert "demand/charts.js" in html and "vendor/echarts/echarts.min.js" in html
    assert no_inline_script(html)
    assert 'data-testid="measurement-form"' not in html  # the auditor does not record


def test_the_plan_page_explains_a_flat_trend_and_a_crossed_threshold(
    people, demand_world, client_for
):
    plan = demand_world.plan
    client = client_for(people.agent)
    rising(people, plan, slope=0)
    flat = client.get(reverse("capacity_plan_detail", args=[plan.reference])).content.decode()
    assert "no crossing is forecast" in flat

    MeasurementFactory(plan=plan, at=timezone.now() - datetime.timedelta(minutes=5), value=95)
    crossed = client.get(reverse("capacity_plan_detail", args=[plan.reference]))
    assert crossed.context["forecast"]["status"] == "already_crossed"
    assert "Already at or beyond 90 %" in crossed.content.decode()


def test_the_forecast_window_can_be_chosen(people, demand_world, client_for):
    plan = demand_world.plan
    rising(people, plan, days=90)

    page = client_for(people.agent).get(
        reverse("capacity_plan_detail", args=[plan.reference]), {"window": 30}
    )

    assert page.context["window"] == 30
    assert page.context["forecast"]["points"] in (29, 30)  # one a day in the last 30 days


def test_creating_a_plan_on_screen(people, demand_world, client_for):
    response = client_for(people.owner).post(
        reverse("capacity_plan_new"),
        {
            "name": "ERP storage",
            "service": demand_world.erp.pk,
            "owner": people.lead.pk,
            "resource": "storage GB",
            "unit": "GB",
            "direction": "higher",
            "warning_threshold": "800",
            "critical_threshold": "950",
            "forecast_window_days": "90",
            "forecast_alert_days": "30",
            "alert_action": "action",
            "review_date": "2026-12-31",
        },
    )

    plan = CapacityPlan.objects.get(name="ERP storage")
    assert response.status_code == 302 and response.url.endswith(f"/capacity/{plan.reference}/")
    assert plan.reference.startswith("CAP-") and plan.forecast_alert_days == 30
    assert AuditEvent.objects.filter(verb="capacity_plan.created", object_id=str(plan.pk)).exists()


def test_the_plan_form_shows_the_services_messages(people, demand_world, client_for):
    response = client_for(people.owner).post(
        reverse("capacity_plan_new"),
        {
            "name": "Broken",
            "owner": people.lead.pk,
            "resource": "CPU %",
            "unit": "%",
            "direction": "higher",
            "warning_threshold": "95",
            "critical_threshold": "90",
            "forecast_window_days": "90",
            "alert_action": "incident",
        },
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "below the critical one" in errors["warning_threshold"][0]
    assert "service or the configuration item" in str(errors)
    assert CapacityPlan.objects.count() == 1


def test_recording_a_measurement_on_screen_and_its_mistakes(people, demand_world, client_for):
    plan = demand_world.plan
    client = client_for(people.agent)
    url = reverse("capacity_measurement_add", args=[plan.reference])

    ok = client.post(url, {"at": "2026-01-05T10:00", "value": "55.25"})
    twice = client.post(url, {"at": "2026-01-05T10:00", "value": "56"})
    future = client.post(url, {"at": "2999-01-01T10:00", "value": "56"})

    assert ok.status_code == 302
    [measurement] = Measurement.objects.all()
    assert measurement.value == Decimal("55.25") and measurement.source == "manual"
    assert measurement.recorded_by == people.agent
    assert "already has a measurement" in str(twice.context["form"].errors)
    assert "future" in str(future.context["form"].errors)


def test_lists_export_csv_and_xlsx(people, demand_world, client_for):
    MeasurementFactory(plan=demand_world.plan, value=Decimal("61.5"))
    client = client_for(people.agent)
    plan = demand_world.plan.reference

    for url, header in (
        (reverse("capacity_plan_list"), "Reference,Name,Service"),
        (reverse("capacity_measurement_list", args=[plan]), "Measured at,Value,Source"),
        (reverse("cost_line_list"), "Date,Service,Category"),
        (reverse("demand_list"), "Period,Customer,Service"),
        (reverse("budget_list"), "Service,Period,Currency"),
    ):
        csv = client.get(url, {"export": "csv"})
        xlsx = client.get(url, {"export": "xlsx"})
        assert csv["Content-Type"].startswith("text/csv"), url
        assert b"".join(csv.streaming_content).decode("utf-8-sig").startswith(header), url
        assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats"), url


def test_the_capacity_list_filters_and_costs_a_fixed_number_of_queries(
    people, demand_world, client_for, django_assert_max_num_queries
):
    for _ in range(6):
        plan = CapacityPlanFactory(service=demand_world.mail)
        MeasurementFactory(plan=plan)
    client = client_for(people.agent)
    client.get(reverse("capacity_plan_list"))  # warm the session

    with django_assert_max_num_queries(12):
        page = client.get(reverse("capacity_plan_list"))
    filtered = client.get(reverse("capacity_plan_list"), {"q": "Mail CPU"})

    assert len(page.context["page"]) == 7
    assert [p.name for p in filtered.context["page"]] == ["Mail CPU"]
    assert all(p.latest_value is not None for p in page.context["page"] if p.name != "Mail CPU")


def test_demand_forecast_against_actual_on_screen(people, demand_world, client_for):
    client = client_for(people.agent)  # owns mail
    created = client.post(
        reverse("demand_new"),
        {
            "organisation": people.customer_a.pk,
            "service": demand_world.mail.pk,
            "period": "2026-Q1",
            "unit": "mailboxes",
            "forecast_quantity": "400",
        },
    )
    record = DemandRecord.objects.get()
    edited = client.post(
        reverse("demand_edit", args=[record.pk]),
        {"period": "2026-Q1", "unit": "mailboxes", "forecast_quantity": "400",
         "actual_quantity": "440"},
    )  # fmt: skip
    listing = client.get(reverse("demand_list"), {"year": "2026"})
    detail = client.get(reverse("demand_detail", args=[record.pk]))

    assert created.status_code == 302 and edited.status_code == 302
    record.refresh_from_db()
    assert record.actual_quantity == Decimal("440") and record.variance == Decimal("40")
    assert record.variance_percent == Decimal("10.0")
    [(row, percent)] = listing.context["rows"]
    assert row.variance_amount == Decimal("40") and percent == Decimal("10.0")
    assert listing.context["chart"] == {
        "labels": ["CA · mail (mailboxes)"],
        "forecast": [400.0],
        "actual": [440.0],
    }
    [summary] = listing.context["summary"]
    assert (summary["measured"], summary["periods"], summary["variance_percent"]) == (
        1,
        1,
        Decimal("10.0"),
    )
    assert "+40 <span" in listing.content.decode()
    assert detail.status_code == 200 and no_inline_script(detail.content.decode())
    assert AuditEvent.objects.filter(verb="demand_record.updated").count() == 1


def test_a_second_demand_record_for_the_same_period_is_refused(people, demand_world, client_for):
    DemandRecordFactory(
        organisation=people.customer_a,
        service=demand_world.mail,
        period="2026-Q1",
        unit="mailboxes",
    )

    response = client_for(people.admin).post(
        reverse("demand_new"),
        {
            "organisation": people.customer_a.pk,
            "service": demand_world.mail.pk,
            "period": "2026-Q1",
            "unit": "mailboxes",
            "forecast_quantity": "1",
        },
    )

    assert response.status_code == 200
    assert "already has a demand record" in str(response.context["form"].errors)


def test_cost_lines_on_screen(people, demand_world, client_for):
    client = client_for(people.agent)

    created = client.post(
        reverse("cost_line_new"),
        {"service": demand_world.mail.pk, "date": "2026-02-01", "category": "licence",
         "amount": "1200.50", "currency": "cny", "note": "Licences"},
    )  # fmt: skip
    line = CostLine.objects.get()
    edited = client.post(
        reverse("cost_line_edit", args=[line.pk]),
        {"service": demand_world.mail.pk, "date": "2026-02-01", "category": "licence",
         "amount": "1300", "currency": "CNY", "note": "Licences"},
    )  # fmt: skip
    listing = client.get(reverse("cost_line_list"), {"period": "2026-02"})
    bad_period = client.get(reverse("cost_line_list"), {"period": "Feb"})

    assert created.status_code == 302 and edited.status_code == 302
    line.refresh_from_db()
    assert (line.amount, line.currency, line.version) == (Decimal("1300"), "CNY", 2)
    assert [c.pk for c in listing.context["page"]] == [line.pk]
    assert bad_period.status_code == 200 and len(bad_period.context["page"]) == 1
    audit = AuditEvent.objects.get(verb="cost_line.updated")
    assert list(audit.payload) == ["amount"] and audit.payload["amount"][0] == "1200.50"


def test_capacity_actions_are_closed_on_screen(people, demand_world, client_for):
    from serviceloop.demand.services_capacity import action_create

    action = action_create(actor=people.agent, plan=demand_world.plan, title="Add a vCPU")
    client = client_for(people.agent)
    url = reverse("capacity_action_close", args=[demand_world.plan.reference, action.pk])

    refused = client.post(url, {"status": "cancelled"})  # cancelling needs a reason
    done = client.post(url, {"status": "done", "outcome": "vCPU added"})

    assert refused.status_code == done.status_code == 302
    action = CapacityAction.objects.get()
    assert action.status == "done" and action.outcome == "vCPU added"
    assert action.closed_by == people.agent


def test_checking_the_alert_from_the_plan_page(people, demand_world, client_for):
    MeasurementFactory(plan=demand_world.plan, value=Decimal("97"))
    client = client_for(people.agent)

    response = client.post(
        reverse("capacity_plan_evaluate", args=[demand_world.plan.reference]), follow=True
    )

    assert "an alert was raised" in response.content.decode()
    assert demand_world.plan.alerts.count() == 1


def test_the_summary_compares_only_the_periods_with_an_actual(people, demand_world):
    from serviceloop.demand.queries import demand_summary

    for period, forecast, actual in (
        ("2026-Q1", 100, 90),
        ("2026-Q2", 100, 130),
        ("2026-Q3", 500, None),
    ):  # noqa: E501
        DemandRecordFactory(
            organisation=people.customer_a, service=demand_world.mail, period=period,
            forecast_quantity=forecast, actual_quantity=actual,
        )  # fmt: skip
    DemandRecordFactory(organisation=people.customer_b, service=demand_world.mail)

    [a, b] = demand_summary(people.auditor, service=demand_world.mail)

    assert (a["organisation__short_name"], a["periods"], a["measured"]) == ("CA", 3, 2)
    assert (a["forecast_total"], a["actual_total"], a["variance"]) == (200, 220, 20)
    assert a["variance_percent"] == Decimal("10.0")
    assert (b["measured"], b["variance"], b["variance_percent"]) == (0, None, None)
    assert [row["organisation__short_name"] for row in demand_summary(people.b_manager)] == ["CB"]
