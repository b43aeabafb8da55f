"""Writing and verifying the audit trail.

``audit_record`` is called by every service inside the transaction of its change; it
appends one hash-chained row. ``audit_verify`` recomputes the chain.
"""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from serviceloop.core.models import AuditChainHead, AuditEvent
from serviceloop.core.models.audit import GENESIS_HASH
from serviceloop.core.request_context import ip_address_var, request_id_var


def _plain(value):
    """Payload values as they will read back from the JSON column."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def field_changes(instance: models.Model, before: dict, fields) -> dict:
    """``{field: [old, new]}`` for the fields whose value differs from ``before``."""
    changes = {}
    for name in fields:
        new = getattr(instance, name if not hasattr(instance, f"{name}_id") else f"{name}_id")
        old = before.get(name)
        if old != new:
            changes[name] = [old, new]
    return changes


def snapshot(instance: models.Model, fields) -> dict:
    """The values of ``fields`` now, to compare after a change with ``field_changes``."""
    return {
        name: getattr(instance, name if not hasattr(instance, f"{name}_id") else f"{name}_id")
        for name in fields
    }


def audit_record(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id=None,
    organisation=None,
    payload: dict | None = None,
) -> AuditEvent:
    """Append one audit row for a change made in the current transaction.

    Must run inside ``transaction.atomic`` (the change and its row commit together). The
    chain head is locked for the rest of the transaction, so concurrent writers append in
    a single order. The request id and IP come from the request context, if any.
    """
    [event] = audit_record_many(
        [
            {
                "actor": actor, "verb": verb, "obj": obj, "object_type": object_type,
                "object_id": object_id, "organisation": organisation, "payload": payload,
            }
        ]
    )  # fmt: skip
    return event


def audit_record_many(entries: list[dict]) -> list[AuditEvent]:
    """Append one audit row per entry (``audit_record``'s keyword arguments), in their order,
    for changes made in the current transaction: the chain head is locked once and the rows
    are inserted in one statement (a batch job that changes many records, such as the SLA
    recompute). Same rows, hashes and chain as that many ``audit_record`` calls."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the change's transaction")
    if not entries:
        return []
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    last_hash = head.last_hash
    events = []
    for entry in entries:
        event = _event(**entry)
        event.prev_hash = last_hash
        event.hash = last_hash = event.compute_hash(last_hash)
        events.append(event)
    if len(events) == 1:
        events[0].save()
    else:
        AuditEvent.objects.bulk_create(events)
    AuditChainHead.objects.filter(pk=head.pk).update(
        last_hash=last_hash, last_event_id=events[-1].pk
    )
    return events


def _event(
    *, actor, verb, obj=None, object_type=None, object_id=None, organisation=None, payload=None
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        if organisation is None:
            organisation = _organisation_of(obj)
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEvent(
        occurred_at=timezone.now(),
        actor=actor_obj,
        actor_label=(actor_obj.get_username() if actor_obj else str(actor or "system"))[:150],
        organisation=organisation,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        object_repr=str(obj)[:200] if obj is not None else "",
        verb=verb,
        payload=_plain(payload or {}),
        request_id=request_id_var.get(),
        ip_address=ip_address_var.get(),
    )


def _organisation_of(obj):
    from serviceloop.core.models import Organisation

    if isinstance(obj, Organisation):
        return obj
    organisation_id = getattr(obj, "organisation_id", None)
    return Organisation(pk=organisation_id) if organisation_id else None


@dataclass
class ChainReport:
    checked: int
    broken_event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None and not self.reason


def audit_verify() -> ChainReport:
    """Recompute every row's hash in id order; report the first row that does not match."""
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked,
                event.pk,
                "previous hash does not match: a row before it was changed or removed",
            )
        if event.compute_hash(prev_hash) != event.hash:
            return ChainReport(
                checked, event.pk, "content does not match its hash: the row was changed"
            )
        prev_hash = event.hash
        last_id = event.pk
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev_hash or head.last_event_id != last_id):
        return ChainReport(checked, head.last_event_id, "the last rows of the trail were removed")
    return ChainReport(checked)
