"""Management review (clause 9.3) through its services: planning, the pack, the meeting, the
chair's approval, actions to closure, who may do what, and bad input that changes nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.evaluation.models import (
    InputCode,
    ManagementReview,
    ReviewAction,
    ReviewDecision,
)
from serviceloop.evaluation.services_actions_reviews import (
    review_action_raise_improvement,
    review_action_remind,
    review_action_transition,
    review_action_update,
)
from serviceloop.evaluation.services_reviews import (
    review_action_add,
    review_create,
    review_decision_record,
    review_input_enter,
    review_minutes_update,
    review_pack_generate,
    review_transition,
    review_update,
)
from serviceloop.evaluation.tests.steps_reviews import (
    GENERATED,
    approve,
    decide,
    hold_meeting,
    input_of,
    plan_review,
)

pytestmark = pytest.mark.usefixtures("english")


def verbs():
    return list(
        AuditEvent.objects.filter(verb__startswith="management_review.")
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- Planning -----------------------------------------------------------------------------------


def test_a_review_is_planned_with_one_input_per_input_of_9_3(review, people):
    assert review.reference.startswith("MR-") and review.status == "planned"
    assert list(review.inputs.order_by("position").values_list("code", flat=True)) == list(
        InputCode.values
    )
    assert list(review.attendees.order_by("username")) == [people.lead, people.owner]
    assert verbs() == ["management_review.created"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (lambda p: {"title": "  "}, "title"),
        (lambda p: {"period_end": datetime.date(2025, 12, 31)}, "period_end"),
        (lambda p: {"period_start": "2026-01-01"}, "period_start"),
        (lambda p: {"chair": p.owner}, "chair"),  # not top management
        (lambda p: {"attendees": [p.a_user]}, "attendees"),  # a customer
    ],
)
def test_bad_input_changes_nothing(people, kpis, changes, field):
    values = {
        "title": "Q1", "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 3, 31), "scheduled_on": datetime.date(2026, 4, 15),
        "chair": people.top, "attendees": [people.lead],
    }  # fmt: skip
    with pytest.raises(ValidationError) as error:
        review_create(actor=people.owner, **(values | changes(people)))

    assert field in error.value.message_dict
    assert not ManagementReview.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="management_review.").exists()


def test_only_the_preparers_plan_and_generate(review, people):
    for name in ("top", "agent", "auditor", "lead"):
        user = getattr(people, name)
        with pytest.raises(PermissionDenied):
            review_create(actor=user, title="Mine", period_start=datetime.date(2026, 1, 1),
                          period_end=datetime.date(2026, 3, 31),
                          scheduled_on=datetime.date(2026, 4, 2), chair=people.top)  # fmt: skip
        with pytest.raises(PermissionDenied):
            review_pack_generate(actor=user, review=review, language="en")
    review_pack_generate(actor=people.admin, review=review, language="en", now=GENERATED)
    assert ManagementReview.objects.get().status == "pack_generated"
    assert ManagementReview.objects.count() == 1


# --- The pack -----------------------------------------------------------------------------------


def test_regenerating_refreshes_the_pack_keeps_entered_text_then_the_meeting_freezes_it(
    review, people
):
    market = input_of(review, InputCode.MARKET)
    review_input_enter(actor=people.owner, review_input=market, text="A new competitor.")
    review = review_pack_generate(actor=people.owner, review=review, language="zh-hans",
                                  now=GENERATED)  # fmt: skip
    first = input_of(review, InputCode.KPIS).generated_at
    later = GENERATED + datetime.timedelta(hours=2)
    review = review_pack_generate(actor=people.owner, review=review, language="en", now=later)

    assert (review.status, review.language) == ("pack_generated", "en")
    assert input_of(review, InputCode.KPIS).generated_at == later != first
    assert input_of(review, InputCode.MARKET).entered_text == "A new competitor."
    assert verbs()[-2:] == ["management_review.pack_generated",
                            "management_review.pack_regenerated"]  # fmt: skip

    review = review_transition(actor=people.top, review=review, target="in_meeting")
    with pytest.raises(ValidationError):
        review_pack_generate(actor=people.owner, review=review, language="en")
    with pytest.raises(ValidationError):
        review_update(actor=people.owner, review=review, title="Renamed")
    with pytest.raises(ValidationError):  # the preparers' comments stop with the meeting
        review_input_enter(actor=people.owner, review_input=market, text="Changed")
    review_input_enter(actor=people.top, review_input=market, text="Said in the meeting.")
    assert input_of(review, InputCode.KPIS).generated_at == later
    assert input_of(review, InputCode.MARKET).entered_text == "Said in the meeting."


def test_the_meeting_needs_a_pack_and_top_management(review, people):
    with pytest.raises(ValidationError):
        review_transition(actor=people.top, review=review, target="in_meeting")
    review_pack_generate(actor=people.owner, review=review, language="en", now=GENERATED)
    for name in ("owner", "admin", "agent"):
        with pytest.raises(PermissionDenied):
            review_transition(actor=getattr(people, name), review=review, target="in_meeting")
    review = review_transition(actor=people.top, review=review, target="in_meeting",
                               now=GENERATED)  # fmt: skip
    assert (review.status, review.held_on) == ("in_meeting", datetime.date(2026, 4, 10))


# --- The meeting and the approval ---------------------------------------------------------------


def test_the_chair_records_decisions_and_actions_and_approves_the_minutes(
    review, people, second_top
):
    review = hold_meeting(people, review)
    decision, action = decide(people, review)
    second, _ = decide(people, review, InputCode.RISKS, "Replace the UPS.", action=None)
    review = review_minutes_update(actor=people.top, review=review, summary="The SMS is fit.")
    review = review_transition(actor=people.top, review=review, target="minutes_draft")

    for stand_in in (people.owner, people.admin, second_top):  # nobody stands in for the chair
        with pytest.raises(PermissionDenied):
            review_transition(actor=stand_in, review=review, target="approved")
    review = review_transition(actor=people.top, review=review, target="approved", now=GENERATED)

    assert (review.status, review.approved_by, review.approved_at) == (
        "approved", people.top, GENERATED,
    )  # fmt: skip
    assert [(d.number, d.review_input.code) for d in ReviewDecision.objects.all()] == [
        (1, "kpis"), (2, "risks"),
    ]  # fmt: skip
    assert (action.label, action.decision, action.owner, action.status) == (
        "A1", decision, people.lead, "open",
    )  # fmt: skip
    assert Notification.objects.filter(
        recipient=people.lead, kind="review_action_assigned"
    ).exists()
    assert "management_review.decision_recorded" in verbs()
    assert verbs()[-1] == "management_review.status_changed"
    with pytest.raises(ValidationError):  # the minutes are final
        review_decision_record(actor=people.top, review_input=second.review_input, text="More")


def test_minutes_are_not_approved_without_a_decision(review, people):
    review = hold_meeting(people, review)
    review = review_transition(actor=people.top, review=review, target="minutes_draft")
    with pytest.raises(ValidationError) as error:
        review_transition(actor=people.top, review=review, target="approved")
    assert "target" in error.value.message_dict
    assert ManagementReview.objects.get().status == "minutes_draft"


def test_decisions_and_actions_only_by_top_management_during_the_meeting(review, people):
    kpis_input = input_of(review, InputCode.KPIS)
    with pytest.raises(ValidationError):  # before the meeting
        review_decision_record(actor=people.top, review_input=kpis_input, text="Too early")
    review = hold_meeting(people, review)
    for name in ("owner", "admin", "agent", "auditor"):
        with pytest.raises(PermissionDenied):
            review_decision_record(actor=getattr(people, name), review_input=kpis_input, text="x")
        with pytest.raises(PermissionDenied):
            review_action_add(actor=getattr(people, name), review_input=kpis_input,
                              description="x", owner=people.lead,
                              due_on=datetime.date(2026, 5, 1))  # fmt: skip
    assert not ReviewDecision.objects.exists() and not ReviewAction.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"description": ""}, "description"),
        ({"due_on": datetime.date(2026, 4, 1)}, "due_on"),  # before the meeting's day
        ({"owner": "a_user"}, "owner"),
        ({"decision": "other input"}, "decision"),
    ],
)
def test_a_bad_action_writes_nothing(review, people, values, field):
    review = hold_meeting(people, review)
    other, _ = decide(people, review, InputCode.RISKS, "Replace the UPS.", action=None)
    audit_rows = AuditEvent.objects.count()
    fields = {"description": "Change the rota", "owner": people.lead,
              "due_on": datetime.date(2026, 5, 1), "decision": None}  # fmt: skip
    fields.update(values)
    if fields["owner"] == "a_user":
        fields["owner"] = people.a_user
    if fields["decision"] == "other input":
        fields["decision"] = other
    with pytest.raises(ValidationError) as error:
        review_action_add(actor=people.top, review_input=input_of(review, InputCode.KPIS),
                          now=GENERATED, **fields)  # fmt: skip
    assert field in error.value.message_dict
    assert not ReviewAction.objects.exists()
    assert AuditEvent.objects.count() == audit_rows
    assert not Notification.objects.filter(kind="review_action_assigned").exists()


def test_cancelling_needs_a_reason_and_a_review_not_held(review, people):
    with pytest.raises(ValidationError):
        review_transition(actor=people.owner, review=review, target="cancelled")
    with pytest.raises(PermissionDenied):
        review_transition(actor=people.top, review=review, target="cancelled", note="No quorum")
    review = review_transition(actor=people.owner, review=review, target="cancelled",
                               note="Merged with the annual review")  # fmt: skip
    assert (review.status, review.status_note) == ("cancelled", "Merged with the annual review")


# --- Actions to closure -------------------------------------------------------------------------


def test_owners_close_their_own_actions_and_top_management_cancels_or_reopens(review, people):
    review = hold_meeting(people, review)
    _decision, action = decide(people, review, owner=people.agent)
    _d, other = decide(people, review, InputCode.RISKS, "UPS", action="Buy batteries")
    approve(people, review)

    with pytest.raises(PermissionDenied):  # not his action
        review_action_transition(actor=people.lead, action=action, target="done", note="Did it")
    with pytest.raises(ValidationError):  # what was done?
        review_action_transition(actor=people.agent, action=action, target="done")
    with pytest.raises(PermissionDenied):  # an owner closes, never cancels
        review_action_transition(actor=people.agent, action=action, target="cancelled",
                                 note="Not needed")  # fmt: skip
    done = review_action_transition(actor=people.agent, action=action, target="done",
                                    note="New rota since May.", now=GENERATED)  # fmt: skip
    with pytest.raises(PermissionDenied):
        review_action_transition(actor=people.agent, action=done, target="open", note="Oops")
    cancelled = review_action_transition(actor=people.top, action=other, target="cancelled",
                                         note="Budget moved to next year")  # fmt: skip

    assert (done.status, done.closed_by, done.closure_note) == (
        "done", people.agent, "New rota since May.",
    )  # fmt: skip
    assert (cancelled.status, cancelled.closed_by) == ("cancelled", people.top)
    reopened = review_action_transition(actor=people.owner, action=done, target="open",
                                        note="The rota slipped")  # fmt: skip
    assert (reopened.status, reopened.closed_at) == ("open", None)
    assert verbs().count("management_review.action_status") == 3


def test_top_management_changes_an_open_action_and_the_new_owner_is_told(review, people):
    review = hold_meeting(people, review)
    _decision, action = decide(people, review)
    with pytest.raises(PermissionDenied):
        review_action_update(actor=people.lead, action=action, due_on=datetime.date(2026, 6, 1))
    changed = review_action_update(actor=people.top, action=action, owner=people.agent,
                                   due_on=datetime.date(2026, 6, 1), now=GENERATED)  # fmt: skip
    assert (changed.owner, changed.due_on) == (people.agent, datetime.date(2026, 6, 1))
    assert Notification.objects.filter(recipient=people.agent, kind="review_action_assigned")


def test_previous_reviews_open_actions_appear_in_the_next_pack(people, kpis):
    first = plan_review(people, title="Q4 review", scheduled_on=datetime.date(2026, 1, 15),
                        period=(datetime.date(2025, 10, 1), datetime.date(2025, 12, 31)))  # fmt: skip
    first = hold_meeting(people, first, now=GENERATED - datetime.timedelta(days=90))
    _d, old_open = decide(people, first, action="Write the capacity plan",
                          now=GENERATED - datetime.timedelta(days=90))  # fmt: skip
    _d, old_done = decide(people, first, InputCode.RISKS, "UPS", action="Replace batteries",
                          now=GENERATED - datetime.timedelta(days=90))  # fmt: skip
    approve(people, first)
    review_action_transition(actor=people.lead, action=old_done, target="done", note="Replaced")

    second = plan_review(people, title="Q1 review")
    second = hold_meeting(people, second)
    _d, new_done = decide(people, second, action="Hire a second agent")
    approve(people, second)
    review_action_transition(actor=people.lead, action=new_done, target="done", note="Hired")

    content = input_of(second, InputCode.PREVIOUS_ACTIONS).content
    assert content["previous_review"] == first.reference
    assert [(r["review"], r["number"], r["status"]) for r in content["rows"]] == [
        (first.reference, 1, "open"), (first.reference, 2, "done"),
    ]  # fmt: skip
    assert (content["open"], content["done"], content["total"]) == (1, 1, 2)

    third = plan_review(people, title="Q2 review", scheduled_on=datetime.date(2026, 7, 15),
                        period=(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)))  # fmt: skip
    review_pack_generate(actor=people.owner, review=third, language="en", now=GENERATED)
    rows = input_of(third, InputCode.PREVIOUS_ACTIONS).content["rows"]
    # the last review's actions (done ones included) and the earlier review's open one
    assert [(r["review"], r["description"], r["status"]) for r in rows] == [
        (first.reference, "Write the capacity plan", "open"),
        (second.reference, "Hire a second agent", "done"),
    ]
    assert [r["overdue"] for r in rows] == [False, False]  # due 2026-05-15, read 2026-04-10


def test_an_open_action_is_raised_once_as_an_improvement(review, people):
    from serviceloop.improvement.models import Improvement

    review = hold_meeting(people, review)
    _decision, action = decide(people, review, action="Automate the printer driver roll-out")
    with pytest.raises(PermissionDenied):
        review_action_raise_improvement(actor=people.lead, action=action)
    improvement = review_action_raise_improvement(actor=people.top, action=action)
    action.refresh_from_db()

    assert (improvement.source, improvement.source_reference, improvement.owner) == (
        "management_review", f"{review.reference} A1", people.lead,
    )  # fmt: skip
    assert action.improvement_reference == improvement.reference
    with pytest.raises(ValidationError):
        review_action_raise_improvement(actor=people.top, action=action)
    assert Improvement.objects.count() == 1


def test_overdue_actions_are_reminded_once_per_due_date(review, people):
    review = hold_meeting(people, review)
    _decision, action = decide(people, review, due_on=datetime.date(2026, 5, 1))
    assert review_action_remind(today=datetime.date(2026, 5, 1)) == 0  # due today: not late
    assert review_action_remind(today=datetime.date(2026, 5, 3)) == 1
    assert review_action_remind(today=datetime.date(2026, 5, 4)) == 0
    review_action_update(actor=people.top, action=action, due_on=datetime.date(2026, 5, 10),
                         now=GENERATED)  # fmt: skip
    assert review_action_remind(today=datetime.date(2026, 5, 12)) == 1
    assert Notification.objects.filter(kind="review_action_overdue").count() == 2


def test_the_demo_holds_an_approved_review_with_its_actions_and_plans_the_next(db, kpis):
    from serviceloop.core.demo import demo_load
    from serviceloop.evaluation.demo_reviews import demo_records

    demo_load(write=lambda *_: None)
    assert demo_records(write=lambda *_: None) == 2
    assert demo_records(write=lambda *_: None) == 0  # idempotent

    past, planned = ManagementReview.objects.order_by("scheduled_on")
    assert (past.status, past.language, past.chair.username) == ("approved", "zh-hans", "ceo")
    assert past.inputs.filter(generated_at__isnull=False).count() == len(InputCode.values)
    assert past.decisions.count() == 4
    assert sorted(past.actions.values_list("status", flat=True)) == [
        "cancelled", "done", "done", "open", "open", "open",
    ]  # fmt: skip
    assert planned.status == "planned" and planned.period_start > past.period_end
