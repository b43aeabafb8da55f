"""The lifecycles of change requests, releases and service transition plans, declared as data.

Each table lists the moves a record may make and who may make each: ``operator`` is staff who
work operational records (the operate capability), ``manager`` is a change manager (operate
and lead), ``system`` is the product itself (the CAB's decision once the votes are in, the
pre-approval of a standard change). ``needs`` names what a move asks for beyond the right to
make it; the services in ``services_changes`` / ``services_releases`` / ``services_plans``
are the only way to make a move, one service call per move.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

OPERATOR, MANAGER, SYSTEM = "operator", "manager", "system"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str
    who: frozenset[str]
    # "" nothing; "note" a reason; "assessment" likelihood and impact; "window" a planned
    # window (the schedule form); "review" the post-implementation review; "standard" only
    # for a standard change; "no_cab" only when the change may skip the CAB
    needs: str = ""


def _t(source, target, label, *who, needs=""):
    return Transition(source, target, label, frozenset(who), needs)


def transition_for(table, source: str, target: str, role: str | None) -> Transition | None:
    """The declared move from ``source`` to ``target`` that ``role`` may make, if any."""
    for t in table:
        if t.source == source and t.target == target and role in t.who:
            return t
    return None


def transitions_from(table, source: str, role: str | None) -> list[Transition]:
    """The moves ``role`` may make from ``source``, one per target, in declaration order."""
    seen, moves = set(), []
    for t in table:
        if t.source == source and role in t.who and t.target not in seen:
            seen.add(t.target)
            moves.append(t)
    return moves


# --- Change requests -----------------------------------------------------------------------


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ASSESSED = "assessed", _("Assessed")
    AWAITING_CAB = "awaiting_cab", _("Awaiting CAB")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    IMPLEMENTED = "implemented", _("Implemented")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


CS = ChangeStatus
OP = (OPERATOR, MANAGER)

# The statuses in which a change's details and plans may still be edited (before a CAB or a
# change manager has approved them).
EDITABLE_CHANGE_STATUSES = frozenset({CS.DRAFT, CS.SUBMITTED, CS.ASSESSED})
# The statuses that hold a slot in the change calendar (they take part in conflicts).
BOOKED_CHANGE_STATUSES = frozenset({CS.SCHEDULED, CS.IMPLEMENTING})
# The statuses shown in the calendar: approved onwards, except the ones that never ran.
CALENDAR_CHANGE_STATUSES = frozenset(
    {
        CS.APPROVED,
        CS.SCHEDULED,
        CS.IMPLEMENTING,
        CS.IMPLEMENTED,
        CS.FAILED,
        CS.BACKED_OUT,
        CS.REVIEWED,
        CS.CLOSED,
    }
)
# After implementation started: a change that may have caused incidents.
RAN_CHANGE_STATUSES = frozenset(
    {CS.IMPLEMENTING, CS.IMPLEMENTED, CS.FAILED, CS.BACKED_OUT, CS.REVIEWED, CS.CLOSED}
)
FINAL_CHANGE_STATUSES = frozenset({CS.CLOSED, CS.CANCELLED})

CHANGE_TRANSITIONS: tuple[Transition, ...] = (
    _t(CS.DRAFT, CS.SUBMITTED, _("Submit"), *OP),
    # a standard change is pre-approved: submitting it approves it at once
    _t(CS.SUBMITTED, CS.APPROVED, _("Pre-approved standard change"), SYSTEM, needs="standard"),
    _t(CS.SUBMITTED, CS.ASSESSED, _("Record the assessment"), *OP, needs="assessment"),
    # an emergency change goes straight to the emergency CAB, assessed on the way
    _t(CS.SUBMITTED, CS.AWAITING_CAB, _("Send to the emergency CAB"), *OP, needs="assessment"),
    _t(CS.ASSESSED, CS.AWAITING_CAB, _("Send to the CAB"), *OP),
    _t(CS.ASSESSED, CS.APPROVED, _("Approve without CAB"), MANAGER, needs="no_cab"),
    _t(CS.AWAITING_CAB, CS.APPROVED, _("Approved by the CAB"), SYSTEM),
    _t(CS.AWAITING_CAB, CS.REJECTED, _("Rejected by the CAB"), SYSTEM),
    _t(CS.REJECTED, CS.DRAFT, _("Revise"), *OP),
    _t(CS.APPROVED, CS.SCHEDULED, _("Schedule"), *OP, needs="window"),
    _t(CS.SCHEDULED, CS.SCHEDULED, _("Reschedule"), *OP, needs="window"),
    _t(CS.SCHEDULED, CS.IMPLEMENTING, _("Start implementation"), *OP),
    _t(CS.IMPLEMENTING, CS.IMPLEMENTED, _("Mark implemented"), *OP),
    _t(CS.IMPLEMENTING, CS.FAILED, _("Mark failed"), *OP, needs="note"),
    _t(CS.IMPLEMENTING, CS.BACKED_OUT, _("Back out"), *OP, needs="note"),
    _t(CS.FAILED, CS.BACKED_OUT, _("Back out"), *OP, needs="note"),
    *(
        _t(source, CS.REVIEWED, _("Record the review"), *OP, needs="review")
        for source in (CS.IMPLEMENTED, CS.FAILED, CS.BACKED_OUT)
    ),
    _t(CS.REVIEWED, CS.CLOSED, _("Close"), *OP),
    # a standard change needs no post-implementation review
    _t(CS.IMPLEMENTED, CS.CLOSED, _("Close"), *OP, needs="standard"),
    *(
        _t(source, CS.CANCELLED, _("Cancel"), *OP, needs="note")
        for source in (
            CS.DRAFT,
            CS.SUBMITTED,
            CS.ASSESSED,
            CS.AWAITING_CAB,
            CS.APPROVED,
            CS.SCHEDULED,
        )
    ),
)


def change_transition_for(source, target, role) -> Transition | None:
    return transition_for(CHANGE_TRANSITIONS, source, target, role)


def change_transitions_from(source, role) -> list[Transition]:
    return transitions_from(CHANGE_TRANSITIONS, source, role)


# --- Releases ------------------------------------------------------------------------------


class ReleaseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    TESTING = "testing", _("Testing")
    DEPLOYING = "deploying", _("Deploying")
    DEPLOYED = "deployed", _("Deployed (early-life support)")
    CLOSED = "closed", _("Closed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")


RS = ReleaseStatus
EDITABLE_RELEASE_STATUSES = frozenset({RS.PLANNED, RS.TESTING, RS.ROLLED_BACK})

RELEASE_TRANSITIONS: tuple[Transition, ...] = (
    _t(RS.PLANNED, RS.TESTING, _("Start testing"), *OP),
    # every acceptance criterion passed, every grouped change approved
    _t(RS.TESTING, RS.DEPLOYING, _("Approve for deployment"), *OP, needs="accepted"),
    # a successful production deployment is recorded; early-life support starts
    _t(RS.DEPLOYING, RS.DEPLOYED, _("Deployed to production"), *OP, needs="production"),
    _t(RS.DEPLOYED, RS.CLOSED, _("Close"), *OP),
    _t(RS.DEPLOYING, RS.ROLLED_BACK, _("Roll back"), *OP, needs="note"),
    _t(RS.DEPLOYED, RS.ROLLED_BACK, _("Roll back"), *OP, needs="note"),
    _t(RS.ROLLED_BACK, RS.TESTING, _("Rework and test again"), *OP),
    *(
        _t(source, RS.CANCELLED, _("Cancel"), *OP, needs="note")
        for source in (RS.PLANNED, RS.TESTING, RS.DEPLOYING, RS.ROLLED_BACK)
    ),
)


def release_transition_for(source, target, role) -> Transition | None:
    return transition_for(RELEASE_TRANSITIONS, source, target, role)


def release_transitions_from(source, role) -> list[Transition]:
    return transitions_from(RELEASE_TRANSITIONS, source, role)


# --- Service transition plans --------------------------------------------------------------


class PlanStatus(models.TextChoices):
    OPEN = "open", _("Open")
    LIVE = "live", _("Live")
    CANCELLED = "cancelled", _("Cancelled")


PLAN_TRANSITIONS: tuple[Transition, ...] = (
    # every acceptance criterion met (the SLA one checked against the agreements in force)
    _t(PlanStatus.OPEN, PlanStatus.LIVE, _("Go live"), *OP, needs="criteria"),
    _t(PlanStatus.OPEN, PlanStatus.CANCELLED, _("Cancel"), *OP, needs="note"),
)


def plan_transition_for(source, target, role) -> Transition | None:
    return transition_for(PLAN_TRANSITIONS, source, target, role)


def plan_transitions_from(source, role) -> list[Transition]:
    return transitions_from(PLAN_TRANSITIONS, source, role)
