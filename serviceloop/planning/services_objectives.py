"""Objective writes (clause 6.2): create, change, withdraw and reinstate. The value and the
status are never written: ``queries_objectives.evaluate`` computes them from the figure.

Each service checks the actor's right, validates, writes the change and one audit row in one
transaction, and raises ValidationError (translated messages, nothing written) on bad input.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_decimal,
    clean_owner,
    clean_text,
    raise_if,
    require_manager,
)
from serviceloop.planning.figures import figure_for
from serviceloop.planning.models import Direction, Objective, ObjectiveState

REFERENCE_KIND = "OBJ"
OBJECTIVE_FIELDS = (
    "title",
    "description",
    "owner",
    "due_on",
    "plan",
    "figure",
    "target",
    "unit",
    "direction",
    "kpi_code",
)
KPI_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")


def _clean(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    for name in ("description", "plan"):
        if name in values:
            cleaned[name] = clean_text(values[name], name, errors)
    if "owner" in values:
        cleaned["owner"] = clean_owner(values["owner"], errors)
    if "due_on" in values:
        cleaned["due_on"] = clean_date(values["due_on"], "due_on", errors)
    if "figure" in values:
        if figure_for(values["figure"] or "") is None:
            errors["figure"] = _("Choose a figure from the list.")
        cleaned["figure"] = values["figure"]
    if "target" in values:
        cleaned["target"] = clean_decimal(values["target"], "target", errors)
    if "unit" in values:
        cleaned["unit"] = clean_text(values["unit"], "unit", errors, limit=20)
    if "direction" in values:
        cleaned["direction"] = clean_choice(
            values["direction"], Direction.values, "direction", errors
        )
    if "kpi_code" in values:
        code = clean_text(values["kpi_code"], "kpi_code", errors, limit=60)
        if code and not KPI_CODE.match(code):
            errors["kpi_code"] = _(
                "Use lower-case letters, digits, dots, dashes and underscores, such as "
                "resolution_within_sla_pct."
            )
        cleaned["kpi_code"] = code
    return cleaned


def objective_create(
    *,
    actor,
    title: str,
    owner,
    due_on,
    figure: str,
    target,
    direction: str | None = None,
    unit: str | None = None,
    description: str = "",
    plan: str = "",
    kpi_code: str = "",
) -> Objective:
    """A new objective ``OBJ-YYYY-NNNNNN`` measured by ``figure`` (a code of
    ``figures.FIGURES``). The unit and direction default to the figure's."""
    require_manager(actor)
    spec = figure_for(figure or "")
    values = {
        "title": title, "owner": owner, "due_on": due_on, "figure": figure, "target": target,
        "direction": direction or (spec.direction if spec else Direction.HIGHER),
        "unit": spec.unit if unit is None and spec else (unit or ""),
        "description": description, "plan": plan, "kpi_code": kpi_code,
    }  # fmt: skip
    errors: dict = {}
    cleaned = _clean(values, errors)
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        objective = Objective.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localdate(now).year),
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        audit_record(
            actor=actor,
            verb="objective.created",
            obj=objective,
            payload=snapshot(objective, OBJECTIVE_FIELDS),
        )
    return objective


def objective_update(
    *, actor, objective: Objective, expected_version: int | None = None, **changes
) -> Objective:
    require_manager(actor)
    unknown = set(changes) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean(changes, errors)
    raise_if(errors)
    with transaction.atomic():
        objective = Objective.objects.select_for_update(of=("self",)).get(pk=objective.pk)
        check_version(objective, expected_version)
        before = snapshot(objective, OBJECTIVE_FIELDS)
        for name, value in cleaned.items():
            setattr(objective, name, value)
        made = field_changes(objective, before, OBJECTIVE_FIELDS)
        if not made:
            return objective
        objective.updated_at = timezone.now()
        objective.version += 1
        objective.save()
        audit_record(actor=actor, verb="objective.updated", obj=objective, payload=made)
    return objective


def objective_set_state(
    *,
    actor,
    objective: Objective,
    state: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Objective:
    """Withdraw an objective (with the reason) or reinstate it."""
    require_manager(actor)
    errors: dict = {}
    state = clean_choice(state, ObjectiveState.values, "target", errors)
    reason = clean_text(reason, "reason", errors, limit=2000)
    if state == ObjectiveState.WITHDRAWN and not reason and "reason" not in errors:
        errors["reason"] = _("Say why the objective is withdrawn.")
    raise_if(errors)
    with transaction.atomic():
        objective = Objective.objects.select_for_update(of=("self",)).get(pk=objective.pk)
        check_version(objective, expected_version)
        if objective.state == state:
            raise ValidationError({"target": _("The objective is in that state already.")})
        previous = objective.state
        objective.state = state
        objective.withdrawn_reason = reason if state == ObjectiveState.WITHDRAWN else ""
        objective.updated_at = timezone.now()
        objective.version += 1
        objective.save()
        audit_record(
            actor=actor,
            verb="objective.state_changed",
            obj=objective,
            payload={"from": previous, "to": state, "reason": reason},
        )
    return objective
