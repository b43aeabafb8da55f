"""A change request's life from approval to closure (clause 8.5.1): booking it into a
window (with the conflicts an override must name), implementing it, its outcome, the
post-implementation review and closure. (Drafting and the moves before the CAB:
``services_changes``; the CAB: ``services_cab``.)

Each service checks the actor's right (403 for read-only staff), validates its input and
the move's preconditions (ValidationError with translated messages, nothing written),
then writes the change, its history row and its audit row in one transaction.

Timestamps are UTC instants; ``now`` may be given (demo data, tests) and defaults to now.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.transition.change_moves import actor_role, declared, locked, move
from serviceloop.transition.conflicts import change_conflicts
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import ChangeEventKind, ChangeOutcome, ChangeRequest
from serviceloop.transition.validation import clean_text, clean_window, raise_if

CS = ChangeStatus


# --- Scheduling ----------------------------------------------------------------------------


def change_schedule(
    *,
    actor,
    change: ChangeRequest,
    planned_start,
    planned_end,
    override_reason: str = "",
    expected_version=None,
    now=None,
):
    """Book an approved change (or move a scheduled one) into ``[planned_start, planned_end)``.

    The window must end in the future and the change needs its implementation and backout
    plans. When the window conflicts (``conflicts.change_conflicts``: another booked change
    on the same or a directly related item or the same service, or a blackout period of an
    affected customer), scheduling needs an explicit ``override_reason``; the reason, who
    gave it and the conflicts overridden are recorded on the change and in its history.
    """
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    start, end = clean_window(planned_start, planned_end, errors, required=True)
    override_reason = clean_text(override_reason, "override_reason", errors)
    if end is not None and end <= now and "planned_end" not in errors:
        errors["planned_end"] = _("The window must end in the future.")
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, CS.SCHEDULED, role)
        missing = {}
        if not change.implementation_plan:
            missing["implementation_plan"] = _("Write the implementation plan first.")
        if not change.backout_plan:
            missing["backout_plan"] = _("Write the backout plan first.")
        raise_if(missing)
        conflicts = change_conflicts(change, start, end)
        if conflicts and not override_reason:
            raise ValidationError(
                {
                    "override_reason": [
                        ValidationError(
                            _(
                                "This window conflicts with other work; give a reason to "
                                "schedule it anyway."
                            ),
                            code="conflict",
                        ),
                        *(
                            ValidationError(conflict.message(), code="conflict")
                            for conflict in conflicts
                        ),
                    ]
                }
            )
        old_window = [change.planned_start, change.planned_end]
        change.planned_start, change.planned_end = start, end
        recorded = [conflict.as_dict() for conflict in conflicts]
        if conflicts:
            change.schedule_override_reason = override_reason
            change.schedule_override_by = actor
            change.schedule_override_at = now
            change.schedule_conflicts = recorded
        else:
            change.schedule_override_reason = ""
            change.schedule_override_by = None
            change.schedule_override_at = None
            change.schedule_conflicts = []
        move(
            change,
            CS.SCHEDULED,
            actor=actor,
            role=role,
            now=now,
            kind=ChangeEventKind.SCHEDULED,
            window=[old_window, [start, end]],
            conflicts=recorded,
            override_reason=override_reason if conflicts else "",
        )
    return change


# --- Implementation, review and closure ----------------------------------------------------


def change_start(*, actor, change: ChangeRequest, expected_version=None, now=None):
    """Start implementing a scheduled change (the actor is its implementer if none is set)."""
    now = now or timezone.now()
    role = actor_role(actor)
    with transaction.atomic():
        change = locked(change, expected_version)
        change.actual_start = now
        if change.implementer_id is None:
            change.implementer = actor
        move(change, CS.IMPLEMENTING, actor=actor, role=role, now=now)
    return change


OUTCOME_OF = {
    CS.IMPLEMENTED: ChangeOutcome.IMPLEMENTED,
    CS.FAILED: ChangeOutcome.FAILED,
    CS.BACKED_OUT: ChangeOutcome.BACKED_OUT,
}


def change_complete(
    *, actor, change: ChangeRequest, target: str, note: str = "", expected_version=None, now=None
):
    """End the implementation: implemented, failed or backed out (a failed change may still
    be backed out afterwards). Failing and backing out need a note of what went wrong. The
    outcome is kept when the change moves on to review and closure (the success-rate KPI
    reads it)."""
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    if target not in OUTCOME_OF:
        errors["status"] = _("Choose how the implementation ended.")
    required = _("Describe what went wrong.") if target != CS.IMPLEMENTED else ""
    note = clean_text(note, "note", errors, required=required)
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, target, role)
        if change.actual_end is None or change.status == CS.IMPLEMENTING:
            change.actual_end = now
        change.outcome = OUTCOME_OF[target]
        if note:
            change.outcome_note = (
                f"{change.outcome_note}\n\n{note}" if change.outcome_note else note
            )
        move(change, target, actor=actor, role=role, now=now, note=note)
    return change


def change_review(
    *,
    actor,
    change: ChangeRequest,
    success,
    notes: str,
    lessons: str = "",
    expected_version=None,
    now=None,
):
    """Record the post-implementation review: successful or not, notes, lessons learned. A
    failed or backed-out change cannot be reviewed as successful."""
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    if not isinstance(success, bool):
        errors["success"] = _("Say whether the change was successful.")
    notes = clean_text(notes, "notes", errors, required=_("Write the review notes."))
    lessons = clean_text(lessons, "lessons", errors)
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, CS.REVIEWED, role)
        if success and change.outcome != ChangeOutcome.IMPLEMENTED:
            raise ValidationError(
                {"success": _("A failed or backed-out change cannot be reviewed as successful.")}
            )
        change.review_success, change.review_notes, change.review_lessons = success, notes, lessons
        change.reviewed_by, change.reviewed_at = actor, now
        move(
            change,
            CS.REVIEWED,
            actor=actor,
            role=role,
            now=now,
            kind=ChangeEventKind.REVIEW,
            success=success,
            notes=notes,
            lessons=lessons,
        )
    return change


def change_close(*, actor, change: ChangeRequest, expected_version=None, now=None):
    """Close a reviewed change (a standard change may close once implemented, unreviewed)."""
    now = now or timezone.now()
    role = actor_role(actor)
    with transaction.atomic():
        change = locked(change, expected_version)
        transition = declared(change, CS.CLOSED, role)
        if transition.needs == "standard" and not change.is_standard:
            raise ValidationError(
                {"status": _("Record the post-implementation review before closing.")}
            )
        change.closed_at = now
        move(change, CS.CLOSED, actor=actor, role=role, now=now)
    return change
