"""A record's change history in words, from its audit rows (shown on its page)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

VERBS = {
    "ci.created": _("Recorded"),
    "ci.updated": _("Details changed"),
    "ci.status_changed": _("Status changed"),
    "ci.relation_added": _("Relation added"),
    "ci.relation_removed": _("Relation removed"),
    "service.created": _("Recorded"),
    "service.updated": _("Details changed"),
    "service.status_changed": _("Status changed"),
    "service.checklist_done": _("Checklist step done"),
    "service.checklist_reopened": _("Checklist step reopened"),
    "service.checklist_added": _("Checklist step added"),
    "service.dependency_added": _("Dependency added"),
    "service.dependency_removed": _("Dependency removed"),
    "service.component_added": _("Component added"),
    "service.component_removed": _("Component removed"),
    "asset.created": _("Recorded"),
    "asset.updated": _("Details changed"),
    "asset.status_changed": _("Status changed"),
}


@dataclass(frozen=True)
class HistoryRow:
    at: object
    actor: str
    label: str
    changes: list  # [(field, old, new)] for changes
    details: list  # [(key, value)] for other payloads


def _text(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def history_rows(events) -> list[HistoryRow]:
    rows = []
    for event in events:
        payload = event.payload or {}
        changes, details = [], []
        if event.verb.endswith((".updated", ".status_changed")):
            for field, pair in payload.items():
                if isinstance(pair, list) and len(pair) == 2:
                    changes.append((field, _text(pair[0]), _text(pair[1])))
                else:
                    details.append((field, _text(pair)))
        elif not event.verb.endswith(".created"):
            details = [(key, _text(value)) for key, value in payload.items()]
        rows.append(
            HistoryRow(
                at=event.occurred_at,
                actor=str(event.actor) if event.actor else (event.actor_label or "system"),
                label=str(VERBS.get(event.verb, event.verb)),
                changes=changes,
                details=details,
            )
        )
    return rows
