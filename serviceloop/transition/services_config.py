"""Every write of change-management settings: standard-change templates, CAB rules, the
change policy and blackout periods.

Only the management-system owner and administrators configure (403 for other staff). Each
service validates (ValidationError with translated messages, nothing written), writes the
change and one audit row in one transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, Team, User
from serviceloop.transition.models import BlackoutPeriod, CabRule, ChangePolicy, ChangeTemplate
from serviceloop.transition.permissions import can_configure, can_sit_on_cab
from serviceloop.transition.risk import RiskLevel
from serviceloop.transition.validation import (
    bump,
    check_version,
    clean_text,
    clean_window,
    raise_if,
)


def _require(actor) -> None:
    if actor is not None and not can_configure(actor):
        raise PermissionDenied


# --- Standard-change templates -------------------------------------------------------------

TEMPLATE_FIELDS = (
    "name",
    "description",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "risk_level",
    "is_active",
)


def _clean_template(fields: dict, *, instance=None) -> dict:
    errors: dict = {}
    cleaned: dict = {}
    if "name" in fields:
        cleaned["name"] = clean_text(
            fields["name"], "name", errors, limit=200, required=_("Give the template a name.")
        )
        others = ChangeTemplate.objects.filter(name=cleaned["name"])
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if cleaned["name"] and others.exists():
            errors["name"] = _("Another template has this name.")
    if "description" in fields:
        cleaned["description"] = clean_text(fields["description"], "description", errors)
    for name, message in (
        ("implementation_plan", _("Describe how the change is implemented.")),
        ("backout_plan", _("Describe how the change is backed out.")),
    ):
        if name in fields:
            cleaned[name] = clean_text(fields[name], name, errors, required=message)
    if "test_plan" in fields:
        cleaned["test_plan"] = clean_text(fields["test_plan"], "test_plan", errors)
    if "risk_level" in fields:
        if fields["risk_level"] not in RiskLevel.values:
            errors["risk_level"] = _("Choose a risk level.")
        cleaned["risk_level"] = fields["risk_level"]
    if "is_active" in fields:
        cleaned["is_active"] = bool(fields["is_active"])
    raise_if(errors)
    return cleaned


def template_create(
    *,
    actor,
    name: str,
    implementation_plan: str,
    backout_plan: str,
    description: str = "",
    test_plan: str = "",
    risk_level: str = RiskLevel.LOW,
    is_active: bool = True,
) -> ChangeTemplate:
    """Record a pre-approved standard change."""
    _require(actor)
    cleaned = _clean_template(
        {
            "name": name,
            "description": description,
            "implementation_plan": implementation_plan,
            "backout_plan": backout_plan,
            "test_plan": test_plan,
            "risk_level": risk_level,
            "is_active": is_active,
        }
    )
    with transaction.atomic():
        template = ChangeTemplate.objects.create(
            created_by=actor if getattr(actor, "pk", None) else None, **cleaned
        )
        audit_record(actor=actor, verb="change_template.created", obj=template, payload=cleaned)
    return template


def template_update(*, actor, template: ChangeTemplate, expected_version=None, **fields):
    """Change a template; the changes already raised from it keep their own copy."""
    _require(actor)
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = _clean_template(fields, instance=template)
    with transaction.atomic():
        template = ChangeTemplate.objects.select_for_update(of=("self",)).get(pk=template.pk)
        check_version(template, expected_version)
        changes = {
            name: [getattr(template, name), value]
            for name, value in cleaned.items()
            if getattr(template, name) != value
        }
        if not changes:
            return template
        for name, value in cleaned.items():
            setattr(template, name, value)
        bump(template)
        audit_record(actor=actor, verb="change_template.updated", obj=template, payload=changes)
    return template


# --- CAB rules -----------------------------------------------------------------------------


def _eligible(people, field: str, errors: dict) -> list[User]:
    people = list({p.pk: p for p in people or []}.values())
    wrong = [str(p) for p in people if not can_sit_on_cab(p)]
    if wrong:
        errors[field] = _(
            "Only active staff who work operational records or own the management system "
            "may approve changes: %(names)s."
        ) % {"names": ", ".join(wrong)}
    return people


def cab_seats_of(rule: CabRule, *, emergency: bool = False) -> list[User]:
    """The people a rule seats: the approvers and the eligible members of its team; in an
    emergency, the emergency approvers when there are any. Sorted by id."""
    if emergency:
        emergency_people = [p for p in rule.emergency_approvers.all() if can_sit_on_cab(p)]
        if emergency_people:
            return sorted(emergency_people, key=lambda p: p.pk)
    people = {p.pk: p for p in rule.approvers.all()}
    if rule.team_id:
        people.update({p.pk: p for p in rule.team.members.all()})
    return sorted((p for p in people.values() if can_sit_on_cab(p)), key=lambda p: p.pk)


def cab_rule_save(
    *,
    actor,
    risk_level: str,
    approvers=(),
    team: Team | None = None,
    quorum: int = 1,
    emergency_approvers=(),
    emergency_quorum: int = 1,
    is_active: bool = True,
    rule: CabRule | None = None,
    expected_version=None,
) -> CabRule:
    """Create the rule of a risk level (``rule`` None) or change it.

    The quorum cannot exceed the seats the rule gives (its approvers and the eligible members
    of its team), nor the emergency quorum the emergency seats."""
    _require(actor)
    errors: dict = {}
    if risk_level not in RiskLevel.values:
        errors["risk_level"] = _("Choose a risk level.")
    elif (
        CabRule.objects.filter(risk_level=risk_level).exclude(pk=getattr(rule, "pk", None)).exists()
    ):
        errors["risk_level"] = _("This risk level already has a CAB rule.")
    approvers = _eligible(approvers, "approvers", errors)
    emergency_approvers = _eligible(emergency_approvers, "emergency_approvers", errors)
    if team is not None and not team.is_active:
        errors["team"] = _("Choose an active team.")
    seats = {p.pk for p in approvers}
    if team is not None:
        seats |= {p.pk for p in team.members.all() if can_sit_on_cab(p)}
    for name, value in (("quorum", quorum), ("emergency_quorum", emergency_quorum)):
        if not isinstance(value, int) or value < 1:
            errors[name] = _("At least one approval is needed.")
    if "quorum" not in errors and quorum > len(seats):
        errors["quorum"] = _("%(quorum)d approvals cannot be reached with %(seats)d approvers.") % {
            "quorum": quorum,
            "seats": len(seats),
        }
    emergency_seats = len(emergency_approvers) or len(seats)
    if "emergency_quorum" not in errors and emergency_quorum > emergency_seats:
        errors["emergency_quorum"] = _(
            "%(quorum)d approvals cannot be reached with %(seats)d emergency approvers."
        ) % {"quorum": emergency_quorum, "seats": emergency_seats}
    raise_if(errors)
    payload = {
        "risk_level": risk_level,
        "approvers": sorted(p.get_username() for p in approvers),
        "team": team.name if team else None,
        "quorum": quorum,
        "emergency_approvers": sorted(p.get_username() for p in emergency_approvers),
        "emergency_quorum": emergency_quorum,
        "is_active": bool(is_active),
    }
    try:
        with transaction.atomic():
            if rule is None:
                rule = CabRule.objects.create(
                    risk_level=risk_level,
                    team=team,
                    quorum=quorum,
                    emergency_quorum=emergency_quorum,
                    is_active=bool(is_active),
                )
                verb = "cab_rule.created"
            else:
                rule = CabRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
                check_version(rule, expected_version)
                rule.risk_level, rule.team = risk_level, team
                rule.quorum, rule.emergency_quorum = quorum, emergency_quorum
                rule.is_active = bool(is_active)
                bump(rule)
                verb = "cab_rule.updated"
            rule.approvers.set(approvers)
            rule.emergency_approvers.set(emergency_approvers)
            audit_record(actor=actor, verb=verb, obj=rule, payload=payload)
    except IntegrityError as exc:  # a concurrent rule for the same level won
        raise ValidationError({"risk_level": _("This risk level already has a CAB rule.")}) from exc
    return rule


# --- The change policy ---------------------------------------------------------------------


def policy_update(
    *,
    actor,
    controlled_services=None,
    controlled_ci_types=None,
    all_controlled: bool | None = None,
    low_risk_without_cab: bool | None = None,
    expected_version=None,
) -> ChangePolicy:
    """Change what is under change control (arguments left None stay as they are)."""
    _require(actor)
    with transaction.atomic():
        ChangePolicy.current()
        policy = ChangePolicy.objects.select_for_update(of=("self",)).get(pk=1)
        check_version(policy, expected_version)
        before = {
            "controlled_services": sorted(
                policy.controlled_services.values_list("code", flat=True)
            ),
            "controlled_ci_types": sorted(
                policy.controlled_ci_types.values_list("code", flat=True)
            ),
            "all_controlled": policy.all_controlled,
            "low_risk_without_cab": policy.low_risk_without_cab,
        }
        if all_controlled is not None:
            policy.all_controlled = bool(all_controlled)
        if low_risk_without_cab is not None:
            policy.low_risk_without_cab = bool(low_risk_without_cab)
        policy.updated_by = actor if getattr(actor, "pk", None) else None
        bump(policy)
        if controlled_services is not None:
            policy.controlled_services.set(controlled_services)
        if controlled_ci_types is not None:
            policy.controlled_ci_types.set(controlled_ci_types)
        after = {
            "controlled_services": sorted(
                policy.controlled_services.values_list("code", flat=True)
            ),
            "controlled_ci_types": sorted(
                policy.controlled_ci_types.values_list("code", flat=True)
            ),
            "all_controlled": policy.all_controlled,
            "low_risk_without_cab": policy.low_risk_without_cab,
        }
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        audit_record(actor=actor, verb="change_policy.updated", obj=policy, payload=changes)
    return policy


# --- Blackout periods ----------------------------------------------------------------------


def _clean_blackout(organisation, start, end, reason) -> tuple:
    errors: dict = {}
    if organisation is not None and not (
        isinstance(organisation, Organisation)
        and organisation.kind == OrganisationKind.CUSTOMER
        and organisation.is_active
    ):
        errors["organisation"] = _("Choose an active customer, or none for every customer.")
    start, end = clean_window(
        start, end, errors, required=True, start_field="start", end_field="end"
    )
    reason = clean_text(reason, "reason", errors, limit=200, required=_("Give a reason."))
    raise_if(errors)
    return organisation, start, end, reason


def _blackout_payload(blackout: BlackoutPeriod) -> dict:
    return {
        "organisation": blackout.organisation.name if blackout.organisation else None,
        "start": blackout.start,
        "end": blackout.end,
        "reason": blackout.reason,
    }


def blackout_create(*, actor, start, end, reason: str, organisation=None) -> BlackoutPeriod:
    """Record a blackout period for one customer (or every customer)."""
    _require(actor)
    organisation, start, end, reason = _clean_blackout(organisation, start, end, reason)
    with transaction.atomic():
        blackout = BlackoutPeriod.objects.create(
            organisation=organisation,
            start=start,
            end=end,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor, verb="blackout.created", obj=blackout, payload=_blackout_payload(blackout)
        )
    return blackout


def blackout_update(
    *,
    actor,
    blackout: BlackoutPeriod,
    start,
    end,
    reason: str,
    organisation=None,
    expected_version=None,
) -> BlackoutPeriod:
    _require(actor)
    organisation, start, end, reason = _clean_blackout(organisation, start, end, reason)
    with transaction.atomic():
        blackout = BlackoutPeriod.objects.select_for_update(of=("self",)).get(pk=blackout.pk)
        check_version(blackout, expected_version)
        before = _blackout_payload(blackout)
        blackout.organisation, blackout.start, blackout.end = organisation, start, end
        blackout.reason = reason
        bump(blackout)
        after = _blackout_payload(blackout)
        audit_record(
            actor=actor,
            verb="blackout.updated",
            obj=blackout,
            payload={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
    return blackout


def blackout_delete(*, actor, blackout: BlackoutPeriod) -> None:
    """Remove a blackout period entered by mistake (the audit row keeps what it was)."""
    _require(actor)
    with transaction.atomic():
        payload = _blackout_payload(blackout)
        audit_record(actor=actor, verb="blackout.deleted", obj=blackout, payload=payload)
        BlackoutPeriod.objects.filter(pk=blackout.pk).delete()
