"""The assurance demo: what it holds, that it was written through the services (so its
records obey the rules), and that loading it twice adds nothing."""

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from serviceloop.assurance import demo, queries
from serviceloop.assurance.controls_starter import STARTER_CONTROLS
from serviceloop.assurance.models import (
    AvailabilityTarget,
    ContinuityPlan,
    ContinuityTest,
    Outage,
    OutageKind,
    OutageSource,
    SecurityControl,
    SecurityIncident,
    SecurityRisk,
    SpofFinding,
)
from serviceloop.core.demo import demo_load
from serviceloop.core.models import AuditEvent, Team, User
from serviceloop.desk.models import Ticket


@pytest.fixture
def loaded(db):
    from serviceloop.desk import demo as desk_demo

    demo_load(write=lambda line: None)
    for config in apps.get_app_configs():
        if config.label in ("portfolio", "relationship", "transition"):
            importlib.import_module(f"{config.name}.demo").demo_records(write=lambda line: None)
        if config.label == "desk":
            desk_demo.demo_records(write=lambda line: None, tickets=30)
    return demo.demo_records(write=lambda line: None)


def test_the_demo_holds_every_kind_of_record_and_loads_once(loaded):
    now = timezone.now()
    assert loaded > 30
    team = Team.objects.get(name=settings.SECURITY_TEAM)
    assert set(team.members.values_list("username", flat=True)) == {"admin", "lead"}
    assert AvailabilityTarget.objects.count() == 4
    outages = Outage.objects.all()
    assert outages.filter(source=OutageSource.MAJOR_INCIDENT).exists()
    assert outages.filter(source=OutageSource.PLANNED_MAINTENANCE).exists()
    assert outages.filter(kind=OutageKind.PLANNED, announced_at__isnull=False).exists()
    assert all(o.start > now - 93 * demo.DAY for o in outages)
    plans = ContinuityPlan.objects.all()
    assert {p.service.code for p in plans} == set(demo.CRITICAL)
    assert ContinuityTest.objects.count() == plans.count()
    assert plans.test_overdue(timezone.localdate()).count() == 1
    assert SecurityControl.objects.count() == len(STARTER_CONTROLS)
    assert SecurityRisk.objects.count() == 6
    assert SpofFinding.objects.exists()
    incident = SecurityIncident.objects.get()
    assert incident.personal_data and incident.notify_due_at is not None
    assert incident.ticket.confidential
    agent = User.objects.get(username="agent")
    assert not Ticket.objects.visible_to(agent).filter(pk=incident.ticket_id).exists()

    rows = AuditEvent.objects.count()
    assert demo.demo_records(write=lambda line: None) == 0
    assert AuditEvent.objects.count() == rows


def test_the_demo_report_computes(loaded):
    today = timezone.localdate()
    start, end = queries.month_period(today.year, today.month)

    per_service, per_customer = queries.availability_report(start, end)

    assert per_service and per_customer
    assert all(row.result.agreed_seconds > 0 for row in per_service)
