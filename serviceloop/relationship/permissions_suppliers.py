"""Who may see and change supplier records: one lookup helper per kind of record, used by
the screens and the API alike.

Supplier records are the provider's own. Customers (and anyone signed out) never learn that
one exists (404); provider staff read them all; only staff who work operational records
(the operate capability) change them, the read-only roles (auditor, top management, the
management-system owner) get 403.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.relationship.models import (
    Contract,
    Obligation,
    PerformanceReview,
    Supplier,
    SupplierContact,
    SupplierDispute,
    TicketSupplier,
)
from serviceloop.relationship.models.suppliers import STAFF


def supplier_role(user) -> str | None:
    """``staff`` for provider staff who may change supplier records, else None."""
    if user is None or not user.is_authenticated or not user.has_capability(Capability.OPERATE):
        return None
    return STAFF


def require_supplier_writer(user) -> None:
    if supplier_role(user) is None:
        raise PermissionDenied


def staff_only(user) -> None:
    """Supplier screens do not exist for customers (404)."""
    if not user.is_authenticated or not user.has_capability(Capability.STAFF):
        raise Http404


def _get(queryset, user, write: bool, **lookup):
    try:
        obj = queryset.visible_to(user).get(**lookup)
    except (
        queryset.model.DoesNotExist,
        ValueError,
        TypeError,
        OverflowError,
        ValidationError,
    ) as exc:
        raise Http404 from exc
    if write:
        require_supplier_writer(user)
    return obj


def get_supplier_for(user, *, write: bool = False, **lookup) -> Supplier:
    """The supplier by ``pk=`` or ``uuid=`` if the user is staff (else 404); with ``write``,
    403 unless he works operational records."""
    return _get(Supplier.objects.select_related("organisation", "manager"), user, write, **lookup)


def get_contact_for(user, *, write: bool = False, **lookup) -> SupplierContact:
    return _get(SupplierContact.objects.select_related("supplier"), user, write, **lookup)


def get_contract_for(user, *, write: bool = False, **lookup) -> Contract:
    """The contract by ``reference=`` (or ``uuid=``)."""
    return _get(Contract.objects.select_related("supplier", "owner"), user, write, **lookup)


def get_obligation_for(user, *, write: bool = False, **lookup) -> Obligation:
    return _get(Obligation.objects.select_related("contract__supplier"), user, write, **lookup)


def get_ticket_link_for(user, *, write: bool = False, **lookup) -> TicketSupplier:
    return _get(
        TicketSupplier.objects.select_related("ticket", "supplier", "recorded_by"),
        user,
        write,
        **lookup,
    )


def get_review_for(user, *, write: bool = False, **lookup) -> PerformanceReview:
    return _get(
        PerformanceReview.objects.select_related("supplier", "reviewer"), user, write, **lookup
    )


def get_dispute_for(user, *, write: bool = False, **lookup) -> SupplierDispute:
    return _get(
        SupplierDispute.objects.select_related("supplier", "contract", "owner"),
        user,
        write,
        **lookup,
    )
