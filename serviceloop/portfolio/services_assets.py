"""Every write of the asset register (clause 8.2.5): assets with their purchase, cost,
warranty and depreciation, linked to a configuration item, their lifecycle, and the warranty
reminders.

Each service checks the actor's right, validates (ValidationError with translated messages,
nothing written), writes the change and one audit row in one transaction; asset changes
are recorded on the asset.
"""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.portfolio.cmdb_writes import (
    DESCRIPTION_LIMIT,
    TEXT_LIMITS,
    audit_value,
    check_version,
    clean_text,
    require_cmdb_writer,
)
from serviceloop.portfolio.lifecycle import ASSET_MOVES, move_for, moves_from
from serviceloop.portfolio.models import Asset, AssetStatus, ConfigurationItem

CURRENCY = re.compile(r"^[A-Z]{3}$")
ASSET_FIELDS = (
    "name",
    "tag",
    "purchase_date",
    "cost",
    "currency",
    "supplier",
    "warranty_end",
    "depreciation_months",
    "note",
)


def _clean_asset(fields: dict, errors: dict) -> dict:
    cleaned: dict = {}
    for name in ("name", "tag", "supplier"):
        if name in fields:
            cleaned[name] = clean_text(fields[name], name, errors, limit=TEXT_LIMITS[name])
    if "name" in cleaned and not cleaned["name"] and "name" not in errors:
        errors["name"] = _("Give the asset a name.")
    if "note" in fields:
        cleaned["note"] = clean_text(fields["note"], "note", errors, limit=DESCRIPTION_LIMIT)
    for name in ("purchase_date", "warranty_end"):
        if name in fields:
            value = fields[name]
            if value is not None and not isinstance(value, datetime.date):
                errors[name] = _("Enter a date as YYYY-MM-DD.")
            cleaned[name] = value
    if "cost" in fields:
        cost = fields["cost"]
        if cost is not None:
            try:
                cost = Decimal(str(cost)).quantize(Decimal("0.01"))
            except ArithmeticError:
                errors["cost"] = _("Enter an amount.")
                cost = None
            else:
                if not cost.is_finite() or cost < 0 or cost >= Decimal("1e12"):
                    errors["cost"] = _("Enter an amount of zero or more.")
        cleaned["cost"] = cost
    if "currency" in fields:
        currency = clean_text(fields["currency"] or "", "currency", errors, limit=3).upper()
        if not CURRENCY.match(currency):
            errors["currency"] = _("Use a three-letter currency code such as CNY.")
        cleaned["currency"] = currency
    if "depreciation_months" in fields:
        months = fields["depreciation_months"]
        if months is not None and (
            isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 600
        ):
            errors["depreciation_months"] = _("Enter a number of months from 1 to 600.")
        cleaned["depreciation_months"] = months
    return cleaned


def _check_asset_dates(asset: Asset, errors: dict) -> None:
    if asset.purchase_date and asset.warranty_end and asset.warranty_end < asset.purchase_date:
        errors["warranty_end"] = _("The warranty cannot end before the purchase.")


def _asset_payload(asset: Asset) -> dict:
    return {
        "reference": asset.reference,
        "status": asset.status,
        "configuration_item": audit_value(asset.configuration_item),
        **{name: audit_value(getattr(asset, name)) for name in ASSET_FIELDS},
    }


def asset_create(
    *,
    actor,
    name: str,
    status: str = AssetStatus.ORDERED,
    configuration_item: ConfigurationItem | None = None,
    **fields,
) -> Asset:
    """Record an asset (reference ``AST-YYYY-NNNNNN``), ordered unless told otherwise.
    A deployed asset needs its configuration item; an item has at most one asset."""
    require_cmdb_writer(actor)
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    fields.setdefault("currency", "CNY")
    cleaned = _clean_asset({"name": name, **fields}, errors)
    if status not in AssetStatus.values:
        errors["status"] = _("Choose a valid status.")
    if status == AssetStatus.DEPLOYED and configuration_item is None:
        errors["configuration_item"] = _("Name the configuration item this asset becomes.")
    if (
        configuration_item is not None
        and Asset.objects.filter(configuration_item=configuration_item).exists()
    ):
        errors["configuration_item"] = _("This item already has an asset record.")
    asset = Asset(status=status, configuration_item=configuration_item, **cleaned)
    _check_asset_dates(asset, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        asset.reference = reference_allocate(kind="AST")
        asset.created_by = actor if getattr(actor, "pk", None) else None
        if status == AssetStatus.DISPOSED:
            asset.disposed_on = timezone.localdate()
        asset.save()
        audit_record(actor=actor, verb="asset.created", obj=asset, payload=_asset_payload(asset))
    return asset


def _locked_asset(asset: Asset, expected_version) -> Asset:
    current = Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
    check_version(current, expected_version)
    return current


def asset_update(*, actor, asset: Asset, expected_version=None, **fields) -> Asset:
    """Change an asset's details and financial record (a disposed asset is final)."""
    require_cmdb_writer(actor)
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean_asset(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _locked_asset(asset, expected_version)
        if current.status == AssetStatus.DISPOSED:
            raise ValidationError(_("This asset is disposed of; its record can no longer change."))
        changes = {
            name: [audit_value(getattr(current, name)), audit_value(value)]
            for name, value in cleaned.items()
            if getattr(current, name) != value
        }
        for name, value in cleaned.items():
            setattr(current, name, value)
        _check_asset_dates(current, errors)
        if errors:
            raise ValidationError(errors)
        if not changes:
            return current
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db(fields=["version"])
        audit_record(actor=actor, verb="asset.updated", obj=current, payload=changes)
    return current


def asset_moves(asset: Asset):
    return moves_from(ASSET_MOVES, asset.status)


def asset_transition(
    *,
    actor,
    asset: Asset,
    target: str,
    configuration_item: ConfigurationItem | None = None,
    expected_version=None,
) -> Asset:
    """Move the asset along ordered → in stock → deployed → retired → disposed (declared in
    ``lifecycle.ASSET_MOVES``). Deploying links the configuration item it becomes (given
    here, or linked before); disposing records the day."""
    require_cmdb_writer(actor)
    with transaction.atomic():
        current = _locked_asset(asset, expected_version)
        move = move_for(ASSET_MOVES, current.status, target)
        if move is None:
            raise ValidationError(
                {
                    "status": _("An asset cannot go from “%(from)s” to “%(to)s”.")
                    % {
                        "from": AssetStatus(current.status).label,
                        "to": AssetStatus(target).label if target in AssetStatus.values else target,
                    }
                }
            )
        payload = {"status": [current.status, target]}
        if move.needs == "configuration_item":
            item = configuration_item or current.configuration_item
            if item is None:
                raise ValidationError(
                    {"configuration_item": _("Name the configuration item this asset becomes.")}
                )
            if Asset.objects.filter(configuration_item=item).exclude(pk=current.pk).exists():
                raise ValidationError(
                    {"configuration_item": _("This item already has an asset record.")}
                )
            if item.pk != current.configuration_item_id:
                payload["configuration_item"] = [
                    audit_value(current.configuration_item),
                    item.reference,
                ]
                current.configuration_item = item
        if target == AssetStatus.DISPOSED:
            current.disposed_on = timezone.localdate()
            payload["disposed_on"] = current.disposed_on.isoformat()
        current.status = target
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db(fields=["version"])
        audit_record(actor=actor, verb="asset.status_changed", obj=current, payload=payload)
    return current


# --- Reminders -----------------------------------------------------------------------------

WARRANTY_NOTICE_DAYS = 30


def asset_warranty_remind(*, today: datetime.date | None = None) -> int:
    """Tell the owner of each asset in stock or deployed whose warranty ends within
    ``WARRANTY_NOTICE_DAYS`` days (the owner of its configuration item, else the provider's
    administrators), once per asset and warranty end date. Returns the notifications made."""
    from serviceloop.core.roles import ROLE_CAPABILITIES
    from serviceloop.core.services.notifications import notify

    today = today or timezone.localdate()
    admin_roles = [r for r, caps in ROLE_CAPABILITIES.items() if Capability.ADMINISTER in caps]
    administrators = list(User.objects.filter(is_active=True, role__in=admin_roles))
    due = (
        Asset.objects.filter(
            status__in=[AssetStatus.IN_STOCK, AssetStatus.DEPLOYED],
            warranty_end__gte=today,
            warranty_end__lte=today + datetime.timedelta(days=WARRANTY_NOTICE_DAYS),
        )
        .select_related("configuration_item__owner")
        .order_by("warranty_end", "pk")
    )
    made = 0
    for asset in due:
        owner = asset.configuration_item.owner if asset.configuration_item else None
        with transaction.atomic():
            made += len(
                notify(
                    recipients=[owner] if owner else administrators,
                    kind="asset_warranty",
                    context={"asset": asset, "days": (asset.warranty_end - today).days},
                    url=f"/assets/{asset.reference}/",
                    dedupe_key=f"asset-warranty:{asset.pk}:{asset.warranty_end.isoformat()}",
                )
            )
    return made
