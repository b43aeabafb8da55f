"""Supplier contracts and their obligations: every write, and the daily run that expires
contracts past their end and reminds owners of renewals (once per contract and end date).
Same conventions as ``services_suppliers``."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import notify
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import (
    Contract,
    ContractReminder,
    ContractStatus,
    Obligation,
    ObligationMetric,
    Supplier,
    SupplierStatus,
)
from serviceloop.relationship.models.suppliers import (
    CONTRACT_TRANSITIONS,
    DEFAULT_UNITS,
    MEASURED_METRICS,
    move_for,
)
from serviceloop.relationship.services_suppliers_base import (
    changes_between,
    clean_amount,
    clean_date,
    clean_text,
    fk,
    locked,
    refuse_move,
    require_writer,
    save_versioned,
    staff_person,
)

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_NOTICE_DAYS = 3650

# --- Contracts -----------------------------------------------------------------------------

CONTRACT_FIELDS = (
    "title",
    "supplier_reference",
    "scope",
    "services",
    "value",
    "currency",
    "start_date",
    "end_date",
    "notice_period_days",
    "owner",
)


def _clean_contract(fields: dict, errors: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name == "title":
            cleaned[name] = clean_text(
                value, name, errors, limit=200, required=_("Give the contract a title.")
            )
        elif name == "supplier_reference":
            cleaned[name] = clean_text(value, name, errors, limit=80)
        elif name == "scope":
            cleaned[name] = clean_text(value, name, errors)
        elif name == "services":
            services = list(value or [])
            if any(not isinstance(s, Service) for s in services):
                errors[name] = _("Choose services of the catalogue.")
            cleaned[name] = services
        elif name == "value":
            cleaned[name] = clean_amount(value, name, errors)
        elif name == "currency":
            currency = clean_text(value, name, errors, limit=3).upper()
            if not CURRENCY.match(currency):
                errors[name] = _("Enter a three-letter currency code, e.g. CNY.")
            cleaned[name] = currency
        elif name in ("start_date", "end_date"):
            cleaned[name] = clean_date(value, name, errors, required=_("Enter a date."))
        elif name == "notice_period_days":
            if not isinstance(value, int) or isinstance(value, bool):
                errors[name] = _("Enter a whole number of days.")
            elif not 0 <= value <= MAX_NOTICE_DAYS:
                errors[name] = _("Enter 0 to %(max)d days.") % {"max": MAX_NOTICE_DAYS}
            cleaned[name] = value
        elif name == "owner":
            cleaned[name] = staff_person(
                value, name, errors, required=_("A contract needs an owner.")
            )
        else:
            raise ValueError(f"not an editable field: {name}")
    return cleaned


def _check_dates(contract: Contract, errors: dict) -> None:
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors["end_date"] = _("The end date comes after the start date.")


def _service_codes(services) -> list[str]:
    return sorted(s.code for s in services)


def contract_create(
    *,
    actor,
    supplier: Supplier,
    title: str,
    start_date,
    end_date,
    owner: User | None = None,
    scope: str = "",
    services=(),
    value=None,
    currency: str = "CNY",
    notice_period_days: int = 90,
    supplier_reference: str = "",
    now=None,
) -> Contract:
    """Record a draft contract with the supplier (reference ``CTR-YYYY-NNNNNN``); the owner
    (reminded before renewal) defaults to the actor."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    cleaned = _clean_contract(
        {
            "title": title,
            "supplier_reference": supplier_reference,
            "scope": scope,
            "services": services,
            "value": value,
            "currency": currency,
            "start_date": start_date,
            "end_date": end_date,
            "notice_period_days": notice_period_days,
            "owner": owner or actor,
        },
        errors,
    )
    if not isinstance(supplier, Supplier):
        errors["supplier"] = _("Choose a supplier.")
    elif supplier.status == SupplierStatus.INACTIVE:
        errors["supplier"] = _("This supplier is inactive.")
    services = cleaned.pop("services")
    contract = Contract(supplier=supplier, created_at=now, updated_at=now, **cleaned)
    _check_dates(contract, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contract.reference = reference_allocate(kind="CTR", year=timezone.localtime(now).year)
        contract.save()
        contract.services.set(services)
        audit_record(
            actor=actor,
            verb="contract.created",
            obj=contract,
            payload={
                "reference": contract.reference,
                "supplier": supplier.pk,
                **{name: fk(value) for name, value in cleaned.items()},
                "services": _service_codes(services),
            },
        )
    return contract


def contract_update(
    *, actor, contract: Contract, expected_version=None, now=None, **fields
) -> Contract:
    """Change a contract's terms. A terminated contract is final. Moving the end date of an
    active contract renews it: its next reminder is due when the new notice period begins."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    cleaned = _clean_contract(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contract = locked(Contract, contract, expected_version)
        if contract.status == ContractStatus.TERMINATED:
            raise ValidationError(
                _("This contract is terminated; its record can no longer change.")
            )
        services = cleaned.pop("services", None)
        before = {name: getattr(contract, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(contract, name, value)
        _check_dates(contract, errors)
        if errors:
            raise ValidationError(errors)
        changes = changes_between(before, {name: getattr(contract, name) for name in cleaned})
        if services is not None:
            old = _service_codes(contract.services.all())
            new = _service_codes(services)
            if old != new:
                contract.services.set(services)
                changes["services"] = [old, new]
        if not changes:
            return contract
        save_versioned(contract, now)
        audit_record(actor=actor, verb="contract.updated", obj=contract, payload=changes)
    return contract


def contract_transition(
    *,
    actor,
    contract: Contract,
    target: str,
    reason: str = "",
    expected_version=None,
    now=None,
) -> Contract:
    """Move the contract along its declared lifecycle (``CONTRACT_TRANSITIONS``).

    Activating or renewing needs an end date not yet passed; terminating (or withdrawing a
    draft) needs a reason. ``actor=None`` is the daily task, which may only expire."""
    role = require_writer(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: dict = {}
    reason = clean_text(reason, "reason", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contract = locked(Contract, contract, expected_version)
        move = move_for(CONTRACT_TRANSITIONS, contract.status, target, role)
        if move is None:
            raise refuse_move(ContractStatus, contract.status, target, ContractStatus.values)
        if move.needs == "reason" and not reason:
            raise ValidationError({"reason": _("Give the reason.")})
        if target == ContractStatus.ACTIVE and contract.end_date < today:
            raise ValidationError(
                {"end_date": _("The end date has passed: set the new end date first.")}
            )
        old = contract.status
        contract.status = target
        if move.needs == "reason":
            contract.termination_reason = reason
        save_versioned(contract, now)
        audit_record(
            actor=actor,
            verb=f"contract.{target}",
            obj=contract,
            payload={"status": [old, target], **({"reason": reason} if reason else {})},
        )
    return contract


def contract_reminders_run(*, now=None) -> int:
    """Remind each active contract's owner that its renewal notice period has begun: once
    per contract and end date (a ``ContractReminder`` row is the claim; with several
    workers only the one whose insert succeeds notifies). Returns the number sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    candidates = Contract.objects.filter(
        status=ContractStatus.ACTIVE, end_date__gte=today
    ).select_related("owner", "supplier")
    for contract in candidates:
        if not contract.renewal_due_on(today):
            continue
        if ContractReminder.objects.filter(contract=contract, end_date=contract.end_date).exists():
            continue
        try:
            with transaction.atomic():
                ContractReminder.objects.create(
                    contract=contract, end_date=contract.end_date, sent_at=now
                )
                notify(
                    recipients=[contract.owner],
                    kind="contract_renewal_due",
                    context={"contract": contract, "days_left": (contract.end_date - today).days},
                    url=f"/suppliers/contracts/{contract.reference}/",
                    dedupe_key=f"contract-renewal:{contract.pk}:{contract.end_date.isoformat()}",
                )
                audit_record(
                    actor=None,
                    verb="contract.renewal_reminded",
                    obj=contract,
                    payload={"end_date": contract.end_date, "owner": contract.owner_id},
                )
        except IntegrityError:
            continue  # another worker claimed it a moment ago
        sent += 1
    return sent


def contracts_expire_run(*, now=None) -> int:
    """Expire active contracts whose end date has passed (through the declared lifecycle,
    as the system). Returns how many expired."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    expired = 0
    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE, end_date__lt=today):
        try:
            contract_transition(
                actor=None, contract=contract, target=ContractStatus.EXPIRED, now=now
            )
        except ValidationError:
            continue  # moved by someone else meanwhile
        expired += 1
    return expired


# --- Obligations ---------------------------------------------------------------------------

OBLIGATION_FIELDS = ("description", "target_value", "unit", "is_active")


def _clean_obligation(fields: dict, errors: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name == "description":
            cleaned[name] = clean_text(
                value, name, errors, limit=300, required=_("Describe the obligation.")
            )
        elif name == "metric":
            if value not in ObligationMetric.values:
                errors[name] = _("Choose how the obligation is measured.")
            cleaned[name] = value
        elif name == "target_value":
            cleaned[name] = clean_amount(value, name, errors)
        elif name == "unit":
            cleaned[name] = clean_text(value, name, errors, limit=40)
        elif name == "is_active":
            cleaned[name] = bool(value)
        else:
            raise ValueError(f"not an editable field: {name}")
    return cleaned


def _check_obligation(obligation: Obligation, errors: dict) -> None:
    if obligation.metric in MEASURED_METRICS and obligation.target_value is None:
        errors["target_value"] = _("A measured obligation needs its target.")
    if not obligation.unit and obligation.metric in DEFAULT_UNITS:
        obligation.unit = str(DEFAULT_UNITS[obligation.metric])


def obligation_create(
    *,
    actor,
    contract: Contract,
    description: str,
    metric: str,
    target_value=None,
    unit: str = "",
) -> Obligation:
    """Add an obligation to a contract. Measured ones (incidents caused, waiting time,
    response time) need a target, a maximum, and are computed by the reviews."""
    require_writer(actor)
    errors: dict = {}
    cleaned = _clean_obligation(
        {"description": description, "metric": metric, "target_value": target_value, "unit": unit},
        errors,
    )
    if contract.status == ContractStatus.TERMINATED:
        errors["contract"] = _("This contract is terminated.")
    obligation = Obligation(contract=contract, **cleaned)
    if "metric" not in errors:
        _check_obligation(obligation, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        obligation.save()
        audit_record(
            actor=actor,
            verb="contract.obligation_added",
            obj=contract,
            payload={"obligation": obligation.pk, **{k: fk(v) for k, v in cleaned.items()}},
        )
    return obligation


def obligation_update(*, actor, obligation: Obligation, **fields) -> Obligation:
    """Change an obligation's description, target, unit, or whether it is still in force.
    How it is measured stays: a new measure is a new obligation."""
    require_writer(actor)
    errors: dict = {}
    cleaned = _clean_obligation(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update(of=("self",)).get(pk=obligation.pk)
        before = {name: getattr(obligation, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(obligation, name, value)
        _check_obligation(obligation, errors)
        if errors:
            raise ValidationError(errors)
        changes = changes_between(before, {name: getattr(obligation, name) for name in cleaned})
        if not changes:
            return obligation
        obligation.save()
        audit_record(
            actor=actor,
            verb="contract.obligation_updated",
            obj=obligation.contract,
            payload={"obligation": obligation.pk, **changes},
        )
    return obligation
