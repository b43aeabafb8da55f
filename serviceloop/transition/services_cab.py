"""The change advisory board: sending a change to its CAB, the members' votes, and the
decision the votes make (clause 8.5.1.3).

The rule, in full:

- **Seats.** The CAB rule of the change's risk level seats its approvers and the eligible
  members of its team (active staff who work operational records or own the management
  system). An emergency change is seated with the rule's emergency approvers (the ECAB
  subset; the whole CAB when none are listed). The change's requester never sits on his
  own change's CAB. The seats and the quorum are fixed when the change is sent (a round);
  a rejected change that is revised and sent again starts a new round with fresh votes.
- **Votes.** Each seated member votes once per round: approve, reject or abstain, with a
  comment (a comment is required to reject).
- **Decision.** A single reject rejects the change at once. The change is approved as soon
  as the approvals reach the quorum (``quorum`` for a normal change, ``emergency_quorum``
  — usually one — for an emergency change). When the approvals can no longer reach the
  quorum (too many abstentions), the change is rejected. Abstentions count for neither side.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.services.notifications import notify
from serviceloop.transition.change_moves import actor_role, declared, event, locked, move
from serviceloop.transition.lifecycle import SYSTEM, ChangeStatus
from serviceloop.transition.models import (
    CabDecision,
    CabRule,
    CabVote,
    ChangeEventKind,
    ChangeRequest,
)
from serviceloop.transition.permissions import can_sit_on_cab
from serviceloop.transition.risk import RiskLevel
from serviceloop.transition.services_changes import _clean_assessment, _take_snapshot
from serviceloop.transition.services_config import cab_seats_of
from serviceloop.transition.validation import bump, clean_text, raise_if

CS = ChangeStatus


def _change_url(change) -> str:
    return reverse("change_detail", args=[change.reference])


def change_send_to_cab(
    *, actor, change: ChangeRequest, likelihood=None, impact=None, expected_version=None, now=None
):
    """Send an assessed change (or a submitted emergency change, assessed on the way) to
    the CAB of its risk level: the seats and quorum of a new round are fixed, and the members
    are asked to vote."""
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    risk = None
    if likelihood is not None or impact is not None:
        risk = _clean_assessment(likelihood, impact, errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, CS.AWAITING_CAB, role)
        if change.is_standard:
            raise ValidationError({"status": _("A standard change is pre-approved: no CAB.")})
        if change.status == CS.SUBMITTED and not change.is_emergency:
            raise ValidationError(
                {
                    "status": _(
                        "Assess the change first: only an emergency change goes to the CAB straight away."
                    )
                }
            )
        if risk is not None:
            change.likelihood, change.impact, change.risk_level = likelihood, impact, risk
        if not change.risk_level:
            raise ValidationError({"likelihood": _("Assess the likelihood and the impact.")})
        rule = (
            CabRule.objects.filter(risk_level=change.risk_level, is_active=True)
            .select_related("team")
            .first()
        )
        level = RiskLevel(change.risk_level).label
        if rule is None:
            raise ValidationError(
                {
                    "status": _(
                        "There is no CAB rule for %(level)s-risk changes; an administrator "
                        "must set one up."
                    )
                    % {"level": level}
                }
            )
        seats = [
            p
            for p in cab_seats_of(rule, emergency=change.is_emergency)
            if p.pk != change.requester_id
        ]
        quorum = rule.emergency_quorum if change.is_emergency else rule.quorum
        if len(seats) < quorum:
            raise ValidationError(
                {
                    "status": _(
                        "The CAB for %(level)s-risk changes has %(seats)d members besides the "
                        "requester; %(quorum)d approvals are needed."
                    )
                    % {"level": level, "seats": len(seats), "quorum": quorum}
                }
            )
        if change.status == CS.SUBMITTED:
            _take_snapshot(change, now)
        change.cab_round += 1
        change.cab_quorum = quorum
        change.cab_decided_at = None
        change.cab_members.set(seats)
        move(
            change,
            CS.AWAITING_CAB,
            actor=actor,
            role=role,
            now=now,
            kind=ChangeEventKind.CAB,
            round=change.cab_round,
            members=[p.get_username() for p in seats],
            quorum=quorum,
            emergency=change.is_emergency,
            risk_level=change.risk_level,
        )
        notify(
            recipients=seats,
            kind="change_cab_vote",
            context={"change": change},
            url=reverse("change_vote_page", args=[change.reference]),
            dedupe_key=f"change-cab:{change.pk}:{change.cab_round}",
        )
    return change


def cab_tally(change: ChangeRequest) -> dict:
    """The current round's votes: ``{"approve": n, "reject": n, "abstain": n, "pending": n,
    "quorum": n}``."""
    counts = dict.fromkeys(CabDecision.values, 0)
    for decision in CabVote.objects.filter(change=change, round=change.cab_round).values_list(
        "decision", flat=True
    ):
        counts[decision] += 1
    members = change.cab_members.count()
    counts["pending"] = max(0, members - sum(counts[d] for d in CabDecision.values))
    counts["quorum"] = change.cab_quorum
    return counts


def _decision(tally: dict) -> str | None:
    if tally[CabDecision.REJECT]:
        return CS.REJECTED
    if tally[CabDecision.APPROVE] >= tally["quorum"]:
        return CS.APPROVED
    if tally[CabDecision.APPROVE] + tally["pending"] < tally["quorum"]:
        return CS.REJECTED
    return None


def change_vote(*, actor, change: ChangeRequest, decision: str, comment: str = "", now=None):
    """Record the actor's vote on the change's current CAB round, and the decision it makes
    (see the module docstring). Only a seated member votes, once per round."""
    now = now or timezone.now()
    if not can_sit_on_cab(actor):
        raise PermissionDenied
    errors: dict = {}
    if decision not in CabDecision.values:
        errors["decision"] = _("Approve, reject or abstain.")
    required = _("Say why you reject the change.") if decision == CabDecision.REJECT else ""
    comment = clean_text(comment, "comment", errors, limit=5000, required=required)
    raise_if(errors)
    with transaction.atomic():
        change = locked(change)
        if change.status != CS.AWAITING_CAB:
            raise ValidationError(_("This change is not waiting for the CAB."))
        if not change.cab_members.filter(pk=actor.pk).exists():
            raise PermissionDenied(_("You do not sit on this change's CAB."))
        if CabVote.objects.filter(change=change, round=change.cab_round, voter=actor).exists():
            raise ValidationError(_("You have already voted on this change."))
        try:
            with transaction.atomic():
                vote = CabVote.objects.create(
                    change=change,
                    round=change.cab_round,
                    voter=actor,
                    decision=decision,
                    comment=comment,
                    decided_at=now,
                )
        except IntegrityError as exc:
            raise ValidationError(_("You have already voted on this change.")) from exc
        event(
            change,
            ChangeEventKind.VOTE,
            actor=actor,
            at=now,
            to_value=decision,
            round=change.cab_round,
            comment=comment,
        )
        audit_record(
            actor=actor,
            verb="change.cab_vote",
            obj=change,
            payload={"round": change.cab_round, "decision": decision, "comment": comment},
        )
        tally = cab_tally(change)
        outcome = _decision(tally)
        if outcome is not None:
            change.cab_decided_at = now
            if outcome == CS.APPROVED:
                change.approved_at = now
            move(
                change,
                outcome,
                actor=actor,
                role=SYSTEM,
                now=now,
                round=change.cab_round,
                tally={k: tally[k] for k in (*CabDecision.values, "pending", "quorum")},
            )
            notify(
                recipients=[change.requester, change.owner],
                kind="change_decided",
                context={"change": change, "approved": outcome == CS.APPROVED},
                url=_change_url(change),
            )
        else:
            bump(change, now)
    return vote
