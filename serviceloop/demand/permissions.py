"""Who may see and change the records of capacity, demand and budgeting, one lookup helper
per kind of object (views and the API use the same ones).

- Everything here is the provider's record: staff read it all; customers get 404, except a
  customer manager (organisation-wide) who reads his own organisation's demand records.
- Capacity plans, budgets, cost lines and demand records are written by the management
  system's owners and administrators (``MANAGE_SYSTEM``/``ADMINISTER``) and by the owner of
  the service concerned (when he works operational records: a read-only role never writes).
- Measurements are recorded by staff who work operational records (``OPERATE``) and by
  those who may edit the plan.
- Read-only staff (auditor, top management) get 403 on every write.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.demand.models import (
    Budget,
    CapacityAction,
    CapacityPlan,
    CostLine,
    DemandRecord,
)
from serviceloop.portfolio.models import Service

MANAGERS = (Capability.MANAGE_SYSTEM, Capability.ADMINISTER)


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.STAFF))


def staff_only(user) -> None:
    """404 for anyone but provider staff: to customers these records do not exist."""
    if not is_staff(user):
        raise Http404


def can_manage(user) -> bool:
    """May write every plan, budget, cost and demand record."""
    return bool(user.is_authenticated and any(user.has_capability(c) for c in MANAGERS))


def owns_service(user, service: Service | None) -> bool:
    """The service's owner, if he may write operational records at all (a read-only role
    who owns a service still only reads)."""
    return bool(
        service is not None
        and is_staff(user)
        and user.has_capability(Capability.OPERATE)
        and service.owner_id is not None
        and service.owner_id == user.pk
    )


def can_edit_service_records(user, service: Service | None) -> bool:
    """Budgets, cost lines, demand records and capacity plans of ``service``."""
    return can_manage(user) or owns_service(user, service)


def editable_services(user):
    """The services whose records ``user`` may write (for the forms' choices)."""
    if can_manage(user):
        return Service.objects.all()
    if is_staff(user) and user.has_capability(Capability.OPERATE):
        return Service.objects.filter(owner=user)
    return Service.objects.none()


def can_create_any(user) -> bool:
    """Whether the "new" buttons make sense: a manager, or the owner of some service."""
    return can_manage(user) or editable_services(user).exists()


def can_edit_plan(user, plan: CapacityPlan) -> bool:
    return can_edit_service_records(user, plan.service)


def can_record_measurements(user, plan: CapacityPlan) -> bool:
    return bool(
        is_staff(user) and (user.has_capability(Capability.OPERATE) or can_edit_plan(user, plan))
    )


def _get(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (
        queryset.model.DoesNotExist,
        ValueError,
        TypeError,
        OverflowError,
        ValidationError,
    ) as exc:
        raise Http404 from exc


def get_plan_for(user, reference: str, *, write: bool = False) -> CapacityPlan:
    """The plan by reference (staff, else 404); with ``write``, 403 unless he may edit it."""
    plan = _get(
        CapacityPlan.objects.select_related(
            "service__owner", "configuration_item", "owner", "alert_team"
        ),
        user,
        reference=str(reference).upper(),
    )
    if write and not can_edit_plan(user, plan):
        raise PermissionDenied
    return plan


def get_plan_for_measuring(user, reference: str) -> CapacityPlan:
    """The plan to record a measurement on: 404 to customers, 403 to read-only staff."""
    plan = get_plan_for(user, reference)
    if not can_record_measurements(user, plan):
        raise PermissionDenied
    return plan


def get_action_for(user, plan: CapacityPlan, pk, *, write: bool = False) -> CapacityAction:
    try:
        action = plan.actions.select_related("owner").get(pk=pk)
    except (CapacityAction.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    if write and not (can_record_measurements(user, plan) or action.owner_id == user.pk):
        raise PermissionDenied
    return action


def get_demand_record_for(user, pk, *, write: bool = False) -> DemandRecord:
    """Staff read every record, a customer manager his organisation's (read only: 403)."""
    record = _get(
        DemandRecord.objects.select_related("organisation", "service__owner"), user, pk=pk
    )
    if write and not (is_staff(user) and can_edit_service_records(user, record.service)):
        raise PermissionDenied
    return record


def get_budget_for(user, pk, *, write: bool = False) -> Budget:
    budget = _get(Budget.objects.select_related("service__owner"), user, pk=pk)
    if write and not can_edit_service_records(user, budget.service):
        raise PermissionDenied
    return budget


def get_cost_line_for(user, pk, *, write: bool = False) -> CostLine:
    line = _get(CostLine.objects.select_related("service__owner", "supplier"), user, pk=pk)
    if write and not can_edit_service_records(user, line.service):
        raise PermissionDenied
    return line


def require_staff_writer(user) -> None:
    """For the "new" screens: 404 for customers, 403 for staff who may write nothing here."""
    staff_only(user)
    if not can_create_any(user):
        raise PermissionDenied
