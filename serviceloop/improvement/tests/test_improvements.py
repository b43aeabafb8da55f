"""The improvement register (clause 10.2): proposing (any staff member; never twice for an
open cause), priority from benefit × effort, the lifecycle and who may move it, the measured
benefit with a KPI before and after, notifications and reminders."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Improvement, priority_of
from serviceloop.improvement.services_improvements import (
    improvement_measure,
    improvement_overdue_remind,
    improvement_propose,
    improvement_transition,
    improvement_update,
)

pytestmark = pytest.mark.usefixtures("english")
UTC = datetime.UTC


def propose(people, actor=None, **values):
    defaults = {"title": "Self-service password reset", "source": "management_review"}
    return improvement_propose(actor or people.owner, **(defaults | values))


def audit_verbs(improvement):
    return list(
        AuditEvent.objects.filter(
            object_type="improvement.improvement", object_id=str(improvement.pk)
        )
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def accepted(people, **values):
    improvement = propose(people, **values)
    return improvement_transition(
        actor=people.owner, improvement=improvement, target="accepted", owner=people.lead
    )


# --- Proposing -----------------------------------------------------------------------------


def test_a_proposal_gets_a_reference_a_priority_and_an_audit_row(people):
    improvement = propose(
        people, benefit="Half the password tickets", benefit_rating=3, effort="S",
        source_reference="MR-2026-01",
    )  # fmt: skip

    assert improvement.reference.startswith("IMP-")
    assert (improvement.status, improvement.priority, improvement.priority_set) == (
        "proposed", "high", False,
    )  # fmt: skip
    assert improvement.suggested_by == people.owner
    assert audit_verbs(improvement) == ["improvement.proposed"]


@pytest.mark.parametrize(
    ("benefit", "effort", "priority"),
    [(1, "L", "low"), (1, "M", "low"), (1, "S", "medium"), (2, "L", "low"), (2, "M", "medium"),
     (2, "S", "high"), (3, "L", "medium"), (3, "M", "high"), (3, "S", "high")],
)  # fmt: skip
def test_priority_is_benefit_times_ease(benefit, effort, priority):
    assert priority_of(benefit, effort) == priority


def test_any_staff_member_may_suggest_and_the_managers_are_told(people):
    improvement = propose(people, actor=people.agent, source="staff_suggestion")

    assert improvement.suggested_by == people.agent
    told = set(
        Notification.objects.filter(kind="improvement_proposed").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"admin", "owner"}


def test_customers_may_not_propose(people):
    with pytest.raises(PermissionDenied):
        propose(people, actor=people.a_manager)
    assert not Improvement.objects.exists()


def test_the_same_open_cause_is_proposed_once(people):
    first = propose(people, cause_key="mr:2026-01:decision-4")
    again = propose(
        people, actor=people.top, title="Other words", cause_key="mr:2026-01:decision-4"
    )

    assert again.pk == first.pk
    assert Improvement.objects.count() == 1
    # once rejected (closed), the cause may be proposed again
    improvement_transition(actor=people.owner, improvement=first, target="rejected", note="No")
    assert propose(people, cause_key="mr:2026-01:decision-4").pk != first.pk


def test_bad_input_writes_nothing(people):
    with pytest.raises(ValidationError) as error:
        propose(people, title="  ", source="gossip", effort="XL")

    assert set(error.value.message_dict) == {"title", "source", "effort"}
    assert not Improvement.objects.exists()
    assert not AuditEvent.objects.filter(verb="improvement.proposed").exists()


# --- Editing -------------------------------------------------------------------------------


def test_a_manager_sets_the_priority_by_hand_and_can_let_it_follow_again(people):
    improvement = propose(people, benefit_rating=1, effort="L")
    assert improvement.priority == "low"

    improvement = improvement_update(actor=people.owner, improvement=improvement, priority="high")
    assert (improvement.priority, improvement.priority_set) == ("high", True)
    improvement = improvement_update(actor=people.owner, improvement=improvement, effort="S")
    assert improvement.priority == "high"  # still set by hand
    improvement = improvement_update(actor=people.owner, improvement=improvement, priority=None)
    assert (improvement.priority, improvement.priority_set) == ("medium", False)  # 1 × 3


def test_the_owner_updates_his_part_only_and_other_staff_nothing(people):
    improvement = accepted(people)

    improvement_update(actor=people.lead, improvement=improvement, benefit="Fewer calls")
    with pytest.raises(PermissionDenied):
        improvement_update(actor=people.lead, improvement=improvement, owner=people.agent)
    with pytest.raises(PermissionDenied):
        improvement_update(actor=people.agent, improvement=improvement, benefit="x")

    improvement.refresh_from_db()
    assert (improvement.benefit, improvement.owner) == ("Fewer calls", people.lead)


def test_a_new_owner_is_told(people):
    improvement = accepted(people)
    improvement_update(actor=people.owner, improvement=improvement, owner=people.agent)

    assert Notification.objects.filter(recipient=people.agent, kind="improvement_assigned").exists()


def test_a_stale_version_is_refused(people):
    improvement = propose(people)
    with pytest.raises(ValidationError):
        improvement_update(
            actor=people.owner, improvement=improvement, title="New", expected_version=7
        )
    assert Improvement.objects.get().title == "Self-service password reset"


# --- Lifecycle -----------------------------------------------------------------------------


def test_the_lifecycle_from_proposed_to_implemented(people):
    improvement = propose(people)
    with pytest.raises(ValidationError) as error:
        improvement_transition(actor=people.owner, improvement=improvement, target="accepted")
    assert "owner" in error.value.message_dict

    improvement = improvement_transition(
        actor=people.owner, improvement=improvement, target="accepted", owner=people.lead
    )
    improvement = improvement_transition(
        actor=people.lead, improvement=improvement, target="in_progress"
    )
    improvement = improvement_transition(
        actor=people.lead, improvement=improvement, target="implemented",
        today=datetime.date(2026, 3, 10),
    )  # fmt: skip

    assert (improvement.status, improvement.implemented_on) == (
        "implemented", datetime.date(2026, 3, 10),
    )  # fmt: skip
    assert audit_verbs(improvement).count("improvement.status_changed") == 3
    assert Notification.objects.filter(recipient=people.lead, kind="improvement_assigned").exists()


def test_only_managers_decide_and_rejecting_needs_a_reason(people):
    improvement = propose(people, actor=people.lead)

    with pytest.raises(PermissionDenied):
        improvement_transition(actor=people.auditor, improvement=improvement, target="accepted")
    with pytest.raises(ValidationError) as error:
        improvement_transition(actor=people.owner, improvement=improvement, target="rejected")
    assert "note" in error.value.message_dict
    rejected = improvement_transition(
        actor=people.owner, improvement=improvement, target="rejected", note="Out of scope"
    )
    assert (rejected.status, rejected.status_note) == ("rejected", "Out of scope")


def test_the_owner_may_not_accept_and_nobody_skips_steps(people):
    improvement = accepted(people)
    with pytest.raises(ValidationError):
        improvement_transition(actor=people.owner, improvement=improvement, target="implemented")
    with pytest.raises(ValidationError):
        improvement_transition(
            actor=people.owner, improvement=improvement, target="benefit_measured"
        )
    assert Improvement.objects.get().status == "accepted"


# --- Measured benefit ----------------------------------------------------------------------


@pytest.fixture
def response_kpi(people):
    kpi_library_load()
    return KpiDefinition.objects.get(code="response-within-sla")


def responded(day, *, breached):
    created = datetime.datetime.combine(day, datetime.time(9), tzinfo=UTC)
    return TicketFactory(
        created_at=created,
        first_response_at=created + datetime.timedelta(minutes=10),
        response_met_at=None if breached else created + datetime.timedelta(minutes=10),
        response_breached=breached,
    )


def test_the_benefit_is_measured_with_the_kpi_before_and_after(people, response_kpi, settings):
    settings.TIME_ZONE = "UTC"
    # January: 1 of 4 met (25 %); March: 3 of 4 met (75 %).
    for n in range(4):
        responded(datetime.date(2026, 1, 5 + n), breached=n > 0)
        responded(datetime.date(2026, 3, 5 + n), breached=n == 0)
    improvement = accepted(people, kpi=response_kpi)
    improvement_transition(actor=people.lead, improvement=improvement, target="in_progress")
    improvement_transition(
        actor=people.lead, improvement=improvement, target="implemented",
        today=datetime.date(2026, 2, 10),
    )  # fmt: skip

    with pytest.raises(ValidationError) as early:
        improvement_measure(
            actor=people.lead, improvement=improvement, measured_benefit="Better",
            measured_on=datetime.date(2026, 3, 20),
        )  # fmt: skip
    assert "2026-04-01" in str(early.value)

    improvement = improvement_measure(
        actor=people.lead, improvement=improvement, measured_benefit="Faster first response",
        measured_figure="50", measured_unit="pp", measured_on=datetime.date(2026, 4, 2),
    )  # fmt: skip

    assert improvement.status == "benefit_measured"
    assert (float(improvement.kpi_before), float(improvement.kpi_after)) == (25.0, 75.0)
    assert improvement.kpi_periods["before"]["start"] == "2026-01-01"
    assert improvement.kpi_periods["after"] == {
        "start": "2026-03-01", "end": "2026-04-01", "value": 75.0, "status": "breach",
    }  # fmt: skip
    assert float(improvement.kpi_change) == 50.0
    assert audit_verbs(improvement)[-1] == "improvement.benefit_measured"


def test_only_an_implemented_improvement_is_measured(people):
    improvement = accepted(people)
    with pytest.raises(ValidationError):
        improvement_measure(actor=people.lead, improvement=improvement, measured_benefit="x")
    with pytest.raises(PermissionDenied):
        improvement_measure(actor=people.agent, improvement=improvement, measured_benefit="x")


# --- Reminders -----------------------------------------------------------------------------


def test_owners_of_late_improvements_are_reminded_once_per_target_date(people):
    late = accepted(people, target_on=datetime.date(2026, 3, 1))
    on_time = accepted(people, title="Later", target_on=datetime.date(2026, 6, 1))

    assert improvement_overdue_remind(today=datetime.date(2026, 3, 5)) == 1
    assert improvement_overdue_remind(today=datetime.date(2026, 3, 6)) == 0
    reminded = Notification.objects.filter(kind="improvement_overdue")
    assert list(reminded.values_list("recipient__username", flat=True)) == ["lead"]
    assert late.reference in reminded.get().subject
    assert on_time.reference not in reminded.get().subject
