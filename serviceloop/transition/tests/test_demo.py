"""The transition demo: what it holds, that its records are consistent with the rules, and
that loading twice adds nothing. Also the periodic reminders."""

import datetime

import pytest
from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.core.models import AuditEvent, Notification
from serviceloop.transition.demo import demo_records
from serviceloop.transition.lifecycle import ChangeStatus, ReleaseStatus
from serviceloop.transition.models import (
    BlackoutPeriod,
    CabRule,
    ChangeOutcome,
    ChangeRequest,
    ChangeTemplate,
    ChangeType,
    Release,
    TransitionPlan,
)
from serviceloop.transition.queries import change_success_rate, emergency_change_ratio
from serviceloop.transition.reminders import cab_vote_remind, release_els_notify

CS = ChangeStatus


@pytest.fixture
def demo(db):
    demo_load(write=lambda line: None)
    return demo_records(write=lambda line: None)


def test_the_demo_holds_every_kind_of_record_and_loads_once(demo):
    assert demo > 20
    assert ChangeTemplate.objects.count() == 3
    assert set(CabRule.objects.values_list("risk_level", flat=True)) == {"low", "medium", "high"}
    assert BlackoutPeriod.objects.count() == 2
    assert ChangeRequest.objects.count() == 13
    statuses = set(ChangeRequest.objects.values_list("status", flat=True))
    assert {
        CS.DRAFT,
        CS.SUBMITTED,
        CS.ASSESSED,
        CS.AWAITING_CAB,
        CS.REJECTED,
        CS.SCHEDULED,
        CS.IMPLEMENTING,
        CS.REVIEWED,
        CS.CLOSED,
        CS.CANCELLED,
    } <= statuses
    assert ChangeRequest.objects.filter(change_type=ChangeType.EMERGENCY).exists()
    assert Release.objects.filter(status=ReleaseStatus.DEPLOYED).exists()
    assert TransitionPlan.objects.exists()

    rows = AuditEvent.objects.count()
    assert demo_records(write=lambda line: None) == 0
    assert AuditEvent.objects.count() == rows


def test_the_failed_change_is_linked_to_the_incident_it_caused(demo):
    failed = ChangeRequest.objects.get(outcome=ChangeOutcome.BACKED_OUT)
    assert failed.status == CS.REVIEWED and failed.review_success is False
    [incident] = failed.caused_incidents.all()
    assert incident.kind == "incident"
    assert list(incident.causing_changes.all()) == [failed]


def test_the_override_and_the_release_in_early_life_support(demo):
    overridden = ChangeRequest.objects.get(title__startswith="ERP 年终补丁")
    assert overridden.status == CS.SCHEDULED
    assert overridden.schedule_override_reason
    assert any(c["kind"] == "blackout" for c in overridden.schedule_conflicts)
    release = Release.objects.get(status=ReleaseStatus.DEPLOYED)
    assert release.actual_deploy_at < timezone.now() < release.els_end
    assert release.deployments.filter(environment="prod").exists()


def test_the_demo_feeds_the_kpis(demo):
    now = timezone.now()
    rate = change_success_rate(now - datetime.timedelta(days=60), now)
    assert rate.denominator == 3 and rate.numerator == 2
    assert emergency_change_ratio(now - datetime.timedelta(days=60), now).numerator == 1


def test_reminders_run_once(demo):
    later = timezone.now() + datetime.timedelta(days=2)
    first = cab_vote_remind(now=later)
    assert first >= 1
    assert cab_vote_remind(now=later) == 0
    assert Notification.objects.filter(kind="change_vote_reminder").count() == first

    after_els = timezone.now() + datetime.timedelta(days=30)
    assert release_els_notify(now=after_els) == 1
    assert release_els_notify(now=after_els) == 0
