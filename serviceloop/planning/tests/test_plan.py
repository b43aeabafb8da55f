"""The implementation plan: items (validation, dependencies without loops), their lifecycle
(blocked needs a reason, done needs its dependencies done), progress (by the owner too),
gaps into items, milestones, and the roll-ups per clause, group and overall."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.planning.models import ItemStatus, PlanItem
from serviceloop.planning.queries_plan import (
    gantt_geometry,
    items_for_list,
    plan_progress,
    timeline_data,
)
from serviceloop.planning.services_plan import (
    milestone_achieve,
    milestone_create,
    plan_item_create,
    plan_item_progress,
    plan_item_transition,
    plan_item_update,
    plan_items_from_gaps,
)
from serviceloop.planning.tests.factories import MilestoneFactory, PlanItemFactory

pytestmark = pytest.mark.usefixtures("english")

MARCH = datetime.date(2026, 3, 1)


@pytest.fixture
def make(people, clauses):
    def create(title="Item", *, owner=None, start=MARCH, days=30, numbers=(), **kwargs):
        return plan_item_create(
            actor=people.owner,
            title=title,
            owner=owner or people.owner,
            start_on=start,
            due_on=start + datetime.timedelta(days=days),
            clauses=[clauses[n] for n in numbers],
            **kwargs,
        )

    return create


def test_creating_an_item_allocates_a_reference_and_records_history_and_audit(people, make):
    item = make(
        "制定服务管理方针", numbers=["5.2.1"], budget="12000.5", resources="外部顾问 5 人天"
    )

    assert item.reference == f"PLN-{datetime.date.today().year}-000001"
    assert (item.status, item.percent_complete, item.currency) == ("not_started", 0, "CNY")
    assert item.budget == Decimal("12000.50")
    assert list(item.clauses.values_list("number", flat=True)) == ["5.2.1"]
    assert list(item.events.values_list("kind", flat=True)) == ["created"]
    [row] = AuditEvent.objects.filter(object_type="planning.planitem", object_id=str(item.pk))
    assert row.verb == "plan_item.created" and row.payload["clauses"] == ["5.2.1"]


def test_bad_item_input_is_refused_with_every_message(people, clauses):
    with pytest.raises(ValidationError) as error:
        plan_item_create(
            actor=people.owner, title="", owner=people.a_user, start_on=MARCH,
            due_on=MARCH - datetime.timedelta(days=1), budget="-5", currency="yuan",
        )  # fmt: skip

    assert set(error.value.message_dict) == {"title", "owner", "due_on", "budget", "currency"}
    assert not PlanItem.objects.exists() and not AuditEvent.objects.exists()


def test_dependencies_may_not_loop(people, make):
    first, second, third = make("A"), make("B"), make("C")
    plan_item_update(actor=people.owner, item=second, depends_on=[first])
    plan_item_update(actor=people.owner, item=third, depends_on=[second])

    with pytest.raises(ValidationError, match="loop"):
        plan_item_update(actor=people.owner, item=first, depends_on=[third])
    with pytest.raises(ValidationError, match="itself"):
        plan_item_update(actor=people.owner, item=first, depends_on=[first])
    assert not first.depends_on.exists()
    assert list(third.depends_on.all()) == [second]


def test_an_update_records_only_what_changed(people, make, clauses):
    item = make("A", numbers=["6.1"])

    plan_item_update(actor=people.owner, item=item, title="A", clauses=[clauses["6.1"]])
    plan_item_update(
        actor=people.owner, item=item, title="B", clauses=[clauses["6.1"], clauses["6.2.1"]]
    )

    [row] = AuditEvent.objects.filter(verb="plan_item.updated")
    assert row.payload == {"title": ["A", "B"], "clauses": [["6.1"], ["6.1", "6.2.1"]]}


def test_done_needs_the_dependencies_done_and_sets_100_percent(people, make):
    policy, communicate = make("Policy"), make("Communicate")
    plan_item_update(actor=people.owner, item=communicate, depends_on=[policy])

    with pytest.raises(ValidationError) as error:
        plan_item_transition(actor=people.owner, item=communicate, target="done")
    assert policy.reference in error.value.message_dict["target"][0]

    plan_item_transition(
        actor=people.owner, item=policy, target="done", today=datetime.date(2026, 3, 20)
    )
    done = plan_item_transition(actor=people.owner, item=communicate, target="done")

    policy.refresh_from_db()
    assert (policy.status, policy.percent_complete, policy.completed_on) == (
        "done",
        100,
        datetime.date(2026, 3, 20),
    )
    assert done.status == "done"
    reopened = plan_item_transition(actor=people.owner, item=policy, target="in_progress")
    assert reopened.completed_on is None and reopened.status == "in_progress"


def test_blocking_needs_a_reason_and_unblocking_clears_it(people, make):
    item = make()

    with pytest.raises(ValidationError) as error:
        plan_item_transition(actor=people.owner, item=item, target="blocked", reason=" ")
    assert "reason" in error.value.message_dict

    blocked = plan_item_transition(
        actor=people.owner, item=item, target="blocked", reason="等待预算批准"
    )
    assert blocked.blocked_reason == "等待预算批准"
    unblocked = plan_item_transition(actor=people.owner, item=blocked, target="in_progress")
    assert unblocked.blocked_reason == ""
    assert list(unblocked.events.filter(kind="status").values_list("to_value", flat=True)) == [
        "blocked",
        "in_progress",
    ]


@pytest.mark.parametrize(
    "source, target",
    [("not_started", "not_started"), ("not_started", "nonsense"), ("done", "blocked")],
)
def test_undeclared_moves_are_refused(people, make, source, target):
    item = make()
    if source == "done":
        item = plan_item_transition(actor=people.owner, item=item, target="done")

    with pytest.raises(ValidationError):
        plan_item_transition(actor=people.owner, item=item, target=target)


def test_the_owner_reports_progress_others_may_not(people, make):
    item = make(owner=people.lead)

    started = plan_item_progress(actor=people.lead, item=item, percent=30, note="初稿")

    assert (started.status, started.percent_complete) == ("in_progress", 30)
    [event] = started.events.filter(kind="progress")
    assert (event.from_value, event.to_value, event.note, event.actor) == (
        "0%",
        "30%",
        "初稿",
        people.lead,
    )
    for name in ("agent", "auditor", "top"):
        with pytest.raises(PermissionDenied):
            plan_item_progress(actor=getattr(people, name), item=item, percent=50)
        with pytest.raises(PermissionDenied):
            plan_item_transition(actor=getattr(people, name), item=item, target="done")
    with pytest.raises(PermissionDenied):
        plan_item_update(actor=people.lead, item=item, title="mine now")
    plan_item_transition(actor=people.lead, item=item, target="done")


@pytest.mark.parametrize("percent", [-1, 101, "50", 12.5, True])
def test_progress_is_a_whole_percentage(people, make, percent):
    with pytest.raises(ValidationError):
        plan_item_progress(actor=people.owner, item=make(), percent=percent)


def test_a_done_item_takes_no_progress_report(people, make):
    item = plan_item_transition(actor=people.owner, item=make(), target="done")

    with pytest.raises(ValidationError, match="Reopen"):
        plan_item_progress(actor=people.owner, item=item, percent=50)


def test_gaps_become_items_once(people, assessment, answer):
    from serviceloop.planning.services_assessments import answer_update

    row = answer(assessment, "9.2")
    answer_update(actor=people.owner, answer=row, maturity=0, gap="从未开展内部审核")
    other = answer(assessment, "10.1")

    created = plan_items_from_gaps(
        actor=people.owner, answers=[row, other], owner=people.auditor,
        start_on=MARCH, due_on=MARCH + datetime.timedelta(days=60),
    )  # fmt: skip
    again = plan_items_from_gaps(
        actor=people.owner, answers=[row], owner=people.auditor, start_on=MARCH, due_on=MARCH,
    )  # fmt: skip

    first, second = created
    assert first.title == "Close the gap in 9.2 Internal audit" and first.goal == "从未开展内部审核"
    assert first.source_answer == row and list(first.clauses.values_list("number", flat=True)) == [
        "9.2"
    ]
    assert second.goal.startswith("Are nonconformities recorded")  # no gap text: the question
    assert again == [] and PlanItem.objects.count() == 2
    with pytest.raises(PermissionDenied):
        plan_items_from_gaps(
            actor=people.auditor, answers=[row], owner=people.auditor, start_on=MARCH, due_on=MARCH
        )


def test_milestones(people, make):
    milestone = milestone_create(
        actor=people.owner, title="内部审核完成", kind="internal_audit", due_on=datetime.date(2026, 5, 1),
        items=[make()],
    )  # fmt: skip

    with pytest.raises(ValidationError, match="future"):
        milestone_achieve(
            actor=people.owner,
            milestone=milestone,
            achieved_on=datetime.date(2026, 5, 2),
            today=datetime.date(2026, 5, 1),
        )
    achieved = milestone_achieve(
        actor=people.owner,
        milestone=milestone,
        achieved_on=datetime.date(2026, 4, 28),
        today=datetime.date(2026, 5, 1),
    )
    assert achieved.state(datetime.date(2026, 6, 1)) == "achieved"
    assert (
        MilestoneFactory(due_on=datetime.date(2026, 5, 1)).state(datetime.date(2026, 5, 2))
        == "overdue"
    )
    with pytest.raises(ValidationError):
        milestone_create(actor=people.owner, title="x", kind="party", due_on=MARCH)
    with pytest.raises(PermissionDenied):
        milestone_create(actor=people.top, title="x", due_on=MARCH)


# --- Roll-ups ------------------------------------------------------------------------------


def test_rollups_per_clause_group_and_overall(people, clauses):
    today = datetime.date(2026, 4, 15)
    c = clauses
    items = [
        PlanItemFactory(percent_complete=50, clauses=[c["5.2.1"]]),
        PlanItemFactory(
            percent_complete=20, clauses=[c["5.2.1"], c["6.1"]], due_on=datetime.date(2026, 4, 1)
        ),
        PlanItemFactory(
            status=ItemStatus.DONE,
            percent_complete=100,
            clauses=[c["5.2.2"]],
            due_on=datetime.date(2026, 4, 1),
        ),
        PlanItemFactory(status=ItemStatus.BLOCKED, percent_complete=0, clauses=[c["6.1"]]),
        PlanItemFactory(percent_complete=10),  # no clause: counts overall only
    ]

    progress = plan_progress(items_for_list(people.auditor), today)

    assert (progress.overall.count, progress.overall.progress) == (5, Decimal("36.0"))  # 180 / 5
    assert (progress.overall.done, progress.overall.overdue, progress.overall.blocked) == (1, 1, 1)
    by_clause = {r.key: (r.count, r.progress) for r in progress.by_clause}
    assert by_clause == {
        "5.2.1": (2, Decimal("35.0")),
        "5.2.2": (1, Decimal("100.0")),
        "6.1": (2, Decimal("10.0")),
    }
    by_group = {r.key: (r.count, r.progress, r.title) for r in progress.by_group}
    # item 2 is in 5 and 6; in group 5 it counts once although it is linked to one clause there
    assert by_group == {
        "5": (3, Decimal("56.7"), "Leadership"),
        "6": (2, Decimal("10.0"), "Planning"),
    }
    assert items[0] in list(items_for_list(people.auditor, clause="5.2"))
    assert list(items_for_list(people.a_manager)) == []


def test_rollups_of_an_empty_plan(db):
    progress = plan_progress([], datetime.date(2026, 1, 1))

    assert progress.overall.progress is None and progress.by_clause == [] and progress.budgets == {}


def test_budgets_are_summed_per_currency(people, clauses):
    PlanItemFactory(budget=Decimal("1000.00"))
    PlanItemFactory(budget=Decimal("250.50"))
    PlanItemFactory(budget=Decimal("300"), currency="EUR")
    PlanItemFactory()

    progress = plan_progress(items_for_list(people.owner), datetime.date(2026, 1, 1))

    assert progress.budgets == {"CNY": Decimal("1250.50"), "EUR": Decimal("300")}


def test_timeline_and_gantt_data(people, clauses):
    first = PlanItemFactory(
        start_on=datetime.date(2026, 3, 1), due_on=datetime.date(2026, 3, 10), percent_complete=50
    )
    PlanItemFactory(start_on=datetime.date(2026, 3, 11), due_on=datetime.date(2026, 3, 30))
    milestone = MilestoneFactory(due_on=datetime.date(2026, 3, 31), title="审核")
    items = list(items_for_list(people.owner))
    today = datetime.date(2026, 3, 15)

    data = timeline_data(items, [milestone], today)
    geometry = gantt_geometry(items, [milestone], today, width=310)

    assert data["items"][0]["start"] == "2026-03-01" and data["items"][0]["overdue"] is True
    assert data["items"][0]["url"].endswith(f"/{first.reference}/")
    assert data["milestones"] == [
        {"title": "审核", "date": "2026-03-31", "kind": "Other", "state": "upcoming"}
    ]
    # 31 days from 1 March to 31 March inclusive, 10 px a day
    bar = geometry["rows"][0]
    assert (bar["x"], bar["width"], bar["done_width"]) == (0, 100, 50)
    assert geometry["rows"][1]["x"] == 100 and geometry["marks"][0]["x"] == 300
    assert geometry["today_x"] == 140
