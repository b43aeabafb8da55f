"""Management review actions after the meeting (clause 9.3): closing, cancelling and
reopening them (the declared ``ACTION_TRANSITIONS``), changing an open one (until the chair
approves the minutes), raising one as an improvement (clause 10.2), and reminding owners of
overdue ones. Same rules as ``services_reviews``: permission, validation, one transaction
with its audit row.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.services.notifications import notify, reminders_send
from serviceloop.evaluation.models import (
    ActionStatus,
    ReviewAction,
    ReviewDecision,
    ReviewStatus,
    review_action_transition_for,
)
from serviceloop.evaluation.models.reviews import PREPARE, REVIEW
from serviceloop.evaluation.permissions_reviews import action_roles
from serviceloop.evaluation.services_reviews import TEXT_LIMIT, editable_review
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_date,
    clean_owner,
    clean_text,
    raise_if,
)


def review_action_transition(
    *, actor, action: ReviewAction, target: str, note: str = "", now=None
) -> ReviewAction:
    """Close an action (done, saying what was done; its owner, top management or a preparer),
    cancel it or reopen it (top management or a preparer, saying why)."""
    now = now or timezone.now()
    with transaction.atomic():
        action = (
            ReviewAction.objects.select_for_update(of=("self",))
            .select_related("review")
            .get(pk=action.pk)
        )
        move = review_action_transition_for(action.status, target)
        if move is None:
            raise ValidationError(
                {"target": _("This action cannot move from its current status to that one.")}
            )
        if not move.who & action_roles(actor, action):
            raise PermissionDenied
        if action.review.status == ReviewStatus.CANCELLED:
            raise ValidationError(_("The review was cancelled."))
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=TEXT_LIMIT)
        if not note and "note" not in errors:
            errors["note"] = (
                _("Say what was done.") if target == ActionStatus.DONE else _("Say why.")
            )
        raise_if(errors)
        previous = action.status
        action.status = target
        action.closure_note = note
        closing = target in (ActionStatus.DONE, ActionStatus.CANCELLED)
        action.closed_at, action.closed_by = (now, actor) if closing else (None, None)
        action.updated_at = now
        action.version += 1
        action.save()
        audit_record(
            actor=actor,
            verb="management_review.action_status",
            obj=action,
            payload={"review": action.review.reference, "number": action.number,
                     "from": previous, "to": target, "note": note},
        )  # fmt: skip
    return action


ACTION_FIELDS = ("description", "owner", "due_on", "decision")


def review_action_update(
    *, actor, action: ReviewAction, expected_version: int | None = None, now=None, **changes
) -> ReviewAction:
    """Change an open action's description, owner, due date (not in the past when changed) or
    the decision it carries out (one taken on its input, or none): top management or a
    preparer, until the chair approves the minutes; then the action is read-only and only
    moves to its closure. A new owner is told; one audit row with each change before and
    after."""
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    if not action_roles(actor, action) & {PREPARE, REVIEW}:
        raise PermissionDenied
    now = now or timezone.now()
    errors: dict = {}
    cleaned = {}
    if "description" in changes:
        cleaned["description"] = clean_text(
            changes["description"], "description", errors, limit=TEXT_LIMIT, required=True
        )
    if "owner" in changes:
        cleaned["owner"] = clean_owner(changes["owner"], errors)
    if "due_on" in changes:
        cleaned["due_on"] = clean_date(changes["due_on"], "due_on", errors)
    if "decision" in changes:
        decision = changes["decision"]
        if decision is not None and not isinstance(decision, ReviewDecision):
            errors["decision"] = _("Choose a decision taken on this input.")
        cleaned["decision"] = decision
    raise_if(errors)
    with transaction.atomic():
        editable_review(action.review_id)
        action = (
            ReviewAction.objects.select_for_update(of=("self",))
            .select_related("review")
            .get(pk=action.pk)
        )
        check_version(action, expected_version)
        if not action.is_open:
            raise ValidationError(_("Only an open action is changed."))
        due_on = cleaned.get("due_on")
        if due_on and due_on != action.due_on and due_on < timezone.localdate(now):
            errors["due_on"] = _("The due date cannot be in the past.")
        decision = cleaned.get("decision")
        if decision is not None and (
            decision.review_id != action.review_id
            or decision.review_input_id != action.review_input_id
        ):
            errors["decision"] = _("Choose a decision taken on this input.")
        raise_if(errors)
        before = snapshot(action, ACTION_FIELDS)
        for name, value in cleaned.items():
            setattr(action, name, value)
        made = field_changes(action, before, ACTION_FIELDS)
        if not made:
            return action
        action.updated_at = now
        action.version += 1
        action.save()
        audit_record(
            actor=actor,
            verb="management_review.action_updated",
            obj=action,
            payload={"review": action.review.reference, "number": action.number, **made},
        )
        if "owner" in made:
            notify(
                recipients=[action.owner],
                kind="review_action_assigned",
                context={"action": action, "review": action.review},
                url=reverse("management_review_detail", args=[action.review.reference]),
            )
    return action


def review_action_raise_improvement(*, actor, action: ReviewAction):
    """Put an open action in the improvement register (clause 10.2) as an opportunity
    proposed by the management review; the action keeps its reference. Once per action."""
    from serviceloop.improvement.services_improvements import improvement_propose

    if not action_roles(actor, action) & {PREPARE, REVIEW}:
        raise PermissionDenied
    with transaction.atomic():
        action = (
            ReviewAction.objects.select_for_update(of=("self",))
            .select_related("review", "owner")
            .get(pk=action.pk)
        )
        if action.improvement_reference:
            raise ValidationError(_("This action is already in the improvement register."))
        if not action.is_open:
            raise ValidationError(_("Only an open action is raised as an improvement."))
        source_reference = f"{action.review.reference} {action.label}"
        improvement = improvement_propose(
            actor,
            title=action.description.splitlines()[0][:200],
            source="management_review",
            description=action.description,
            source_reference=source_reference,
            owner=action.owner,
            cause_key=f"management_review:{action.uuid}",
        )
        action.improvement_reference = improvement.reference
        action.updated_at = timezone.now()
        action.version += 1
        action.save()
        audit_record(
            actor=actor,
            verb="management_review.action_raised_improvement",
            obj=action,
            payload={"review": action.review.reference, "number": action.number,
                     "improvement": improvement.reference},
        )  # fmt: skip
    return improvement


def review_action_remind(*, today: datetime.date | None = None) -> int:
    """Tell the owner of every open action past its due date, once per action and due date
    (the dedupe key names both; the notification table's unique key settles races). A new
    due date is reminded of again. Returns the reminders sent."""
    today = today or timezone.localdate()
    overdue = (
        ReviewAction.objects.overdue(today)
        .exclude(review__status=ReviewStatus.CANCELLED)
        .select_related("review", "owner")
        .order_by("pk")
    )
    return reminders_send(
        overdue,
        key=lambda a: f"evaluation.review_action_overdue:{a.pk}:{a.due_on.isoformat()}",
        recipient=lambda a: a.owner,
        kind="review_action_overdue",
        context=lambda a: {"action": a, "review": a.review, "days": (today - a.due_on).days},
        url=lambda a: reverse("management_review_detail", args=[a.review.reference]),
        verb="management_review.action_reminded",
        payload=lambda a: {"owner": a.owner_id, "due_on": a.due_on},
    )
