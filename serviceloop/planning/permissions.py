"""Who may read and change the gap analysis and the implementation plan.

- Provider staff read everything here: the management-system owner and administrators,
  internal auditors and top management (who review and audit it), and operational staff
  (team leads and agents own plan items and must see the plan they work on).
- The management-system owner (MANAGE_SYSTEM) and administrators (ADMINISTER) change it;
  everyone else gets 403 on a write, except that the owner of a plan item may report its
  progress and move its status (start, block, done).
- Customers (and anyone not provider staff) get 404: to them these records do not exist.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.planning.models import Assessment, AssessmentAnswer, Milestone, PlanItem


def can_manage(user) -> bool:
    """May change gap analyses, plan items and milestones."""
    return user_can(user, Capability.MANAGE_SYSTEM) or user_can(user, Capability.ADMINISTER)


def can_report_progress(user, item: PlanItem) -> bool:
    """May report progress on and move the status of ``item``: a manager, or its owner."""
    return can_manage(user) or (
        user_can(user, Capability.STAFF) and item.owner_id == getattr(user, "pk", None)
    )


def require_staff(user) -> None:
    if not user_can(user, Capability.STAFF):
        raise Http404


def require_manage(user) -> None:
    """404 to non-staff, 403 to staff who may only read."""
    require_staff(user)
    if not can_manage(user):
        raise PermissionDenied


def _get(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def get_assessment_for(user, reference: str, *, write: bool = False) -> Assessment:
    assessment = _get(
        Assessment.objects.select_related("assessor", "copied_from"), user, reference=reference
    )
    if write:
        require_manage(user)
    return assessment


def get_answer_for(user, pk, *, write: bool = False) -> AssessmentAnswer:
    require_staff(user)
    try:
        answer = AssessmentAnswer.objects.select_related("assessment", "clause").get(pk=pk)
    except (AssessmentAnswer.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write:
        require_manage(user)
    return answer


def get_plan_item_for(
    user, reference: str, *, write: bool = False, progress: bool = False
) -> PlanItem:
    """The item if the user may read it (404 otherwise); ``write``: 403 unless a manager;
    ``progress``: 403 unless a manager or the item's owner."""
    item = _get(PlanItem.objects.select_related("owner"), user, reference=reference)
    if write:
        require_manage(user)
    if progress and not can_report_progress(user, item):
        raise PermissionDenied
    return item


def get_milestone_for(user, pk, *, write: bool = False) -> Milestone:
    milestone = _get(Milestone.objects, user, pk=pk)
    if write:
        require_manage(user)
    return milestone
