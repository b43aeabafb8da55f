"""Every write of budgeting and accounting for services (clause 8.4.1): budgets per service
and period, and cost lines (the actual costs) entered one by one or imported."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.demand.models import Budget, CostCategory, CostLine, CostSource
from serviceloop.demand.permissions import can_edit_service_records
from serviceloop.demand.validation import (
    bump,
    check_version,
    clean_currency,
    clean_date,
    clean_decimal,
    clean_period,
    clean_text,
    raise_if,
)
from serviceloop.portfolio.models import Service

BUDGET_FIELDS = ("service", "period_kind", "period_start", "amount", "currency", "note")
COST_FIELDS = ("service", "date", "category", "amount", "currency", "supplier", "note")


def _require(actor, service) -> None:
    if actor is not None and not can_edit_service_records(
        actor, service if isinstance(service, Service) else None
    ):
        raise PermissionDenied


def _duplicate_budget() -> ValidationError:
    return ValidationError({"period": _("The service already has a budget for this period.")})


# --- Budgets -------------------------------------------------------------------------------


def _clean_budget(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "service" in values:
        if not isinstance(values["service"], Service):
            errors["service"] = _("Choose a service.")
        cleaned["service"] = values["service"]
    if "period" in values:
        period = clean_period(values["period"], "period", errors)
        if period is not None:
            cleaned.update(
                period_kind=period.kind, period_start=period.start, period_end=period.end
            )
    if "amount" in values:
        cleaned["amount"] = clean_decimal(
            values["amount"], "amount", errors, required=_("Enter the budget amount."), minimum=0
        )
    if "currency" in values:
        cleaned["currency"] = clean_currency(values["currency"], "currency", errors)
    if "note" in values:
        cleaned["note"] = clean_text(values["note"], "note", errors)
    return cleaned


def budget_create(
    *, actor, service, period, amount, currency: str = "CNY", note: str = "", now=None
) -> Budget:
    """Set the budget of a service for a period (``2026``, ``2026-Q2``, ``2026-05``); one
    budget per service and period."""
    now = now or timezone.now()
    _require(actor, service)
    errors: dict = {}
    cleaned = _clean_budget(
        {"service": service, "period": period, "amount": amount, "currency": currency,
         "note": note},
        errors,
    )  # fmt: skip
    raise_if(errors)
    if Budget.objects.filter(
        service=cleaned["service"],
        period_kind=cleaned["period_kind"],
        period_start=cleaned["period_start"],
    ).exists():
        raise _duplicate_budget()
    try:
        with transaction.atomic():
            budget = Budget.objects.create(
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
                updated_at=now,
                **cleaned,
            )
            audit_record(
                actor=actor,
                verb="budget.created",
                obj=budget,
                payload=snapshot(budget, BUDGET_FIELDS),
            )
    except IntegrityError as exc:
        raise _duplicate_budget() from exc
    return budget


def budget_update(*, actor, budget: Budget, expected_version=None, now=None, **values) -> Budget:
    """Change a budget's amount, currency, note or period."""
    unknown = set(values) - {"period", "amount", "currency", "note"}
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    _require(actor, budget.service)
    errors: dict = {}
    cleaned = _clean_budget(values, errors)
    raise_if(errors)
    try:
        with transaction.atomic():
            current = Budget.objects.select_for_update(of=("self",)).get(pk=budget.pk)
            check_version(current, expected_version)
            before = snapshot(current, BUDGET_FIELDS)
            for name, value in cleaned.items():
                setattr(current, name, value)
            changes = field_changes(current, before, BUDGET_FIELDS)
            if not changes:
                return current
            bump(current, now)
            audit_record(actor=actor, verb="budget.updated", obj=current, payload=changes)
    except IntegrityError as exc:
        raise _duplicate_budget() from exc
    return current


# --- Cost lines ----------------------------------------------------------------------------


def clean_cost_fields(values: dict, errors: dict, *, today: datetime.date) -> dict:
    """The checks of one cost line's fields (shared with the CSV import)."""
    from serviceloop.relationship.models import Supplier

    cleaned = {}
    if "service" in values:
        if not isinstance(values["service"], Service):
            errors["service"] = _("Choose a service.")
        cleaned["service"] = values["service"]
    if "date" in values:
        day = clean_date(values["date"], "date", errors, required=_("Enter the date of the cost."))
        if day is not None and day > today + datetime.timedelta(days=366):
            errors["date"] = _("The date is more than a year ahead.")
        cleaned["date"] = day
    if "category" in values:
        if values["category"] not in CostCategory.values:
            errors["category"] = _("Choose a category.")
        cleaned["category"] = values["category"]
    if "amount" in values:
        cleaned["amount"] = clean_decimal(
            values["amount"],
            "amount",
            errors,
            required=_("Enter the amount."),
            allow_zero=False,
        )
    if "currency" in values:
        cleaned["currency"] = clean_currency(values["currency"], "currency", errors)
    if "supplier" in values:
        supplier = values["supplier"]
        if supplier is not None and not isinstance(supplier, Supplier):
            errors["supplier"] = _("Choose a supplier.")
        cleaned["supplier"] = supplier
    if "note" in values:
        cleaned["note"] = clean_text(values["note"], "note", errors, limit=300)
    return cleaned


def cost_line_create(
    *,
    actor,
    service,
    date,
    category: str,
    amount,
    currency: str = "CNY",
    supplier=None,
    note: str = "",
    source: str = CostSource.MANUAL,
    now=None,
) -> CostLine:
    """Record an actual cost of a service (a negative amount is a credit note)."""
    now = now or timezone.now()
    _require(actor, service)
    errors: dict = {}
    cleaned = clean_cost_fields(
        {"service": service, "date": date, "category": category, "amount": amount,
         "currency": currency, "supplier": supplier, "note": note},
        errors,
        today=timezone.localdate(now),
    )  # fmt: skip
    if source not in CostSource.values:
        errors["source"] = _("Unknown source.")
    raise_if(errors)
    with transaction.atomic():
        line = CostLine.objects.create(
            source=source,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        audit_record(
            actor=actor, verb="cost_line.created", obj=line, payload=snapshot(line, COST_FIELDS)
        )
    return line


def cost_line_update(
    *, actor, line: CostLine, expected_version=None, now=None, **values
) -> CostLine:
    """Correct a cost line (the change is in the audit trail; cost lines are never deleted:
    a wrong cost is corrected, or offset by a credit line)."""
    unknown = set(values) - set(COST_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    _require(actor, line.service)
    if "service" in values:
        _require(actor, values["service"])
    errors: dict = {}
    cleaned = clean_cost_fields(values, errors, today=timezone.localdate(now))
    raise_if(errors)
    with transaction.atomic():
        current = CostLine.objects.select_for_update(of=("self",)).get(pk=line.pk)
        check_version(current, expected_version)
        before = snapshot(current, COST_FIELDS)
        for name, value in cleaned.items():
            setattr(current, name, value)
        changes = field_changes(current, before, COST_FIELDS)
        if not changes:
            return current
        bump(current, now)
        audit_record(actor=actor, verb="cost_line.updated", obj=current, payload=changes)
    return current
