"""The KPI queries: change success rate and emergency change ratio, against a plain Python
count of the same rows, and through the real services."""

import datetime

import pytest
from django.utils import timezone

from serviceloop.transition import services_change_implementation
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import ChangeOutcome, ChangeRequest, ChangeType
from serviceloop.transition.queries import Ratio, change_success_rate, emergency_change_ratio
from serviceloop.transition.tests.factories import ChangeRequestFactory

CS = ChangeStatus
START = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
END = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)
INSIDE = START + datetime.timedelta(days=3)


@pytest.fixture
def ended(people):
    def make(outcome, at=INSIDE, review=None, status=CS.IMPLEMENTED, **kw):
        return ChangeRequestFactory(
            requester=people.agent,
            status=status,
            outcome=outcome,
            actual_end=at,
            review_success=review,
            **kw,
        )

    return make


def reference_success_rate(start, end) -> Ratio:
    rows = [
        c
        for c in ChangeRequest.objects.all()
        if c.outcome and c.actual_end and start <= c.actual_end < end
    ]
    good = [
        c for c in rows if c.outcome == ChangeOutcome.IMPLEMENTED and c.review_success is not False
    ]
    return Ratio(len(good), len(rows))


def test_success_rate_counts_implemented_successful_over_all_ended(people, ended):
    ended(ChangeOutcome.IMPLEMENTED)  # success, not reviewed
    ended(ChangeOutcome.IMPLEMENTED, review=True, status=CS.REVIEWED)  # success
    ended(ChangeOutcome.IMPLEMENTED, review=True, status=CS.CLOSED)  # success, closed
    ended(ChangeOutcome.IMPLEMENTED, review=False, status=CS.REVIEWED)  # review says no
    ended(ChangeOutcome.FAILED, status=CS.FAILED)
    ended(ChangeOutcome.BACKED_OUT, review=False, status=CS.CLOSED)
    ended(ChangeOutcome.IMPLEMENTED, at=START - datetime.timedelta(seconds=1))  # before
    ended(ChangeOutcome.FAILED, at=END)  # the end is excluded
    ChangeRequestFactory(requester=people.agent, status=CS.CANCELLED)  # never ran

    rate = change_success_rate(START, END)

    assert rate == Ratio(3, 6)
    assert rate.value == 0.5 and rate.percent == 50.0
    assert rate == reference_success_rate(START, END)


def test_success_rate_is_none_without_changes(db):
    assert change_success_rate(START, END).value is None


def test_success_rate_through_the_services(people, new_change, walk):
    good = walk(new_change(), CS.IMPLEMENTED)
    bad = walk(new_change(), CS.IMPLEMENTING)
    services_change_implementation.change_complete(
        actor=people.agent, change=bad, target=CS.FAILED, note="No."
    )
    now = timezone.now()
    assert change_success_rate(
        now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)
    ) == Ratio(1, 2)
    assert good.outcome == ChangeOutcome.IMPLEMENTED


def test_emergency_ratio_counts_submitted_changes_in_the_period(people):
    def submitted(change_type, at):
        return ChangeRequestFactory(
            requester=people.agent, change_type=change_type, submitted_at=at, status=CS.SUBMITTED
        )

    submitted(ChangeType.EMERGENCY, INSIDE)
    submitted(ChangeType.NORMAL, INSIDE)
    submitted(ChangeType.NORMAL, INSIDE)
    submitted(ChangeType.STANDARD, START)
    submitted(ChangeType.EMERGENCY, END)  # outside
    ChangeRequestFactory(requester=people.agent, change_type=ChangeType.EMERGENCY)  # a draft

    ratio = emergency_change_ratio(START, END)
    assert ratio == Ratio(1, 4) and ratio.value == 0.25
    assert emergency_change_ratio(END, END + datetime.timedelta(days=1)) == Ratio(1, 1)


def test_each_kpi_is_one_query(people, ended, django_assert_num_queries):
    ended(ChangeOutcome.IMPLEMENTED)
    with django_assert_num_queries(1):
        change_success_rate(START, END)
    with django_assert_num_queries(1):
        emergency_change_ratio(START, END)
