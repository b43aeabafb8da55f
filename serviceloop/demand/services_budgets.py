"""Every write of budgeting and accounting for services (clause 8.4.1): budgets per service
and period, and cost lines (the actual costs) entered one by one or imported."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.demand.models import Budget, CostCategory, CostLine, CostSource
from serviceloop.demand.permissions import can_edit_service_records
from serviceloop.demand.record_writes import record_create, record_update
from serviceloop.demand.validation import (
    clean_currency,
    clean_date,
    clean_decimal,
    clean_service_and_period,
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
    cleaned = clean_service_and_period(values, errors)
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
    return record_create(
        Budget, actor=actor, verb="budget.created", fields=BUDGET_FIELDS, cleaned=cleaned,
        now=now, unique=("service", "period_kind", "period_start"), duplicate=_duplicate_budget,
    )  # fmt: skip


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
    return record_update(
        budget, actor=actor, verb="budget.updated", fields=BUDGET_FIELDS, cleaned=cleaned,
        now=now, expected_version=expected_version, duplicate=_duplicate_budget,
    )  # fmt: skip


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
    return record_create(
        CostLine, actor=actor, verb="cost_line.created", fields=COST_FIELDS, cleaned=cleaned,
        now=now, source=source,
    )  # fmt: skip


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
    return record_update(
        line, actor=actor, verb="cost_line.updated", fields=COST_FIELDS, cleaned=cleaned,
        now=now, expected_version=expected_version,
    )  # fmt: skip
