"""Conflict detection and scheduling: overlapping changes on the same or directly related
items or the same service, blackout periods of affected customers, and the override with a
recorded reason."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.transition import services_change_implementation
from serviceloop.transition.conflicts import (
    RELATED,
    SAME,
    SERVICE,
    calendar_conflicts,
    change_conflicts,
)
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import ChangeRequest
from serviceloop.transition.tests.factories import BlackoutPeriodFactory, ChangeRequestFactory

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus


@pytest.fixture
def booked(people, window):
    """A change already scheduled in ``window(0, 2)`` on the given items."""

    def make(items=(), services=(), status=CS.SCHEDULED, hours_from=0, hours=2):
        start, end = window(hours_from, hours)
        return ChangeRequestFactory(
            requester=people.agent,
            status=status,
            planned_start=start,
            planned_end=end,
            items=list(items),
            on_services=list(services),
        )

    return make


@pytest.fixture
def approved(people, new_change, walk):
    def make(items):
        return walk(new_change(items=items), CS.APPROVED)

    return make


def test_same_item_at_the_same_time_conflicts(people, cmdb, booked, approved, window):
    other = booked(items=[cmdb.db])
    change = approved([cmdb.db])
    start, end = window(1, 2)

    [conflict] = change_conflicts(change, start, end)
    assert conflict.kind == "change" and conflict.reference == other.reference
    assert conflict.reason == SAME and conflict.items == (cmdb.db.reference,)


def test_directly_related_items_conflict_but_not_further_ones(
    people, cmdb, booked, approved, window
):
    other = booked(items=[cmdb.host])  # db runs on host
    start, end = window(0, 1)

    [conflict] = change_conflicts(approved([cmdb.db]), start, end)
    assert conflict.reason == RELATED and conflict.reference == other.reference
    assert conflict.items == (cmdb.host.reference,)
    # app depends on db, which runs on host: two steps away, not a conflict
    assert change_conflicts(approved([cmdb.app]), start, end) == []


def test_the_same_service_conflicts(people, cmdb, booked, approved, window):
    booked(items=[cmdb.printer], services=[cmdb.erp])
    change = approved([cmdb.host])
    change.services.add(cmdb.erp)
    [conflict] = change_conflicts(change, *window(0, 1))
    assert conflict.reason == SERVICE and conflict.items == ("ERP",)


def test_no_conflict_without_overlap_or_with_unbooked_changes(
    people, cmdb, booked, approved, window
):
    booked(items=[cmdb.db], hours_from=0, hours=2)  # [0, 2)
    booked(items=[cmdb.db], status=CS.CANCELLED, hours_from=2, hours=2)
    booked(items=[cmdb.db], status=CS.APPROVED, hours_from=2, hours=2)
    change = approved([cmdb.db])
    assert change_conflicts(change, *window(2, 2)) == []  # adjacent windows do not overlap


def test_blackouts_apply_to_every_customer_or_to_affected_ones(people, cmdb, approved, window):
    change = approved([cmdb.db])  # affects ERP, customer A
    start, end = window(0, 2)
    BlackoutPeriodFactory(organisation=people.customer_b, start=start, end=end, reason="B closing")
    assert change_conflicts(change, start, end) == []

    BlackoutPeriodFactory(organisation=people.customer_a, start=start, end=end, reason="A audit")
    BlackoutPeriodFactory(organisation=None, start=start, end=end, reason="Holiday freeze")
    conflicts = change_conflicts(change, start, end)
    assert {c.title for c in conflicts} == {"A audit", "Holiday freeze"}
    assert all(c.kind == "blackout" for c in conflicts)
    assert "every customer" in [c for c in conflicts if c.title == "Holiday freeze"][0].message()


def test_scheduling_into_a_conflict_needs_a_reason(people, cmdb, booked, approved, window):
    other = booked(items=[cmdb.db])
    change = approved([cmdb.db])
    start, end = window(1, 2)

    with pytest.raises(ValidationError) as error:
        services_change_implementation.change_schedule(
            actor=people.agent, change=change, planned_start=start, planned_end=end
        )
    assert error.value.error_dict["override_reason"][0].code == "conflict"
    assert other.reference in str(error.value)
    change.refresh_from_db()
    assert change.status == CS.APPROVED and change.planned_start is None
    assert not AuditEvent.objects.filter(verb="change.scheduled").exists()

    change = services_change_implementation.change_schedule(
        actor=people.agent,
        change=change,
        planned_start=start,
        planned_end=end,
        override_reason="The vendor's only slot this month.",
    )
    assert change.status == CS.SCHEDULED
    assert change.schedule_override_reason == "The vendor's only slot this month."
    assert change.schedule_override_by == people.agent
    assert [c["reference"] for c in change.schedule_conflicts] == [other.reference]
    [row] = AuditEvent.objects.filter(verb="change.scheduled", object_id=str(change.pk))
    assert row.payload["override_reason"] == "The vendor's only slot this month."
    assert row.payload["conflicts"][0]["reference"] == other.reference


def test_scheduling_without_conflicts_needs_no_reason_and_clears_an_old_override(
    people, cmdb, booked, approved, window
):
    booked(items=[cmdb.db])
    change = approved([cmdb.db])
    change = services_change_implementation.change_schedule(
        actor=people.agent,
        change=change,
        planned_start=window(0, 1)[0],
        planned_end=window(0, 1)[1],
        override_reason="Agreed with the other owner.",
    )
    assert change.schedule_override_reason
    start, end = window(5, 1)
    change = services_change_implementation.change_schedule(
        actor=people.agent, change=change, planned_start=start, planned_end=end
    )
    assert change.status == CS.SCHEDULED and change.planned_start == start
    assert change.schedule_override_reason == "" and change.schedule_conflicts == []


def test_scheduling_needs_a_future_window_and_the_plans(people, cmdb, approved, window):
    change = approved([cmdb.db])
    ChangeRequest.objects.filter(pk=change.pk).update(backout_plan="")
    start, end = window(0, 1)
    with pytest.raises(ValidationError) as error:
        services_change_implementation.change_schedule(
            actor=people.agent, change=change, planned_start=start, planned_end=end
        )
    assert "backout_plan" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services_change_implementation.change_schedule(
            actor=people.agent, change=change, planned_start=end, planned_end=start
        )
    assert "planned_end" in error.value.message_dict


def test_calendar_conflicts_mark_both_changes(people, cmdb, booked, window):
    first = booked(items=[cmdb.db])
    second = booked(items=[cmdb.host], hours_from=1)
    lonely = booked(items=[cmdb.printer])
    start, end = window(-24, 72)
    changes = list(
        ChangeRequest.objects.filter(pk__in=[first.pk, second.pk, lonely.pk]).prefetch_related(
            "configuration_items", "services", "affected_customers"
        )
    )
    found = calendar_conflicts(changes, start, end)
    assert [c.reference for c in found[first.pk]] == [second.reference]
    assert [c.reference for c in found[second.pk]] == [first.reference]
    assert found[lonely.pk] == []


def test_conflicts_show_on_the_change_page_and_the_calendar(
    people, cmdb, booked, window, client_for
):
    first = booked(items=[cmdb.db])
    second = booked(items=[cmdb.db], hours_from=1)
    BlackoutPeriodFactory(start=window(1, 1)[0], end=window(1, 1)[1], reason="Freeze")
    client = client_for(people.agent)

    page = client.get(reverse("change_detail", args=[second.reference])).content.decode()
    assert 'data-testid="conflicts"' in page and first.reference in page and "Freeze" in page

    day = first.planned_start.date().isoformat()
    calendar = client.get(reverse("change_calendar"), {"view": "week", "date": day})
    html = calendar.content.decode()
    assert calendar.status_code == 200
    assert f'data-change="{first.reference}"' in html
    assert 'data-conflict="1"' in html and "Freeze" in html
    assert {c.pk for c in calendar.context["conflicted"]} == {first.pk, second.pk}
