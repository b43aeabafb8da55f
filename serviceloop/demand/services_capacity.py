"""Every write of capacity management (clause 8.4.3): capacity plans, measurements (one at a
time on screen, in bulk from monitoring or an import) and capacity actions.

Each service checks the actor's right (``actor=None`` is the system: demo, command line,
tasks), validates, writes and appends one audit row in one transaction. After measurements
are written, the plan's alert condition is evaluated (``services_capacity_alerts``) in a
transaction of its own, so a failure to raise the incident never loses the measurements:
the next measurement or the daily evaluation tries again.
"""

import datetime
import logging
import uuid as uuid_module
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, snapshot
from serviceloop.core.models import Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import notify
from serviceloop.demand.models import (
    ActionStatus,
    AlertAction,
    CapacityAction,
    CapacityPlan,
    Direction,
    Measurement,
    MeasurementSource,
)
from serviceloop.demand.permissions import (
    can_edit_plan,
    can_edit_service_records,
    can_manage,
    can_record_measurements,
)
from serviceloop.demand.record_writes import record_update
from serviceloop.demand.validation import (
    clean_date,
    clean_decimal,
    clean_instant,
    clean_text,
    raise_if,
)
from serviceloop.portfolio.lifecycle import CiStatus
from serviceloop.portfolio.models import ConfigurationItem, Service

log = logging.getLogger(__name__)

PLAN_FIELDS = (
    "name",
    "service",
    "configuration_item",
    "owner",
    "resource",
    "unit",
    "direction",
    "warning_threshold",
    "critical_threshold",
    "review_date",
    "forecast_window_days",
    "forecast_alert_days",
    "alert_action",
    "alert_team",
    "notes",
    "is_active",
)
WINDOW_DAYS = (7, 730)
ALERT_DAYS = (1, 365)
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
MAX_PUSH = 5_000


def plan_url(plan: CapacityPlan) -> str:
    return f"/capacity/{plan.reference}/"


# --- Plans ---------------------------------------------------------------------------------


def _clean_int(value, field_name, errors, bounds, *, optional=False):
    if value in (None, ""):
        if not optional:
            errors[field_name] = _("Enter a whole number of days.")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field_name] = _("Enter a whole number of days.")
        return None
    low, high = bounds
    if not low <= number <= high:
        errors[field_name] = _("Enter a number of days from %(low)d to %(high)d.") % {
            "low": low,
            "high": high,
        }
        return None
    return number


def _clean_plan(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "name" in values:
        cleaned["name"] = clean_text(
            values["name"], "name", errors, limit=200, required=_("Give the plan a name.")
        )
    if "resource" in values:
        cleaned["resource"] = clean_text(
            values["resource"],
            "resource",
            errors,
            limit=120,
            required=_('Say what is measured, e.g. "CPU %" or "storage GB".'),
        )
    if "unit" in values:
        cleaned["unit"] = clean_text(
            values["unit"], "unit", errors, limit=40, required=_("Give the unit of the values.")
        )
    if "notes" in values:
        cleaned["notes"] = clean_text(values["notes"], "notes", errors)
    if "service" in values:
        service = values["service"]
        if service is not None and not isinstance(service, Service):
            errors["service"] = _("Choose a service.")
        cleaned["service"] = service
    if "configuration_item" in values:
        item = values["configuration_item"]
        if item is not None and (
            not isinstance(item, ConfigurationItem) or item.status == CiStatus.RETIRED
        ):
            errors["configuration_item"] = _("Choose a configuration item that is in use.")
        cleaned["configuration_item"] = item
    if "owner" in values:
        owner = values["owner"]
        if not (
            isinstance(owner, User) and owner.is_active and owner.has_capability(Capability.STAFF)
        ):
            errors["owner"] = _("Choose an active member of staff as the owner.")
        cleaned["owner"] = owner
    if "direction" in values:
        if values["direction"] not in Direction.values:
            errors["direction"] = _("Choose whether higher or lower values are worse.")
        cleaned["direction"] = values["direction"]
    for name in ("warning_threshold", "critical_threshold"):
        if name in values:
            cleaned[name] = clean_decimal(
                values[name], name, errors, places=4, digits=18, required=_("Enter a threshold.")
            )
    if "review_date" in values:
        cleaned["review_date"] = clean_date(values["review_date"], "review_date", errors)
    if "forecast_window_days" in values:
        cleaned["forecast_window_days"] = _clean_int(
            values["forecast_window_days"], "forecast_window_days", errors, WINDOW_DAYS
        )
    if "forecast_alert_days" in values:
        cleaned["forecast_alert_days"] = _clean_int(
            values["forecast_alert_days"], "forecast_alert_days", errors, ALERT_DAYS, optional=True
        )
    if "alert_action" in values:
        if values["alert_action"] not in AlertAction.values:
            errors["alert_action"] = _("Choose what an alert does.")
        cleaned["alert_action"] = values["alert_action"]
    if "alert_team" in values:
        team = values["alert_team"]
        if team is not None and (
            not isinstance(team, Team) or not team.is_active or not team.organisation.is_provider
        ):
            errors["alert_team"] = _("Choose an active team of the provider.")
        cleaned["alert_team"] = team
    if "is_active" in values:
        cleaned["is_active"] = bool(values["is_active"])
    return cleaned


def _check_plan_whole(plan_values: dict, errors: dict) -> None:
    """Rules across fields, on the plan as it would be saved."""
    if plan_values.get("service") is None and plan_values.get("configuration_item") is None:
        errors.setdefault(
            "service", _("Choose the service or the configuration item the plan covers.")
        )
    warning = plan_values.get("warning_threshold")
    critical = plan_values.get("critical_threshold")
    if warning is None or critical is None or "warning_threshold" in errors:
        return
    if plan_values.get("direction") == Direction.LOWER_IS_WORSE:
        if not warning > critical:
            errors["warning_threshold"] = _(
                "When lower is worse, the warning threshold must be above the critical one."
            )
    elif not warning < critical:
        errors["warning_threshold"] = _(
            "When higher is worse, the warning threshold must be below the critical one."
        )


def plan_create(*, actor, now=None, **values) -> CapacityPlan:
    """Open a capacity plan (reference ``CAP-YYYY-NNNNNN``). Required: name, service and/or
    configuration_item, owner, resource, unit, warning and critical thresholds."""
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not a plan field: {sorted(unknown)}")
    now = now or timezone.now()
    values = {
        "service": None,
        "configuration_item": None,
        "direction": Direction.HIGHER_IS_WORSE,
        "review_date": None,
        "forecast_window_days": 90,
        "forecast_alert_days": None,
        "alert_action": AlertAction.INCIDENT,
        "alert_team": None,
        "notes": "",
        "is_active": True,
        **values,
    }
    for required in ("name", "owner", "resource", "unit", "warning_threshold"):
        values.setdefault(required, None)
    values.setdefault("critical_threshold", None)
    if actor is not None and not can_edit_service_records(actor, values["service"]):
        raise PermissionDenied
    errors: dict = {}
    cleaned = _clean_plan(values, errors)
    _check_plan_whole(cleaned, errors)
    raise_if(errors)
    with transaction.atomic():
        plan = CapacityPlan.objects.create(
            reference=reference_allocate(kind="CAP", year=timezone.localtime(now).year),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        audit_record(
            actor=actor,
            verb="capacity_plan.created",
            obj=plan,
            payload={"reference": plan.reference, **snapshot(plan, PLAN_FIELDS)},
        )
    return plan


def plan_update(*, actor, plan: CapacityPlan, expected_version=None, now=None, **values):
    """Change a plan's fields (only those given). Moving it to another service needs the
    right to edit that service's records too."""
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not a plan field: {sorted(unknown)}")
    now = now or timezone.now()
    if actor is not None:
        if not can_edit_plan(actor, plan):
            raise PermissionDenied
        if "service" in values and not can_edit_service_records(actor, values["service"]):
            raise PermissionDenied
    errors: dict = {}
    cleaned = _clean_plan(values, errors)
    whole = {name: getattr(plan, name) for name in PLAN_FIELDS} | cleaned
    _check_plan_whole(whole, errors)
    raise_if(errors)
    return record_update(
        plan, actor=actor, verb="capacity_plan.updated", fields=PLAN_FIELDS, cleaned=cleaned,
        now=now, expected_version=expected_version,
    )  # fmt: skip


# --- Measurements --------------------------------------------------------------------------


def _clean_measurement(at, value, errors: dict, now) -> tuple:
    at = clean_instant(at, "at", errors, required=_("Enter when the value was measured."))
    if at is not None and at > now + FUTURE_TOLERANCE:
        errors["at"] = _("A measurement cannot lie in the future.")
    value = clean_decimal(
        value, "value", errors, places=4, digits=18, required=_("Enter the measured value.")
    )
    return at, value


def _require_recorder(actor, plan: CapacityPlan) -> None:
    if actor is not None and not can_record_measurements(actor, plan):
        raise PermissionDenied


def _evaluate_quietly(plan: CapacityPlan, *, actor, now) -> str | None:
    """Evaluate the plan's alert; a failure to raise the incident is logged, not raised (the
    measurements are kept; the next evaluation tries again)."""
    from serviceloop.demand.services_capacity_alerts import capacity_evaluate

    try:
        return capacity_evaluate(plan, actor=actor, now=now)
    except (ValidationError, PermissionDenied) as exc:
        log.warning("capacity alert of %s not raised: %s", plan.reference, exc)
        return None


def measurement_record(
    *, actor, plan: CapacityPlan, at, value, source=MeasurementSource.MANUAL, now=None
) -> Measurement:
    """Record one value of the plan's resource at ``at`` (aware, or naive in TIME_ZONE),
    then evaluate the plan's alert. A second value at the same instant is refused."""
    now = now or timezone.now()
    _require_recorder(actor, plan)
    errors: dict = {}
    at, value = _clean_measurement(at, value, errors, now)
    if not plan.is_active:
        errors["value"] = _("This capacity plan is no longer active.")
    if source not in MeasurementSource.values:
        errors["source"] = _("Unknown source.")
    if at is not None and Measurement.objects.filter(plan=plan, at=at).exists():
        errors["at"] = _("This plan already has a measurement at this time.")
    raise_if(errors)
    with transaction.atomic():
        measurement = Measurement.objects.create(
            plan=plan,
            at=at,
            value=value,
            source=source,
            recorded_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        audit_record(
            actor=actor,
            verb="measurement.recorded",
            obj=plan,
            payload={"at": at, "value": value, "source": source},
        )
    _evaluate_quietly(plan, actor=actor, now=now)
    return measurement


@dataclass
class PushResult:
    created: int = 0
    duplicates: int = 0
    batch: str = ""
    alerts: dict[str, str] = field(default_factory=dict)  # plan reference → outcome


def measurements_write(
    *,
    actor,
    items: list[tuple[CapacityPlan, datetime.datetime, Decimal]],
    source: str,
    now=None,
    evaluate: bool = True,
) -> PushResult:
    """Write already-validated ``(plan, at, value)`` items in one transaction with one audit
    row per plan. Idempotent on (plan, at): an item whose plan already has a value at that
    instant (or that repeats an earlier item) is skipped and counted as a duplicate. Then
    evaluate each plan's alert once."""
    now = now or timezone.now()
    result = PushResult(batch=uuid_module.uuid4().hex[:12])
    by_plan: dict[int, list] = {}
    plans: dict[int, CapacityPlan] = {}
    for plan, at, value in items:
        plans[plan.pk] = plan
        by_plan.setdefault(plan.pk, []).append((at, value))
    recorder = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        for plan_id, entries in by_plan.items():
            instants = [at for at, _ in entries]
            existing = set(
                Measurement.objects.filter(plan_id=plan_id, at__in=instants).values_list(
                    "at", flat=True
                )
            )
            rows, seen = [], set()
            for at, value in entries:
                if at in existing or at in seen:
                    result.duplicates += 1
                    continue
                seen.add(at)
                rows.append(
                    Measurement(
                        plan_id=plan_id,
                        at=at,
                        value=value,
                        source=source,
                        recorded_by=recorder,
                        batch=result.batch,
                        created_at=now,
                    )
                )
            # ignore_conflicts: a concurrent push of the same (plan, at) lost the race to us
            # or we to it; either way the value is recorded once.
            Measurement.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
            result.created += len(rows)
            if rows:
                audit_record(
                    actor=actor,
                    verb="measurement.imported",
                    obj=plans[plan_id],
                    payload={
                        "source": source,
                        "batch": result.batch,
                        "count": len(rows),
                        "from": min(r.at for r in rows),
                        "to": max(r.at for r in rows),
                    },
                )
    if evaluate:
        for plan_id in by_plan:
            outcome = _evaluate_quietly(plans[plan_id], actor=actor, now=now)
            if outcome:
                result.alerts[plans[plan_id].reference] = outcome
    return result


def measurements_push(*, actor, items: list[dict], now=None) -> PushResult:
    """The monitoring push: ``items`` of ``{"plan": CapacityPlan, "at": ..., "value": ...}``.
    Every item is checked first; one bad item refuses the whole push (ValidationError keyed
    ``items`` with "item N: message" lines) and nothing is written. Repeats of (plan, at)
    are skipped (idempotent)."""
    now = now or timezone.now()
    if len(items) > MAX_PUSH:
        raise ValidationError(
            {"items": _("Send at most %(n)d measurements at once.") % {"n": MAX_PUSH}}
        )
    problems, ready = [], []
    for number, item in enumerate(items, start=1):
        plan = item.get("plan")
        _require_recorder(actor, plan)
        errors: dict = {}
        at, value = _clean_measurement(item.get("at"), item.get("value"), errors, now)
        if not plan.is_active:
            errors["plan"] = _("This capacity plan is no longer active.")
        for name, message in errors.items():
            problems.append(
                _("item %(n)d, %(field)s: %(message)s")
                % {"n": number, "field": name, "message": message}
            )
        if not errors:
            ready.append((plan, at, value))
    if problems:
        raise ValidationError({"items": problems})
    return measurements_write(actor=actor, items=ready, source=MeasurementSource.API, now=now)


# --- Capacity actions ----------------------------------------------------------------------


def action_create(
    *,
    actor,
    plan: CapacityPlan,
    title: str,
    owner: User | None = None,
    description: str = "",
    due_date=None,
    now=None,
) -> CapacityAction:
    """Record a capacity action on a plan (owner: the plan's owner unless given) and tell
    the owner."""
    now = now or timezone.now()
    if actor is not None and not can_record_measurements(actor, plan):
        raise PermissionDenied
    owner = owner or plan.owner
    errors: dict = {}
    title = clean_text(title, "title", errors, limit=200, required=_("Give the action a title."))
    description = clean_text(description, "description", errors)
    due_date = clean_date(due_date, "due_date", errors)
    if not (owner.is_active and owner.has_capability(Capability.STAFF)):
        errors["owner"] = _("Choose an active member of staff as the owner.")
    raise_if(errors)
    with transaction.atomic():
        action = CapacityAction.objects.create(
            plan=plan,
            title=title,
            description=description,
            owner=owner,
            due_date=due_date,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        audit_record(
            actor=actor,
            verb="capacity_action.created",
            obj=plan,
            payload={"action": action.pk, "title": title, "owner": owner.pk, "due": due_date},
        )
        if owner != actor:
            notify(
                recipients=[owner],
                kind="capacity_action",
                context={"plan": plan, "action": action},
                url=plan_url(plan),
            )
    return action


def action_close(
    *, actor, action: CapacityAction, status: str, outcome: str = "", now=None
) -> CapacityAction:
    """Mark an open action done or cancelled, with its outcome (needed when cancelling)."""
    now = now or timezone.now()
    if actor is not None and not (
        can_record_measurements(actor, action.plan)
        or action.owner_id == actor.pk
        or can_manage(actor)
    ):
        raise PermissionDenied
    errors: dict = {}
    outcome = clean_text(outcome, "outcome", errors)
    if status not in (ActionStatus.DONE, ActionStatus.CANCELLED):
        errors["status"] = _("Choose done or cancelled.")
    elif status == ActionStatus.CANCELLED and not outcome:
        errors["outcome"] = _("Say why the action is cancelled.")
    raise_if(errors)
    with transaction.atomic():
        current = CapacityAction.objects.select_for_update(of=("self",)).get(pk=action.pk)
        if current.status != ActionStatus.OPEN:
            raise ValidationError(_("This action is already closed."))
        current.status = status
        current.outcome = outcome
        current.closed_at = now
        current.closed_by = actor if getattr(actor, "pk", None) else None
        current.save()
        audit_record(
            actor=actor,
            verb="capacity_action.closed",
            obj=current.plan,
            payload={"action": current.pk, "status": status, "outcome": outcome},
        )
    return current
