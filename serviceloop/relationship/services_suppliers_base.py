"""Shared pieces of the supplier services: the writer check, input cleaning, versioned
saves and audit payloads. Every service module of the suppliers part uses them."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from serviceloop.core.models import User
from serviceloop.core.roles import Capability
from serviceloop.relationship.models.suppliers import SYSTEM
from serviceloop.relationship.permissions_suppliers import supplier_role

TEXT_LIMIT = 20_000
MAX_VALUE = Decimal("999999999999.99")


def require_writer(actor) -> str:
    role = SYSTEM if actor is None else supplier_role(actor)
    if role is None:
        raise PermissionDenied
    return role


def clean_text(
    value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required: str = ""
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = required
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def staff_person(person, field: str, errors: dict, *, required: str = ""):
    """An active person of the provider (staff), or None when allowed."""
    if person is None:
        if required:
            errors[field] = required
        return None
    if not isinstance(person, User):
        errors[field] = _("Choose a person.")
        return None
    if not person.is_active or not person.has_capability(Capability.STAFF):
        errors[field] = _("Choose an active member of the provider's staff.")
    return person


def clean_date(value, field: str, errors: dict, *, required: str = ""):
    if value is None or value == "":
        if required:
            errors[field] = required
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            errors[field] = _("Enter a date (YYYY-MM-DD).")
            return None
    return value


def clean_amount(value, field: str, errors: dict):
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_VALUE:
        errors[field] = _("Enter a number from 0 to %(max)s.") % {"max": MAX_VALUE}
        return None
    return amount.quantize(Decimal("0.01"))


def locked(model, obj, expected_version):
    current = model.objects.select_for_update(of=("self",)).get(pk=obj.pk)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this record meanwhile; check it and try again."),
            code="stale",
        )
    return current


def save_versioned(obj, now) -> None:
    obj.updated_at = now
    obj.version = F("version") + 1
    obj.save()
    obj.refresh_from_db(fields=["version"])


def fk(value):
    return value.pk if hasattr(value, "pk") else value


def changes_between(before: dict, after: dict) -> dict:
    return {
        name: [fk(before[name]), fk(after[name])]
        for name in after
        if fk(before[name]) != fk(after[name])
    }


def refuse_move(label_of, source, target, choices) -> ValidationError:
    return ValidationError(
        {
            "status": _("Cannot go from “%(from)s” to “%(to)s”.")
            % {
                "from": label_of(source).label,
                "to": label_of(target).label if target in choices else target,
            }
        }
    )
