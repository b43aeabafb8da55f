"""Recomputing stored SLA figures from the tickets' histories (after a calendar correction,
for example). Uses the same replay as every ticket change, so it reproduces them exactly."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from serviceloop.core.audit import audit_record
from serviceloop.desk.models import Ticket, TicketEvent
from serviceloop.desk.sla import SLA_FIELDS, ticket_sla_refresh


@dataclass
class RecomputeReport:
    checked: int = 0
    changed: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, dict]] = field(default_factory=list)


def sla_recompute(*, since, until=None, now=None, dry_run=False, batch=500) -> RecomputeReport:
    """Replay the clock of every ticket created in [since, until) and store what differs.

    Each batch is one transaction; every changed ticket gets one audit row. Events are read
    in one query per batch (no query per ticket).
    """
    now = now or timezone.now()
    report = RecomputeReport()
    tickets = Ticket.objects.filter(created_at__gte=since, sla_version__isnull=False)
    if until is not None:
        tickets = tickets.filter(created_at__lt=until)
    ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            rows = Ticket.objects.select_related("sla_version__calendar").filter(pk__in=chunk)
            if not dry_run:
                rows = rows.select_for_update(of=("self",))
            events_by_ticket: dict[int, list] = {}
            for event in TicketEvent.objects.filter(ticket_id__in=chunk).order_by("at", "id"):
                events_by_ticket.setdefault(event.ticket_id, []).append(event)
            for ticket in rows:
                report.checked += 1
                changes = ticket_sla_refresh(
                    ticket, now=now, events=events_by_ticket.get(ticket.pk, [])
                )
                if not changes:
                    continue
                report.changed += 1
                for name in changes:
                    report.fields[name] = report.fields.get(name, 0) + 1
                if len(report.examples) < 20:
                    report.examples.append((ticket.reference, changes))
                if not dry_run:
                    ticket.save(update_fields=list(SLA_FIELDS))
                    audit_record(
                        actor=None, verb="ticket.sla_recomputed", obj=ticket, payload=changes
                    )
    return report
