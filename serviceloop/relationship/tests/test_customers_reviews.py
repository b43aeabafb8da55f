"""Relationship reviews and their actions: minutes sanitised, the action lifecycle (an owner
marks his action done, others may not), overdue flags, reminders exactly once per action and
due date, the screens with their exports and permissions."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.relationship.models import ActionStatus, ReviewAction, ReviewActionReminder
from serviceloop.relationship.services_customers import (
    review_action_add,
    review_action_reminders_run,
    review_action_transition,
    review_action_update,
    review_create,
    review_update,
)
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla

D = datetime.date


@pytest.fixture
def review(people, cust):
    return review_create(
        actor=people.lead,
        account=cust.account_a,
        held_on=D(2026, 9, 30),
        title="Q3 review",
        participants="  Sun Qiang \n\n Zhang Wei ",
        minutes='<p onclick="x()">VPN drops <script>alert(1)</script><a href="javascript:x">x</a></p>',
    )


@pytest.fixture
def actions(people, review):
    return {
        "lead": review_action_add(
            actor=people.lead,
            review=review,
            title="Fix VPN",
            owner=people.lead,
            due_on=D(2026, 10, 15),
        ),
        "customer": review_action_add(
            actor=people.lead,
            review=review,
            title="Send scanner list",
            owner=people.a_user,
            due_on=D(2026, 10, 31),
        ),
    }


def test_a_review_gets_a_reference_and_clean_minutes(people, review):
    assert review.reference.startswith("CRV-2026-")
    assert review.participant_list == ["Sun Qiang", "Zhang Wei"]
    assert "script" not in review.minutes and "onclick" not in review.minutes
    assert "javascript" not in review.minutes and "VPN drops" in review.minutes
    row = AuditEvent.objects.get(verb="customer_review.created")
    assert (
        row.organisation_id == people.customer_a.pk and row.payload["reference"] == review.reference
    )


def test_plain_text_minutes_become_paragraphs_and_are_escaped(people, cust):
    review = review_create(
        actor=people.lead,
        account=cust.account_a,
        held_on=D(2026, 9, 30),
        title="Plain",
        minutes="First point\n\nSecond & last",
    )
    assert review.minutes == "<p>First point</p>\n\n<p>Second &amp; last</p>"


def test_review_input_is_validated_and_nothing_is_written(people, cust):
    with pytest.raises(ValidationError) as error:
        review_create(actor=people.lead, account=cust.account_a, held_on=None, title="")
    assert set(error.value.message_dict) == {"held_on", "title"}
    assert not AuditEvent.objects.filter(verb__startswith="customer_review").exists()


def test_update_is_versioned(people, review):
    review = review_update(actor=people.agent, review=review, title="Q3 review (final)")
    assert review.version == 2
    with pytest.raises(ValidationError):
        review_update(actor=people.agent, review=review, title="x", expected_version=1)


def test_an_action_owner_must_be_staff_or_a_person_of_the_customer(people, review):
    with pytest.raises(ValidationError) as error:
        review_action_add(
            actor=people.lead,
            review=review,
            title="Leak",
            owner=people.b_user,
            due_on=D(2026, 11, 1),
        )
    assert "owner" in error.value.message_dict


def test_the_owner_marks_his_action_done_and_only_staff_reopen(people, actions):
    action = review_action_transition(
        actor=people.a_user, action=actions["customer"], target=ActionStatus.DONE
    )
    assert action.status == "done" and action.done_by == people.a_user and action.done_at
    with pytest.raises(PermissionDenied):
        review_action_transition(actor=people.a_user, action=action, target=ActionStatus.OPEN)
    with pytest.raises(PermissionDenied):
        review_action_transition(actor=people.a_manager, action=actions["lead"], target="done")
    with pytest.raises(PermissionDenied):
        review_action_transition(actor=people.auditor, action=actions["lead"], target="done")
    action = review_action_transition(actor=people.agent, action=action, target=ActionStatus.OPEN)
    assert action.status == "open" and action.done_at is None
    with pytest.raises(ValidationError):
        review_action_transition(actor=people.agent, action=action, target=ActionStatus.OPEN)


def test_overdue_actions_are_reminded_exactly_once_per_due_date(people, actions):
    today = D(2026, 10, 20)  # the lead's action (due 15 Oct) is overdue, the customer's is not

    assert review_action_reminders_run(today=today) == 1
    assert review_action_reminders_run(today=today) == 0
    assert review_action_reminders_run(today=today + datetime.timedelta(days=1)) == 0
    # The lead owns the action and manages the account: one notification for him.
    [note] = Notification.objects.filter(kind="customer_review_action_overdue")
    assert note.recipient == people.lead and "Fix VPN" in note.subject
    assert note.url == reverse("customer_review_detail", args=[actions["lead"].review.reference])
    assert AuditEvent.objects.filter(verb="customer_review_action.reminded").count() == 1

    # A new due date is a new deadline: reminded once more when it passes.
    review_action_update(actor=people.lead, action=actions["lead"], due_on=D(2026, 10, 25))
    assert review_action_reminders_run(today=D(2026, 10, 22)) == 0
    assert review_action_reminders_run(today=D(2026, 11, 1)) == 2  # and the customer's one now
    assert review_action_reminders_run(today=D(2026, 11, 2)) == 0
    assert ReviewActionReminder.objects.count() == 3
    customer_note = Notification.objects.get(recipient=people.a_user)
    assert "Send scanner list" in customer_note.subject


def test_done_actions_are_not_reminded(people, actions):
    review_action_transition(actor=people.lead, action=actions["lead"], target="done")
    assert review_action_reminders_run(today=D(2026, 10, 20)) == 0


def test_the_periodic_task_runs_the_reminders(people, actions, settings):
    from serviceloop.relationship.tasks_customers import customer_review_action_reminders

    ReviewAction.objects.update(due_on=D(2000, 1, 1))
    assert customer_review_action_reminders.call_local() == 2
    assert customer_review_action_reminders.call_local() == 0


# --- Screens -------------------------------------------------------------------------------


def test_the_review_page_flags_overdue_actions_and_shows_clean_minutes(people, actions, client_for):
    ReviewAction.objects.filter(pk=actions["lead"].pk).update(due_on=D(2000, 1, 1))
    ReviewAction.objects.filter(pk=actions["customer"].pk).update(due_on=D(2099, 1, 1))
    review = actions["lead"].review

    page = client_for(people.a_user).get(reverse("customer_review_detail", args=[review.reference]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="overdue"') == 1 and "<script>alert" not in html
    moves = {a.title: [m.target for m in a.moves] for a in page.context["actions"]}
    assert moves == {"Fix VPN": [], "Send scanner list": ["done"]}  # only his own action


def test_customers_see_their_reviews_and_never_another_customers(people, review, client_for):
    url = reverse("customer_review_detail", args=[review.reference])
    assert client_for(people.a_manager).get(url).status_code == 200
    assert client_for(people.b_manager).get(url).status_code == 404
    assert client_for(people.outsider).get(url).status_code == 404
    listing = client_for(people.b_user).get(reverse("customer_review_list"))
    assert listing.status_code == 200 and list(listing.context["page"]) == []


def test_a_customer_marks_his_action_done_on_the_page(people, actions, client_for):
    url = reverse("customer_review_action_move", args=[actions["customer"].pk])

    response = client_for(people.a_user).post(url, {"target": "done"})
    assert response.status_code == 302
    actions["customer"].refresh_from_db()
    assert actions["customer"].status == "done"
    assert client_for(people.b_user).post(url, {"target": "open"}).status_code == 404
    other = reverse("customer_review_action_move", args=[actions["lead"].pk])
    assert client_for(people.a_user).post(other, {"target": "done"}).status_code == 403


@pytest.mark.parametrize("role", ["auditor", "top", "a_manager"])
def test_read_only_roles_get_403_on_review_writes(people, review, client_for, role):
    client = client_for(getattr(people, role))
    assert client.get(reverse("customer_review_edit", args=[review.reference])).status_code == 403
    assert (
        client.post(
            reverse("customer_review_action_add", args=[review.reference]),
            {"title": "x", "owner": people.lead.pk, "due_on": "2026-12-01"},
        ).status_code
        == 403
    )


def test_staff_record_a_review_and_an_action_through_the_forms(people, cust, client_for):
    client = client_for(people.agent)
    response = client.post(
        reverse("customer_review_new", args=[cust.account_b.pk]),
        {
            "title": "Kick-off",
            "held_on": "2026-11-02",
            "participants": "B Manager",
            "minutes": "Hi",
        },
    )
    review = cust.account_b.reviews.get()
    assert response.url == reverse("customer_review_detail", args=[review.reference])
    client.post(
        reverse("customer_review_action_add", args=[review.reference]),
        {"title": "Send the plan", "owner": people.b_manager.pk, "due_on": "2026-11-20"},
    )
    assert review.actions.get().owner == people.b_manager


def test_review_and_action_lists_export(people, actions, client_for):
    client = client_for(people.auditor)

    response = client.get(reverse("customer_review_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Reference" and rows[1][3] == "Q3 review" and rows[1][5] == "2"
    response = client.get(
        reverse("customer_review_action_list"), {"export": "csv", "status": "open"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert sorted(r[2] for r in rows[1:]) == ["Fix VPN", "Send scanner list"]
    overdue = client.get(reverse("customer_review_action_list"), {"overdue": "on"})
    assert overdue.status_code == 200
    xlsx = client.get(reverse("customer_review_list"), {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
