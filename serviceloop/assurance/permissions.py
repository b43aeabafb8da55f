"""Who may see and change the assurance records, one lookup helper per kind of object.

Each ``get_*_for`` returns the object if the user may see it and raises Http404 if he may not
(outsiders never learn it exists); with ``write=True`` it raises PermissionDenied (403) when
he may see it but not change it. Views and the API use the same helpers.

- Every assurance record is the provider's: staff read them, customers get 404 (a customer
  reads only the availability report of his own services, ``customer_report_allowed``).
- Outages and plan invocations are operational records: staff who operate write them.
- Availability targets and continuity plans: the management system (MANAGE_SYSTEM),
  administrators, or the service's owner; a plan also by its owner. Plan tests are recorded
  by the plan's editors; a test issue is also updated by its own owner.
- Security risks and controls: the management system, administrators, or the record's owner.
- Single-point-of-failure findings: the management system and administrators.
- Security incidents are confidential: only staff in the security team or named on the
  incident see them (everyone else: 404); those who operate or manage write them.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.assurance.models import (
    ContinuityIssue,
    ContinuityPlan,
    ContinuityTest,
    Invocation,
    Outage,
    SecurityControl,
    SecurityIncident,
    SecurityRisk,
    SpofFinding,
)
from serviceloop.core.roles import Capability
from serviceloop.portfolio.models import Service

MANAGERS = (Capability.MANAGE_SYSTEM, Capability.ADMINISTER)


def _holds_any(user, capabilities) -> bool:
    return bool(user.is_authenticated and any(user.has_capability(c) for c in capabilities))


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.STAFF))


def staff_only(user) -> None:
    """The staff screens do not exist for anyone else (404)."""
    if not is_staff(user):
        raise Http404


def can_operate(user) -> bool:
    return is_staff(user) and user.has_capability(Capability.OPERATE)


def can_manage(user) -> bool:
    return _holds_any(user, MANAGERS)


def require_operate(user) -> None:
    staff_only(user)
    if not can_operate(user):
        raise PermissionDenied


def require_manage(user) -> None:
    staff_only(user)
    if not can_manage(user):
        raise PermissionDenied


def can_edit_service_records(user, service: Service) -> bool:
    """Targets and continuity plans of ``service``: managers or the service's owner."""
    return can_manage(user) or (is_staff(user) and service.owner_id == user.pk)


def can_edit_plan(user, plan: ContinuityPlan) -> bool:
    return can_edit_service_records(user, plan.service) or (
        is_staff(user) and plan.owner_id == user.pk
    )


def can_create_plans(user) -> bool:
    """Managers, and staff who own a service (for their own services)."""
    return can_manage(user) or (is_staff(user) and Service.objects.filter(owner=user).exists())


def can_edit_owned(user, record) -> bool:
    """Risks and controls: managers or the record's owner."""
    return can_manage(user) or (is_staff(user) and record.owner_id == user.pk)


def customer_report_allowed(user) -> bool:
    """A customer (any role of a customer organisation) may read his services' report."""
    return bool(user.is_authenticated and not is_staff(user) and user.organisation_id)


def _get(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except (
        queryset.model.DoesNotExist,
        ValueError,
        TypeError,
        OverflowError,
        ValidationError,
    ) as exc:
        raise Http404 from exc


# --- Availability ------------------------------------------------------------------------------


def get_outage_for(user, reference: str, *, write: bool = False) -> Outage:
    outage = _get(
        Outage.objects.visible_to(user).select_related(
            "service__hours", "ticket", "change", "created_by"
        ),
        reference=reference,
    )
    if write and not can_operate(user):
        raise PermissionDenied
    return outage


def get_service_for(user, pk, *, write: bool = False) -> Service:
    """A service on the availability screens (staff); ``write``: edit its target."""
    staff_only(user)
    service = _get(Service.objects.visible_to(user).select_related("owner", "hours"), pk=pk)
    if write and not can_edit_service_records(user, service):
        raise PermissionDenied
    return service


def get_finding_for(user, pk, *, write: bool = False) -> SpofFinding:
    finding = _get(
        SpofFinding.objects.visible_to(user).select_related(
            "service", "configuration_item__ci_type"
        ),
        pk=pk,
    )
    if write and not can_manage(user):
        raise PermissionDenied
    return finding


# --- Continuity --------------------------------------------------------------------------------


def get_plan_for(user, reference: str, *, write: bool = False) -> ContinuityPlan:
    plan = _get(
        ContinuityPlan.objects.visible_to(user).select_related("service__owner", "owner"),
        reference=reference,
    )
    if write and not can_edit_plan(user, plan):
        raise PermissionDenied
    return plan


def get_test_for(user, pk, *, write: bool = False) -> ContinuityTest:
    test = _get(
        ContinuityTest.objects.visible_to(user).select_related(
            "plan__service__owner", "plan__owner", "recorded_by"
        ),
        pk=pk,
    )
    if write and not can_edit_plan(user, test.plan):
        raise PermissionDenied
    return test


def get_issue_for(user, pk, *, write: bool = False) -> ContinuityIssue:
    issue = _get(
        ContinuityIssue.objects.visible_to(user).select_related(
            "test__plan__service__owner", "test__plan__owner", "owner"
        ),
        pk=pk,
    )
    if write and not (
        can_edit_plan(user, issue.test.plan) or (is_staff(user) and issue.owner_id == user.pk)
    ):
        raise PermissionDenied
    return issue


def get_invocation_for(user, pk, *, write: bool = False) -> Invocation:
    invocation = _get(
        Invocation.objects.visible_to(user).select_related("plan__service", "ticket"), pk=pk
    )
    if write and not can_operate(user):
        raise PermissionDenied
    return invocation


# --- Information security ---------------------------------------------------------------------


def get_risk_for(user, reference: str, *, write: bool = False) -> SecurityRisk:
    risk = _get(
        SecurityRisk.objects.visible_to(user).select_related("owner", "configuration_item"),
        reference=reference,
    )
    if write and not can_edit_owned(user, risk):
        raise PermissionDenied
    return risk


def get_control_for(user, code: str, *, write: bool = False) -> SecurityControl:
    control = _get(SecurityControl.objects.visible_to(user).select_related("owner"), code=code)
    if write and not can_edit_owned(user, control):
        raise PermissionDenied
    return control


def can_work_security_incidents(user) -> bool:
    return _holds_any(user, (Capability.OPERATE, *MANAGERS))


def get_security_incident_for(user, reference: str, *, write: bool = False) -> SecurityIncident:
    incident = _get(
        SecurityIncident.objects.visible_to(user).select_related("ticket", "created_by"),
        reference=reference,
    )
    if write and not can_work_security_incidents(user):
        raise PermissionDenied
    return incident
