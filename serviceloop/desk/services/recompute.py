"""Recomputing stored SLA figures from the tickets' histories (after a calendar correction,
for example). Uses the same replay as every ticket change, so it reproduces them exactly."""

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from serviceloop.core.audit import audit_record_many
from serviceloop.desk.models import SlaPolicyVersion, Ticket, TicketEvent
from serviceloop.desk.sla import SLA_FIELDS, ticket_sla_refresh

# What the replay reads of a ticket, and of each of its events (see sla.ticket_clock).
TICKET_FIELDS = ("id", "reference", "created_at", "priority", "sla_version_id", *SLA_FIELDS)
EVENT_FIELDS = ("ticket_id", "at", "kind", "to_value", "provider_response", "payload__priority")


class EventRow(NamedTuple):
    """A ticket event as the clock reads it: read as a tuple, not a model instance."""

    ticket_id: int
    at: object
    kind: str
    to_value: str
    provider_response: bool
    priority: str | None

    @property
    def payload(self) -> dict:
        return {"priority": self.priority} if self.priority else {}


@dataclass
class RecomputeReport:
    checked: int = 0
    changed: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, dict]] = field(default_factory=list)


def sla_recompute(*, since, until=None, now=None, dry_run=False, batch=500) -> RecomputeReport:
    """Replay the clock of every ticket created in [since, until) and store what differs.

    Tickets and their events are read in batches (one query each per batch, rows as tuples,
    no lock: most tickets change nothing, and locking every row would write to every row).
    The tickets of a batch whose figures differ are then locked together, replayed again from
    what is stored at that moment (a change may have landed since the batch was read), and
    saved with their audit rows in one transaction per batch.
    """
    now = now or timezone.now()
    report = RecomputeReport()
    tickets = Ticket.objects.filter(created_at__gte=since, sla_version__isnull=False)
    if until is not None:
        tickets = tickets.filter(created_at__lt=until)
    ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    versions: dict[int, SlaPolicyVersion] = {}
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        rows = Ticket.objects.filter(pk__in=chunk).values_list(*TICKET_FIELDS)
        events_by_ticket = _events_by_ticket(chunk)
        found = []  # (id, reference, changes) of the tickets whose figures differ
        for values in rows:
            # Read as a row, not a model instance: most tickets change nothing.
            ticket = SimpleNamespace(**dict(zip(TICKET_FIELDS, values, strict=True)))
            ticket.pk = ticket.id
            ticket.sla_version = _version(versions, ticket.sla_version_id)
            report.checked += 1
            changes = ticket_sla_refresh(
                ticket, now=now, events=events_by_ticket.get(ticket.pk, [])
            )
            if changes:
                found.append((ticket.pk, ticket.reference, changes))
        if found and not dry_run:
            stored = _store([pk for pk, _reference, _changes in found], now, versions)
            found = [(pk, ref, stored[pk]) for pk, ref, _changes in found if pk in stored]
        for _pk, reference, changes in found:
            report.changed += 1
            for name in changes:
                report.fields[name] = report.fields.get(name, 0) + 1
            if len(report.examples) < 20:
                report.examples.append((reference, changes))
    return report


def _store(ticket_ids: list[int], now, versions: dict) -> dict[int, dict]:
    """Lock the tickets, replay their stored histories again and save what differs, with one
    audit row each, in one transaction; ``{ticket id: changes}`` of those that changed (a
    concurrent change may have stored the same figures already)."""
    with transaction.atomic():
        stored = list(
            Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ticket_ids).order_by("pk")
        )
        events_by_ticket = _events_by_ticket(ticket_ids)
        changed = {}
        for ticket in stored:
            ticket.sla_version = _version(versions, ticket.sla_version_id)
            changes = ticket_sla_refresh(
                ticket, now=now, events=events_by_ticket.get(ticket.pk, [])
            )
            if changes:
                changed[ticket.pk] = (ticket, changes)
        if changed:
            _save_sla_fields([t for t, _c in changed.values()])
            audit_record_many(
                [
                    {"actor": None, "verb": "ticket.sla_recomputed", "obj": t, "payload": c}
                    for t, c in changed.values()
                ]
            )
    return {pk: changes for pk, (_ticket, changes) in changed.items()}


def _events_by_ticket(ticket_ids) -> dict[int, list[EventRow]]:
    """The histories of ``ticket_ids`` in one query, as the clock reads them, in order."""
    out: dict[int, list] = {}
    events = TicketEvent.objects.filter(ticket_id__in=ticket_ids).order_by("at", "id")
    for values in events.values_list(*EVENT_FIELDS):
        event = EventRow(*values)
        out.setdefault(event.ticket_id, []).append(event)
    return out


def _save_sla_fields(tickets) -> None:
    """Save the SLA fields of ``tickets``: one ``UPDATE … WHERE id = %s`` per ticket sent with
    ``executemany`` (values prepared by each field, as the ORM saves them). ``bulk_update``
    builds a CASE per field and row and spent 90% of a batch's time in Python."""
    fields = [Ticket._meta.get_field(name) for name in SLA_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(Ticket._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(ticket, f.attname), connection) for f in fields] + [ticket.pk]
        for ticket in tickets
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _version(cache: dict, version_id: int) -> SlaPolicyVersion:
    """One instance per SLA policy version for the whole run (its calendar engine is shared)."""
    version = cache.get(version_id)
    if version is None:
        version = SlaPolicyVersion.objects.select_related("calendar").get(pk=version_id)
        cache[version_id] = version
    return version
