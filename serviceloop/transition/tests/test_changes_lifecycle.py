"""Change requests: creating, the declared lifecycle (illegal moves refused, one history row
and one audit row per move), the impact snapshot, standard and normal paths, review and
closure."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.transition import services_change_implementation, services_changes
from serviceloop.transition.lifecycle import CHANGE_TRANSITIONS, ChangeStatus
from serviceloop.transition.models import (
    ChangeEventKind,
    ChangeOutcome,
    ChangePolicy,
    ChangeRequest,
    ChangeType,
)
from serviceloop.transition.risk import RiskLevel, risk_level_for
from serviceloop.transition.tests.factories import ChangeTemplateFactory

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus


def audit_rows(change, verb=None):
    rows = AuditEvent.objects.filter(
        object_type="transition.changerequest", object_id=str(change.pk)
    )
    return rows.filter(verb=verb) if verb else rows


# --- Risk ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [
        (1, 1, RiskLevel.LOW),
        (1, 2, RiskLevel.LOW),
        (2, 1, RiskLevel.LOW),
        (1, 3, RiskLevel.MEDIUM),
        (3, 1, RiskLevel.MEDIUM),
        (2, 2, RiskLevel.MEDIUM),
        (2, 3, RiskLevel.HIGH),
        (3, 2, RiskLevel.HIGH),
        (3, 3, RiskLevel.HIGH),
    ],
)
def test_likelihood_times_impact_gives_the_risk_level(likelihood, impact, level):
    assert risk_level_for(likelihood, impact) == level


def test_risk_outside_the_scales_is_refused():
    with pytest.raises(ValueError):
        risk_level_for(0, 2)


# --- Creating ------------------------------------------------------------------------------


def test_create_allocates_a_reference_and_audits(people, cmdb, new_change):
    change = new_change(likelihood=1, impact=2)
    assert re.fullmatch(r"CHG-\d{4}-\d{6}", change.reference)
    assert change.status == CS.DRAFT and change.risk_level == RiskLevel.LOW
    assert change.requester == people.agent and change.owner == people.agent
    assert list(change.configuration_items.all()) == [cmdb.db]
    [row] = audit_rows(change)
    assert row.verb == "change.created" and row.payload["configuration_items"] == [
        cmdb.db.reference
    ]
    assert list(change.events.values_list("kind", flat=True)) == [ChangeEventKind.CREATED]
    second = new_change()
    assert int(second.reference[-6:]) == int(change.reference[-6:]) + 1


def test_create_refuses_bad_input_and_writes_nothing(people, cmdb):
    with pytest.raises(ValidationError) as error:
        services_changes.change_create(
            actor=people.agent,
            title=" ",
            owner=people.auditor,
            likelihood=7,
            impact=1,
            planned_start=None,
            planned_end=cmdb.db.created_at,
        )
    assert {"title", "owner", "likelihood", "planned_start"} <= set(error.value.message_dict)
    assert not ChangeRequest.objects.exists() and not AuditEvent.objects.exists()


def test_read_only_staff_and_customers_cannot_raise_changes(people, cmdb):
    for user in (people.auditor, people.top, people.owner, people.a_manager):
        with pytest.raises(PermissionDenied):
            services_changes.change_create(actor=user, title="x", configuration_items=[cmdb.db])


# --- The declared lifecycle ----------------------------------------------------------------


def test_every_status_has_a_way_out_or_is_final():
    sources = {t.source for t in CHANGE_TRANSITIONS}
    assert set(CS.values) - sources == {CS.CLOSED, CS.CANCELLED}


@pytest.mark.parametrize(
    "target", [CS.APPROVED, CS.SCHEDULED, CS.IMPLEMENTING, CS.IMPLEMENTED, CS.CLOSED, CS.REVIEWED]
)
def test_illegal_moves_from_draft_are_refused(people, new_change, target):
    change = new_change()
    with pytest.raises((ValidationError, PermissionDenied)):
        services_changes.change_transition(
            actor=people.agent, change=change, target=target, success=True, notes="x"
        )
    change.refresh_from_db()
    assert change.status == CS.DRAFT
    assert not audit_rows(change).exclude(verb="change.created").exists()


def test_the_cab_decision_cannot_be_made_by_hand(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)
    with pytest.raises(ValidationError) as error:
        services_changes.change_transition(actor=people.admin, change=change, target=CS.APPROVED)
    assert "CAB" in str(error.value)
    change.refresh_from_db()
    assert change.status == CS.AWAITING_CAB


def test_submit_needs_a_description_reason_and_something_to_change(people, new_change):
    change = new_change(items=[], description="", reason="")
    with pytest.raises(ValidationError) as error:
        services_changes.change_submit(actor=people.agent, change=change)
    assert set(error.value.message_dict) == {"description", "reason", "configuration_items"}


def test_submit_records_the_impact_snapshot(people, cmdb, new_change):
    change = new_change(items=[cmdb.db])
    change = services_changes.change_submit(actor=people.agent, change=change)

    snapshot = change.impact_snapshot
    assert change.status == CS.SUBMITTED and change.submitted_at is not None
    assert [i["reference"] for i in snapshot["items"]] == [cmdb.db.reference, cmdb.app.reference]
    assert [s["code"] for s in snapshot["services"]] == ["erp"]
    assert [c["id"] for c in snapshot["customers"]] == [people.customer_a.pk]
    assert snapshot["summary"] == {"items": 1, "services": 1, "customers": 1}
    assert list(change.affected_customers.all()) == [people.customer_a]
    [row] = audit_rows(change, "change.submitted")
    assert row.payload["status"] == ["draft", "submitted"]
    assert row.payload["impact"] == {"items": 1, "services": 1, "customers": 1}


def test_services_named_directly_add_their_customers(people, cmdb, new_change):
    change = new_change(items=[cmdb.host], services=[cmdb.printing])
    change = services_changes.change_submit(actor=people.agent, change=change)
    assert {s["code"] for s in change.impact_snapshot["services"]} == {"erp", "print"}
    assert set(change.affected_customers.all()) == {people.customer_a, people.customer_b}


def test_each_move_writes_one_history_row_and_one_audit_row(people, new_change, walk):
    change = walk(new_change(), CS.IMPLEMENTED)
    verbs = list(audit_rows(change).order_by("id").values_list("verb", flat=True))
    assert verbs == [
        "change.created",
        "change.submitted",
        "change.assessed",
        "change.awaiting_cab",
        "change.cab_vote",
        "change.cab_vote",
        "change.approved",
        "change.scheduled",
        "change.implementing",
        "change.implemented",
    ]
    moves = change.events.filter(
        kind__in=[ChangeEventKind.STATUS, ChangeEventKind.CAB, ChangeEventKind.SCHEDULED]
    )
    assert [e.to_value for e in moves.order_by("at", "id")] == [
        CS.SUBMITTED,
        CS.ASSESSED,
        CS.AWAITING_CAB,
        CS.APPROVED,
        CS.SCHEDULED,
        CS.IMPLEMENTING,
        CS.IMPLEMENTED,
    ]
    assert change.outcome == ChangeOutcome.IMPLEMENTED and change.actual_end is not None
    assert change.implementer == people.agent


def test_editing_is_refused_once_approved(people, new_change, walk):
    change = walk(new_change(), CS.APPROVED)
    with pytest.raises(ValidationError):
        services_changes.change_update(actor=people.agent, change=change, backout_plan="Nothing")
    change.refresh_from_db()
    assert change.backout_plan == "Restore the backup."


def test_editing_recomputes_the_risk_and_refreshes_the_snapshot(people, cmdb, new_change):
    change = services_changes.change_submit(
        actor=people.agent, change=new_change(items=[cmdb.printer])
    )
    assert change.impact_snapshot["services"][0]["code"] == "print"
    change = services_changes.change_update(
        actor=people.agent, change=change, configuration_items=[cmdb.app], likelihood=3, impact=3
    )
    assert change.risk_level == RiskLevel.HIGH
    assert [s["code"] for s in change.impact_snapshot["services"]] == ["erp"]
    [row] = audit_rows(change, "change.updated")
    assert row.payload["configuration_items"] == [[cmdb.printer.pk], [cmdb.app.pk]]
    assert row.payload["risk_level"] == ["", "high"]


def test_stale_version_is_refused(people, new_change):
    change = new_change()
    with pytest.raises(ValidationError) as error:
        services_changes.change_update(
            actor=people.agent, change=change, title="New", expected_version=change.version + 1
        )
    assert error.value.code == "stale"


# --- Standard changes skip the CAB ---------------------------------------------------------


def test_a_standard_change_is_pre_approved_on_submission(people, cmdb):
    template = ChangeTemplateFactory(risk_level=RiskLevel.LOW)
    ChangePolicy.current().controlled_ci_types.add(cmdb.software)  # even a controlled item
    change = services_changes.change_create(
        actor=people.agent,
        change_type=ChangeType.STANDARD,
        template=template,
        configuration_items=[cmdb.db],
    )
    assert change.title == template.name and change.risk_level == RiskLevel.LOW
    assert change.implementation_plan == template.implementation_plan

    change = services_changes.change_submit(actor=people.agent, change=change)

    assert change.status == CS.APPROVED and change.approved_at is not None
    assert change.cab_round == 0 and not change.votes.exists()
    assert list(audit_rows(change).values_list("verb", flat=True).order_by("id")) == [
        "change.created",
        "change.submitted",
        "change.approved",
    ]


def test_a_standard_change_needs_an_active_template_and_keeps_its_plans(people, cmdb):
    with pytest.raises(ValidationError) as error:
        services_changes.change_create(
            actor=people.agent, change_type=ChangeType.STANDARD, configuration_items=[cmdb.db]
        )
    assert "template" in error.value.message_dict
    template = ChangeTemplateFactory()
    change = services_changes.change_create(
        actor=people.agent,
        change_type=ChangeType.STANDARD,
        template=template,
        configuration_items=[cmdb.db],
    )
    with pytest.raises(ValidationError):
        services_changes.change_update(actor=people.agent, change=change, backout_plan="None")


def test_a_standard_change_closes_without_review_but_a_normal_one_does_not(
    people, cmdb, new_change, walk
):
    template = ChangeTemplateFactory()
    standard = services_changes.change_create(
        actor=people.agent,
        change_type=ChangeType.STANDARD,
        template=template,
        configuration_items=[cmdb.printer],
    )
    standard = walk(standard, CS.IMPLEMENTED)
    standard = services_change_implementation.change_close(actor=people.agent, change=standard)
    assert standard.status == CS.CLOSED

    normal = walk(new_change(items=[cmdb.host]), CS.IMPLEMENTED)
    with pytest.raises(ValidationError):
        services_change_implementation.change_close(actor=people.agent, change=normal)


# --- Normal changes: with or without the CAB -----------------------------------------------


def test_a_low_risk_uncontrolled_change_may_be_approved_by_a_change_manager(
    people, cmdb, new_change, walk
):
    change = walk(new_change(items=[cmdb.printer]), CS.ASSESSED, likelihood=1, impact=1)
    with pytest.raises(PermissionDenied):  # an agent is not a change manager
        services_changes.change_approve_without_cab(actor=people.agent, change=change)
    change = services_changes.change_approve_without_cab(actor=people.lead, change=change)
    assert change.status == CS.APPROVED and change.cab_round == 0


def test_a_change_on_a_controlled_item_cannot_skip_the_cab(people, cmdb, new_change, walk):
    ChangePolicy.current().controlled_ci_types.add(cmdb.server)
    change = walk(new_change(items=[cmdb.printer]), CS.ASSESSED, likelihood=1, impact=1)
    with pytest.raises(ValidationError) as error:
        services_changes.change_approve_without_cab(actor=people.lead, change=change)
    assert "under change control" in str(error.value)
    change.refresh_from_db()
    assert change.status == CS.ASSESSED


def test_a_change_impacting_a_controlled_service_cannot_skip_the_cab(
    people, cmdb, new_change, walk
):
    ChangePolicy.current().controlled_services.add(cmdb.erp)
    # the host is not part of ERP, but ERP runs on it through db and app
    change = walk(new_change(items=[cmdb.host]), CS.ASSESSED, likelihood=1, impact=1)
    with pytest.raises(ValidationError) as error:
        services_changes.change_approve_without_cab(actor=people.lead, change=change)
    assert "ERP is under change control" in str(error.value)


def test_a_medium_risk_change_cannot_skip_the_cab(people, cmdb, new_change, walk):
    change = walk(new_change(items=[cmdb.printer]), CS.ASSESSED, likelihood=2, impact=2)
    with pytest.raises(ValidationError) as error:
        services_changes.change_approve_without_cab(actor=people.lead, change=change)
    assert "low-risk" in str(error.value)


# --- Implementation, review, closure, cancelling ------------------------------------------


def test_failing_needs_a_note_and_a_failed_change_can_be_backed_out(people, new_change, walk):
    change = walk(new_change(), CS.IMPLEMENTING)
    with pytest.raises(ValidationError):
        services_change_implementation.change_complete(
            actor=people.agent, change=change, target=CS.FAILED
        )
    change = services_change_implementation.change_complete(
        actor=people.agent, change=change, target=CS.FAILED, note="Upgrade script crashed."
    )
    assert change.outcome == ChangeOutcome.FAILED
    change = services_change_implementation.change_complete(
        actor=people.agent, change=change, target=CS.BACKED_OUT, note="Backup restored."
    )
    assert change.status == CS.BACKED_OUT and change.outcome == ChangeOutcome.BACKED_OUT
    assert "crashed" in change.outcome_note and "restored" in change.outcome_note


def test_review_of_a_failed_change_cannot_call_it_successful(people, new_change, walk):
    change = walk(new_change(), CS.IMPLEMENTING)
    change = services_change_implementation.change_complete(
        actor=people.agent, change=change, target=CS.FAILED, note="Broke."
    )
    with pytest.raises(ValidationError):
        services_change_implementation.change_review(
            actor=people.agent, change=change, success=True, notes="ok"
        )
    change = services_change_implementation.change_review(
        actor=people.agent, change=change, success=False, notes="Broke.", lessons="Test first."
    )
    assert change.status == CS.REVIEWED and change.outcome == ChangeOutcome.FAILED
    assert change.reviewed_by == people.agent and change.review_lessons == "Test first."
    change = services_change_implementation.change_close(actor=people.agent, change=change)
    assert change.status == CS.CLOSED and change.closed_at is not None


def test_cancel_needs_a_reason_and_is_final(people, new_change):
    change = new_change()
    with pytest.raises(ValidationError):
        services_changes.change_cancel(actor=people.agent, change=change, reason=" ")
    change = services_changes.change_cancel(actor=people.agent, change=change, reason="Not needed")
    assert change.status == CS.CANCELLED and change.cancel_reason == "Not needed"
    with pytest.raises(ValidationError):
        services_changes.change_submit(actor=people.agent, change=change)


def test_read_only_staff_get_403_on_moves(people, new_change):
    change = new_change()
    for user in (people.auditor, people.top):
        with pytest.raises(PermissionDenied):
            services_changes.change_submit(actor=user, change=change)
