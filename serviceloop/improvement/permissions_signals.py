"""Who may read and decide on signal proposals and rules:

- provider staff read the proposals inbox and the rules; customers get 404;
- managers (manage-system, administrators) decide on every proposal and edit the rules;
- the desk's problem managers also decide on problem proposals;
- the owner of an action item takes it on, marks it done or dismisses it.
Anyone else who may read gets 403 on a write.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.improvement.models import PROPOSAL_TRANSITIONS, Proposal, SignalRule
from serviceloop.improvement.models.signals import MANAGER, OWNER, PROBLEM_MANAGER
from serviceloop.improvement.permissions_improvements import can_manage, is_staff, require_staff


def proposal_roles(user, proposal: Proposal) -> set[str]:
    """``manager``, ``problem_manager`` and/or ``owner``: what the user is to this proposal."""
    from serviceloop.desk.services.problems import PROBLEM_MANAGER as DESK_MANAGER
    from serviceloop.desk.services.problems import problem_role

    roles = set()
    if can_manage(user):
        roles.add(MANAGER)
    if is_staff(user) and problem_role(user) == DESK_MANAGER:
        roles.add(PROBLEM_MANAGER)
    if is_staff(user) and proposal.owner_id and proposal.owner_id == user.pk:
        roles.add(OWNER)
    return roles


def get_proposal_for(user, reference: str, *, write: bool = False) -> Proposal:
    """The proposal if the user may read it (staff; else 404); with ``write``, 403 unless
    the user may decide something on it."""
    require_staff(user)
    try:
        proposal = (
            Proposal.objects.visible_to(user)
            .select_related("owner", "decided_by")
            .get(reference=reference)
        )
    except (Proposal.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if write and not may_decide(user, proposal):
        raise PermissionDenied
    return proposal


def may_decide(user, proposal: Proposal) -> bool:
    """Whether the user has a part in deciding proposals of this kind (whatever its status)."""
    allowed = set()
    for move in PROPOSAL_TRANSITIONS:
        if proposal.kind in move.kinds:
            allowed |= move.who
    return bool(allowed & proposal_roles(user, proposal))


def get_rule_for(user, kind: str, *, write: bool = False) -> SignalRule:
    require_staff(user)
    try:
        rule = SignalRule.objects.get(kind=kind)
    except (SignalRule.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write and not can_manage(user):
        raise PermissionDenied
    return rule
