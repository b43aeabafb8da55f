"""Which audit rows a reader of the trail may not read in full.

Everyone who may read the audit trail reads every row (the chain must stay checkable), but a
row about a confidential record (a confidential ticket, a security incident) keeps its
object's title and its changes from a reader who may not see that record. Core does not
know those records: the app that owns them answers through the collector point
``AUDIT_HIDDEN`` (``core.hooks``) with the ids of the rows to redact, one query per page of
rows, never one per row.

Redacting changes the row objects in memory only (``object_repr`` and ``payload``); the rows
themselves are append-only and never written.
"""

from django.utils.translation import gettext_lazy as _

from serviceloop.core.hooks import collect

# Collector: ``function(*, user, events: list[AuditEvent]) -> iterable of event ids``.
AUDIT_HIDDEN = "core.audit.hidden"

REDACTED = _("(confidential)")


def audit_events_redact(user, events) -> list:
    """The rows as a list, those ``user`` may not read in full redacted: ``object_repr``
    shows "(confidential)", ``payload`` is empty and ``redacted`` is True."""
    events = list(events)
    for event in events:
        event.redacted = False
    if not events:
        return events
    hidden = collect(AUDIT_HIDDEN, user=user, events=events)
    for event in events:
        if event.pk in hidden:
            event.object_repr = str(REDACTED)
            event.payload = {}
            event.redacted = True
    return events


def rows_about(events, object_type: str) -> dict[int, list]:
    """``{object id: [rows]}`` of the rows about objects of ``object_type`` (numeric ids)."""
    found: dict[int, list] = {}
    for event in events:
        if event.object_type == object_type and str(event.object_id).isdigit():
            found.setdefault(int(event.object_id), []).append(event)
    return found
