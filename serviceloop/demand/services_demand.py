"""Every write of demand management (clause 8.4.2): a demand record per customer, service,
period and unit, with the forecast quantity and, once known, the actual consumption."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.demand.models import DemandRecord
from serviceloop.demand.permissions import can_edit_service_records
from serviceloop.demand.validation import (
    bump,
    check_version,
    clean_decimal,
    clean_period,
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
    if DemandRecord.objects.filter(
        organisation=cleaned["organisation"],
        service=cleaned["service"],
        period_kind=cleaned["period_kind"],
        period_start=cleaned["period_start"],
        unit=cleaned["unit"],
    ).exists():
        raise _duplicate_error()
    try:
        with transaction.atomic():
            record = DemandRecord.objects.create(
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
                updated_at=now,
                **cleaned,
            )
            audit_record(
                actor=actor,
                verb="demand_record.created",
                obj=record,
                payload=snapshot(record, FIELDS),
            )
    except IntegrityError as exc:  # created a moment ago by someone else
        raise _duplicate_error() from exc
    return record


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
    try:
        with transaction.atomic():
            current = DemandRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
            check_version(current, expected_version)
            before = snapshot(current, FIELDS)
            for name, value in cleaned.items():
                setattr(current, name, value)
            changes = field_changes(current, before, FIELDS)
            if not changes:
                return current
            bump(current, now)
            audit_record(actor=actor, verb="demand_record.updated", obj=current, payload=changes)
    except IntegrityError as exc:
        raise _duplicate_error() from exc
    return current
