"""The pieces every change service is built from: lock the row, check the declared move,
write the history row and the audit row. Callers hold the transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.transition.lifecycle import (
    MANAGER,
    SYSTEM,
    ChangeStatus,
    change_transition_for,
    change_transitions_from,
)
from serviceloop.transition.models import ChangeEvent, ChangeEventKind, ChangeRequest
from serviceloop.transition.permissions import change_role
from serviceloop.transition.validation import bump, check_version, json_ready


def actor_role(actor) -> str:
    """The actor's role in the change lifecycle; 403 for anyone who may not move changes."""
    role = change_role(actor)
    if role is None:
        raise PermissionDenied
    return role


def locked(change: ChangeRequest, expected_version=None) -> ChangeRequest:
    """The change's row, locked for the rest of the transaction (and checked against the
    version the caller read, when given)."""
    current = ChangeRequest.objects.select_for_update(of=("self",)).get(pk=change.pk)
    check_version(current, expected_version)
    return current


def _label(status: str) -> str:
    return str(ChangeStatus(status).label) if status in ChangeStatus.values else str(status)


def declared(change: ChangeRequest, target: str, role: str):
    """The declared move to ``target`` for ``role``; 403 when only a change manager may make
    it, ValidationError when the lifecycle has no such move."""
    move = change_transition_for(change.status, target, role)
    if move is not None:
        return move
    if role not in (MANAGER, SYSTEM) and change_transition_for(change.status, target, MANAGER):
        raise PermissionDenied(_("Only a change manager may do this."))
    raise ValidationError(
        {
            "status": _("A change cannot go from “%(from)s” to “%(to)s”.")
            % {"from": _label(change.status), "to": _label(target)}
        }
    )


def event(change, kind, *, actor, at, from_value="", to_value="", **payload) -> ChangeEvent:
    return ChangeEvent.objects.create(
        change=change,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_value=str(from_value or "")[:120],
        to_value=str(to_value or "")[:120],
        payload=json_ready(payload),
    )


def move(
    change: ChangeRequest,
    target: str,
    *,
    actor,
    role: str,
    now,
    kind: str = ChangeEventKind.STATUS,
    **payload,
) -> ChangeRequest:
    """Make the declared move to ``target``: status, history row, audit row, saved with the
    version bumped. Preconditions are the caller's (checked before, in the same
    transaction); fields the caller set on ``change`` are saved with it."""
    declared(change, target, role)
    old = change.status
    change.status = target
    event(change, kind, actor=actor, at=now, from_value=old, to_value=target, **payload)
    bump(change, now)
    audit_record(
        actor=actor,
        verb=f"change.{target}",
        obj=change,
        payload={"status": [old, target], **payload},
    )
    return change


def offered_moves(change: ChangeRequest, role: str | None) -> list:
    """The moves to offer a person with ``role``: the declared ones, less the system's and
    those that do not apply to this change's type."""
    moves = []
    for transition in change_transitions_from(change.status, role) if role else []:
        if SYSTEM in transition.who:
            continue
        if (
            transition.target == ChangeStatus.AWAITING_CAB
            and change.status == ChangeStatus.SUBMITTED
            and not change.is_emergency
        ):
            continue
        if transition.needs == "standard" and not change.is_standard:
            continue
        if transition.target == ChangeStatus.ASSESSED and change.is_standard:
            continue
        moves.append(transition)
    return moves
