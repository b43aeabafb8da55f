"""Writes of availability management (clause 8.7.1): fallback targets, outages (by hand, from a
major incident, from a change's maintenance window), their adjustments with a reason, the
customers they affect, and the single-point-of-failure scan of the CMDB.

Every service validates, writes the change with its history row and one audit row in one
transaction, and raises ValidationError with translated messages (nothing written).
"""

import datetime
from collections import deque
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance import queries
from serviceloop.assurance.lifecycle import FINDING_MOVES, FindingStatus, move_for
from serviceloop.assurance.models import (
    AvailabilityTarget,
    Outage,
    OutageEvent,
    OutageEventKind,
    OutageKind,
    OutageSource,
    SpofFinding,
)
from serviceloop.assurance.permissions import (
    can_edit_service_records,
    can_manage,
    can_operate,
)
from serviceloop.assurance.record_writes import aware, bump, lock, plain, text, whole_seconds
from serviceloop.core.audit import audit_record
from serviceloop.core.numbering import reference_allocate
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.portfolio.models import (
    IMPACT_KINDS,
    CiRelation,
    ConfigurationItem,
    RelationKind,
    Service,
    ServiceComponent,
)
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


# --- Single points of failure ------------------------------------------------------------------


def spof_detect() -> dict[tuple[int, int], list[str]]:
    """``{(service id, item id): path}`` of the single points of failure of the live services.

    A live service depends on the in-use items it is built from (its components) and, through
    portfolio impact, on every in-use item those need (runs-on, depends-on and part-of, followed
    from the needing item to the needed one; retired items neither count nor pass it on). Such
    an item is a single point of failure of the service when it has no redundant peer: no other
    in-use item of the same type that the service also depends on, nor one of the same type
    linked to it by connected-to (a cluster partner, a redundant link). ``path``: the item
    references from the component down to it.
    """
    in_use = ConfigurationItem.objects.in_use()
    components: dict[int, list[int]] = {}
    for service_id, item_id in ServiceComponent.objects.filter(
        service__status=ServiceStatus.LIVE, configuration_item__in=in_use
    ).values_list("service_id", "configuration_item_id"):
        components.setdefault(service_id, []).append(item_id)
    if not components:
        return {}
    needs: dict[int, list[int]] = {}
    for source, target in CiRelation.objects.filter(
        kind__in=IMPACT_KINDS, source__in=in_use, target__in=in_use
    ).values_list("source_id", "target_id"):
        needs.setdefault(source, []).append(target)
    partners: dict[int, set[int]] = {}
    for a, b in CiRelation.objects.filter(
        kind=RelationKind.CONNECTED_TO, source__in=in_use, target__in=in_use
    ).values_list("source_id", "target_id"):
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    items = dict(in_use.values_list("pk", "ci_type_id"))
    references = dict(in_use.values_list("pk", "reference"))

    found: dict[tuple[int, int], list[str]] = {}
    for service_id, starts in components.items():
        parent: dict[int, int | None] = {}
        queue = deque()
        for item in sorted(starts):
            if item not in parent:
                parent[item] = None
                queue.append(item)
        while queue:
            item = queue.popleft()
            for needed in sorted(needs.get(item, ())):
                if needed not in parent:
                    parent[needed] = item
                    queue.append(needed)
        by_type: dict[int, set[int]] = {}
        for item in parent:
            by_type.setdefault(items[item], set()).add(item)
        for item in parent:
            same_type = by_type[items[item]] - {item}
            linked = {p for p in partners.get(item, ()) if items.get(p) == items[item]}
            if same_type or linked:
                continue
            path, step = [], item
            while step is not None:
                path.append(references[step])
                step = parent[step]
            found[(service_id, item)] = list(reversed(path))
    return found


def spof_scan(*, actor=None, now=None) -> dict[str, int]:
    """Bring the findings up to date with the CMDB (``spof_detect``): new single points of
    failure become open findings, resolved ones found again reopen, and findings no longer
    detected are resolved. Idempotent; one audit row per scan that changed anything. ``actor``
    None: the periodic task; else a manager."""
    if actor is not None and not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    counts = {"created": 0, "reopened": 0, "resolved": 0, "open": 0}
    with transaction.atomic():
        detected = spof_detect()
        existing = {
            (f.service_id, f.configuration_item_id): f
            for f in SpofFinding.objects.select_for_update(of=("self",))
        }
        changed = {"created": [], "reopened": [], "resolved": []}
        for key, path in detected.items():
            finding = existing.get(key)
            if finding is None:
                finding = SpofFinding.objects.create(
                    service_id=key[0],
                    configuration_item_id=key[1],
                    path=path,
                    detected_at=now,
                    last_seen_at=now,
                )
                changed["created"].append(finding.pk)
                continue
            finding.last_seen_at, finding.path = now, path
            if finding.status == FindingStatus.RESOLVED:
                finding.status, finding.detected_at, finding.resolved_at = (
                    FindingStatus.OPEN,
                    now,
                    None,
                )
                finding.note = _("Found again by the scan.")
                bump(finding)
                changed["reopened"].append(finding.pk)
            finding.save()
        for key, finding in existing.items():
            if key not in detected and finding.status != FindingStatus.RESOLVED:
                finding.status, finding.resolved_at = FindingStatus.RESOLVED, now
                finding.note = _("No longer a single point of failure in the CMDB.")
                bump(finding)
                finding.save()
                changed["resolved"].append(finding.pk)
        for name, ids in changed.items():
            counts[name] = len(ids)
        counts["open"] = SpofFinding.objects.filter(status=FindingStatus.OPEN).count()
        if any(changed.values()):
            audit_record(
                actor=actor,
                verb="spof.scanned",
                object_type=SpofFinding._meta.label_lower,
                object_id="scan",
                payload=changed,
            )
    return counts


def finding_transition(
    *, actor, finding: SpofFinding, target: str, note: str = "", expected_version=None
) -> SpofFinding:
    """Accept the risk of a single point of failure, mark it resolved, or reopen it."""
    if not can_manage(actor):
        raise PermissionDenied
    move = move_for(FINDING_MOVES, finding.status, target)
    errors = {}
    note = text(note, "note", errors, required=bool(move and move.needs == "note"))
    if move is None:
        errors["status"] = _("This finding cannot move to that status.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        finding = lock(finding, expected_version)
        old = finding.status
        finding.status = target
        finding.resolved_at = now if target == FindingStatus.RESOLVED else None
        if note:
            finding.note = note
        bump(finding)
        finding.save()
        audit_record(
            actor=actor,
            verb=f"spof.{target}",
            obj=finding,
            payload={"status": [old, target], "note": note},
        )
    return finding


def finding_update(
    *, actor, finding: SpofFinding, note: str = "", risk_reference: str = "", expected_version=None
) -> SpofFinding:
    """Record a note and the risk register entry that treats the finding."""
    if not can_manage(actor):
        raise PermissionDenied
    errors = {}
    note = text(note, "note", errors)
    risk_reference = text(risk_reference, "risk_reference", errors, limit=40)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        finding = lock(finding, expected_version)
        changes = {}
        for name, value in (("note", note), ("risk_reference", risk_reference)):
            if getattr(finding, name) != value:
                changes[name] = [getattr(finding, name), value]
                setattr(finding, name, value)
        if not changes:
            return finding
        bump(finding)
        finding.save()
        audit_record(actor=actor, verb="spof.updated", obj=finding, payload=changes)
    return finding
