"""Effectiveness verification by KPI condition: "P1 incidents of customer A ≤ 1 per month for
3 consecutive months after the action was done", evaluated on seeded desk tickets with the KPI
engine; closes only after the third month, a relapse month reopens the nonconformity; each
period is evaluated once; the daily task and the KPI of verified corrective actions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation.engine import kpi_evaluate, period_bounds
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Action, ActionVerification, Nonconformity
from serviceloop.improvement.services_actions_nonconformities import (
    action_create,
    action_transition,
    action_update,
    action_verify,
)
from serviceloop.improvement.services_nonconformities import (
    nonconformity_analyse,
    nonconformity_raise,
)
from serviceloop.improvement.tasks_nonconformities import improvement_kpi_conditions
from serviceloop.improvement.verification import (
    complete_periods,
    kpi_condition_check,
    kpi_conditions_check_all,
)

pytestmark = pytest.mark.usefixtures("english")
DONE_ON = datetime.date(2026, 1, 15)
D = datetime.date


@pytest.fixture
def p1_incidents(db):
    """A count KPI: P1 incidents created in the month, sliced by organisation."""
    return KpiDefinition.objects.create(
        code="p1-incidents", name_en="P1 incidents", aggregate="count", source="desk.tickets",
        numerator_filter={"kind": "incident", "priority": "P1"}, slices=["organisation"],
        unit="tickets", direction="lower", period="month",
    )  # fmt: skip


def incidents(organisation, month: int, count: int, priority="P1"):
    for n in range(count):
        created = datetime.datetime(2026, month, 10 + n, 3, 0, tzinfo=datetime.UTC)
        TicketFactory(organisation=organisation, priority=priority, created_at=created)


@pytest.fixture
def action(people, p1_incidents):
    """A corrective action done on 15 January, verified by the condition above for
    customer A."""
    nc = nonconformity_raise(people.owner, title="Network outages recur", source="problem",
                             owner=people.lead)  # fmt: skip
    nc = nonconformity_analyse(actor=people.owner, nonconformity=nc, method="five_whys",
                               whys=[{"why": "Why?", "answer": "Flapping port."}],
                               root_cause="Port flapping.", today=DONE_ON)  # fmt: skip
    created = action_create(
        actor=people.owner, nonconformity=nc, title="Replace the core switch optics",
        owner=people.agent, verification_method="kpi", kpi=p1_incidents,
        kpi_slice={"organisation": people.customer_a.pk}, kpi_comparator="<=", kpi_threshold=1,
        kpi_periods=3, today=DONE_ON,
    )  # fmt: skip
    return action_transition(actor=people.agent, action=created, target="done",
                             note="Optics replaced.", today=DONE_ON)  # fmt: skip


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_the_periods_counted_begin_after_the_action_was_done():
    def months(done, today):
        return [start.date() for start, _end in complete_periods("month", done, today)]

    assert months(D(2026, 1, 15), D(2026, 5, 1)) == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]
    assert months(D(2026, 1, 15), D(2026, 4, 30)) == [D(2026, 2, 1), D(2026, 3, 1)]
    assert months(D(2026, 1, 31), D(2026, 3, 1)) == [D(2026, 2, 1)]
    assert months(D(2026, 2, 1), D(2026, 4, 1)) == [D(2026, 3, 1)]  # February had begun
    weeks = complete_periods("week", D(2026, 3, 4), D(2026, 3, 23))
    assert [(s.date(), e.date()) for s, e in weeks] == [
        (D(2026, 3, 9), D(2026, 3, 16)), (D(2026, 3, 16), D(2026, 3, 23)),
    ]  # fmt: skip
    start, end = complete_periods("quarter", D(2025, 12, 1), D(2026, 4, 1))[0]
    assert (start, end) == period_bounds("quarter", D(2026, 1, 1))


def test_it_closes_only_after_the_third_month_meeting_the_condition(people, action):
    incidents(people.customer_a, 2, 1)  # February: 1 (≤ 1)
    incidents(people.customer_b, 2, 3)  # another customer: outside the slice
    incidents(people.customer_a, 3, 3, priority="P3")  # March: no P1
    incidents(people.customer_a, 4, 1)  # April: 1
    incidents(people.customer_a, 5, 4)  # May: after the decision, never read

    early = kpi_condition_check(action, D(2026, 2, 20))
    assert (early.outcome, early.periods, early.new_periods) == ("pending", [], 0)

    two = kpi_condition_check(action, D(2026, 4, 1))
    assert (two.outcome, two.in_row, two.needed, two.new_periods) == ("pending", 2, 3, 2)
    assert [(p.start.date(), p.value, p.met) for p in two.periods] == [
        (D(2026, 2, 1), 1, True), (D(2026, 3, 1), 0, True),
    ]  # fmt: skip
    assert (fresh(action).status, fresh(action.nonconformity).status) == ("done", "verifying")

    again = kpi_condition_check(action, D(2026, 4, 1))
    assert (again.outcome, again.new_periods, again.in_row) == ("pending", 0, 2)
    assert ActionVerification.objects.filter(kind="period").count() == 2

    three = kpi_condition_check(action, D(2026, 5, 1))
    assert (three.outcome, three.in_row, three.new_periods) == ("effective", 3, 1)
    action, nc = fresh(action), fresh(action.nonconformity)
    assert (action.status, action.verified_on) == ("verified_effective", D(2026, 5, 1))
    assert (nc.status, nc.closed_on) == ("closed", D(2026, 5, 1))
    outcome = ActionVerification.objects.get(kind="decision")
    assert outcome.met is True and outcome.verified_by is None
    assert "3 periods in a row" in outcome.note
    verified = AuditEvent.objects.get(verb="action.verified")
    assert verified.actor is None and verified.payload["to"] == "verified_effective"
    assert AuditEvent.objects.filter(verb="action.kpi_checked").count() == 2

    assert kpi_condition_check(action, D(2026, 6, 1)).outcome == "skipped"
    assert ActionVerification.objects.filter(kind="period").count() == 3


def test_a_relapse_month_reopens_the_nonconformity(people, action):
    incidents(people.customer_a, 2, 1)
    incidents(people.customer_a, 3, 2)  # March: 2 > 1
    incidents(people.customer_a, 4, 0)

    result = kpi_condition_check(action, D(2026, 5, 1))

    assert (result.outcome, [p.met for p in result.periods]) == ("not_effective", [True, False])
    action, nc = fresh(action), fresh(action.nonconformity)
    assert (action.status, nc.status, nc.reopen_count) == ("not_effective", "reopened", 1)
    assert "missed in the period from 2026-03-01: value 2" in nc.status_note
    reopened = AuditEvent.objects.get(
        verb="nonconformity.status_changed", object_id=str(nc.pk), payload__to="reopened"
    )
    assert reopened.actor is None and reopened.payload["action"] == action.reference
    told = Notification.objects.filter(kind="nonconformity_reopened")
    assert set(told.values_list("recipient__username", flat=True)) == {"lead", "agent"}
    assert told.first().subject == f"Nonconformity reopened: {nc.reference} Network outages recur"
    # April was not needed: the miss decided.
    assert ActionVerification.objects.filter(kind="period").count() == 2
    assert kpi_condition_check(action, D(2026, 6, 1)).outcome == "skipped"
    assert Notification.objects.filter(kind="nonconformity_reopened").count() == 2


def test_a_period_without_data_breaks_the_run(people, p1_incidents):
    ratio = KpiDefinition.objects.create(
        code="p1-share", name_en="P1 share", aggregate="ratio_of_counts", source="desk.tickets",
        numerator_filter={"priority": "P1"}, unit="%", direction="lower", period="month",
    )  # fmt: skip
    nc = nonconformity_raise(people.owner, title="Too many P1", source="kpi", owner=people.lead)
    nc = nonconformity_analyse(actor=people.owner, nonconformity=nc, method="five_whys",
                               whys=[{"why": "Why?", "answer": "Triage."}], root_cause="Triage.")  # fmt: skip
    action = action_create(actor=people.owner, nonconformity=nc, title="Triage training",
                           verification_method="kpi", kpi=ratio, kpi_comparator="<",
                           kpi_threshold=50, kpi_periods=2, today=DONE_ON)  # fmt: skip
    action_transition(actor=people.owner, action=action, target="done", note="ok", today=DONE_ON)
    incidents(people.customer_a, 2, 1, priority="P4")  # February: 0 % P1
    incidents(people.customer_a, 4, 1, priority="P4")  # March: no tickets at all; April: 0 %

    result = kpi_condition_check(action, D(2026, 5, 1))

    assert [p.met for p in result.periods] == [True, None, True]
    assert (result.outcome, result.in_row) == ("pending", 1)
    incidents(people.customer_a, 5, 1, priority="P4")
    assert kpi_condition_check(action, D(2026, 6, 1)).outcome == "effective"


def test_the_daily_run_checks_every_action_awaiting_kpi_verification(people, action):
    incidents(people.customer_a, 2, 5)
    manual = Action.objects.create(
        reference="PA-2026-000099", kind="preventive", source="risk", title="Manual one",
        status="done", verification_method="manual", verification_plan="look",
        done_on=DONE_ON, created_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip

    assert kpi_conditions_check_all(D(2026, 3, 1)) == {"not_effective": 1}
    assert kpi_conditions_check_all(D(2026, 3, 1)) == {}
    assert fresh(manual).status == "done"
    assert improvement_kpi_conditions.call_local() == {}


def test_the_condition_is_validated(people, p1_incidents, action):
    nc = action.nonconformity
    base = {"actor": people.owner, "nonconformity": nc, "title": "x", "verification_method": "kpi",
            "kpi": p1_incidents, "kpi_comparator": "<=", "kpi_threshold": 1, "kpi_periods": 3}  # fmt: skip
    for change, field in (
        ({"kpi_slice": {"assignee": 3}}, "kpi_slice"),
        ({"kpi_slice": {"organisation": [1]}}, "kpi_slice"),
        ({"kpi_comparator": "=="}, "kpi_comparator"),
        ({"kpi_threshold": None}, "kpi_threshold"),
        ({"kpi_threshold": "many"}, "kpi_threshold"),
        ({"kpi_periods": 0}, "kpi_periods"),
        ({"kpi_periods": 13}, "kpi_periods"),
        ({"kpi": None}, "kpi"),
        ({"verification_method": "manual"}, "verification_plan"),
        ({"verification_method": "vibes"}, "verification_method"),
    ):
        with pytest.raises(ValidationError) as error:
            action_create(**(base | change))
        assert field in error.value.message_dict, change
    assert Action.objects.count() == 1
    p1_incidents.is_active = False
    p1_incidents.save()
    with pytest.raises(ValidationError):
        action_create(**base)
    planned = action_create(**(base | {"kpi": KpiDefinition.objects.create(
        code="any-count", name_en="Any", aggregate="count", source="desk.tickets")}))  # fmt: skip
    switched = action_update(actor=people.owner, action=planned, verification_method="manual",
                             verification_plan="Look at it.")  # fmt: skip
    assert (switched.kpi, switched.kpi_periods, switched.kpi_slice) == (None, None, {})


def test_the_kpi_of_corrective_actions_found_effective(people, action):
    definition = KpiDefinition.objects.create(
        code="ca-effective", name_en="Corrective actions effective", aggregate="external",
        external="improvement.corrective_actions_effective", unit="%", period="month",
    )  # fmt: skip
    start, end = period_bounds("month", D(2026, 5, 1))
    assert kpi_evaluate(definition, start, end).status == "no_data"

    incidents(people.customer_a, 2, 0)
    kpi_condition_check(action, D(2026, 5, 1))  # effective on 1 May
    nc = Nonconformity.objects.create(
        reference="NC-2026-000050", title="Other", source="other", status="actions_in_progress",
        raised_on=D(2026, 4, 1), created_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    other = Action.objects.create(
        reference="CA-2026-000050", kind="corrective", nonconformity=nc, title="Other",
        status="done", verification_method="manual", verification_plan="look", done_on=D(2026, 4, 2),
        created_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    action_verify(actor=people.auditor, action=other, effective=False, note="No effect.",
                  today=D(2026, 5, 20))  # fmt: skip

    result = kpi_evaluate(definition, start, end)
    assert (result.value, result.numerator, result.denominator) == (50.0, 1, 2)
    april = kpi_evaluate(definition, *period_bounds("month", D(2026, 4, 1)))
    assert april.denominator == 0 and april.value is None
