"""Overdue plan items: the owner is told exactly once per item and due date."""

import datetime

import pytest

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.planning.models import ItemStatus
from serviceloop.planning.services_plan import plan_overdue_remind
from serviceloop.planning.tasks import plan_overdue_reminders
from serviceloop.planning.tests.factories import PlanItemFactory

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.date(2026, 5, 4)


def reminders(item=None):
    rows = Notification.objects.filter(kind="plan_item_overdue")
    return rows.filter(dedupe_key__contains=f":{item.pk}:") if item else rows


def test_the_owner_of_an_overdue_item_is_reminded_once(people):
    item = PlanItemFactory(
        owner=people.lead,
        title="风险登记表",
        due_on=datetime.date(2026, 4, 30),
        percent_complete=60,
    )
    PlanItemFactory(owner=people.lead, due_on=TODAY)  # due today: not overdue yet
    PlanItemFactory(owner=people.lead, due_on=datetime.date(2026, 4, 1), status=ItemStatus.DONE)

    first = plan_overdue_remind(today=TODAY)
    second = plan_overdue_remind(today=TODAY)

    [notification] = reminders()
    assert (first, second) == (1, 0)
    assert notification.recipient == people.lead
    assert notification.subject == f"Plan item overdue: {item.reference} 风险登记表"
    assert "was due on 2026-04-30 (4 days ago) and is 60% complete" in notification.body
    assert notification.url.endswith(f"/planning/plan/items/{item.reference}/")
    assert (
        AuditEvent.objects.filter(verb="plan_item.overdue_reminded", object_id=str(item.pk)).count()
        == 1
    )


def test_a_new_due_date_is_reminded_of_in_its_turn(people):
    item = PlanItemFactory(owner=people.owner, due_on=datetime.date(2026, 4, 30))
    plan_overdue_remind(today=TODAY)

    item.due_on = datetime.date(2026, 5, 10)
    item.save()
    before = plan_overdue_remind(today=datetime.date(2026, 5, 10))
    after = plan_overdue_remind(today=datetime.date(2026, 5, 11))

    assert (before, after) == (0, 1)
    assert reminders(item).count() == 2


def test_a_new_owner_is_not_reminded_again_for_the_same_due_date(people):
    item = PlanItemFactory(owner=people.owner, due_on=datetime.date(2026, 4, 30))
    plan_overdue_remind(today=TODAY)

    item.owner = people.lead
    item.save()

    assert plan_overdue_remind(today=TODAY) == 0
    assert list(reminders().values_list("recipient__username", flat=True)) == ["owner"]


def test_the_periodic_task_sends_the_reminders(people, settings):
    PlanItemFactory(owner=people.owner, due_on=datetime.date(2020, 1, 1))

    assert plan_overdue_reminders.call_local() == 1
    assert plan_overdue_reminders.call_local() == 0
