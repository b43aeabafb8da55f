"""Capacity alerts: ONE incident per plan and episode — raised when a measurement reaches the
critical threshold, not again while the plan stays in alert, re-armed when the value goes
back under; a forecast alert within the plan's horizon; the "action" mode; the daily task."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.demand.models import (
    AlertAction,
    AlertTrigger,
    CapacityAction,
    CapacityAlert,
    Measurement,
)
from serviceloop.demand.services_capacity import (
    measurement_record,
    measurements_write,
    plan_update,
)
from serviceloop.demand.services_capacity_alerts import capacity_alerts_run, capacity_evaluate
from serviceloop.demand.tasks import capacity_forecasts_evaluate
from serviceloop.desk.models import Source, Ticket

pytestmark = pytest.mark.usefixtures("english")
HOUR = datetime.timedelta(hours=1)


def record(people, plan, value, *, hours_ago):
    return measurement_record(
        actor=people.agent,
        plan=plan,
        at=timezone.now() - hours_ago * HOUR,
        value=Decimal(str(value)),
    )


def incidents():
    return Ticket.objects.filter(source=Source.MONITORING)


def test_crossing_the_critical_threshold_raises_one_incident_per_episode(people, demand_world):
    plan = demand_world.plan

    record(people, plan, 60, hours_ago=10)
    assert incidents().count() == 0

    record(people, plan, 92, hours_ago=9)  # crosses: the episode opens
    record(people, plan, 95, hours_ago=8)  # still beyond: same episode
    record(people, plan, 90, hours_ago=7)  # at the threshold counts as beyond
    assert incidents().count() == 1
    [alert] = CapacityAlert.objects.filter(plan=plan)
    assert alert.trigger == AlertTrigger.CRITICAL and alert.is_open
    assert alert.value == Decimal("92")

    incident = alert.ticket
    assert incident.kind == "incident" and incident.source == Source.MONITORING
    assert incident.organisation == people.provider and incident.requester == people.agent
    assert incident.service == "mail"
    assert "Mail CPU" in incident.title and "critical threshold" in incident.title
    assert "92 %" in incident.description and "90 %" in incident.description

    record(people, plan, 70, hours_ago=6)  # back under: re-armed
    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_value == Decimal("70")
    assert incidents().count() == 1

    record(people, plan, 93, hours_ago=5)  # a new episode: a new incident
    record(people, plan, 97, hours_ago=4)
    assert incidents().count() == 2
    assert CapacityAlert.objects.filter(plan=plan).count() == 2
    assert CapacityAlert.objects.filter(plan=plan, cleared_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(verb="capacity_alert.opened").count() == 2
    assert AuditEvent.objects.filter(verb="capacity_alert.cleared").count() == 1


def test_only_the_newest_measurement_counts(people, demand_world):
    plan = demand_world.plan
    record(people, plan, 50, hours_ago=1)

    record(people, plan, 99, hours_ago=48)  # a late value from two days ago

    assert incidents().count() == 0
    assert not CapacityAlert.objects.exists()


def test_evaluating_again_changes_nothing(people, demand_world):
    plan = demand_world.plan
    record(people, plan, 95, hours_ago=2)
    rows = AuditEvent.objects.count()

    outcomes = [capacity_evaluate(plan) for _ in range(3)]

    assert outcomes == ["open", "open", "open"]
    assert incidents().count() == 1
    assert AuditEvent.objects.count() == rows


def test_lower_is_worse_alerts_at_or_below_the_critical_threshold(people, demand_world):
    plan = plan_update(
        actor=people.admin,
        plan=demand_world.plan,
        direction="lower",
        warning_threshold=Decimal("20"),
        critical_threshold=Decimal("10"),
    )
    record(people, plan, 15, hours_ago=3)
    assert incidents().count() == 0

    record(people, plan, 9.5, hours_ago=2)

    assert incidents().count() == 1


def test_the_action_mode_records_a_capacity_action_instead(people, demand_world):
    plan = plan_update(actor=people.admin, plan=demand_world.plan, alert_action=AlertAction.ACTION)

    record(people, plan, 96, hours_ago=2)
    record(people, plan, 97, hours_ago=1)

    assert incidents().count() == 0
    [action] = CapacityAction.objects.filter(plan=plan)
    assert action.owner == people.agent and action.is_open
    assert CapacityAlert.objects.get(plan=plan).action == action
    assert Notification.objects.filter(recipient=people.agent, kind="capacity_action").count() == 1


def _rising(people, plan, *, days, start, slope, now):
    """Daily values ending yesterday: start + slope × day."""
    items = [
        (plan, now - datetime.timedelta(days=days - d), Decimal(str(round(start + slope * d, 2))))
        for d in range(days)
    ]
    measurements_write(actor=people.agent, items=items, source="api", now=now, evaluate=False)


def test_a_forecast_crossing_within_the_horizon_raises_the_alert_once(people, demand_world):
    now = timezone.now()
    plan = plan_update(actor=people.admin, plan=demand_world.plan, forecast_alert_days=30)
    # 40 % rising 0.4 % a day over 90 days: 75.6 % yesterday, 90 % 35 days from now
    _rising(people, plan, days=90, start=40, slope=0.4, now=now)

    assert capacity_evaluate(plan, now=now) == "quiet"  # 35 days away: outside 30

    later = now + datetime.timedelta(days=7)  # the crossing is now 28 days away
    assert capacity_evaluate(plan, now=later) == "opened"
    assert capacity_evaluate(plan, now=later + HOUR) == "open"
    alert = CapacityAlert.objects.get(plan=plan)
    assert alert.trigger == AlertTrigger.FORECAST
    crossing = now + datetime.timedelta(days=35)  # 40 + 0.4 × 125 = 90, day 125 of the series
    assert abs(alert.predicted_crossing - crossing) < datetime.timedelta(days=1)
    assert "forecast" in alert.ticket.title
    assert incidents().count() == 1


def test_without_a_forecast_horizon_a_rising_trend_alone_does_not_alert(people, demand_world):
    now = timezone.now()
    plan = demand_world.plan
    _rising(people, plan, days=90, start=40, slope=0.55, now=now)  # crosses in ~2 days

    assert capacity_evaluate(plan, now=now) == "quiet"


def test_the_daily_task_evaluates_every_active_plan(people, demand_world):
    plan = demand_world.plan
    Measurement.objects.create(
        plan=plan, at=timezone.now() - HOUR, value=Decimal("99"), created_at=timezone.now()
    )  # written behind the services' back: only the task notices

    counts = capacity_forecasts_evaluate.call_local()

    assert counts["opened"] == 1
    assert incidents().count() == 1
    assert capacity_alerts_run()["open"] == 1


def test_deactivating_a_plan_clears_its_open_alert_on_the_next_run(people, demand_world):
    plan = demand_world.plan
    record(people, plan, 95, hours_ago=1)
    plan_update(actor=people.admin, plan=plan, is_active=False)

    counts = capacity_alerts_run()

    assert counts["cleared"] == 1
    assert not CapacityAlert.objects.filter(cleared_at__isnull=True).exists()
