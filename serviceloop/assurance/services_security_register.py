"""Writes of the information security register (clause 8.7.3): the risks (scored likelihood ×
impact, with their controls) and the controls list (with the starter list).

Every service validates, writes the change and one audit row in one transaction, and raises
ValidationError with translated messages (nothing written). (Security incidents:
``services_security``.)
"""

import datetime
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.controls_starter import STARTER_CONTROLS
from serviceloop.assurance.lifecycle import RISK_MOVES
from serviceloop.assurance.models import (
    ControlStatus,
    RiskTreatment,
    SecurityControl,
    SecurityRisk,
    risk_level_for,
)
from serviceloop.assurance.permissions import can_edit_owned, can_manage
from serviceloop.assurance.record_writes import (
    changes_between,
    keep_status_note,
    lock,
    record_move,
    save_audited,
    snapshot,
    staff_person,
    text,
)
from serviceloop.core.audit import audit_record
from serviceloop.core.numbering import reference_allocate

RISK_REFERENCE_KIND = "ISR"
RISK_FIELDS = (
    "title",
    "configuration_item",
    "asset",
    "threat",
    "vulnerability",
    "likelihood",
    "impact",
    "treatment",
    "treatment_plan",
    "owner",
    "review_on",
)
CONTROL_FIELDS = ("title", "description", "status", "justification", "owner", "evidence_links")


def _one_to_five(value, field, errors):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        errors[field] = _("Give a value from 1 to 5.")
        return None
    return number


# --- Risks -------------------------------------------------------------------------------------


def _risk_fields(fields: dict, errors: dict) -> dict:
    cleaned = {}
    for name in ("title",):
        if name in fields:
            cleaned[name] = text(fields[name], name, errors, required=True, limit=200)
    for name in ("threat", "vulnerability"):
        if name in fields:
            cleaned[name] = text(fields[name], name, errors, required=True)
    if "asset" in fields:
        cleaned["asset"] = text(fields["asset"], "asset", errors, limit=200)
    if "treatment_plan" in fields:
        cleaned["treatment_plan"] = text(fields["treatment_plan"], "treatment_plan", errors)
    if "configuration_item" in fields:
        cleaned["configuration_item"] = fields["configuration_item"]
    for name in ("likelihood", "impact"):
        if name in fields:
            cleaned[name] = _one_to_five(fields[name], name, errors)
    if "treatment" in fields:
        if fields["treatment"] not in RiskTreatment.values:
            errors["treatment"] = _("Choose accept, mitigate, transfer or avoid.")
        cleaned["treatment"] = fields["treatment"]
    if "owner" in fields:
        cleaned["owner"] = staff_person(fields["owner"], "owner", errors)
    if "review_on" in fields:
        day = fields["review_on"]
        if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
            errors["review_on"] = _("Give a date.")
        cleaned["review_on"] = day
    return cleaned


def _check_risk(risk, errors):
    if not risk.asset and risk.configuration_item_id is None:
        errors["asset"] = _("Name the asset at risk or choose its configuration item.")
    if risk.treatment == RiskTreatment.ACCEPT and not risk.treatment_plan:
        errors["treatment_plan"] = _("Say why the risk is acceptable.")


def risk_create(*, actor, controls=(), now=None, **fields) -> SecurityRisk:
    """Add a risk to the register; its score (likelihood × impact) and level follow."""
    if not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    required = set(RISK_FIELDS) - {"configuration_item", "asset", "treatment_plan"}
    for name in sorted(required - set(fields)):
        errors[name] = _("This field is required.")
    cleaned = _risk_fields(fields, errors)
    risk = SecurityRisk(**cleaned)
    if not errors:
        _check_risk(risk, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        risk.reference = reference_allocate(
            kind=RISK_REFERENCE_KIND, year=timezone.localtime(now).year
        )
        risk.score = risk.likelihood * risk.impact
        risk.level = risk_level_for(risk.score)
        risk.created_by, risk.created_at, risk.updated_at = actor, now, now
        risk.save()
        risk.controls.set(controls)
        audit_record(
            actor=actor,
            verb="security_risk.created",
            obj=risk,
            payload={
                **snapshot(risk, RISK_FIELDS),
                "score": risk.score,
                "level": risk.level,
                "controls": sorted(c.pk for c in controls),
            },
        )
    return risk


def risk_update(
    *, actor, risk, expected_version=None, controls=None, now=None, **fields
) -> SecurityRisk:
    """Change a risk (managers or its owner): score and level follow likelihood and impact."""
    if not can_edit_owned(actor, risk):
        raise PermissionDenied
    unknown = set(fields) - set(RISK_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    errors = {}
    cleaned = _risk_fields(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        risk = lock(risk, expected_version)
        before = {**snapshot(risk, RISK_FIELDS), "score": risk.score, "level": risk.level}
        for name, value in cleaned.items():
            setattr(risk, name, value)
        _check_risk(risk, errors)
        if errors:
            raise ValidationError(errors)
        risk.score = risk.likelihood * risk.impact
        risk.level = risk_level_for(risk.score)
        after = {**snapshot(risk, RISK_FIELDS), "score": risk.score, "level": risk.level}
        changes = changes_between(before, after)
        if controls is not None:
            old = sorted(risk.controls.values_list("pk", flat=True))
            new = sorted(c.pk for c in controls)
            if old != new:
                risk.controls.set(controls)
                changes["controls"] = [old, new]
        if not changes:
            return risk
        save_audited(risk, actor=actor, verb="security_risk.updated", payload=changes, now=now)
    return risk


def risk_transition(
    *, actor, risk, target: str, note: str = "", expected_version=None, now=None
) -> SecurityRisk:
    if not can_edit_owned(actor, risk):
        raise PermissionDenied
    return record_move(
        actor=actor,
        record=risk,
        moves=RISK_MOVES,
        target=target,
        note=note,
        expected_version=expected_version,
        refused=_("The risk cannot move to that status."),
        verb="security_risk",
        apply=keep_status_note,
        now=now or timezone.now(),
    )


# --- Controls ----------------------------------------------------------------------------------


def _clean_links(links, errors) -> list[str]:
    if isinstance(links, str):
        links = links.splitlines()
    cleaned = []
    for link in links or []:
        link = (link or "").strip()
        if not link:
            continue
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500:
            errors["evidence_links"] = _("%(link)s is not a web address (http or https).") % {
                "link": link[:80]
            }
            continue
        cleaned.append(link)
    if len(cleaned) > 50:
        errors["evidence_links"] = _("Keep at most 50 links.")
    return cleaned


def _control_fields(fields: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = text(fields["title"], "title", errors, required=True, limit=200)
    if "description" in fields:
        cleaned["description"] = text(fields["description"], "description", errors)
    if "status" in fields:
        if fields["status"] not in ControlStatus.values:
            errors["status"] = _("Choose an implementation status.")
        cleaned["status"] = fields["status"]
    if "justification" in fields:
        cleaned["justification"] = text(fields["justification"], "justification", errors)
    if "owner" in fields:
        cleaned["owner"] = staff_person(fields["owner"], "owner", errors, required=False)
    if "evidence_links" in fields:
        cleaned["evidence_links"] = _clean_links(fields["evidence_links"], errors)
    return cleaned


def _check_control(control, errors):
    if control.status == ControlStatus.NOT_APPLICABLE and not control.justification:
        errors["justification"] = _("Say why the control does not apply.")


def control_create(*, actor, code: str, now=None, **fields) -> SecurityControl:
    """Add a control to the list (managers)."""
    if not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    code = text(code, "code", errors, required=True, limit=20).upper()
    if code and SecurityControl.objects.filter(code=code).exists():
        errors["code"] = _("A control with this code exists.")
    fields.setdefault("status", ControlStatus.NOT_STARTED)
    cleaned = _control_fields(fields, errors)
    if "title" not in fields:
        errors["title"] = _("This field is required.")
    control = SecurityControl(code=code, updated_at=now, **cleaned)
    _check_control(control, errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            control.save()
            audit_record(
                actor=actor,
                verb="security_control.created",
                obj=control,
                payload={"code": code, **snapshot(control, CONTROL_FIELDS)},
            )
    except IntegrityError as exc:
        raise ValidationError({"code": _("A control with this code exists.")}) from exc
    return control


def control_update(*, actor, control, expected_version=None, now=None, **fields) -> SecurityControl:
    """Change a control's text, implementation status (not applicable needs a justification),
    owner and evidence links (managers or its owner)."""
    if not can_edit_owned(actor, control):
        raise PermissionDenied
    unknown = set(fields) - set(CONTROL_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    errors = {}
    cleaned = _control_fields(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        control = lock(control, expected_version)
        before = snapshot(control, CONTROL_FIELDS)
        for name, value in cleaned.items():
            setattr(control, name, value)
        _check_control(control, errors)
        if errors:
            raise ValidationError(errors)
        changes = changes_between(before, snapshot(control, CONTROL_FIELDS))
        if not changes:
            return control
        save_audited(
            control, actor=actor, verb="security_control.updated", payload=changes, now=now
        )
    return control


def controls_seed(*, actor=None, now=None) -> int:
    """Add the starter controls that are missing (by code); idempotent. Returns the number
    added. ``actor`` None: the demo or an installation step; else a manager."""
    if actor is not None and not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    existing = set(SecurityControl.objects.values_list("code", flat=True))
    added = []
    with transaction.atomic():
        for code, title, description in STARTER_CONTROLS:
            if code in existing:
                continue
            SecurityControl.objects.create(
                code=code, title=title, description=description, updated_at=now
            )
            added.append(code)
        if added:
            audit_record(
                actor=actor,
                verb="security_control.seeded",
                object_type=SecurityControl._meta.label_lower,
                object_id="starter",
                payload={"codes": added},
            )
    return len(added)
