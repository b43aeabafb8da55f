"""Who may read and change the context, scope, policy, RACI, objectives, risks and tailoring
(clauses 4–6), on top of ``planning.permissions``:

- provider staff read them (auditors and top management included); customers get 404;
- the management-system owner and administrators change them (403 for other staff);
- the scope statement is approved by top management (REVIEW) or the management-system
  owner (MANAGE_SYSTEM); the policy by top management only.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.planning.models import (
    ContextIssue,
    InterestedParty,
    Objective,
    PolicyVersion,
    Risk,
    ScopeStatement,
)
from serviceloop.planning.permissions import can_manage, require_manage, require_staff

__all__ = [
    "can_approve_policy",
    "can_approve_scope",
    "can_manage",
    "get_issue_for",
    "get_objective_for",
    "get_party_for",
    "get_policy_for",
    "get_risk_for",
    "get_scope_for",
    "require_manage",
    "require_staff",
]


def can_approve_scope(user) -> bool:
    return user_can(user, Capability.REVIEW) or user_can(user, Capability.MANAGE_SYSTEM)


def can_approve_policy(user) -> bool:
    return user_can(user, Capability.REVIEW)


def _get(queryset, user, **lookup):
    require_staff(user)
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def get_issue_for(user, pk, *, write: bool = False) -> ContextIssue:
    issue = _get(ContextIssue.objects.select_related("owner"), user, pk=pk)
    if write:
        require_manage(user)
    return issue


def get_party_for(user, pk, *, write: bool = False) -> InterestedParty:
    party = _get(InterestedParty.objects.select_related("owner"), user, pk=pk)
    if write:
        require_manage(user)
    return party


def get_scope_for(user, number, *, write=False, approve=False) -> ScopeStatement:
    """``write``: 403 unless a manager; ``approve``: 403 unless top management or the
    management-system owner."""
    scope = _get(
        ScopeStatement.objects.select_related("approved_by", "created_by"), user, number=number
    )
    if write:
        require_manage(user)
    if approve and not can_approve_scope(user):
        raise PermissionDenied
    return scope


def get_policy_for(user, number, *, write=False, approve=False) -> PolicyVersion:
    """``write``: 403 unless a manager; ``approve``: 403 unless top management."""
    policy = _get(
        PolicyVersion.objects.select_related("approved_by", "created_by"), user, number=number
    )
    if write:
        require_manage(user)
    if approve and not can_approve_policy(user):
        raise PermissionDenied
    return policy


def get_objective_for(user, reference: str, *, write: bool = False) -> Objective:
    objective = _get(Objective.objects.select_related("owner"), user, reference=reference)
    if write:
        require_manage(user)
    return objective


def get_risk_for(user, reference: str, *, write: bool = False) -> Risk:
    risk = _get(
        Risk.objects.select_related(
            "owner", "spof_finding__service", "spof_finding__configuration_item"
        ),
        user,
        reference=reference,
    )
    if write:
        require_manage(user)
    return risk
