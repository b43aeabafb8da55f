"""Filters and validation of KPI definitions (part of the engine, re-exported by it).

A filter (``denominator_filter``, ``numerator_filter``) is a JSON object of field lookups
``{"field__lookup": value}`` ANDed, with ``"__or__": [{...}, {...}]`` for an OR of groups and
``{"flag": true|false}`` for the record set's named conditions (``sources_kpis``). The first
part of every lookup must be in the record set's ``fields`` whitelist and the lookup suffix in
``LOOKUPS``. ``definition_validate`` raises ValidationError keyed by the form's field names.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.core.exceptions import FieldError, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from serviceloop.evaluation.models import Aggregate, KpiDefinition
from serviceloop.evaluation.sources_kpis import (
    AVAILABILITY_SLICES,
    AVAILABILITY_SOURCE,
    EXTERNALS,
    LOOKUPS,
    SLICE_DIMENSIONS,
    SOURCES,
    RecordSet,
    external_known,
)

RELATED_FIELDS = {"events": {"kind", "from_value", "to_value"}}


def _check_lookup(record_set: RecordSet, key: str) -> None:
    parts = key.split("__")
    if parts[-1] in LOOKUPS and len(parts) > 1:
        parts = parts[:-1]
    allowed = parts[0] in record_set.fields and (
        len(parts) == 1 or (len(parts) == 2 and parts[1] in RELATED_FIELDS.get(parts[0], ()))
    )
    if not allowed:
        raise ValidationError(
            _("The filter %(key)s is not allowed on %(source)s.")
            % {"key": key, "source": record_set.key}
        )


def filter_q(record_set: RecordSet, spec) -> Q:
    """The Q of a JSON filter (see the module docstring); ValidationError if not allowed."""
    if not spec:
        return Q()
    if not isinstance(spec, dict):
        raise ValidationError(_("A KPI filter must be a JSON object."))
    rule = Q()
    for key, value in spec.items():
        if key == "__or__":
            if not isinstance(value, list) or not value:
                raise ValidationError(_('"__or__" must be a list of filters.'))
            either = Q()
            for group in value:
                either |= filter_q(record_set, group)
            rule &= either
            continue
        if key in record_set.flags:
            if not isinstance(value, bool):
                raise ValidationError(
                    _("The condition %(key)s takes true or false.") % {"key": key}
                )
            condition = record_set.flags[key]()
            condition = condition if isinstance(condition, Q) else Q(condition)
            rule &= condition if value else ~condition
            continue
        _check_lookup(record_set, key)
        if key.endswith("__ne"):
            rule &= ~Q(**{key[: -len("__ne")]: value})
        else:
            rule &= Q(**{key: value})
    return rule


def _check_filter(record_set: RecordSet, spec) -> None:
    """The filter is allowed and its values fit its fields: the SQL is built (not run), so a
    date that is not a date or an ``__in`` without a list is refused here, not at evaluation."""
    rule = filter_q(record_set, spec)
    try:
        str(record_set.queryset().filter(rule).query)
    except (TypeError, ValueError, ValidationError, FieldError) as error:
        raise ValidationError(
            _("A value of this filter does not fit its field: %(error)s") % {"error": error}
        ) from error


def _uses_join(definition: KpiDefinition) -> bool:
    """Filters through a to-many relation (``events__…``): counted DISTINCT, never batched."""
    text = json.dumps([definition.numerator_filter, definition.denominator_filter])
    return '"events__' in text


def definition_slices(definition: KpiDefinition) -> list[str]:
    """The slice dimensions this definition may be evaluated and broken down by."""
    wanted = [d for d in (definition.slices or []) if d in SLICE_DIMENSIONS]
    if definition.aggregate == Aggregate.EXTERNAL:
        external = EXTERNALS.get(definition.external)
        return [d for d in wanted if external and d in external.slices]
    if definition.aggregate == Aggregate.AVAILABILITY_PCT:
        return [d for d in wanted if d in AVAILABILITY_SLICES]
    record_set = SOURCES.get(definition.source)
    return [d for d in wanted if record_set and d in record_set.slices]


def definition_validate(definition: KpiDefinition) -> None:
    """Raise ValidationError (keyed by form field) unless the definition can be evaluated.
    A registered function another part has not registered yet (``EXPECTED``) is valid: it
    evaluates as "not available"."""
    errors: dict[str, list] = defaultdict(list)

    def check(name, function, *args):
        try:
            function(*args)
        except ValidationError as error:
            errors[name].extend(error.messages)

    kind = definition.aggregate
    slices = definition.slices or []
    if not isinstance(slices, list) or any(d not in SLICE_DIMENSIONS for d in slices):
        errors["slices"].append(_("Unknown slice: %(name)s.") % {"name": slices})
        slices = []
    if kind not in Aggregate.values:
        errors["aggregate"].append(_("Unknown aggregate: %(name)s.") % {"name": kind})
    elif kind == Aggregate.EXTERNAL:
        if not external_known(definition.external):
            errors["external"].append(
                _("Unknown registered function: %(name)s.") % {"name": definition.external}
            )
        elif definition.external in EXTERNALS:
            offered = EXTERNALS[definition.external].slices
            for name in slices:
                if name not in offered:
                    errors["slices"].append(_("Unknown slice: %(name)s.") % {"name": name})
    else:
        record_set = SOURCES.get(definition.source)
        if record_set is None:
            errors["source"].append(
                _("Unknown record set: %(name)s.") % {"name": definition.source}
            )
        elif kind == Aggregate.AVAILABILITY_PCT and definition.source != AVAILABILITY_SOURCE:
            errors["source"].append(
                _("Availability is computed from the record set %(name)s.")
                % {"name": AVAILABILITY_SOURCE}
            )
        else:
            check("denominator_filter", _check_filter, record_set, definition.denominator_filter)
            check("numerator_filter", _check_filter, record_set, definition.numerator_filter)
            _validate_kind(definition, record_set, errors)
            offered = (
                AVAILABILITY_SLICES if kind == Aggregate.AVAILABILITY_PCT else record_set.slices
            )
            for name in slices:
                if name not in offered:
                    errors["slices"].append(_("Unknown slice: %(name)s.") % {"name": name})
    if errors:
        raise ValidationError(dict(errors))


def _validate_kind(definition, record_set, errors) -> None:
    kind = definition.aggregate
    if kind in (Aggregate.AVG_DURATION, Aggregate.PERCENTILE_DURATION):
        for name in ("start_field", "end_field"):
            value = getattr(definition, name)
            if value not in record_set.fields or value in RELATED_FIELDS:
                errors[name].append(_("Unknown duration field: %(name)s.") % {"name": value})
    if kind == Aggregate.PERCENTILE_DURATION and not (
        definition.percentile and 0 < definition.percentile < 100
    ):
        errors["percentile"].append(_("A percentile must be between 1 and 99."))
    if kind in (Aggregate.SUM, Aggregate.AVERAGE) and (
        definition.value_field not in record_set.fields or definition.value_field in RELATED_FIELDS
    ):
        errors["value_field"].append(
            _("Unknown value field: %(name)s.") % {"name": definition.value_field}
        )
    if kind == Aggregate.AVAILABILITY_PCT and definition.numerator_filter:
        errors["numerator_filter"].append(
            _("Availability has no numerator filter: filter the outages counted instead.")
        )


def _slice_q(record_set: RecordSet, slice_: dict) -> Q:
    rule = Q()
    for name, value in (slice_ or {}).items():
        rule &= Q(**{record_set.slices[name]: value})
    return rule


def _slice_check(definition: KpiDefinition, slice_: dict) -> bool:
    allowed = definition_slices(definition)
    return all(name in allowed for name in slice_ or {})


def slice_canonical(slice_: dict | None) -> str:
    """The canonical text of a slice (sorted keys, compact): the snapshot's unique key."""
    return json.dumps(slice_ or {}, sort_keys=True, separators=(",", ":"), default=str)
