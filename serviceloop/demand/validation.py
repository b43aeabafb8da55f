"""Input checks the demand services share. Each adds a translated message to ``errors``
under the field's name and returns the cleaned value; the service raises once at the end
(``raise_if``), so a caller sees every problem of its input at once and nothing is written."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.demand.periods import Period

TEXT_LIMIT = 20_000
CURRENCY = re.compile(r"^[A-Z]{3}$")


def clean_text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required="") -> str:
    """Stripped text; ``required`` is the message when it is empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    elif required and not value:
        errors[field] = required
    return value


def clean_decimal(
    value,
    field: str,
    errors: dict,
    *,
    places: int = 2,
    digits: int = 14,
    required: str = "",
    minimum: Decimal | None = None,
    allow_zero: bool = True,
) -> Decimal | None:
    """A finite number with at most ``places`` decimals and ``digits`` digits in all."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = required
        return None
    if isinstance(value, bool):
        errors[field] = _("Enter a number.")
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not number.is_finite():
        errors[field] = _("Enter a number.")
        return None
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum) if number.as_tuple().exponent < -places else number
    if rounded != number:
        errors[field] = _("Use at most %(n)d decimal places.") % {"n": places}
        return None
    if abs(number) >= Decimal(10) ** (digits - places):
        errors[field] = _("The number is too large.")
        return None
    if minimum is not None and number < minimum:
        errors[field] = _("Enter at least %(n)s.") % {"n": minimum}
        return None
    if not allow_zero and number == 0:
        errors[field] = _("Enter an amount other than zero.")
        return None
    return number


def clean_currency(value, field: str, errors: dict) -> str:
    code = (value or "").strip().upper() if isinstance(value, str) else ""
    if not CURRENCY.match(code):
        errors[field] = _("Enter a three-letter currency code, e.g. CNY.")
    return code


def clean_period(value, field: str, errors: dict) -> Period | None:
    """A ``Period`` or its label (``2026``, ``2026-Q2``, ``2026-05``)."""
    if isinstance(value, Period):
        return value
    try:
        return Period.parse(value)
    except ValueError:
        errors[field] = _("Enter a period as 2026, 2026-Q2 or 2026-05.")
        return None


def clean_service_and_period(values: dict, errors: dict) -> dict:
    """Of ``values``, the ``service`` (a catalogue service) and the ``period`` (as
    ``clean_period``, stored as ``period_kind``, ``period_start`` and ``period_end``), those
    given: the keys every record per service and period is cleaned with."""
    from serviceloop.portfolio.models import Service

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
    return cleaned


def clean_date(value, field: str, errors: dict, *, required: str = "") -> datetime.date | None:
    if value in (None, ""):
        if required:
            errors[field] = required
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors[field] = _("Enter a date.")
        return None
    return value


def clean_instant(value, field: str, errors: dict, *, required: str = ""):
    """An aware instant (a naive one is read in TIME_ZONE)."""
    if value in (None, ""):
        if required:
            errors[field] = required
        return None
    if not isinstance(value, datetime.datetime):
        errors[field] = _("Enter a date and time.")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def check_version(current, expected_version) -> None:
    """Optimistic concurrency: refuse when the record changed since the caller read it."""
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this record meanwhile; check it and try again."),
            code="stale",
        )


def bump(instance, now) -> None:
    """Save ``instance`` with its version incremented and ``updated_at`` set."""
    instance.updated_at = now
    instance.version = F("version") + 1
    instance.save()
    instance.refresh_from_db(fields=["version"])


def plain_number(value) -> str:
    """A Decimal without trailing zeros and never in exponent notation (95.5000 → 95.5)."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")
