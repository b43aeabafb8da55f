"""Writes of availability management (clause 8.7.1): fallback targets, outages (by hand, from a
major incident, from a change's maintenance window), their adjustments with a reason, the
customers they affect, and the single-point-of-failure scan of the CMDB.

Every service validates, writes the change with its history row and one audit row in one
transaction, and raises ValidationError with translated messages (nothing written).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance import queries
from serviceloop.assurance.models import (
    AvailabilityTarget,
    Outage,
    OutageEvent,
    OutageEventKind,
    OutageKind,
    OutageSource,
)
from serviceloop.assurance.permissions import (
    can_edit_service_records,
    can_operate,
)
from serviceloop.assurance.record_writes import aware, bump, lock, plain, text, whole_seconds
from serviceloop.core.audit import audit_record
from serviceloop.core.numbering import reference_allocate
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import Service
from serviceloop.transition.models import ChangeRequest

REFERENCE_KIND = "OUT"
# An unplanned outage cannot start in the future; a little slack for clocks that disagree.
CLOCK_SLACK = datetime.timedelta(minutes=5)


def _require_operate(actor) -> None:
    if actor is None or not can_operate(actor):
        raise PermissionDenied


# --- Targets -----------------------------------------------------------------------------------


def target_set(
    *, actor, service: Service, target_percent, note: str = "", expected_version=None, now=None
) -> AvailabilityTarget:
    """Set the provider's own availability target (percent, 0 < t ≤ 100, three decimals) of a
    service: the fallback when no SLA in force sets one."""
    if not can_edit_service_records(actor, service):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    try:
        value = Decimal(str(target_percent)).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError, TypeError):
        value = None
    if value is None or not value.is_finite() or not Decimal(0) < value <= Decimal(100):
        errors["target_percent"] = _("Give a percentage above 0 and at most 100, e.g. 99.9.")
    note = text(note, "note", errors, limit=300)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        target = AvailabilityTarget.objects.filter(service=service).first()
        if target is None:
            target = AvailabilityTarget.objects.create(
                service=service, target_percent=value, note=note, updated_by=actor, updated_at=now
            )
            old = None
        else:
            target = lock(target, expected_version)
            old = str(target.target_percent)
            target.target_percent, target.note = value, note
            target.updated_by, target.updated_at = actor, now
            bump(target)
            target.save()
        audit_record(
            actor=actor,
            verb="availability_target.set",
            obj=target,
            payload={"service": service.pk, "target_percent": [old, str(value)], "note": note},
        )
    return target


def target_clear(*, actor, service: Service) -> bool:
    """Remove the service's own target (the SLA's, if any, still applies)."""
    if not can_edit_service_records(actor, service):
        raise PermissionDenied
    with transaction.atomic():
        target = AvailabilityTarget.objects.filter(service=service).first()
        if target is None:
            return False
        audit_record(
            actor=actor,
            verb="availability_target.cleared",
            obj=target,
            payload={"service": service.pk, "target_percent": str(target.target_percent)},
        )
        target.delete()
    return True


# --- Outages -----------------------------------------------------------------------------------


def _check_window(kind, start, end, now, errors) -> None:
    if start is None:
        return
    if end is not None and end <= start:
        errors["end"] = _("The end must come after the start.")
    if kind == OutageKind.UNPLANNED:
        if start > now + CLOCK_SLACK:
            errors["start"] = _("An unplanned outage cannot start in the future.")
        elif end is not None and end > now + CLOCK_SLACK:
            errors["end"] = _("An unplanned outage cannot end in the future: leave the end empty.")


def _clean_customers(service, all_customers, customers, errors) -> list:
    customers = list(customers or [])
    if all_customers:
        return []
    if not customers:
        errors["customers"] = _("Choose the customers affected, or affect every customer.")
        return []
    entitled = set(service.customers.values_list("pk", flat=True))
    strangers = [c for c in customers if c.pk not in entitled]
    if strangers:
        errors["customers"] = _("Not entitled to the service: %(names)s.") % {
            "names": ", ".join(str(c) for c in strangers)
        }
    return customers


def _outage_payload(outage: Outage) -> dict:
    return {
        "service": outage.service_id,
        "kind": outage.kind,
        "source": outage.source,
        "start": outage.start,
        "end": outage.end,
        "announced_at": outage.announced_at,
        "ticket": outage.ticket_id,
        "change": outage.change_id,
        "all_customers": outage.all_customers,
    }


def _outage_write(
    *,
    actor,
    service,
    kind,
    source,
    title,
    description,
    start,
    end,
    announced_at,
    all_customers,
    customers,
    ticket=None,
    change=None,
    reason="",
    timeline=None,
    now,
) -> Outage:
    try:
        with transaction.atomic():
            outage = Outage.objects.create(
                reference=reference_allocate(
                    kind=REFERENCE_KIND, year=timezone.localtime(now).year
                ),
                service=service,
                title=title[:200],
                description=description,
                kind=kind,
                source=source,
                ticket=ticket,
                change=change,
                start=start,
                end=end,
                announced_at=announced_at,
                all_customers=all_customers,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            if customers:
                outage.customers.set(customers)
            changes = dict(_outage_payload(outage))
            if timeline is not None:
                changes["timeline"] = {"start": timeline[0], "end": timeline[1]}
            changes["customers"] = sorted(c.pk for c in customers)
            event = OutageEvent(
                outage=outage, at=now, actor=actor, kind=OutageEventKind.CREATED, reason=reason
            )
            event.changes = plain(changes)
            event.save()
            audit_record(
                actor=actor,
                verb="outage.created",
                obj=outage,
                payload={**changes, "reason": reason},
            )
    except IntegrityError as exc:
        raise ValidationError(_("This outage is already recorded for the service.")) from exc
    return outage


def outage_create(
    *,
    actor,
    service: Service,
    title: str,
    start,
    end=None,
    kind: str = OutageKind.UNPLANNED,
    description: str = "",
    announced_at=None,
    all_customers: bool = True,
    customers=(),
    now=None,
) -> Outage:
    """Record an outage by hand (staff who operate). Unplanned outages lie in the past (an
    ongoing one has no end); planned maintenance may lie ahead, and counts as downtime only
    if it was not announced before it started (see ``Outage.counts_as_downtime``)."""
    _require_operate(actor)
    now = whole_seconds(now or timezone.now())
    errors = {}
    title = text(title, "title", errors, required=True, limit=200)
    description = text(description, "description", errors)
    if kind not in OutageKind.values:
        errors["kind"] = _("Choose unplanned or planned.")
    start = aware(start, "start", errors)
    end = aware(end, "end", errors, required=False)
    announced_at = aware(announced_at, "announced_at", errors, required=False)
    if kind == OutageKind.UNPLANNED and announced_at is not None:
        errors["announced_at"] = _("Only planned maintenance is announced.")
    _check_window(kind, start, end, now, errors)
    customers = _clean_customers(service, all_customers, customers, errors)
    if errors:
        raise ValidationError(errors)
    return _outage_write(
        actor=actor,
        service=service,
        kind=kind,
        source=OutageSource.MANUAL,
        title=title,
        description=description,
        start=start,
        end=end,
        announced_at=announced_at,
        all_customers=bool(all_customers),
        customers=customers,
        now=now,
    )


def outage_from_incident(
    *,
    actor,
    ticket: Ticket,
    service: Service,
    start=None,
    end=None,
    reason: str = "",
    all_customers: bool = True,
    customers=(),
    now=None,
) -> Outage:
    """Record the unplanned outage a major incident caused to ``service``: from the incident's
    creation to its resolution (still open while it is unresolved). Times that differ from
    that timeline need a reason, kept in the outage's history and the audit trail."""
    _require_operate(actor)
    if not Ticket.objects.visible_to(actor).filter(pk=ticket.pk).exists():
        raise PermissionDenied
    now = whole_seconds(now or timezone.now())
    errors = {}
    if ticket.kind != Kind.INCIDENT or not ticket.is_major:
        errors["ticket"] = _("Only a major incident records an outage this way.")
    elif ticket.status == Status.CANCELLED:
        errors["ticket"] = _("A cancelled incident caused no outage.")
    timeline = tuple(whole_seconds(t) for t in queries.incident_timeline(ticket))
    start = timeline[0] if start in (None, "") else aware(start, "start", errors)
    end = timeline[1] if end in (None, "") else aware(end, "end", errors)
    reason = text(reason, "reason", errors)
    if (start, end) != timeline and not reason:
        errors["reason"] = _("Say why the times differ from the incident's timeline.")
    _check_window(OutageKind.UNPLANNED, start, end, now, errors)
    customers = _clean_customers(service, all_customers, customers, errors)
    if errors:
        raise ValidationError(errors)
    return _outage_write(
        actor=actor,
        service=service,
        kind=OutageKind.UNPLANNED,
        source=OutageSource.MAJOR_INCIDENT,
        title=ticket.title,
        description=_("Major incident %(reference)s.") % {"reference": ticket.reference},
        start=start,
        end=end,
        announced_at=None,
        all_customers=bool(all_customers),
        customers=customers,
        ticket=ticket,
        reason=reason,
        timeline=timeline,
        now=now,
    )


def outage_from_change(
    *,
    actor,
    change: ChangeRequest,
    service: Service,
    start=None,
    end=None,
    reason: str = "",
    announced_at=None,
    all_customers: bool | None = None,
    customers=None,
    now=None,
) -> Outage:
    """Record the planned maintenance a change causes to ``service``: its actual window once
    it ran, else its planned window. Announced when the change was scheduled (or given);
    customers: the change's affected customers entitled to the service, else every one.
    Times that differ from the change's window need a reason."""
    _require_operate(actor)
    now = whole_seconds(now or timezone.now())
    errors = {}
    window = tuple(whole_seconds(t) for t in queries.change_window(change))
    if window[0] is None:
        errors["change"] = _("The change has no window yet: schedule it first.")
    start = window[0] if start in (None, "") else aware(start, "start", errors)
    end = window[1] if end in (None, "") else aware(end, "end", errors)
    reason = text(reason, "reason", errors)
    if window[0] is not None and (start, end) != window and not reason:
        errors["reason"] = _("Say why the times differ from the change's window.")
    if change.services.exists() and not change.services.filter(pk=service.pk).exists():
        errors["service"] = _("The change does not name this service.")
    if announced_at in (None, ""):
        announced_at = queries.change_announced_at(change)
    else:
        announced_at = aware(announced_at, "announced_at", errors)
    if customers is None:
        entitled = set(service.customers.values_list("pk", flat=True))
        customers = [c for c in change.affected_customers.all() if c.pk in entitled]
        all_customers = not customers if all_customers is None else all_customers
    elif all_customers is None:
        all_customers = not customers
    _check_window(OutageKind.PLANNED, start, end, now, errors)
    customers = _clean_customers(service, all_customers, customers, errors)
    if errors:
        raise ValidationError(errors)
    return _outage_write(
        actor=actor,
        service=service,
        kind=OutageKind.PLANNED,
        source=OutageSource.PLANNED_MAINTENANCE,
        title=change.title,
        description=_("Change %(reference)s.") % {"reference": change.reference},
        start=start,
        end=end,
        announced_at=announced_at,
        all_customers=bool(all_customers),
        customers=customers,
        change=change,
        reason=reason,
        timeline=window,
        now=now,
    )


def outage_adjust(
    *, actor, outage: Outage, start, end, reason: str, expected_version=None, now=None
) -> Outage:
    """Correct an outage's start and end (``end`` None: still ongoing). A reason is required;
    history and audit keep the old and new times with it."""
    _require_operate(actor)
    now = whole_seconds(now or timezone.now())
    errors = {}
    start = aware(start, "start", errors)
    end = aware(end, "end", errors, required=False)
    reason = text(reason, "reason", errors, required=True)
    _check_window(outage.kind, start, end, now, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        outage = lock(outage, expected_version)
        before = {"start": outage.start, "end": outage.end}
        if (outage.start, outage.end) == (start, end):
            return outage
        outage.start, outage.end, outage.updated_at = start, end, now
        bump(outage)
        outage.save()
        changes = plain({"start": [before["start"], start], "end": [before["end"], end]})
        OutageEvent.objects.create(
            outage=outage,
            at=now,
            actor=actor,
            kind=OutageEventKind.ADJUSTED,
            reason=reason,
            changes=changes,
        )
        audit_record(
            actor=actor, verb="outage.adjusted", obj=outage, payload={**changes, "reason": reason}
        )
    return outage


def outage_end(
    *, actor, outage: Outage, end=None, reason: str = "", expected_version=None, now=None
) -> Outage:
    """End an ongoing outage: at ``end``, else (a major incident's) at the incident's
    resolution, else now. Ending a major incident's outage elsewhere than at the resolution
    needs a reason. ``actor`` None: the system following the incident."""
    if actor is not None:
        _require_operate(actor)
    now = whole_seconds(now or timezone.now())
    errors = {}
    if outage.end is not None:
        raise ValidationError({"end": _("The outage has already ended.")})
    resolution = None
    if outage.ticket_id:
        resolution = whole_seconds(queries.incident_timeline(outage.ticket)[1])
    end = (resolution or now) if end in (None, "") else aware(end, "end", errors)
    reason = text(reason, "reason", errors)
    if outage.ticket_id and end != resolution and not reason:
        errors["reason"] = _("Say why the outage ends elsewhere than at the incident's resolution.")
    _check_window(outage.kind, outage.start, end, now, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        outage = lock(outage, expected_version)
        if outage.end is not None:
            raise ValidationError({"end": _("The outage has already ended.")})
        outage.end, outage.updated_at = end, now
        bump(outage)
        outage.save()
        changes = plain({"end": [None, end]})
        OutageEvent.objects.create(
            outage=outage,
            at=now,
            actor=actor,
            kind=OutageEventKind.ENDED,
            reason=reason,
            changes=changes,
        )
        audit_record(
            actor=actor, verb="outage.ended", obj=outage, payload={**changes, "reason": reason}
        )
    return outage


def outage_update(
    *,
    actor,
    outage: Outage,
    title: str,
    description: str = "",
    announced_at=None,
    expected_version=None,
    now=None,
) -> Outage:
    """Change an outage's title, description and (planned maintenance) announcement time."""
    _require_operate(actor)
    now = whole_seconds(now or timezone.now())
    errors = {}
    title = text(title, "title", errors, required=True, limit=200)
    description = text(description, "description", errors)
    announced_at = aware(announced_at, "announced_at", errors, required=False)
    if outage.kind == OutageKind.UNPLANNED and announced_at is not None:
        errors["announced_at"] = _("Only planned maintenance is announced.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        outage = lock(outage, expected_version)
        before = {
            "title": outage.title,
            "description": outage.description,
            "announced_at": outage.announced_at,
        }
        after = {"title": title, "description": description, "announced_at": announced_at}
        changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
        if not changes:
            return outage
        for name, value in after.items():
            setattr(outage, name, value)
        outage.updated_at = now
        bump(outage)
        outage.save()
        changes = plain(changes)
        OutageEvent.objects.create(
            outage=outage, at=now, actor=actor, kind=OutageEventKind.DETAILS, changes=changes
        )
        audit_record(actor=actor, verb="outage.updated", obj=outage, payload=changes)
    return outage


def outage_customers_set(
    *, actor, outage: Outage, all_customers: bool, customers=(), expected_version=None, now=None
) -> Outage:
    """Say whom the outage affected: every customer entitled to the service, or those chosen
    (who must be entitled to it)."""
    _require_operate(actor)
    now = whole_seconds(now or timezone.now())
    errors = {}
    customers = _clean_customers(outage.service, all_customers, customers, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        outage = lock(outage, expected_version)
        before = (outage.all_customers, sorted(outage.customers.values_list("pk", flat=True)))
        after = (bool(all_customers), sorted(c.pk for c in customers))
        if before == after:
            return outage
        outage.all_customers = after[0]
        outage.updated_at = now
        bump(outage)
        outage.save()
        outage.customers.set(customers)
        changes = {
            "all_customers": [before[0], after[0]],
            "customers": [before[1], after[1]],
        }
        OutageEvent.objects.create(
            outage=outage, at=now, actor=actor, kind=OutageEventKind.CUSTOMERS, changes=changes
        )
        audit_record(actor=actor, verb="outage.customers", obj=outage, payload=changes)
    return outage


def outages_follow_incidents(now=None) -> int:
    """End the ongoing outages of major incidents that have been resolved since, at their
    resolution (the system's move; idempotent). Returns the number ended."""
    now = whole_seconds(now or timezone.now())
    ended = 0
    ongoing = Outage.objects.filter(
        end__isnull=True,
        source=OutageSource.MAJOR_INCIDENT,
        ticket__status__in=[Status.RESOLVED, Status.CLOSED],
    ).select_related("ticket")
    for outage in ongoing:
        try:
            outage_end(actor=None, outage=outage, now=now)
        except ValidationError:
            continue  # adjusted by hand meanwhile, or a resolution before the start
        ended += 1
    return ended
