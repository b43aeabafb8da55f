"""The desk's demo records: created through the real services, and loaded only once."""

import io

from django.core.management import call_command
from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.core.models import AuditEvent
from serviceloop.desk.demo import CATEGORIES, demo_records
from serviceloop.desk.models import Category, SlaPolicy, SlaPolicyVersion, Ticket, TicketEvent
from serviceloop.desk.sla import ticket_sla_refresh


def desk_counts():
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "categories": Category.objects.count(),
        "policies": SlaPolicy.objects.count(),
        "versions": SlaPolicyVersion.objects.count(),
        "ticket audit rows": AuditEvent.objects.filter(object_type="desk.ticket").count(),
    }


def test_demo_tickets_are_loaded_once_with_their_own_sla_figures(db):
    lines = []
    demo_load(write=lines.append)

    created = demo_records(write=lines.append, tickets=30)

    counts = desk_counts()
    assert created == 30
    assert counts["tickets"] >= 30  # and the records around them (a major incident...)
    assert counts["policies"] == counts["versions"] == 1
    assert counts["categories"] == len(CATEGORIES)
    assert "30 demo tickets" in lines
    tickets = list(Ticket.objects.select_related("sla_version__calendar"))
    assert all(t.sla_version is not None for t in tickets)
    assert all(t.team is not None for t in tickets if t.category is not None)
    assert len({t.reference for t in tickets}) == len(tickets)
    assert AuditEvent.objects.filter(verb="ticket.created").count() == len(tickets)
    # Finished tickets' stored figures are the replay's, whenever it runs.
    finished = [t for t in tickets if not t.is_open]
    assert finished
    now = timezone.now()
    assert [t.reference for t in finished if ticket_sla_refresh(t, now=now)] == []

    assert demo_records(write=lines.append, tickets=30) == 0
    assert desk_counts() == counts


def test_the_demo_command_adds_nothing_once_loaded(db):
    import importlib

    from django.apps import apps

    demo_load(write=lambda line: None)
    demo_records(write=lambda line: None, tickets=30)
    # The other areas' demo records, in the command's order (some raise desk tickets too).
    for config in apps.get_app_configs():
        if config.name.startswith("serviceloop.") and config.label not in ("core", "desk"):
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            module.demo_records(write=lambda line: None)
    counts = desk_counts()
    out = io.StringIO()

    call_command("demo", stdout=out)

    assert desk_counts() == counts
    assert "nothing to add" in out.getvalue()
