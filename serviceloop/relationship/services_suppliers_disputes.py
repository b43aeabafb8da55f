"""Supplier disputes: every write. Same conventions as ``services_suppliers``."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.relationship.models import Contract, DisputeStatus, Supplier, SupplierDispute
from serviceloop.relationship.models.suppliers import DISPUTE_TRANSITIONS, move_for
from serviceloop.relationship.services_suppliers_base import (
    changes_between,
    clean_date,
    clean_text,
    fk,
    locked,
    refuse_move,
    require_writer,
    save_versioned,
    staff_person,
)

# --- Disputes ------------------------------------------------------------------------------

DISPUTE_FIELDS = ("title", "description", "contract", "owner", "raised_on")


def _clean_dispute(fields: dict, errors: dict, today) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name == "title":
            cleaned[name] = clean_text(
                value, name, errors, limit=200, required=_("Give the dispute a title.")
            )
        elif name == "description":
            cleaned[name] = clean_text(value, name, errors, required=_("Describe the dispute."))
        elif name == "contract":
            if value is not None and not isinstance(value, Contract):
                errors[name] = _("Choose a contract.")
            cleaned[name] = value
        elif name == "owner":
            cleaned[name] = staff_person(value, name, errors)
        elif name == "raised_on":
            raised_on = clean_date(value, name, errors, required=_("Enter the date it was raised."))
            if raised_on and raised_on > today:
                errors[name] = _("The date cannot be in the future.")
            cleaned[name] = raised_on
        else:
            raise ValueError(f"not an editable field: {name}")
    return cleaned


def _check_dispute_contract(dispute: SupplierDispute, errors: dict) -> None:
    if dispute.contract is not None and dispute.contract.supplier_id != dispute.supplier_id:
        errors["contract"] = _("The contract is with another supplier.")


def dispute_create(
    *,
    actor,
    supplier: Supplier,
    title: str,
    description: str,
    raised_on=None,
    contract: Contract | None = None,
    owner: User | None = None,
    now=None,
) -> SupplierDispute:
    """Record a dispute with the supplier (reference ``DSP-YYYY-NNNNNN``), open; the owner
    defaults to the actor."""
    require_writer(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: dict = {}
    cleaned = _clean_dispute(
        {
            "title": title,
            "description": description,
            "contract": contract,
            "owner": owner or actor,
            "raised_on": raised_on or today,
        },
        errors,
        today,
    )
    dispute = SupplierDispute(supplier=supplier, created_at=now, updated_at=now, **cleaned)
    if "contract" not in errors:
        _check_dispute_contract(dispute, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dispute.reference = reference_allocate(kind="DSP", year=timezone.localtime(now).year)
        dispute.save()
        audit_record(
            actor=actor,
            verb="dispute.created",
            obj=dispute,
            payload={
                "reference": dispute.reference,
                "supplier": supplier.pk,
                **{k: fk(v) for k, v in cleaned.items()},
            },
        )
    return dispute


def dispute_update(
    *, actor, dispute: SupplierDispute, expected_version=None, now=None, **fields
) -> SupplierDispute:
    """Change a dispute's details (not once resolved: reopen it first)."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    cleaned = _clean_dispute(fields, errors, timezone.localdate(now))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dispute = locked(SupplierDispute, dispute, expected_version)
        if dispute.status == DisputeStatus.RESOLVED:
            raise ValidationError(_("This dispute is resolved; reopen it to change it."))
        before = {name: getattr(dispute, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(dispute, name, value)
        _check_dispute_contract(dispute, errors)
        if errors:
            raise ValidationError(errors)
        changes = changes_between(before, {name: getattr(dispute, name) for name in cleaned})
        if not changes:
            return dispute
        save_versioned(dispute, now)
        audit_record(actor=actor, verb="dispute.updated", obj=dispute, payload=changes)
    return dispute


def dispute_transition(
    *,
    actor,
    dispute: SupplierDispute,
    target: str,
    resolution: str = "",
    reason: str = "",
    expected_version=None,
    now=None,
) -> SupplierDispute:
    """Move the dispute along ``DISPUTE_TRANSITIONS``: resolving needs the resolution
    (dated today), reopening a resolved dispute a reason (it goes back to negotiation)."""
    role = require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    resolution = clean_text(resolution, "resolution", errors)
    reason = clean_text(reason, "reason", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dispute = locked(SupplierDispute, dispute, expected_version)
        move = move_for(DISPUTE_TRANSITIONS, dispute.status, target, role)
        if move is None:
            raise refuse_move(DisputeStatus, dispute.status, target, DisputeStatus.values)
        if move.needs == "resolution" and not resolution:
            raise ValidationError({"resolution": _("Describe how the dispute was resolved.")})
        if move.needs == "reason" and not reason:
            raise ValidationError({"reason": _("Give the reason.")})
        old = dispute.status
        payload: dict = {"status": [old, target]}
        dispute.status = target
        if target == DisputeStatus.RESOLVED:
            dispute.resolution = resolution
            dispute.resolved_on = timezone.localdate(now)
            payload["resolution"] = resolution
        elif old == DisputeStatus.RESOLVED:
            payload["reason"] = reason
            payload["previous_resolution"] = dispute.resolution
            dispute.resolution, dispute.resolved_on = "", None
        save_versioned(dispute, now)
        audit_record(actor=actor, verb=f"dispute.{target}", obj=dispute, payload=payload)
    return dispute
