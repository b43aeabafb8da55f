"""Improvement register writes (clause 10.2): proposing (any staff member, the management
review, an audit), editing, moving along the lifecycle, recording the measured benefit, and
the overdue reminders.

Each service checks the actor's right, validates, writes the change and one audit row in one
transaction, and raises ValidationError (translated messages, nothing written) on bad input.
The owner is told of what concerns him through the notification centre (e-mail deliveries
are queued after commit).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import notify, reminders_send
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import (
    Benefit,
    Effort,
    Improvement,
    ImprovementPriority,
    ImprovementSource,
    ImprovementStatus,
    improvement_transition_for,
    priority_of,
)
from serviceloop.improvement.models.improvements import MANAGER, OWNER
from serviceloop.improvement.permissions_improvements import (
    can_manage,
    improvement_roles,
    is_staff,
    managers,
)
from serviceloop.improvement.queries_improvements import kpi_before_after
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_decimal,
    clean_owner,
    clean_text,
    raise_if,
)

REFERENCE_KIND = "IMP"
# What a manager may change, and the part of it the owner may change himself.
MANAGER_FIELDS = (
    "title", "description", "source", "source_reference", "benefit", "benefit_rating",
    "effort", "priority", "owner", "target_on", "kpi",
)  # fmt: skip
OWNER_FIELDS = ("description", "benefit", "benefit_rating", "effort", "target_on", "kpi")
AUDIT_FIELDS = (*MANAGER_FIELDS, "priority_set")


def _url(improvement: Improvement) -> str:
    return reverse("improvement_detail", args=[improvement.reference])


def _clean(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    for name in ("description", "benefit"):
        if name in values:
            cleaned[name] = clean_text(values[name], name, errors)
    if "source" in values:
        cleaned["source"] = clean_choice(
            values["source"], ImprovementSource.values, "source", errors
        )
    if "source_reference" in values:
        cleaned["source_reference"] = clean_text(
            values["source_reference"], "source_reference", errors, limit=200
        )
    if "benefit_rating" in values:
        cleaned["benefit_rating"] = clean_choice(
            values["benefit_rating"], Benefit.values, "benefit_rating", errors
        )
    if "effort" in values:
        cleaned["effort"] = clean_choice(values["effort"], Effort.values, "effort", errors)
    if "priority" in values and values["priority"] not in (None, ""):
        cleaned["priority"] = clean_choice(
            values["priority"], ImprovementPriority.values, "priority", errors
        )
    elif "priority" in values:
        cleaned["priority"] = None  # follow benefit × effort
    if "owner" in values:
        cleaned["owner"] = None if values["owner"] is None else clean_owner(values["owner"], errors)
    if "target_on" in values:
        cleaned["target_on"] = clean_date(values["target_on"], "target_on", errors, required=False)
    if "kpi" in values:
        kpi = values["kpi"]
        if kpi is not None and not isinstance(kpi, KpiDefinition):
            errors["kpi"] = _("Choose a KPI from the list.")
        cleaned["kpi"] = kpi
    return cleaned


def _apply_priority(improvement: Improvement, cleaned: dict) -> None:
    if "priority" in cleaned:
        improvement.priority_set = cleaned["priority"] is not None
    if improvement.priority_set and cleaned.get("priority"):
        improvement.priority = cleaned["priority"]
    elif not improvement.priority_set:
        improvement.priority = priority_of(improvement.benefit_rating, improvement.effort)


def _notify_owner(improvement: Improvement, actor, kind: str, **context) -> None:
    owner = improvement.owner
    if owner is None or getattr(actor, "pk", None) == owner.pk:
        return
    notify(
        recipients=[owner],
        kind=kind,
        context={"improvement": improvement, "actor": actor, **context},
        url=_url(improvement),
    )


def improvement_propose(
    actor,
    *,
    title: str,
    source: str,
    description: str = "",
    source_reference: str = "",
    benefit: str = "",
    effort: str = "M",
    owner=None,
    cause_key: str = "",
    benefit_rating: int = Benefit.MEDIUM,
    target_on: datetime.date | None = None,
    priority: str | None = None,
    kpi=None,
) -> Improvement:
    """Record an opportunity for improvement ``IMP-YYYY-NNNNNN``, proposed (priority from
    benefit × effort unless given).

    Any member of staff may propose (``actor`` None: the system). With a ``cause_key``, an
    open improvement (proposed, accepted, in progress, implemented) with that key is returned
    instead of a second one, even under a race (partial unique constraint). The managers
    are told of a proposal they did not make themselves; the owner of his assignment."""
    if actor is not None and not is_staff(actor):
        raise PermissionDenied
    cause_key = (cause_key or "").strip()[:200]
    if cause_key:
        existing = Improvement.objects.open().filter(cause_key=cause_key).first()
        if existing is not None:
            return existing
    errors: dict = {}
    cleaned = _clean(
        {
            "title": title, "source": source, "description": description,
            "source_reference": source_reference, "benefit": benefit, "effort": effort,
            "owner": owner, "benefit_rating": benefit_rating, "target_on": target_on,
            "priority": priority, "kpi": kpi,
        },
        errors,
    )  # fmt: skip
    raise_if(errors)
    priority_given = cleaned.pop("priority")
    now = timezone.now()
    try:
        with transaction.atomic():
            improvement = Improvement(
                reference=reference_allocate(
                    kind=REFERENCE_KIND, year=timezone.localdate(now).year
                ),
                cause_key=cause_key,
                suggested_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
                updated_at=now,
                **cleaned,
            )
            _apply_priority(improvement, {"priority": priority_given})
            improvement.save()
            audit_record(
                actor=actor,
                verb="improvement.proposed",
                obj=improvement,
                payload={
                    **snapshot(improvement, AUDIT_FIELDS),
                    "reference": improvement.reference,
                    "cause_key": cause_key,
                },
            )
            if actor is None or not can_manage(actor):
                notify(
                    recipients=[m for m in managers() if m.pk != getattr(actor, "pk", None)],
                    kind="improvement_proposed",
                    context={"improvement": improvement, "actor": actor},
                    url=_url(improvement),
                    dedupe_key=f"improvement-proposed:{improvement.pk}",
                )
            _notify_owner(improvement, actor, "improvement_assigned")
    except IntegrityError:
        if not cause_key:
            raise
        # Another transaction recorded this cause a moment ago: return its record.
        return Improvement.objects.open().get(cause_key=cause_key)
    return improvement


def improvement_update(
    *, actor, improvement: Improvement, expected_version: int | None = None, **changes
) -> Improvement:
    """Change an improvement's details. A manager changes everything; its owner the
    description, expected benefit, rating, effort, target date and KPI. ``priority=None``
    lets the priority follow benefit × effort again. A new owner is told."""
    unknown = set(changes) - set(MANAGER_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        improvement = (
            Improvement.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=improvement.pk)
        )
        roles = improvement_roles(actor, improvement)
        if not roles:
            raise PermissionDenied
        if MANAGER not in roles and set(changes) - set(OWNER_FIELDS):
            raise PermissionDenied
        if not improvement.is_open:
            raise ValidationError(_("A closed improvement is not edited."))
        check_version(improvement, expected_version)
        errors: dict = {}
        cleaned = _clean(changes, errors)
        raise_if(errors)
        before = snapshot(improvement, AUDIT_FIELDS)
        before["priority"] = improvement.priority
        for name, value in cleaned.items():
            if name != "priority":
                setattr(improvement, name, value)
        _apply_priority(improvement, cleaned)
        made = field_changes(improvement, before, AUDIT_FIELDS)
        if not made:
            return improvement
        improvement.updated_at = timezone.now()
        improvement.version += 1
        improvement.save()
        audit_record(actor=actor, verb="improvement.updated", obj=improvement, payload=made)
        if "owner" in made:
            _notify_owner(improvement, actor, "improvement_assigned")
    return improvement


def improvement_transition(
    *,
    actor,
    improvement: Improvement,
    target: str,
    note: str = "",
    owner=None,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Improvement:
    """Move an improvement along ``IMPROVEMENT_TRANSITIONS``. Accepting needs an owner (the
    one given, else the one set); rejecting and reconsidering need a note saying why;
    "implemented" stamps the date; "benefit measured" goes through ``improvement_measure``.
    The owner is told of a move he did not make."""
    today = today or timezone.localdate()
    with transaction.atomic():
        improvement = (
            Improvement.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=improvement.pk)
        )
        roles = improvement_roles(actor, improvement)
        if not roles:
            raise PermissionDenied
        check_version(improvement, expected_version)
        move = improvement_transition_for(improvement.status, target, roles)
        if move is None:
            if improvement_transition_for(improvement.status, target, {MANAGER, OWNER}):
                raise PermissionDenied
            raise ValidationError(
                {"target": _("This improvement cannot move from its current status to that one.")}
            )
        if move.needs == "measurement":
            raise ValidationError({"target": _("Record the measured benefit to close it.")})
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=2000)
        if owner is not None:
            owner = clean_owner(owner, errors)
        if move.needs == "reason" and not note and "note" not in errors:
            errors["note"] = _("Say why.")
        if move.needs == "owner" and owner is None and improvement.owner is None:
            errors["owner"] = _("Choose who owns it.")
        raise_if(errors)
        previous, previous_owner = improvement.status, improvement.owner_id
        if owner is not None:
            improvement.owner = owner
        improvement.status = target
        improvement.status_note = note
        if target == ImprovementStatus.IMPLEMENTED:
            improvement.implemented_on = today
        elif target in (ImprovementStatus.IN_PROGRESS, ImprovementStatus.ACCEPTED):
            improvement.implemented_on = None
        improvement.updated_at = timezone.now()
        improvement.version += 1
        improvement.save()
        payload = {"from": previous, "to": target, "note": note}
        if improvement.owner_id != previous_owner:
            payload["owner"] = [previous_owner, improvement.owner_id]
        audit_record(
            actor=actor, verb="improvement.status_changed", obj=improvement, payload=payload
        )
        if improvement.owner_id != previous_owner:
            _notify_owner(improvement, actor, "improvement_assigned")
        else:
            _notify_owner(improvement, actor, "improvement_status", previous=previous)
    return improvement


def improvement_measure(
    *,
    actor,
    improvement: Improvement,
    measured_benefit: str,
    measured_figure=None,
    measured_unit: str = "",
    kpi=None,
    measured_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Improvement:
    """Record the benefit an implemented improvement brought and close it ("benefit
    measured"): a text, an optional figure with its unit and, with a KPI (given, or the one
    linked), its value over the full period before the implementation and over the last full
    period before ``measured_on`` (the KPI engine computes both). The owner or a manager."""
    measured_on = measured_on or timezone.localdate()
    with transaction.atomic():
        improvement = (
            Improvement.objects.select_for_update(of=("self",))
            .select_related("owner", "kpi")
            .get(pk=improvement.pk)
        )
        roles = improvement_roles(actor, improvement)
        if not roles:
            raise PermissionDenied
        check_version(improvement, expected_version)
        if improvement.status != ImprovementStatus.IMPLEMENTED:
            raise ValidationError(_("Only an implemented improvement has a benefit to measure."))
        errors: dict = {}
        measured_benefit = clean_text(
            measured_benefit, "measured_benefit", errors, limit=4000, required=True
        )
        measured_unit = clean_text(measured_unit, "measured_unit", errors, limit=30)
        figure = None
        if measured_figure not in (None, ""):
            figure = clean_decimal(measured_figure, "measured_figure", errors)
        if kpi is not None and not isinstance(kpi, KpiDefinition):
            errors["kpi"] = _("Choose a KPI from the list.")
        raise_if(errors)
        kpi = kpi or improvement.kpi
        figures = None
        if kpi is not None:
            implemented_on = improvement.implemented_on or measured_on
            figures = kpi_before_after(kpi, implemented_on, measured_on)
        improvement.measured_benefit = measured_benefit
        improvement.measured_figure = figure
        improvement.measured_unit = measured_unit
        improvement.measured_on = measured_on
        improvement.kpi = kpi
        if figures is not None:
            improvement.kpi_before = _decimal(figures["before"]["value"])
            improvement.kpi_after = _decimal(figures["after"]["value"])
            improvement.kpi_periods = figures
        previous = improvement.status
        improvement.status = ImprovementStatus.BENEFIT_MEASURED
        improvement.updated_at = timezone.now()
        improvement.version += 1
        improvement.save()
        audit_record(
            actor=actor,
            verb="improvement.benefit_measured",
            obj=improvement,
            payload={
                "from": previous,
                "measured_benefit": measured_benefit,
                "measured_figure": figure,
                "measured_unit": measured_unit,
                "measured_on": measured_on,
                "kpi": kpi.code if kpi else None,
                "kpi_periods": figures,
            },
        )
        _notify_owner(improvement, actor, "improvement_status", previous=previous)
    return improvement


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


# --- Reminders -----------------------------------------------------------------------------


def improvement_overdue_remind(*, today: datetime.date | None = None) -> int:
    """Tell the owner of every accepted or in-progress improvement past its target date,
    once per improvement and target date (the notification's dedupe key names both).
    Returns the reminders sent."""
    today = today or timezone.localdate()
    overdue = (
        Improvement.objects.overdue(today)
        .filter(owner__isnull=False)
        .select_related("owner")
        .order_by("pk")
    )
    return reminders_send(
        overdue,
        key=lambda i: f"improvement-overdue:{i.pk}:{i.target_on.isoformat()}",
        recipient=lambda i: i.owner,
        kind="improvement_overdue",
        context=lambda i: {"improvement": i, "days": (today - i.target_on).days},
        url=_url,
        verb="improvement.overdue_reminded",
        payload=lambda i: {"owner": i.owner_id, "target_on": i.target_on},
    )
