"""Who may see and change the records of change and release management.

Everything here is the provider's own record: customers get 404 (their one window is the
read-only list of planned changes on their services). Staff read everything; staff who work
operational records (operate) raise and move changes, releases and transition plans; a
change manager (operate and lead) may approve a low-risk change without a CAB; a CAB member
votes on the changes he holds a seat for; the management-system owner and administrators
configure templates, CAB rules, the policy and blackout periods. Read-only staff (auditor,
top management) get 403 on every write.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.transition.lifecycle import MANAGER, OPERATOR
from serviceloop.transition.models import (
    BlackoutPeriod,
    CabRule,
    ChangeRequest,
    ChangeTemplate,
    Release,
    TransitionPlan,
)


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.STAFF))


def staff_only(user) -> None:
    """404 for anyone but provider staff: to customers these records do not exist."""
    if not is_staff(user):
        raise Http404


def can_operate(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.OPERATE))


def can_configure(user) -> bool:
    """Templates, CAB rules, the change policy and blackout periods."""
    return bool(
        user.is_authenticated
        and (
            user.has_capability(Capability.MANAGE_SYSTEM)
            or user.has_capability(Capability.ADMINISTER)
        )
    )


def can_sit_on_cab(user) -> bool:
    """Active provider staff who make decisions: those who work operational records or own
    the management system (read-only roles do not approve)."""
    return bool(
        user.is_active
        and user.has_capability(Capability.STAFF)
        and (
            user.has_capability(Capability.OPERATE) or user.has_capability(Capability.MANAGE_SYSTEM)
        )
    )


def change_role(user) -> str | None:
    """``manager`` for a change manager (operate and lead), ``operator`` for other staff who
    work operational records, None for everyone else."""
    if not can_operate(user):
        return None
    return MANAGER if user.has_capability(Capability.LEAD) else OPERATOR


def _get(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def get_change_for(user, reference: str, *, write: bool = False) -> ChangeRequest:
    """The change by reference if the user may see it (staff), else 404; with ``write``, 403
    unless the user works operational records."""
    change = _get(
        ChangeRequest.objects.select_related(
            "requester", "owner", "implementer", "template", "reviewed_by"
        ),
        user,
        reference=reference,
    )
    if write and not can_operate(user):
        raise PermissionDenied
    return change


def get_change_for_vote(user, reference: str) -> ChangeRequest:
    """The change for a CAB vote: 404 to customers, 403 to staff without a seat right."""
    change = _get(ChangeRequest.objects.all(), user, reference=reference)
    if not can_sit_on_cab(user):
        raise PermissionDenied
    return change


def get_release_for(user, reference: str, *, write: bool = False) -> Release:
    release = _get(Release.objects.select_related("owner"), user, reference=reference)
    if write and not can_operate(user):
        raise PermissionDenied
    return release


def get_plan_for(user, reference: str, *, write: bool = False) -> TransitionPlan:
    plan = _get(
        TransitionPlan.objects.select_related("service", "owner", "release"),
        user,
        reference=reference,
    )
    if write and not can_operate(user):
        raise PermissionDenied
    return plan


def _config(queryset, user, pk, write):
    obj = _get(queryset, user, pk=pk)
    if write and not can_configure(user):
        raise PermissionDenied
    return obj


def get_template_for(user, pk, *, write: bool = False) -> ChangeTemplate:
    return _config(ChangeTemplate.objects.all(), user, pk, write)


def get_cab_rule_for(user, pk, *, write: bool = False) -> CabRule:
    return _config(CabRule.objects.select_related("team"), user, pk, write)


def get_blackout_for(user, pk, *, write: bool = False) -> BlackoutPeriod:
    return _config(BlackoutPeriod.objects.select_related("organisation"), user, pk, write)


def require_configure(user) -> None:
    """404 for customers, 403 for staff who may not configure change management."""
    staff_only(user)
    if not can_configure(user):
        raise PermissionDenied


def require_operate(user) -> None:
    """404 for customers, 403 for read-only staff."""
    staff_only(user)
    if not can_operate(user):
        raise PermissionDenied
