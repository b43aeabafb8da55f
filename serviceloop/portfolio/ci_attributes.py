"""The attributes a configuration item type declares, and the values its items carry.

A definition is ``{"key": "ram_gb", "label": "RAM (GB)", "type": "number", "required": true,
"choices": []}``; ``type`` is one of ``text``, ``number``, ``date`` (ISO ``YYYY-MM-DD``) or
``choice`` (one of ``choices``). Values are stored as JSON: text and choices as strings,
numbers as numbers (int when whole), dates as ISO strings.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ATTRIBUTE_TYPES = ("text", "number", "date", "choice")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_DEFINITIONS = 50
MAX_TEXT = 1000


def clean_definitions(value) -> list[dict]:
    """The definitions in their stored form, or ValidationError naming every problem."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValidationError(_("The attribute definitions are a list of objects."))
    if len(value) > MAX_DEFINITIONS:
        raise ValidationError(_("Declare at most %(n)d attributes.") % {"n": MAX_DEFINITIONS})
    problems, cleaned, seen = [], [], set()
    for position, item in enumerate(value, start=1):
        key = str(item.get("key") or "").strip()
        label = str(item.get("label") or "").strip() or key
        kind = str(item.get("type") or "text").strip()
        if not KEY.match(key):
            problems.append(
                _(
                    "Attribute %(n)d: the key must start with a letter and hold only lower-case "
                    "letters, digits and underscores (at most 40)."
                )
                % {"n": position}
            )
            continue
        if key in seen:
            problems.append(_("Attribute “%(key)s” is declared twice.") % {"key": key})
            continue
        seen.add(key)
        if kind not in ATTRIBUTE_TYPES:
            problems.append(
                _("Attribute “%(key)s”: the type must be one of %(types)s.")
                % {"key": key, "types": ", ".join(ATTRIBUTE_TYPES)}
            )
            continue
        choices = item.get("choices") or []
        if not isinstance(choices, list):
            choices = [c.strip() for c in str(choices).split(",")]
        choices = [str(c).strip() for c in choices if str(c).strip()]
        if kind == "choice" and not choices:
            problems.append(_("Attribute “%(key)s”: list its choices.") % {"key": key})
            continue
        if kind != "choice":
            choices = []
        if len(set(choices)) != len(choices):
            problems.append(_("Attribute “%(key)s”: a choice is listed twice.") % {"key": key})
            continue
        cleaned.append(
            {
                "key": key,
                "label": label[:120],
                "type": kind,
                "required": bool(item.get("required")),
                "choices": choices,
            }
        )
    if problems:
        raise ValidationError(problems)
    return cleaned


def _number(raw):
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        number = Decimal(str(raw))
    else:
        number = Decimal(str(raw).strip().replace(",", ""))
    if not number.is_finite():
        raise ValueError
    return int(number) if number == number.to_integral_value() else float(number)


def _date(raw) -> str:
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    return datetime.date.fromisoformat(str(raw).strip()[:10]).isoformat()


def clean_value(definition: dict, raw):
    """One value in its stored form; None when empty. Raises ValidationError with a message
    for the user."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if definition.get("required"):
            raise ValidationError(_("This attribute is required."), code="required")
        return None
    kind = definition["type"]
    if kind == "number":
        try:
            return _number(raw)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise ValidationError(_("Enter a number."), code="invalid") from exc
    if kind == "date":
        try:
            return _date(raw)
        except (ValueError, TypeError) as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid") from exc
    text = str(raw).strip()
    if kind == "choice":
        if text not in definition["choices"]:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition["choices"])},
                code="invalid_choice",
            )
        return text
    if len(text) > MAX_TEXT:
        raise ValidationError(_("Keep it under %(n)d characters.") % {"n": MAX_TEXT})
    return text


def clean_values(definitions: list[dict], values) -> tuple[dict, dict[str, str]]:
    """``(cleaned, errors)``: the values keyed by attribute key (empty ones left out) and one
    message per attribute key that is wrong, unknown or missing."""
    if values in (None, ""):
        values = {}
    if not isinstance(values, dict):
        return {}, {"": _("The attributes are an object of key and value.")}
    by_key = {d["key"]: d for d in definitions}
    cleaned, errors = {}, {}
    for key in values:
        if key not in by_key:
            errors[str(key)] = _("This type has no attribute “%(key)s”.") % {"key": key}
    for key, definition in by_key.items():
        try:
            value = clean_value(definition, values.get(key))
        except ValidationError as error:
            errors[key] = error.messages[0]
            continue
        if value is not None:
            cleaned[key] = value
    return cleaned, errors
