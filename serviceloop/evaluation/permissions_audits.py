"""Who may read and change the internal-audit records (clause 9.2):

- provider staff read them all (programme, audits, checklists, findings, the auditors);
- the management-system owner (MANAGE_SYSTEM) manages the programme and the qualification
  rule; internal auditors (AUDIT) plan and run audits, answer checklists and record findings;
  other staff get 403 on a write;
- a finding's owner (or the management-system owner) may also plan its action;
- customers (and anyone not provider staff) get 404: to them these records do not exist.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.models import User
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.evaluation.models import Audit, AuditProgramme, Finding, ProgrammeLine


def can_manage_programme(user) -> bool:
    return user_can(user, Capability.MANAGE_SYSTEM)


def can_audit(user) -> bool:
    return user_can(user, Capability.AUDIT)


def can_plan_action(user, finding: Finding) -> bool:
    """May plan the action of ``finding``: an auditor, the management-system owner, or the
    finding's owner."""
    return (
        can_audit(user)
        or can_manage_programme(user)
        or (user_can(user, Capability.STAFF) and finding.owner_id == getattr(user, "pk", None))
    )


def require_staff(user) -> None:
    if not user_can(user, Capability.STAFF):
        raise Http404


def require_manage_programme(user) -> None:
    """404 to non-staff, 403 to staff who may not manage the programme."""
    require_staff(user)
    if not can_manage_programme(user):
        raise PermissionDenied


def require_audit(user) -> None:
    """404 to non-staff, 403 to staff who are not internal auditors."""
    require_staff(user)
    if not can_audit(user):
        raise PermissionDenied


def _get(queryset, user, **lookup):
    require_staff(user)
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def get_programme_for(user, reference: str, *, write: bool = False) -> AuditProgramme:
    programme = _get(
        AuditProgramme.objects.select_related("approved_by"), user, reference=reference
    )
    if write:
        require_manage_programme(user)
    return programme


def get_line_for(user, pk, *, write: bool = False) -> ProgrammeLine:
    line = _get(
        ProgrammeLine.objects.select_related("programme", "clause", "owner_team"), user, pk=pk
    )
    if write:
        require_manage_programme(user)
    return line


def get_audit_for(user, reference: str, *, write: bool = False) -> Audit:
    audit = _get(
        Audit.objects.select_related("programme", "lead_auditor"), user, reference=reference
    )
    if write:
        require_audit(user)
    return audit


def get_finding_for(user, reference: str, *, write: bool = False, action: bool = False) -> Finding:
    """``write``: 403 unless an auditor; ``action``: 403 unless an auditor, the
    management-system owner or the finding's owner."""
    finding = _get(
        Finding.objects.select_related("audit", "owner", "checklist_item"),
        user,
        reference=reference,
    )
    if write:
        require_audit(user)
    if action and not can_plan_action(user, finding):
        raise PermissionDenied
    return finding


def get_auditor_for(user, pk) -> User:
    """A member of the provider's staff, shown as a (possible) auditor; 404 otherwise."""
    require_staff(user)
    try:
        person = User.objects.select_related("organisation").get(pk=pk, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not person.has_capability(Capability.STAFF):
        raise Http404
    return person
