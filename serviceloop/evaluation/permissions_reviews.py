"""Who may read and change management reviews (clause 9.3), used by views and API alike.

- Provider staff read reviews, packs, decisions and actions; customers (and anyone who is
  not provider staff) get 404: to them these records do not exist.
- The management-system owner and administrators (MANAGE_SYSTEM, ADMINISTER) prepare a
  review: create it, change its details, generate the pack, cancel it.
- Top management (REVIEW) holds the meeting: starts it, records decisions and actions,
  drafts the minutes; only the review's chair approves them (nobody stands in for him).
- An action's owner closes his own action; top management and the preparers move any.
Read-only staff asking to write get 403.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.evaluation.models import ManagementReview, ReviewAction
from serviceloop.evaluation.models.reviews import CHAIR, OWNER, PREPARE, REVIEW


def is_staff(user) -> bool:
    return user_can(user, Capability.STAFF)


def can_prepare(user) -> bool:
    """May create reviews, change their details, generate the pack, cancel."""
    return user_can(user, Capability.MANAGE_SYSTEM) or user_can(user, Capability.ADMINISTER)


def can_hold(user) -> bool:
    """May hold the meeting: record decisions and actions, draft the minutes."""
    return user_can(user, Capability.REVIEW)


def is_chair(user, review: ManagementReview) -> bool:
    """The review's chair (still holding REVIEW): the only one who approves the minutes."""
    return can_hold(user) and review.chair_id == getattr(user, "pk", None)


def review_roles(user, review: ManagementReview) -> set[str]:
    roles = set()
    if can_prepare(user):
        roles.add(PREPARE)
    if can_hold(user):
        roles.add(REVIEW)
    if is_chair(user, review):
        roles.add(CHAIR)
    return roles


def action_roles(user, action: ReviewAction) -> set[str]:
    roles = set()
    if can_prepare(user):
        roles.add(PREPARE)
    if can_hold(user):
        roles.add(REVIEW)
    if is_staff(user) and action.owner_id == getattr(user, "pk", None):
        roles.add(OWNER)
    return roles


def require_staff(user) -> None:
    if not is_staff(user):
        raise Http404


def require_prepare(user) -> None:
    """404 to non-staff, 403 to staff who may not prepare reviews."""
    require_staff(user)
    if not can_prepare(user):
        raise PermissionDenied


def require_hold(user) -> None:
    """404 to non-staff, 403 to staff who are not top management."""
    require_staff(user)
    if not can_hold(user):
        raise PermissionDenied


def get_review_for(
    user, reference: str, *, prepare: bool = False, hold: bool = False, approve: bool = False
) -> ManagementReview:
    """The review if the user may read it (404 otherwise); ``prepare``: 403 unless a
    preparer; ``hold``: 403 unless top management; ``approve``: 403 unless the chair."""
    require_staff(user)
    try:
        review = (
            ManagementReview.objects.visible_to(user)
            .select_related("chair", "approved_by", "pack_generated_by", "created_by")
            .get(reference=reference)
        )
    except (ManagementReview.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if prepare and not can_prepare(user):
        raise PermissionDenied
    if hold and not can_hold(user):
        raise PermissionDenied
    if approve and not is_chair(user, review):
        raise PermissionDenied
    return review


def get_action_for(user, reference: str, number, *, move: bool = False) -> ReviewAction:
    """Action ``A<number>`` of the review (404 if unseen); ``move``: 403 unless the user may
    move it (its owner, top management, a preparer)."""
    require_staff(user)
    try:
        action = (
            ReviewAction.objects.visible_to(user)
            .select_related("review", "owner", "review_input", "decision")
            .get(review__reference=reference, number=number)
        )
    except (ReviewAction.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if move and not action_roles(user, action):
        raise PermissionDenied
    return action
