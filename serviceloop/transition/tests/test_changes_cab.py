"""The CAB: seats and quorum per risk level, one vote per member and round, approval at the
quorum, rejection by any reject or when the quorum can no longer be reached, the emergency
path, and the CAB rules' own checks."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.tests.factories import TeamFactory
from serviceloop.transition import services_cab, services_changes, services_config
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import CabRule, CabVote, ChangeType
from serviceloop.transition.risk import RiskLevel

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus


def vote(change, user, decision="approve", comment=""):
    change.refresh_from_db()
    return services_cab.change_vote(actor=user, change=change, decision=decision, comment=comment)


def test_sending_seats_the_rule_less_the_requester_and_asks_them_to_vote(people, new_change, walk):
    change = new_change(actor=people.lead)  # the lead asks: he does not sit on his own CAB
    change = walk(change, CS.ASSESSED, likelihood=2, impact=2)
    change = services_cab.change_send_to_cab(actor=people.agent, change=change)

    assert change.status == CS.AWAITING_CAB and change.cab_round == 1
    assert set(change.cab_members.all()) == {people.admin, people.owner}
    assert change.cab_quorum == 2
    asked = Notification.objects.filter(kind="change_cab_vote")
    assert {n.recipient for n in asked} == {people.admin, people.owner}


def test_approved_when_the_quorum_is_reached(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)  # medium risk: 2 of 3
    vote(change, people.admin)
    change.refresh_from_db()
    assert change.status == CS.AWAITING_CAB
    assert services_cab.cab_tally(change)["approve"] == 1

    vote(change, people.owner, "approve", "Fine by me.")
    change.refresh_from_db()
    assert change.status == CS.APPROVED and change.approved_at and change.cab_decided_at
    [row] = AuditEvent.objects.filter(verb="change.approved", object_id=str(change.pk))
    assert row.payload["tally"]["approve"] == 2 and row.payload["tally"]["quorum"] == 2
    assert Notification.objects.filter(kind="change_decided", recipient=people.agent).exists()


def test_a_single_reject_rejects_at_once(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)
    vote(change, people.admin, "approve")
    vote(change, people.lead, "reject", "No backout tested.")
    change.refresh_from_db()
    assert change.status == CS.REJECTED
    with pytest.raises(ValidationError):
        vote(change, people.owner, "approve")


def test_a_reject_needs_a_comment(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)
    with pytest.raises(ValidationError) as error:
        vote(change, people.admin, "reject", "  ")
    assert "comment" in error.value.message_dict
    assert not CabVote.objects.exists()


def test_rejected_when_abstentions_make_the_quorum_unreachable(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)  # quorum 2 of 3 seats
    vote(change, people.admin, "abstain")
    change.refresh_from_db()
    assert change.status == CS.AWAITING_CAB  # 2 approvals still possible
    vote(change, people.lead, "abstain")
    change.refresh_from_db()
    assert change.status == CS.REJECTED


def test_one_vote_per_member_and_only_seated_members_vote(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)
    vote(change, people.admin, "abstain")
    with pytest.raises(ValidationError):
        vote(change, people.admin, "approve")
    with pytest.raises(PermissionDenied):  # staff without a seat
        vote(change, people.agent)
    with pytest.raises(PermissionDenied):  # read-only staff
        vote(change, people.auditor)
    assert CabVote.objects.count() == 1


def test_a_revised_change_starts_a_new_round(people, new_change, walk):
    change = walk(new_change(), CS.AWAITING_CAB)
    vote(change, people.admin, "reject", "Wrong window.")
    change.refresh_from_db()
    change = services_changes.change_revise(actor=people.agent, change=change)
    assert change.status == CS.DRAFT
    change = walk(change, CS.AWAITING_CAB)
    assert change.cab_round == 2
    vote(change, people.admin, "approve")  # the same member votes again in round 2
    vote(change, people.lead, "approve")
    change.refresh_from_db()
    assert change.status == CS.APPROVED
    assert CabVote.objects.filter(change=change).count() == 3


def test_no_rule_for_the_risk_level_is_a_clear_refusal(people, new_change, walk):
    change = walk(new_change(), CS.ASSESSED, likelihood=3, impact=3)
    CabRule.objects.filter(risk_level=RiskLevel.HIGH).delete()
    with pytest.raises(ValidationError) as error:
        services_cab.change_send_to_cab(actor=people.agent, change=change)
    assert "no CAB rule" in str(error.value)
    change.refresh_from_db()
    assert change.status == CS.ASSESSED


def test_a_normal_change_is_assessed_before_the_cab(people, new_change):
    change = services_changes.change_submit(actor=people.agent, change=new_change())
    with pytest.raises(ValidationError):
        services_cab.change_send_to_cab(actor=people.agent, change=change, likelihood=1, impact=1)


# --- The emergency path --------------------------------------------------------------------


def test_an_emergency_change_goes_straight_to_the_emergency_cab(people, cab, new_change):
    change = new_change(change_type=ChangeType.EMERGENCY, title="Patch the exploited hole")
    change = services_changes.change_submit(actor=people.agent, change=change)
    change = services_cab.change_send_to_cab(
        actor=people.agent, change=change, likelihood=3, impact=3
    )
    assert change.status == CS.AWAITING_CAB and change.risk_level == RiskLevel.HIGH
    assert list(change.cab_members.all()) == [people.lead]  # the ECAB subset
    assert change.cab_quorum == 1  # one approver is enough

    vote(change, people.lead, "approve", "Go.")
    change.refresh_from_db()
    assert change.status == CS.APPROVED and change.is_emergency


def test_the_emergency_cab_falls_back_to_the_whole_cab(people, cab, new_change):
    cab[RiskLevel.HIGH].emergency_approvers.clear()
    change = new_change(change_type=ChangeType.EMERGENCY)
    change = services_changes.change_submit(actor=people.agent, change=change)
    change = services_cab.change_send_to_cab(
        actor=people.agent, change=change, likelihood=3, impact=3
    )
    assert set(change.cab_members.all()) == {people.admin, people.lead, people.owner}
    assert change.cab_quorum == 1


def test_an_emergency_change_cannot_skip_the_cab(people, cab, new_change):
    change = new_change(change_type=ChangeType.EMERGENCY, likelihood=1, impact=1)
    assert change.risk_level == RiskLevel.LOW
    assert "emergency CAB" in " ".join(services_changes.cab_skip_refusals(change))


# --- CAB rules -----------------------------------------------------------------------------


def test_a_cab_rule_checks_its_quorum_and_members(people):
    with pytest.raises(ValidationError) as error:
        services_config.cab_rule_save(
            actor=people.admin,
            risk_level=RiskLevel.LOW,
            approvers=[people.admin, people.auditor],
            quorum=3,
        )
    assert {"approvers", "quorum"} <= set(error.value.message_dict)

    team = TeamFactory(organisation=people.provider)
    team.members.set([people.agent, people.lead, people.top])
    rule = services_config.cab_rule_save(
        actor=people.owner, risk_level=RiskLevel.LOW, team=team, quorum=2, emergency_quorum=1
    )
    # the top manager is a member of the team but does not approve changes
    assert services_config.cab_seats_of(rule) == [people.lead, people.agent]
    assert AuditEvent.objects.filter(verb="cab_rule.created").exists()


def test_only_configurers_change_cab_rules(people):
    for user in (people.agent, people.lead, people.auditor, people.top):
        with pytest.raises(PermissionDenied):
            services_config.cab_rule_save(
                actor=user, risk_level=RiskLevel.LOW, approvers=[people.admin], quorum=1
            )
