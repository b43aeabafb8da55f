"""Every write of demand management (clause 8.4.2): a demand record per customer, service,
period and unit, with the forecast quantity and, once known, the actual consumption."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.demand.models import DemandRecord
from serviceloop.demand.permissions import can_edit_service_records
from serviceloop.demand.record_writes import record_create, record_update
from serviceloop.demand.validation import (
    clean_decimal,
    clean_service_and_period,
    clean_text,
    raise_if,
)
from serviceloop.portfolio.models import Service

FIELDS = (
    "organisation",
    "service",
    "period_kind",
    "period_start",
    "unit",
    "forecast_quantity",
    "actual_quantity",
    "note",
)


def _duplicate_error() -> ValidationError:
    return ValidationError(
        {"period": _("This customer already has a demand record for the service, period and unit.")}
    )


def _clean(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "organisation" in values:
        organisation = values["organisation"]
        if not (
            isinstance(organisation, Organisation)
            and organisation.kind == OrganisationKind.CUSTOMER
        ):
            errors["organisation"] = _("Choose a customer organisation.")
        cleaned["organisation"] = organisation
    cleaned |= clean_service_and_period(values, errors)
    if "unit" in values:
        cleaned["unit"] = clean_text(
            values["unit"],
            "unit",
            errors,
            limit=40,
            required=_("Give the unit of demand, e.g. users or mailboxes."),
        )
    if "forecast_quantity" in values:
        cleaned["forecast_quantity"] = clean_decimal(
            values["forecast_quantity"],
            "forecast_quantity",
            errors,
            required=_("Enter the forecast quantity."),
            minimum=0,
        )
    if "actual_quantity" in values:
        cleaned["actual_quantity"] = clean_decimal(
            values["actual_quantity"], "actual_quantity", errors, minimum=0
        )
    if "note" in values:
        cleaned["note"] = clean_text(values["note"], "note", errors)
    return cleaned


def _require(actor, service) -> None:
    if actor is not None and not can_edit_service_records(actor, service):
        raise PermissionDenied


def demand_record_create(
    *,
    actor,
    organisation,
    service,
    period,
    unit: str,
    forecast_quantity,
    actual_quantity=None,
    note: str = "",
    now=None,
) -> DemandRecord:
    """Record the demand forecast of a customer for a service in a period (``2026-Q2``...),
    in a unit; one record per customer, service, period and unit."""
    now = now or timezone.now()
    _require(actor, service if isinstance(service, Service) else None)
    errors: dict = {}
    cleaned = _clean(
        {
            "organisation": organisation,
            "service": service,
            "period": period,
            "unit": unit,
            "forecast_quantity": forecast_quantity,
            "actual_quantity": actual_quantity,
            "note": note,
        },
        errors,
    )
    raise_if(errors)
    return record_create(
        DemandRecord, actor=actor, verb="demand_record.created", fields=FIELDS,
        cleaned=cleaned, now=now, duplicate=_duplicate_error,
        unique=("organisation", "service", "period_kind", "period_start", "unit"),
    )  # fmt: skip


def demand_record_update(
    *, actor, record: DemandRecord, expected_version=None, now=None, **values
) -> DemandRecord:
    """Change a record (e.g. enter the actual consumption once the period is over)."""
    allowed = {"period", "unit", "forecast_quantity", "actual_quantity", "note"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    _require(actor, record.service)
    errors: dict = {}
    cleaned = _clean(values, errors)
    raise_if(errors)
    return record_update(
        record, actor=actor, verb="demand_record.updated", fields=FIELDS, cleaned=cleaned,
        now=now, expected_version=expected_version, duplicate=_duplicate_error,
    )  # fmt: skip
