"""Who may read and change the improvement register (clause 10.2):

- provider staff read it and may suggest an improvement; customers get 404;
- the management-system owner and administrators decide and edit (403 for other staff);
- the owner of an improvement updates its details and moves its work along (start, done,
  benefit measured).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.models import User
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.improvement.models import Improvement
from serviceloop.improvement.models.improvements import MANAGER, OWNER


def can_manage(user) -> bool:
    """May decide on and edit every improvement (and every signal proposal)."""
    return user_can(user, Capability.MANAGE_SYSTEM) or user_can(user, Capability.ADMINISTER)


def is_staff(user) -> bool:
    return user_can(user, Capability.STAFF)


def require_staff(user) -> None:
    """404 unless provider staff: to anyone else these records do not exist."""
    if not is_staff(user):
        raise Http404


def require_manage(user) -> None:
    """404 to non-staff, 403 to staff who may not manage."""
    require_staff(user)
    if not can_manage(user):
        raise PermissionDenied


def improvement_roles(user, improvement: Improvement) -> set[str]:
    """``manager`` and/or ``owner``: what the user is to this improvement."""
    roles = set()
    if can_manage(user):
        roles.add(MANAGER)
    if is_staff(user) and improvement.owner_id and improvement.owner_id == user.pk:
        roles.add(OWNER)
    return roles


def managers() -> list[User]:
    """Active people who decide on the register (the manage-system capability)."""
    roles = [r for r, caps in ROLE_CAPABILITIES.items() if Capability.MANAGE_SYSTEM in caps]
    return list(User.objects.filter(is_active=True, role__in=roles).order_by("pk"))


def get_improvement_for(user, reference: str, *, write: bool = False) -> Improvement:
    """The improvement if the user may read it (staff; else 404); with ``write``, 403 unless
    a manager or its owner."""
    require_staff(user)
    try:
        improvement = (
            Improvement.objects.visible_to(user)
            .select_related("owner", "suggested_by", "kpi")
            .get(reference=reference)
        )
    except (Improvement.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if write and not improvement_roles(user, improvement):
        raise PermissionDenied
    return improvement
