"""Risk register writes (clause 6.1): risks and opportunities, their status, their reviews,
the rating matrix, and the overdue-review reminders. Risks raised from a single point of
failure (their source, ``spof_finding``): ``services_risk_sources``.

Each service checks the actor's right, validates, writes the change (and its review row)
and one audit row in one transaction, and raises ValidationError (translated messages,
nothing written) on bad input. The score is likelihood × impact, set here whenever a rating
changes; ratings must fit the matrix in force.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.models import SpofFinding
from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import reminders_send
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_owner,
    clean_text,
    raise_if,
    require_manager,
)
from serviceloop.planning.models import (
    MATRIX_SIZES,
    OPPORTUNITY_TREATMENTS,
    RISK_TREATMENTS,
    Objective,
    Risk,
    RiskKind,
    RiskMatrixSetting,
    RiskReview,
    RiskStatus,
    risk_transition_for,
)
from serviceloop.planning.queries_risks import matrix_setting
from serviceloop.portfolio.models import ConfigurationItem, Service

REFERENCE_KIND = "RSK"
RISK_FIELDS = (
    "kind",
    "title",
    "description",
    "likelihood",
    "impact",
    "treatment",
    "treatment_plan",
    "owner",
    "review_on",
    "spof_finding",
)
LINKS = {
    "services": (Service, "code"),
    "configuration_items": (ConfigurationItem, "reference"),
    "objectives": (Objective, "reference"),
}


def _rating(value, field: str, size: int, errors: dict) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= size:
        errors[field] = _("Rate it from 1 to %(size)d.") % {"size": size}
        return None
    return value


def _clean(values: dict, errors: dict, risk: Risk | None = None) -> dict:
    size = matrix_setting().size
    cleaned = {}
    if "kind" in values:
        cleaned["kind"] = clean_choice(values["kind"], RiskKind.values, "kind", errors)
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    for name in ("description", "treatment_plan"):
        if name in values:
            cleaned[name] = clean_text(values[name], name, errors)
    for name in ("likelihood", "impact"):
        if name in values:
            cleaned[name] = _rating(values[name], name, size, errors)
    if "owner" in values:
        cleaned["owner"] = clean_owner(values["owner"], errors)
    if "review_on" in values:
        cleaned["review_on"] = clean_date(values["review_on"], "review_on", errors)
    kind = cleaned.get("kind", risk.kind if risk else None)
    if "treatment" in values or "kind" in values:
        treatment = values.get("treatment", risk.treatment if risk else None)
        allowed = OPPORTUNITY_TREATMENTS if kind == RiskKind.OPPORTUNITY else RISK_TREATMENTS
        if treatment not in allowed and "kind" not in errors:
            errors["treatment"] = _("Choose a treatment for a %(kind)s: %(choices)s.") % {
                "kind": RiskKind(kind).label.lower() if kind in RiskKind.values else kind,
                "choices": ", ".join(str(t.label) for t in allowed),
            }
        cleaned["treatment"] = treatment
    if "spof_finding" in values:
        cleaned["spof_finding"] = clean_spof_finding(
            values["spof_finding"], errors, risk=risk, kind=kind
        )
    elif "kind" in values and risk is not None and risk.spof_finding_id is not None:
        clean_spof_finding(risk.spof_finding, errors, risk=risk, kind=kind)  # still a risk
    for name, (model, _key) in LINKS.items():
        if name in values:
            linked = list(values[name] or [])
            if any(not isinstance(item, model) for item in linked):
                errors[name] = _("Choose from the list.")
            cleaned[name] = linked
    return cleaned


def clean_spof_finding(finding, errors: dict, *, risk: Risk | None = None, kind=None):
    """The single point of failure a risk names as its source (None: none): a finding, for a
    risk (not an opportunity) still open, or the one it names already."""
    if finding is None:
        return None
    if not isinstance(finding, SpofFinding):
        errors["spof_finding"] = _("Choose a single point of failure from the list.")
    elif kind == RiskKind.OPPORTUNITY:
        errors["spof_finding"] = _(
            "A single point of failure is treated by a risk, not an opportunity."
        )
    elif risk is not None and not risk.is_open and risk.spof_finding_id != finding.pk:
        errors["spof_finding"] = _("This risk is closed: choose an open one.")
    return finding


def _set_links(risk: Risk, cleaned: dict, made: dict | None = None) -> None:
    for name, (_model, key) in LINKS.items():
        if name not in cleaned:
            continue
        manager = getattr(risk, name)
        old = sorted(manager.values_list(key, flat=True)) if made is not None else []
        new = sorted(getattr(item, key) for item in cleaned[name])
        if made is None or old != new:
            manager.set(cleaned[name])
            if made is not None:
                made[name] = [old, new]


def risk_create(
    *,
    actor,
    kind: str,
    title: str,
    likelihood: int,
    impact: int,
    treatment: str,
    owner,
    review_on: datetime.date,
    description: str = "",
    treatment_plan: str = "",
    services=(),
    configuration_items=(),
    objectives=(),
    spof_finding=None,
) -> Risk:
    """A new risk or opportunity ``RSK-YYYY-NNNNNN``, identified, scored likelihood × impact
    on the matrix in force; ``spof_finding``: the single point of failure it was raised for."""
    require_manager(actor)
    errors: dict = {}
    cleaned = _clean(
        {
            "kind": kind, "title": title, "description": description,
            "likelihood": likelihood, "impact": impact, "treatment": treatment,
            "treatment_plan": treatment_plan, "owner": owner, "review_on": review_on,
            "services": services, "configuration_items": configuration_items,
            "objectives": objectives, "spof_finding": spof_finding,
        },
        errors,
    )  # fmt: skip
    raise_if(errors)
    links = {name: cleaned.pop(name) for name in LINKS}
    now = timezone.now()
    with transaction.atomic():
        risk = Risk.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localdate(now).year),
            score=cleaned["likelihood"] * cleaned["impact"],
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        _set_links(risk, links)
        audit_record(
            actor=actor,
            verb="risk.created",
            obj=risk,
            payload={
                **snapshot(risk, RISK_FIELDS),
                "score": risk.score,
                **{
                    name: [getattr(i, key) for i in links[name]]
                    for name, (_m, key) in LINKS.items()
                },
            },
        )
    return risk


def risk_update(*, actor, risk: Risk, expected_version: int | None = None, **changes) -> Risk:
    """Change a risk's details, ratings (the score follows), links and source."""
    require_manager(actor)
    unknown = set(changes) - set(RISK_FIELDS) - set(LINKS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
        check_version(risk, expected_version)
        cleaned = _clean(changes, errors, risk)
        raise_if(errors)
        before = snapshot(risk, (*RISK_FIELDS, "score"))
        for name in RISK_FIELDS:
            if name in cleaned:
                setattr(risk, name, cleaned[name])
        risk.score = risk.likelihood * risk.impact
        made = field_changes(risk, before, (*RISK_FIELDS, "score"))
        _set_links(risk, cleaned, made)
        if not made:
            return risk
        risk.updated_at = timezone.now()
        risk.version += 1
        risk.save()
        audit_record(actor=actor, verb="risk.updated", obj=risk, payload=made)
    return risk


def risk_transition(
    *,
    actor,
    risk: Risk,
    target: str,
    note: str = "",
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Risk:
    """Move a risk along its lifecycle (``RISK_TRANSITIONS``). Starting a treatment needs a
    treatment plan; closing and reopening need a note saying why."""
    require_manager(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
        check_version(risk, expected_version)
        transition = risk_transition_for(risk.status, target)
        if transition is None:
            raise ValidationError(
                {"target": _("This risk cannot move from its current status to that one.")}
            )
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=2000)
        if transition.needs == "reason" and not note and "note" not in errors:
            errors["note"] = _("Say why.")
        if transition.needs == "plan" and not risk.treatment_plan.strip():
            errors["target"] = _("Write the treatment plan first.")
        raise_if(errors)
        previous = risk.status
        risk.status = target
        risk.status_note = note
        risk.closed_on = today if target == RiskStatus.CLOSED else None
        risk.updated_at = timezone.now()
        risk.version += 1
        risk.save()
        audit_record(
            actor=actor,
            verb="risk.status_changed",
            obj=risk,
            payload={"from": previous, "to": target, "note": note},
        )
    return risk


def risk_review(
    *,
    actor,
    risk: Risk,
    likelihood: int,
    impact: int,
    next_review_on: datetime.date,
    note: str = "",
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> RiskReview:
    """Record a review of an open risk: its rating now (the score follows), a note, and the
    next review date (after today), which also settles an overdue review."""
    require_manager(actor)
    today = today or timezone.localdate()
    size = matrix_setting().size
    errors: dict = {}
    likelihood = _rating(likelihood, "likelihood", size, errors)
    impact = _rating(impact, "impact", size, errors)
    next_review_on = clean_date(next_review_on, "next_review_on", errors)
    note = clean_text(note, "note", errors, limit=4000)
    if next_review_on and "next_review_on" not in errors and next_review_on <= today:
        errors["next_review_on"] = _("The next review must be after today.")
    raise_if(errors)
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
        check_version(risk, expected_version)
        if not risk.is_open:
            raise ValidationError(_("A closed risk is not reviewed: reopen it first."))
        before = {"likelihood": risk.likelihood, "impact": risk.impact, "review_on": risk.review_on}
        risk.likelihood, risk.impact = likelihood, impact
        risk.score = likelihood * impact
        risk.last_reviewed_on = today
        risk.review_on = next_review_on
        risk.updated_at = timezone.now()
        risk.version += 1
        risk.save()
        review = RiskReview.objects.create(
            risk=risk,
            reviewed_on=today,
            reviewer=actor,
            likelihood=likelihood,
            impact=impact,
            score=risk.score,
            note=note,
            next_review_on=next_review_on,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            verb="risk.reviewed",
            obj=risk,
            payload={
                "before": before,
                "likelihood": likelihood,
                "impact": impact,
                "score": risk.score,
                "next_review_on": next_review_on,
                "note": note,
            },
        )
    return review


# --- The matrix ----------------------------------------------------------------------------


def risk_matrix_update(
    *,
    actor,
    size: int,
    medium_from: int,
    high_from: int,
    critical_from: int,
    expected_version: int | None = None,
) -> RiskMatrixSetting:
    """Set the matrix: its size (3 to 5) and the lowest score of the medium, high and
    critical levels (rising, within 2…size²). A smaller matrix is refused while a risk is
    rated beyond it: re-rate those first."""
    require_manager(actor)
    errors: dict = {}
    if size not in MATRIX_SIZES:
        errors["size"] = _("Choose a size from 3×3 to 5×5.")
    else:
        top = size * size
        numbers = {"medium_from": medium_from, "high_from": high_from}
        numbers["critical_from"] = critical_from
        for name, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= top:
                errors[name] = _("Enter a score from 2 to %(top)d.") % {"top": top}
        if not errors and not medium_from < high_from < critical_from:
            errors["high_from"] = _(
                "The thresholds must rise: medium below high, high below critical."
            )
        beyond = Risk.objects.filter(Q(likelihood__gt=size) | Q(impact__gt=size)).count()
        if beyond:
            errors["size"] = _(
                "%(n)d risks are rated beyond a %(size)d×%(size)d matrix: re-rate them first."
            ) % {"n": beyond, "size": size}
    raise_if(errors)
    with transaction.atomic():
        setting, _created = RiskMatrixSetting.objects.select_for_update(of=("self",)).get_or_create(
            pk=1
        )
        check_version(setting, expected_version)
        fields = ("size", "medium_from", "high_from", "critical_from")
        before = snapshot(setting, fields)
        setting.size, setting.medium_from = size, medium_from
        setting.high_from, setting.critical_from = high_from, critical_from
        made = field_changes(setting, before, fields)
        if not made and not _created:
            return setting
        setting.updated_by = actor
        setting.updated_at = timezone.now()
        setting.version += 1
        setting.save()
        audit_record(actor=actor, verb="risk_matrix.updated", obj=setting, payload=made)
    return setting


# --- Reminders -----------------------------------------------------------------------------


def review_reminder_key(risk: Risk) -> str:
    return f"planning.risk_review_overdue:{risk.pk}:{risk.review_on.isoformat()}"


def risk_review_remind(*, today: datetime.date | None = None) -> int:
    """Tell the owner of every open risk whose review date has passed, through the
    notification centre (and e-mail).

    Exactly once per risk and review date: the dedupe key names both, no second reminder
    goes out for that key even if the owner changed meanwhile, and the notification table's
    unique key settles a race between two workers. A review (or a new review date) makes a
    new key, reminded of when that date passes in its turn. Returns the reminders sent."""
    today = today or timezone.localdate()
    return reminders_send(
        Risk.objects.review_overdue(today).select_related("owner").order_by("pk"),
        key=review_reminder_key,
        recipient=lambda risk: risk.owner,
        kind="risk_review_overdue",
        context=lambda risk: {"risk": risk, "days": (today - risk.review_on).days},
        url=lambda risk: reverse("risk_detail", args=[risk.reference]),
        verb="risk.review_reminded",
        payload=lambda risk: {"owner": risk.owner_id, "review_on": risk.review_on},
    )
