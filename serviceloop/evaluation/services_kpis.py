"""Writes of the KPI part: creating a KPI definition and editing one (its description and
targets, or its formula). Each is one transaction that validates the whole definition with
``engine.definition_validate``, bumps the version and writes one audit row; bad input raises
ValidationError (keyed by field) and writes nothing."""

import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability
from serviceloop.evaluation.engine import definition_validate
from serviceloop.evaluation.models import KpiDefinition

DESCRIPTIVE = ("name_en", "name_zh", "description", "unit", "direction", "target", "warning",
               "period", "owner", "is_active")  # fmt: skip
FORMULA = ("aggregate", "source", "external", "denominator_filter", "numerator_filter",
           "value_field", "start_field", "end_field", "percentile", "slices")  # fmt: skip
EDITABLE = DESCRIPTIVE + FORMULA
# Codes that would shadow a KPI screen's URL (``/kpis/new/``).
RESERVED_CODES = frozenset({"new"})


def kpi_can_edit(user) -> bool:
    return user.has_capability(Capability.MANAGE_SYSTEM) or user.has_capability(
        Capability.ADMINISTER
    )


def _require_edit(actor) -> None:
    if not kpi_can_edit(actor):
        require(actor, Capability.MANAGE_SYSTEM)


def _check_fields(changes: dict) -> None:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(names)s.") % {
            "names": ", ".join(sorted(unknown))
        })  # fmt: skip


def _check(definition: KpiDefinition) -> None:
    """Thresholds on the right side, a name, and a formula the engine can evaluate."""
    errors = {}
    if not (definition.name_en or "").strip():
        errors["name_en"] = [_("Give the KPI a name.")]
    target, warning = definition.target, definition.warning
    if (
        target is not None
        and warning is not None
        and (
            (definition.direction == "higher" and warning > target)
            or (definition.direction == "lower" and warning < target)
        )
    ):
        errors["warning"] = [_("The warning threshold must lie on the bad side of the target.")]
    try:
        definition_validate(definition)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _text(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def _state(definition: KpiDefinition) -> dict:
    return {
        name: _text(getattr(definition, "owner_id" if name == "owner" else name))
        for name in EDITABLE
    }


def kpi_definition_create(actor, *, code: str, **fields) -> KpiDefinition:
    """Create a KPI (``code``: a unique slug) from ``fields`` (names in ``EDITABLE``).
    MANAGE_SYSTEM or ADMINISTER; audited ``kpi.created``."""
    _require_edit(actor)
    _check_fields(fields)
    code = (code or "").strip()
    try:
        validate_slug(code)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from error
    if code in RESERVED_CODES or len(code) > 60:
        raise ValidationError({"code": [_("This code cannot be used.")]})
    with transaction.atomic():
        if KpiDefinition.objects.filter(code=code).exists():
            raise ValidationError({"code": [_("A KPI with this code exists.")]})
        definition = KpiDefinition(code=code, **fields)
        _check(definition)
        definition.save()
        audit_record(
            actor=actor, verb="kpi.created", obj=definition, payload={"fields": _state(definition)}
        )
    return definition


def kpi_definition_update(actor, definition: KpiDefinition, **changes) -> KpiDefinition:
    """Change a KPI's description, targets or formula (names in ``EDITABLE``); the whole
    definition is validated, the version bumped. Audited ``kpi.updated`` with the changes."""
    _require_edit(actor)
    _check_fields(changes)
    with transaction.atomic():
        locked = KpiDefinition.objects.select_for_update(of=("self",)).get(pk=definition.pk)
        before = _state(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        _check(locked)
        after = _state(locked)
        diff = {k: [before[k], after[k]] for k in EDITABLE if before[k] != after[k]}
        if not diff:
            return locked
        locked.version += 1
        locked.save()
        audit_record(actor=actor, verb="kpi.updated", obj=locked, payload={"changes": diff})
    return locked
