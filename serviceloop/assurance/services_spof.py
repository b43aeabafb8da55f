"""Writes of the single points of failure found in the CMDB (clause 8.7.1): the scan that
keeps the findings up to date with the CMDB (nightly, or by a manager), a finding's note and
lifecycle (accept the risk, resolve, reopen). The risk register entries that treat a finding
are written by the register, which names the finding as their source.

Every service validates, writes the change and one audit row in one transaction, and raises
ValidationError with translated messages (nothing written).
"""

from collections import deque

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.lifecycle import FINDING_MOVES, FindingStatus
from serviceloop.assurance.models import SpofFinding
from serviceloop.assurance.permissions import can_manage
from serviceloop.assurance.record_writes import bump, lock, record_move, save_audited, text
from serviceloop.core.audit import audit_record
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.portfolio.models import (
    IMPACT_KINDS,
    CiRelation,
    ConfigurationItem,
    RelationKind,
    ServiceComponent,
)


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
    now = timezone.now()

    def apply(finding, note):
        finding.resolved_at = now if target == FindingStatus.RESOLVED else None
        if note:
            finding.note = note

    return record_move(
        actor=actor,
        record=finding,
        moves=FINDING_MOVES,
        target=target,
        note=note,
        expected_version=expected_version,
        refused=_("This finding cannot move to that status."),
        verb="spof",
        apply=apply,
    )


def finding_update(*, actor, finding: SpofFinding, note: str = "", expected_version=None):
    """Record a note on the finding."""
    if not can_manage(actor):
        raise PermissionDenied
    errors = {}
    note = text(note, "note", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        finding = lock(finding, expected_version)
        if finding.note == note:
            return finding
        changes = {"note": [finding.note, note]}
        finding.note = note
        save_audited(finding, actor=actor, verb="spof.updated", payload=changes)
    return finding
