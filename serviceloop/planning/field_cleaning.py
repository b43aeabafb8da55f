"""Cleaning of the values the management-system services receive (clauses 4–6): text, dates,
owners, choices, the optimistic-concurrency check. Each cleaner records a translated message
under the field's name in ``errors`` and returns the cleaned value; the service raises one
ValidationError with every message at once.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from serviceloop.core.models import User
from serviceloop.core.roles import Capability
from serviceloop.planning.permissions import can_manage

TEXT_LIMIT = 20_000


def require_manager(actor) -> None:
    """403 unless the actor may change management-system records."""
    if not can_manage(actor):
        raise PermissionDenied


def check_version(record, expected_version) -> None:
    if expected_version is not None and expected_version != record.version:
        raise ValidationError(
            _("Someone changed this record since you opened it. Reload and try again."),
            code="stale",
        )


def clean_text(value, field: str, errors: dict, *, limit=TEXT_LIMIT, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def clean_date(value, field: str, errors: dict, *, required=True):
    if value is None and not required:
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[field] = _("Enter a valid date.")
        return None
    return value


def clean_owner(owner, errors: dict, field: str = "owner"):
    """An active member of the provider's staff."""
    if not (isinstance(owner, User) and owner.is_active and owner.has_capability(Capability.STAFF)):
        errors[field] = _("The owner must be an active member of the provider's staff.")
    return owner


def clean_choice(value, choices, field: str, errors: dict) -> str:
    if value not in choices:
        errors[field] = _("Choose a value from the list.")
    return value


def clean_decimal(value, field: str, errors: dict, *, limit=Decimal("999999999.99")):
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("Enter a number.")
        return None
    if not number.is_finite() or abs(number) > limit:
        errors[field] = _("Enter a number between -%(max)s and %(max)s.") % {"max": limit}
        return None
    return number


def clean_lines(value, field: str, errors: dict, *, limit=200, most=50) -> list[str]:
    """A list of short texts, from a list or from text with one per line (blanks dropped)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or any(not isinstance(v, str) for v in value):
        errors[field] = _("Enter one item per line.")
        return []
    lines = [v.strip() for v in value if v.strip()]
    if len(lines) > most:
        errors[field] = _("Enter at most %(n)d items.") % {"n": most}
    elif any(len(v) > limit for v in lines):
        errors[field] = _("Keep each item under %(n)d characters.") % {"n": limit}
    return lines


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)
