"""Who may see and change the portfolio's records, one lookup helper per kind of object.

Each ``get_*_for`` returns the object if the user may see it and raises Http404 if he may not
(outsiders never learn it exists); with ``write=True`` it raises PermissionDenied (403) when
he may see it but not change it. Views and the API use the same helpers.

- Services: staff read every service; customers read the live services their organisation is
  entitled to (the portal), and never the staff pages. Editors: the management-system
  capability, administrators, and the service's owner.
- CMDB: staff read every item, customers the items of their own organisation (API only).
  Items, relations and assets are written by staff who work operational records, the
  management system, or administrators; types (the schema) by the last two only.
- Assets are staff only (financial records).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.portfolio.models import (
    Asset,
    CiRelation,
    CiType,
    ConfigurationItem,
    Service,
)

SERVICE_MANAGERS = (Capability.MANAGE_SYSTEM, Capability.ADMINISTER)
CMDB_WRITERS = (Capability.OPERATE, Capability.MANAGE_SYSTEM, Capability.ADMINISTER)
TYPE_WRITERS = (Capability.MANAGE_SYSTEM, Capability.ADMINISTER)


def _holds_any(user, capabilities) -> bool:
    return bool(user.is_authenticated and any(user.has_capability(c) for c in capabilities))


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.STAFF))


def staff_only(user) -> None:
    """The staff screens do not exist for anyone else (404)."""
    if not is_staff(user):
        raise Http404


# --- Services ------------------------------------------------------------------------------


def can_manage_services(user) -> bool:
    """May create services and edit any of them."""
    return _holds_any(user, SERVICE_MANAGERS)


def can_edit_service(user, service: Service) -> bool:
    return can_manage_services(user) or (
        user.is_authenticated
        and user.has_capability(Capability.STAFF)
        and service.owner_id == user.pk
    )


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


def get_service_for(user, pk, *, write: bool = False) -> Service:
    """A service on the staff pages: 404 for customers, 403 for staff who may not edit it."""
    staff_only(user)
    service = _get(Service.objects.visible_to(user).select_related("owner", "hours"), pk=pk)
    if write and not can_edit_service(user, service):
        raise PermissionDenied
    return service


def get_portal_service_for(user, pk) -> Service:
    """A service in the customer's catalogue: live and entitled, else 404."""
    if is_staff(user) or user.organisation_id is None:
        raise Http404
    return _get(Service.objects.visible_to(user).select_related("hours"), pk=pk)


# --- CMDB ----------------------------------------------------------------------------------


def can_write_cmdb(user) -> bool:
    return _holds_any(user, CMDB_WRITERS)


def can_write_ci_types(user) -> bool:
    return _holds_any(user, TYPE_WRITERS)


def get_ci_for(user, reference: str, *, write: bool = False) -> ConfigurationItem:
    item = _get(
        ConfigurationItem.objects.visible_to(user).select_related(
            "ci_type", "owner", "organisation", "created_by"
        ),
        reference=reference,
    )
    if write and not can_write_cmdb(user):
        raise PermissionDenied
    return item


def get_ci_type_for(user, pk, *, write: bool = False) -> CiType:
    ci_type = _get(CiType.objects.visible_to(user), pk=pk)
    if write and not can_write_ci_types(user):
        raise PermissionDenied
    return ci_type


def get_relation_for(user, pk, *, write: bool = False) -> CiRelation:
    relation = _get(CiRelation.objects.visible_to(user).select_related("source", "target"), pk=pk)
    if write and not can_write_cmdb(user):
        raise PermissionDenied
    return relation


def get_asset_for(user, reference: str, *, write: bool = False) -> Asset:
    asset = _get(
        Asset.objects.visible_to(user).select_related("configuration_item"), reference=reference
    )
    if write and not can_write_cmdb(user):
        raise PermissionDenied
    return asset
