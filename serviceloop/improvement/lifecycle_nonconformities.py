"""The moves of a nonconformity that follow its actions (clause 10.1), shared by the action
services and the effectiveness verification.

Each function runs inside the caller's transaction (the caller holds the row locks), checks
the move against ``NC_TRANSITIONS``, writes the new status and one audit row, and notifies
after commit. ``actor`` is None when the system moves it (the daily KPI check).
"""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.audit import audit_record
from serviceloop.core.services.notifications import notify
from serviceloop.improvement.models import (
    Action,
    ActionStatus,
    ActionVerification,
    NcStatus,
    Nonconformity,
    VerificationKind,
    nc_transition_for,
)

NC_REFERENCE_KIND = "NC"
ACTION_REFERENCE_KINDS = {"corrective": "CA", "preventive": "PA"}


def lock_action(pk: int) -> Action:
    """The action locked for the rest of the transaction, after its nonconformity (always
    in this order, so two writers never wait on each other's rows)."""
    nonconformity_id = Action.objects.filter(pk=pk).values_list("nonconformity_id", flat=True).get()
    nonconformity = None
    if nonconformity_id is not None:
        nonconformity = Nonconformity.objects.select_for_update(of=("self",)).get(
            pk=nonconformity_id
        )
    action = Action.objects.select_for_update(of=("self",)).select_related("kpi").get(pk=pk)
    if nonconformity is not None:
        action.nonconformity = nonconformity
    return action


def nc_move(
    nonconformity: Nonconformity,
    target: str,
    *,
    actor,
    today: datetime.date,
    note: str = "",
    payload: dict | None = None,
) -> bool:
    """Move ``nonconformity`` (locked by the caller) to ``target`` if the table allows it;
    returns whether it moved. Writes the status, the dates it implies and one audit row."""
    if nonconformity.status == target or nc_transition_for(nonconformity.status, target) is None:
        return False
    previous = nonconformity.status
    nonconformity.status = target
    if note:
        nonconformity.status_note = note
    if target == NcStatus.CLOSED:
        nonconformity.closed_on = today
    elif target == NcStatus.REOPENED:
        nonconformity.closed_on = None
        nonconformity.reopen_count += 1
    elif target == NcStatus.CANCELLED:
        nonconformity.closed_on = today
    nonconformity.updated_at = timezone.now()
    nonconformity.version += 1
    nonconformity.save()
    audit_record(
        actor=actor,
        verb="nonconformity.status_changed",
        obj=nonconformity,
        payload={"from": previous, "to": target, "note": note, **(payload or {})},
    )
    return True


def action_counts(nonconformity: Nonconformity) -> dict[str, int]:
    """How many of the nonconformity's actions are in each status (one query)."""
    rows = Action.objects.filter(nonconformity=nonconformity).aggregate(
        pending=Count("pk", filter=Q(status__in=(ActionStatus.PLANNED, ActionStatus.IN_PROGRESS))),
        done=Count("pk", filter=Q(status=ActionStatus.DONE)),
        effective=Count("pk", filter=Q(status=ActionStatus.VERIFIED_EFFECTIVE)),
    )
    return rows


def nc_follow_actions(nonconformity: Nonconformity, *, actor, today: datetime.date) -> None:
    """After an action of ``nonconformity`` changed: to *verifying* once no action is pending
    and one is done; *closed* once verifying and every action left is verified effective."""
    counts = action_counts(nonconformity)
    if (
        nonconformity.status == NcStatus.ACTIONS_IN_PROGRESS
        and not counts["pending"]
        and counts["done"]
    ):
        nc_move(nonconformity, NcStatus.VERIFYING, actor=actor, today=today)
    if (
        nonconformity.status == NcStatus.VERIFYING
        and not counts["pending"]
        and not counts["done"]
        and counts["effective"]
    ):
        nc_move(nonconformity, NcStatus.CLOSED, actor=actor, today=today)


def nc_action_planned(nonconformity: Nonconformity, *, actor, today: datetime.date) -> None:
    """A new action was planned: an analysed, reopened or verifying nonconformity has actions
    in progress again."""
    nc_move(nonconformity, NcStatus.ACTIONS_IN_PROGRESS, actor=actor, today=today)


def nc_verification_failed(
    nonconformity: Nonconformity, action: Action, *, actor, today: datetime.date, why: str
) -> None:
    """An action was found not effective: reopen the nonconformity (if it is not reopened
    already) and tell its owner and the action's owner."""
    moved = nc_move(
        nonconformity,
        NcStatus.REOPENED,
        actor=actor,
        today=today,
        note=why,
        payload={"action": action.reference},
    )
    if not moved:
        return
    notify(
        recipients=[nonconformity.owner, action.owner],
        kind="nonconformity_reopened",
        context={"nonconformity": nonconformity, "action": action, "why": why},
        url=reverse("nonconformity_detail", args=[nonconformity.reference]),
        dedupe_key=f"improvement.nc_reopened:{nonconformity.pk}:{nonconformity.reopen_count}",
    )


def action_assigned_notify(action: Action, *, actor) -> None:
    """Tell the owner of an action someone else gave him."""
    if action.owner_id is None or (actor is not None and action.owner_id == actor.pk):
        return
    notify(
        recipients=[action.owner],
        kind="nonconformity_action_assigned",
        context={"action": action},
        url=reverse("action_detail", args=[action.reference]),
        dedupe_key=f"improvement.action_assigned:{action.pk}:{action.owner_id}",
    )


def action_record_outcome(
    action: Action,
    *,
    effective: bool,
    actor,
    today: datetime.date,
    note: str = "",
    evidence_note: str = "",
    evidence_link: str = "",
    payload: dict | None = None,
):
    """Decide a done action (locked by the caller with ``lock_action``): one outcome row in its verification
    history, the status (verified effective or not effective), one audit row; then its
    nonconformity follows (closed when nothing is left to verify, reopened when not
    effective). Returns the outcome row."""
    now = timezone.now()
    row = ActionVerification.objects.create(
        action=action,
        kind=VerificationKind.DECISION,
        checked_on=today,
        met=effective,
        note=note,
        evidence_note=evidence_note,
        evidence_link=evidence_link,
        verified_by=actor,
        created_at=now,
    )
    previous = action.status
    action.status = ActionStatus.VERIFIED_EFFECTIVE if effective else ActionStatus.NOT_EFFECTIVE
    action.verified_on = today
    action.updated_at = now
    action.version += 1
    action.save()
    audit_record(
        actor=actor,
        verb="action.verified",
        obj=action,
        payload={
            "from": previous,
            "to": action.status,
            "method": action.verification_method,
            "note": note,
            "evidence_note": evidence_note,
            "evidence_link": evidence_link,
            **(payload or {}),
        },
    )
    nonconformity = action.nonconformity  # locked by the caller (lock_action)
    if nonconformity is None:
        return row
    if effective:
        nc_follow_actions(nonconformity, actor=actor, today=today)
    else:
        nc_verification_failed(nonconformity, action, actor=actor, today=today, why=note)
    return row
