"""Overdue risk reviews: flagged on the register, and the owner is reminded exactly once per
risk and review date (Huey periodic task)."""

import datetime

import pytest
from django.urls import reverse

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.planning.models import Risk
from serviceloop.planning.services_risks import (
    risk_create,
    risk_review,
    risk_review_remind,
    risk_transition,
)
from serviceloop.planning.tasks import risk_review_reminders

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.date(2026, 5, 4)


def new_risk(people, review_on, **values):
    defaults = {
        "kind": "risk", "title": "供应商倒闭 Supplier fails", "likelihood": 2, "impact": 4,
        "treatment": "transfer", "owner": people.lead, "review_on": review_on,
    }  # fmt: skip
    return risk_create(actor=people.owner, **(defaults | values))


def reminders(risk=None):
    rows = Notification.objects.filter(kind="risk_review_overdue")
    return rows.filter(dedupe_key__contains=f":{risk.pk}:") if risk else rows


def test_the_owner_of_an_overdue_review_is_reminded_once(people):
    risk = new_risk(people, datetime.date(2026, 4, 30))
    new_risk(people, TODAY, title="Due today")  # not overdue yet
    closed = new_risk(people, datetime.date(2026, 4, 1), title="Closed")
    risk_transition(actor=people.owner, risk=closed, target="closed", note="Gone")

    first = risk_review_remind(today=TODAY)
    second = risk_review_remind(today=TODAY)

    [notification] = reminders()
    assert (first, second) == (1, 0)
    assert notification.recipient == people.lead
    assert (
        notification.subject == f"Risk review overdue: {risk.reference} 供应商倒闭 Supplier fails"
    )
    assert "was due on 2026-04-30 (4 days ago)" in notification.body
    assert notification.url.endswith(f"/planning/risks/{risk.reference}/")
    assert AuditEvent.objects.filter(verb="risk.review_reminded").count() == 1


def test_a_review_sets_a_new_date_that_is_reminded_of_in_its_turn(people):
    risk = new_risk(people, datetime.date(2026, 4, 30))
    risk_review_remind(today=TODAY)
    risk_review(
        actor=people.owner, risk=risk, likelihood=2, impact=4,
        next_review_on=datetime.date(2026, 6, 1), today=TODAY,
    )  # fmt: skip

    before = risk_review_remind(today=datetime.date(2026, 6, 1))
    after = risk_review_remind(today=datetime.date(2026, 6, 2))

    assert (before, after) == (0, 1)
    assert reminders(risk).count() == 2


def test_a_new_owner_is_not_reminded_again_for_the_same_review_date(people):
    risk = new_risk(people, datetime.date(2026, 4, 30))
    risk_review_remind(today=TODAY)
    Risk.objects.filter(pk=risk.pk).update(owner=people.admin)

    assert risk_review_remind(today=TODAY) == 0
    assert list(reminders().values_list("recipient__username", flat=True)) == ["lead"]


def test_the_periodic_task_sends_the_reminders(people):
    new_risk(people, datetime.date(2020, 1, 1))

    assert risk_review_reminders.call_local() == 1
    assert risk_review_reminders.call_local() == 0


def test_overdue_reviews_are_flagged_on_the_register(people, client_for):
    overdue = new_risk(people, datetime.date(2020, 1, 1))
    new_risk(people, datetime.date(2099, 1, 1), title="Later")
    client = client_for(people.auditor)

    page = client.get(reverse("risk_list")).content.decode()
    only = client.get(reverse("risk_list"), {"overdue": "on"})
    detail = client.get(reverse("risk_detail", args=[overdue.reference])).content.decode()

    assert 'data-testid="overdue-alert"' in page and "1 open risk is past its review date" in page
    assert page.count("data-overdue") == 1
    assert [r.reference for r, _l, _label in only.context["rows"]] == [overdue.reference]
    assert 'data-testid="overdue"' in detail
