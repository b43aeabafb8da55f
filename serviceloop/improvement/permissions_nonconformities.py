"""Who may read and change nonconformities and corrective and preventive actions (10.1).

- Provider staff read them all (auditors, top management and agents included); customers
  (and anyone not provider staff) get 404: to them these records do not exist.
- The management-system owner and administrators (MANAGE_SYSTEM) and internal auditors
  (AUDIT) raise nonconformities; MANAGE_SYSTEM raises preventive actions.
- A nonconformity's containment, root cause analysis and actions are written by its owner
  or by MANAGE_SYSTEM; an action's progress by the action's owner or MANAGE_SYSTEM.
- A manual verification is recorded by MANAGE_SYSTEM or an auditor (AUDIT); cancelling and
  reopening a nonconformity is MANAGE_SYSTEM's.
Everyone else on the staff gets 403 when trying to write.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.improvement.models import Action, Nonconformity


def is_staff(user) -> bool:
    return user_can(user, Capability.STAFF)


def can_manage(user) -> bool:
    return user_can(user, Capability.MANAGE_SYSTEM)


def can_raise(user) -> bool:
    """May raise a nonconformity."""
    return can_manage(user) or user_can(user, Capability.AUDIT)


def can_verify(user) -> bool:
    """May record a manual verification of an action's effect."""
    return can_manage(user) or user_can(user, Capability.AUDIT)


def _owns(user, record) -> bool:
    return is_staff(user) and record.owner_id is not None and record.owner_id == user.pk


def can_write_nonconformity(user, nonconformity: Nonconformity) -> bool:
    """May record containment and root cause, edit it and plan its actions."""
    return can_manage(user) or _owns(user, nonconformity)


def can_write_action(user, action: Action) -> bool:
    """May edit the action and move it (start, done, cancel)."""
    if can_manage(user) or _owns(user, action):
        return True
    nonconformity = action.nonconformity
    return nonconformity is not None and _owns(user, nonconformity)


def require_staff(user) -> None:
    if not is_staff(user):
        raise Http404


def require(user, allowed: bool) -> None:
    """404 to non-staff, 403 to staff without the right."""
    require_staff(user)
    if not allowed:
        raise PermissionDenied


def _get(queryset, user, **lookup):
    require_staff(user)
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def get_nonconformity_for(
    user, reference: str, *, write: bool = False, manage: bool = False
) -> Nonconformity:
    """The nonconformity if the user may read it (404 otherwise); ``write``: 403 unless its
    owner or MANAGE_SYSTEM; ``manage``: 403 unless MANAGE_SYSTEM."""
    nonconformity = _get(
        Nonconformity.objects.select_related("owner", "raised_by"), user, reference=reference
    )
    if write and not can_write_nonconformity(user, nonconformity):
        raise PermissionDenied
    if manage and not can_manage(user):
        raise PermissionDenied
    return nonconformity


def get_action_for(user, reference: str, *, write: bool = False, verify: bool = False) -> Action:
    """The action if the user may read it (404 otherwise); ``write``: 403 unless its owner,
    its nonconformity's owner or MANAGE_SYSTEM; ``verify``: 403 unless MANAGE_SYSTEM or
    AUDIT."""
    action = _get(
        Action.objects.select_related("owner", "nonconformity", "kpi"), user, reference=reference
    )
    if write and not can_write_action(user, action):
        raise PermissionDenied
    if verify and not can_verify(user):
        raise PermissionDenied
    return action
