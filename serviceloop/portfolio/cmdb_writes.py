"""What every CMDB service does the same way: check the writer's right, clean text within its
limit, check the version the editor read, and name values in audit rows."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from serviceloop.core.models import Organisation, User
from serviceloop.portfolio.models import Asset, CiType, ConfigurationItem
from serviceloop.portfolio.permissions import can_write_cmdb

TEXT_LIMITS = {"name": 200, "location": 200, "supplier": 200, "version_label": 80, "tag": 120}
DESCRIPTION_LIMIT = 20_000


def require_cmdb_writer(actor) -> None:
    """403 unless the actor may write the CMDB (None: the system, a task or the demo)."""
    if actor is not None and not can_write_cmdb(actor):
        raise PermissionDenied


def audit_value(value):
    """``value`` as an audit row names it: a record by its reference or code, a person by
    username, an organisation by short name, a decimal or a date as text."""
    if isinstance(value, ConfigurationItem | Asset):
        return value.reference
    if isinstance(value, CiType):
        return value.code
    if isinstance(value, User):
        return value.get_username()
    if isinstance(value, Organisation):
        return value.short_name or value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def clean_text(value, field: str, errors: dict, *, limit: int) -> str:
    """``value`` stripped (None: empty); a translated message in ``errors`` when it is not
    text or longer than ``limit``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def check_version(current, expected_version) -> None:
    """ValidationError ``stale`` when ``expected_version`` is given and no longer current."""
    if expected_version is not None and current.version != int(expected_version):
        raise ValidationError(
            _("Someone else changed this record meanwhile; check it and try again."),
            code="stale",
        )
