"""Every write of a change request's life, one service per move (clause 8.5.1).

Each service checks the actor's right (403 for read-only staff), validates its input and
the move's preconditions (ValidationError with translated messages, nothing written),
then writes the change, its history row and its audit row in one transaction; side effects
(notifications) are queued for after the commit. This module holds drafting, editing and
the moves before the CAB; the CAB's part is in ``services_cab``; scheduling, implementing,
reviewing and closing in ``services_change_implementation``. ``change_transition``
dispatches a target status to the service that makes it.

Timestamps are UTC instants; ``now`` may be given (demo data, tests) and defaults to now.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.portfolio.lifecycle import CiStatus, ServiceStatus
from serviceloop.portfolio.models import ConfigurationItem, Service
from serviceloop.transition.change_impact import change_control_reasons, impact_snapshot
from serviceloop.transition.change_moves import actor_role, declared, event, locked, move
from serviceloop.transition.lifecycle import (
    EDITABLE_CHANGE_STATUSES,
    MANAGER,
    SYSTEM,
    ChangeStatus,
    change_transition_for,
)
from serviceloop.transition.models import (
    ChangeEventKind,
    ChangePolicy,
    ChangeRequest,
    ChangeTemplate,
    ChangeType,
)
from serviceloop.transition.risk import ChangeImpact, Likelihood, RiskLevel, risk_level_for
from serviceloop.transition.validation import bump, clean_text, clean_window, raise_if

CS = ChangeStatus
PLAN_FIELDS = ("implementation_plan", "backout_plan", "test_plan")
CHANGE_FIELDS = (
    "title",
    "description",
    "reason",
    "requester",
    "owner",
    "implementer",
    "configuration_items",
    "services",
    "likelihood",
    "impact",
    *PLAN_FIELDS,
    "planned_start",
    "planned_end",
)


# --- Validation ----------------------------------------------------------------------------


def _clean_person(person, field: str, errors: dict, *, operate: bool):
    if person is None:
        return None
    if not isinstance(person, User) or not person.is_active:
        errors[field] = _("Choose an active person.")
    elif operate and not person.has_capability(Capability.OPERATE):
        errors[field] = _("Choose a member of staff who works operational records.")
    elif not person.has_capability(Capability.STAFF):
        errors[field] = _("Choose a member of the provider's staff.")
    return person


def _clean_items(items, errors: dict) -> list[ConfigurationItem]:
    items = list({ci.pk: ci for ci in items or []}.values())
    retired = [ci.reference for ci in items if ci.status == CiStatus.RETIRED]
    if retired:
        errors["configuration_items"] = _("Retired items cannot be changed: %(refs)s.") % {
            "refs": ", ".join(sorted(retired))
        }
    return items


def _clean_services(services, errors: dict) -> list[Service]:
    services = list({s.pk: s for s in services or []}.values())
    retired = [s.name for s in services if s.status == ServiceStatus.RETIRED]
    if retired:
        errors["services"] = _("Retired services cannot be changed: %(names)s.") % {
            "names": ", ".join(sorted(retired))
        }
    return services


def _clean_assessment(likelihood, impact, errors: dict, *, required: bool = False):
    for name, value, choices in (
        ("likelihood", likelihood, Likelihood.values),
        ("impact", impact, ChangeImpact.values),
    ):
        if value in (None, ""):
            if required:
                errors[name] = _("Assess the likelihood and the impact.")
        elif value not in choices:
            errors[name] = _("Choose a value from 1 to 3.")
    if errors.keys() & {"likelihood", "impact"} or likelihood in (None, "") or impact in (None, ""):
        return None
    return risk_level_for(likelihood, impact)


def _clean_fields(fields: dict, errors: dict, *, standard: bool) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = clean_text(
            fields["title"], "title", errors, limit=200, required=_("Give the change a title.")
        )
    for name in ("description", "reason", *PLAN_FIELDS):
        if name in fields:
            cleaned[name] = clean_text(fields[name], name, errors)
    if standard:
        for name in PLAN_FIELDS:
            cleaned.pop(name, None)
    if "requester" in fields:
        if fields["requester"] is None:
            errors["requester"] = _("A change needs a requester.")
        cleaned["requester"] = _clean_person(
            fields["requester"], "requester", errors, operate=False
        )
    for name in ("owner", "implementer"):
        if name in fields:
            cleaned[name] = _clean_person(fields[name], name, errors, operate=True)
    if "owner" in fields and fields["owner"] is None:
        errors["owner"] = _("A change needs an owner.")
    if "configuration_items" in fields:
        cleaned["configuration_items"] = _clean_items(fields["configuration_items"], errors)
    if "services" in fields:
        cleaned["services"] = _clean_services(fields["services"], errors)
    if "likelihood" in fields or "impact" in fields:
        cleaned["likelihood"] = fields.get("likelihood")
        cleaned["impact"] = fields.get("impact")
    if "planned_start" in fields or "planned_end" in fields:
        start, end = clean_window(fields.get("planned_start"), fields.get("planned_end"), errors)
        cleaned["planned_start"], cleaned["planned_end"] = start, end
    return cleaned


M2M = ("configuration_items", "services")


def _value(change, name):
    if name in M2M:
        return sorted(getattr(change, name).values_list("pk", flat=True))
    if name in ("requester", "owner", "implementer"):
        return getattr(change, f"{name}_id")
    return getattr(change, name)


def _audit_value(name, value):
    if name in M2M:
        return sorted(value) if value and isinstance(value[0], int) else value
    return value


# --- Creating and editing ------------------------------------------------------------------


def change_create(
    *,
    actor,
    change_type: str = ChangeType.NORMAL,
    title: str = "",
    description: str = "",
    reason: str = "",
    template: ChangeTemplate | None = None,
    requester: User | None = None,
    owner: User | None = None,
    implementer: User | None = None,
    configuration_items=(),
    services=(),
    likelihood: int | None = None,
    impact: int | None = None,
    implementation_plan: str = "",
    backout_plan: str = "",
    test_plan: str = "",
    planned_start=None,
    planned_end=None,
    now=None,
) -> ChangeRequest:
    """Record a draft change (reference ``CHG-YYYY-NNNNNN``). A standard change comes from an
    active template: its title defaults to the template's name, and its plans and risk level
    are the template's. The requester and the owner default to the actor."""
    now = now or timezone.now()
    actor_role(actor)
    errors: dict = {}
    if change_type not in ChangeType.values:
        errors["change_type"] = _("Choose the type of change.")
    standard = change_type == ChangeType.STANDARD
    if standard:
        if template is None or not template.is_active:
            errors["template"] = _("A standard change is raised from an active template.")
        else:
            title = title or template.name
            description = description or template.description
    elif template is not None:
        errors["template"] = _("Only a standard change is raised from a template.")
    cleaned = _clean_fields(
        {
            "title": title,
            "description": description,
            "reason": reason,
            "requester": requester or actor,
            "owner": owner or actor,
            "implementer": implementer,
            "configuration_items": configuration_items,
            "services": services,
            "implementation_plan": implementation_plan,
            "backout_plan": backout_plan,
            "test_plan": test_plan,
            "planned_start": planned_start,
            "planned_end": planned_end,
        },
        errors,
        standard=standard,
    )
    risk = None if standard else _clean_assessment(likelihood, impact, errors)
    raise_if(errors)
    items, chosen_services = cleaned.pop("configuration_items"), cleaned.pop("services")
    if standard:
        cleaned.update(
            implementation_plan=template.implementation_plan,
            backout_plan=template.backout_plan,
            test_plan=template.test_plan,
        )
        risk = template.risk_level
    with transaction.atomic():
        change = ChangeRequest.objects.create(
            reference=reference_allocate(kind="CHG", year=timezone.localtime(now).year),
            change_type=change_type,
            template=template if standard else None,
            likelihood=None if standard else likelihood,
            impact=None if standard else impact,
            risk_level=risk or "",
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        change.configuration_items.set(items)
        change.services.set(chosen_services)
        event(change, ChangeEventKind.CREATED, actor=actor, at=now, to_value=change.status)
        audit_record(
            actor=actor,
            verb="change.created",
            obj=change,
            payload={
                "reference": change.reference,
                "type": change_type,
                "title": change.title,
                "template": template.name if standard else None,
                "configuration_items": sorted(ci.reference for ci in items),
                "services": sorted(s.code for s in chosen_services),
                "risk_level": change.risk_level,
            },
        )
    return change


def _take_snapshot(change: ChangeRequest, now) -> None:
    """Record what the change touches now (items, services, customers) on the change."""
    view = impact_snapshot(
        change.configuration_items.values_list("pk", flat=True),
        change.services.values_list("pk", flat=True),
        now=now,
    )
    change.impact_snapshot = view.snapshot
    change.affected_customers.set(view.customer_ids)


def change_update(*, actor, change: ChangeRequest, expected_version=None, now=None, **fields):
    """Change a change's details, plans, window or assessment while it is a draft, submitted
    or assessed (after that, the approved plan is what runs). A standard change's plans are
    its template's. The risk level follows the assessment; the impact snapshot is taken again
    when a submitted change's items or services change. One history row and one audit row
    with ``{field: [old, new]}``; nothing when nothing changed."""
    now = now or timezone.now()
    actor_role(actor)
    unknown = set(fields) - set(CHANGE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    if change.is_standard and set(fields) & set(PLAN_FIELDS):
        plans = {n: fields[n] for n in PLAN_FIELDS if n in fields}
        if any((plans[n] or "").strip() != getattr(change, n) for n in plans):
            errors["implementation_plan"] = _(
                "A standard change follows its template's plans; change the template instead."
            )
    if ("planned_start" in fields) != ("planned_end" in fields):
        fields.setdefault("planned_start", change.planned_start)
        fields.setdefault("planned_end", change.planned_end)
    if ("likelihood" in fields) != ("impact" in fields):
        fields.setdefault("likelihood", change.likelihood)
        fields.setdefault("impact", change.impact)
    cleaned = _clean_fields(fields, errors, standard=change.is_standard)
    risk = None
    if "likelihood" in cleaned and not change.is_standard:
        risk = _clean_assessment(cleaned["likelihood"], cleaned["impact"], errors)
    elif "likelihood" in cleaned:
        cleaned.pop("likelihood"), cleaned.pop("impact")
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        if change.status not in EDITABLE_CHANGE_STATUSES:
            raise ValidationError(
                _("Once approved, a change's plan is what runs: it can no longer be edited.")
            )
        changes = {}
        for name, value in cleaned.items():
            new = (
                sorted(v.pk for v in value)
                if name in M2M
                else (value.pk if isinstance(value, User) else value)
            )
            old = _value(change, name)
            if old != new:
                changes[name] = [old, new]
        if not changes:
            return change
        for name, value in cleaned.items():
            if name in changes and name in M2M:
                getattr(change, name).set(value)
            elif name in changes:
                setattr(change, name, value)
        if "likelihood" in cleaned and not change.is_standard:
            if change.risk_level != (risk or ""):
                changes["risk_level"] = [change.risk_level, risk or ""]
            change.risk_level = risk or ""
        if change.status != CS.DRAFT and changes.keys() & set(M2M):
            _take_snapshot(change, now)
        event(change, ChangeEventKind.UPDATED, actor=actor, at=now, fields=sorted(changes))
        bump(change, now)
        audit_record(actor=actor, verb="change.updated", obj=change, payload=changes)
    return change


# --- Moves before the CAB ------------------------------------------------------------------


def _submission_errors(change: ChangeRequest) -> dict:
    errors = {}
    if not change.is_standard:
        if not change.description:
            errors["description"] = _("Describe the change before submitting it.")
        if not change.reason:
            errors["reason"] = _("Give the reason for the change before submitting it.")
    elif change.template is None or not change.template.is_active:
        errors["template"] = _("This standard change's template is no longer active.")
    if not change.configuration_items.exists() and not change.services.exists():
        errors["configuration_items"] = _(
            "Name the configuration items or the services the change affects."
        )
    return errors


def change_submit(*, actor, change: ChangeRequest, expected_version=None, now=None):
    """Submit a draft: the impact on items, services and customers is recorded (the
    snapshot). A standard change is pre-approved at once (a second history and audit row, by
    the system): it skips assessment and the CAB."""
    now = now or timezone.now()
    role = actor_role(actor)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, CS.SUBMITTED, role)
        raise_if(_submission_errors(change))
        _take_snapshot(change, now)
        change.submitted_at = now
        move(
            change,
            CS.SUBMITTED,
            actor=actor,
            role=role,
            now=now,
            impact=change.impact_snapshot.get("summary", {}),
        )
        if change.is_standard:
            change.approved_at = now
            move(
                change,
                CS.APPROVED,
                actor=actor,
                role=SYSTEM,
                now=now,
                template=change.template.name,
            )
    return change


def change_assess(
    *, actor, change: ChangeRequest, likelihood, impact, expected_version=None, now=None
):
    """Record the risk assessment of a submitted change: likelihood × impact → risk level."""
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    risk = _clean_assessment(likelihood, impact, errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, CS.ASSESSED, role)
        if change.is_standard:
            raise ValidationError(_("A standard change carries its template's risk level."))
        change.likelihood, change.impact, change.risk_level = likelihood, impact, risk
        _take_snapshot(change, now)
        move(
            change,
            CS.ASSESSED,
            actor=actor,
            role=role,
            now=now,
            likelihood=likelihood,
            impact=impact,
            risk_level=risk,
        )
    return change


def cab_skip_refusals(change: ChangeRequest, policy: ChangePolicy | None = None) -> list[str]:
    """Why this change may not be approved without a CAB (empty: it may). Only a low-risk
    normal change outside change control may, and only when the policy allows it."""
    policy = policy or ChangePolicy.current()
    if change.is_standard:
        return []
    if change.is_emergency:
        return [_("An emergency change is approved by the emergency CAB.")]
    reasons = []
    if not policy.low_risk_without_cab:
        reasons.append(_("The change policy sends every normal change to the CAB."))
    if change.risk_level != RiskLevel.LOW:
        reasons.append(_("Only a low-risk change may be approved without the CAB."))
    impacted = [s["id"] for s in (change.impact_snapshot or {}).get("services", [])]
    reasons += change_control_reasons(
        change.configuration_items.values_list("pk", flat=True),
        change.services.values_list("pk", flat=True),
        impacted_service_ids=impacted,
        policy=policy,
    )
    return reasons


def change_approve_without_cab(*, actor, change: ChangeRequest, expected_version=None, now=None):
    """A change manager approves an assessed low-risk normal change outside change control."""
    now = now or timezone.now()
    role = actor_role(actor)
    with transaction.atomic():
        change = locked(change, expected_version)
        declared(change, CS.APPROVED, role)
        refusals = cab_skip_refusals(change)
        if refusals:
            raise ValidationError({"status": refusals})
        change.approved_at = now
        move(change, CS.APPROVED, actor=actor, role=role, now=now, without_cab=True)
    return change


def change_revise(*, actor, change: ChangeRequest, expected_version=None, now=None):
    """Take a rejected change back to draft, to rework and submit it again (a new CAB round)."""
    now = now or timezone.now()
    role = actor_role(actor)
    with transaction.atomic():
        change = locked(change, expected_version)
        change.cab_members.clear()
        change.cab_quorum = 0
        change.cab_decided_at = None
        move(change, CS.DRAFT, actor=actor, role=role, now=now)
    return change


def change_cancel(*, actor, change: ChangeRequest, reason: str, expected_version=None, now=None):
    """Cancel a change that has not started; the reason is kept."""
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    reason = clean_text(reason, "reason", errors, required=_("Give the reason for cancelling."))
    raise_if(errors)
    with transaction.atomic():
        change = locked(change, expected_version)
        change.cancel_reason = reason
        change.closed_at = now
        move(change, CS.CANCELLED, actor=actor, role=role, now=now, reason=reason)
    return change


# --- One entry for the screens and the API -------------------------------------------------


def change_transition(
    *, actor, change: ChangeRequest, target: str, expected_version=None, now=None, **fields
):
    """Move the change to ``target`` through the service that makes that move, passing it
    the fields it takes (``note``/``reason``, ``likelihood``/``impact``, the window and
    ``override_reason``, the review). Moves only the system makes are refused."""
    from serviceloop.transition import services_cab
    from serviceloop.transition.services_change_implementation import (
        OUTCOME_OF,
        change_close,
        change_complete,
        change_review,
        change_schedule,
        change_start,
    )

    actor_role(actor)
    common = {"actor": actor, "change": change, "expected_version": expected_version, "now": now}
    source = change.status
    if target == CS.SUBMITTED:
        return change_submit(**common)
    if target == CS.ASSESSED:
        return change_assess(
            **common, likelihood=fields.get("likelihood"), impact=fields.get("impact")
        )
    if target == CS.AWAITING_CAB:
        return services_cab.change_send_to_cab(
            **common, likelihood=fields.get("likelihood"), impact=fields.get("impact")
        )
    if target == CS.APPROVED and source == CS.ASSESSED:
        return change_approve_without_cab(**common)
    if target == CS.DRAFT:
        return change_revise(**common)
    if target == CS.SCHEDULED:
        return change_schedule(
            **common,
            planned_start=fields.get("planned_start"),
            planned_end=fields.get("planned_end"),
            override_reason=fields.get("override_reason") or "",
        )
    if target == CS.IMPLEMENTING:
        return change_start(**common)
    if target in OUTCOME_OF:
        return change_complete(**common, target=target, note=fields.get("note") or "")
    if target == CS.REVIEWED:
        return change_review(
            **common,
            success=fields.get("success"),
            notes=fields.get("notes") or "",
            lessons=fields.get("lessons") or "",
        )
    if target == CS.CLOSED:
        return change_close(**common)
    if target == CS.CANCELLED:
        return change_cancel(**common, reason=fields.get("note") or fields.get("reason") or "")
    # approved/rejected by the CAB, pre-approval: the system's moves, never a person's
    if change_transition_for(source, target, SYSTEM):
        raise ValidationError(
            {
                "status": _(
                    "The product makes this move itself: the CAB's votes decide, and a "
                    "standard change is approved when it is submitted."
                )
            }
        )
    declared(change, target, MANAGER)  # no such move: raises with the reason
    raise ValidationError({"status": _("Choose a valid next status.")})
