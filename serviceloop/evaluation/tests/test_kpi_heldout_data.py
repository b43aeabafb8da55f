"""The held-out data set of the KPI equivalence tests (``test_kpi_sql.py``): three customers,
tickets over four local months with every status (reopened and cancelled ones included),
SLA outcomes, ratings, replies and reopenings in their history, major incidents with and
without a review, problems, complaints, changes, outages (planned, unplanned, overlapping,
named customers, one still running) and policy acknowledgements. Random but seeded; some
records sit exactly on the local month boundaries (midnight Asia/Shanghai)."""

import datetime
import random
import types
from zoneinfo import ZoneInfo

from django.utils import timezone

ZONE = ZoneInfo("Asia/Shanghai")
MONTHS = ((2026, 1), (2026, 2), (2026, 3))
OPEN = ("new", "assigned", "in_progress", "waiting_customer", "waiting_supplier")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ZONE)


def build(people, seed: int = 20260301, tickets: int = 260):
    from serviceloop.assurance.models import Outage
    from serviceloop.core.tests.factories import TeamFactory
    from serviceloop.desk.models import PostIncidentReview, Problem, Ticket, TicketEvent
    from serviceloop.desk.tests.factories import CategoryFactory
    from serviceloop.portfolio.models import ServiceStatus
    from serviceloop.portfolio.tests.factories import ServiceFactory
    from serviceloop.relationship.models import Complaint
    from serviceloop.support.models import (
        Acknowledgement,
        AcknowledgementCampaign,
        Document,
        DocumentVersion,
    )
    from serviceloop.transition.tests.factories import ChangeRequestFactory

    rng = random.Random(seed)
    orgs = [people.customer_a, people.customer_b, people.outsider_org]
    requesters = {people.customer_a.pk: people.a_user, people.customer_b.pk: people.b_user,
                  people.outsider_org.pk: people.outsider}  # fmt: skip
    teams = [TeamFactory(organisation=people.provider), TeamFactory(organisation=people.provider)]
    category = CategoryFactory()
    first, last = local(2025, 12, 25), local(2026, 4, 6)
    span = int((last - first).total_seconds())
    minute = datetime.timedelta(minutes=1)
    boundaries = [local(y, m, 1) for y, m in (*MONTHS, (2026, 4))]

    made, events = [], []
    for i in range(tickets):
        if i < 2 * len(boundaries):  # on a boundary, and one second before it
            created = boundaries[i // 2] - datetime.timedelta(seconds=i % 2)
        else:
            created = first + datetime.timedelta(seconds=rng.randrange(span))
        organisation = rng.choice(orgs)
        status = rng.choices(
            ["new", "in_progress", "waiting_customer", "resolved", "closed", "cancelled"],
            [8, 10, 4, 22, 46, 10],
        )[0]
        kind = rng.choice(["incident", "request"])
        has_sla = rng.random() < 0.9
        ticket = Ticket(
            reference=f"INC-2026-{i + 1:06d}",
            kind=kind,
            organisation=organisation,
            requester=requesters[organisation.pk],
            title=f"Held-out ticket {i}",
            service=rng.choice(["ERP", "VPN", "Mail", ""]),
            category=category if rng.random() < 0.85 else None,
            priority=rng.choice(["P1", "P2", "P3", "P4"]),
            status=status,
            team=rng.choice([*teams, None]),
            is_major=kind == "incident" and rng.random() < 0.12,
            created_at=created,
            updated_at=created,
        )
        history = [("created", created, "", "new", False)]
        responded = status != "new" or rng.random() < 0.3
        if responded:
            ticket.first_response_at = created + rng.randint(1, 600) * minute
            history.append(("reply", ticket.first_response_at, "", "", True))
        if has_sla:
            ticket.response_due_at = created + 60 * minute
            if responded:
                ticket.response_met_at = ticket.first_response_at
                ticket.response_breached = ticket.first_response_at > ticket.response_due_at
            else:
                ticket.response_breached = rng.random() < 0.4
        if status in ("resolved", "closed"):
            start = ticket.first_response_at or created
            resolved = start + rng.randint(30, 200 * 60) * minute
            for _reply in range(rng.choice([0, 0, 1, 2])):  # more answers before resolving
                history.append(("reply", start + (resolved - start) * rng.random(), "", "", True))
            if rng.random() < 0.18:  # resolved once, reopened, resolved again
                earlier = start + (resolved - start) / 3
                history.append(("status", earlier, "in_progress", "resolved", True))
                history.append(("status", earlier + minute, "resolved", "in_progress", False))
            history.append(("status", resolved, "in_progress", "resolved", rng.random() < 0.8))
            if rng.random() < 0.3:  # an answer after the resolution does not count against it
                history.append(("reply", resolved + 5 * minute, "", "", True))
            ticket.resolved_at = resolved
            ticket.resolution = "Fixed." if rng.random() < 0.9 else ""
            if has_sla:
                ticket.resolution_due_at = created + 24 * 60 * minute
                ticket.resolution_breached = resolved > ticket.resolution_due_at
                ticket.resolution_met_at = None if ticket.resolution_breached else resolved
            if rng.random() < 0.55:
                ticket.csat_score = rng.randint(1, 5)
                ticket.csat_at = resolved + rng.randint(10, 3000) * minute
            if status == "closed":
                ticket.closed_at = resolved + rng.randint(1, 7 * 24 * 60) * minute
        if status == "cancelled":
            history.append(("status", created + 90 * minute, "new", "cancelled", True))
        made.append(ticket)
        events.append(history)
    Ticket.objects.bulk_create(made)
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket=t, kind=k, at=at, from_value=fv, to_value=tv, provider_response=pr)
            for t, history in zip(made, events, strict=True)
            for k, at, fv, tv, pr in history
        ]
    )
    for ticket in made:
        if ticket.is_major and ticket.closed_at and rng.random() < 0.5:
            PostIncidentReview.objects.create(
                ticket=ticket, summary="What happened.", reviewed_at=ticket.closed_at,
                reviewed_by=people.lead,
            )  # fmt: skip

    for i in range(14):
        closed = first + datetime.timedelta(seconds=rng.randrange(span))
        Problem.objects.create(
            reference=f"PRB-2026-{i + 1:06d}", title=f"Problem {i}", status="closed",
            root_cause="Disk full." if rng.random() < 0.6 else "",
            created_at=closed - datetime.timedelta(days=9), updated_at=closed, closed_at=closed,
        )  # fmt: skip
    for i in range(24):
        received = first + datetime.timedelta(seconds=rng.randrange(span))
        Complaint.objects.create(
            reference=f"CMP-2026-{i + 1:06d}", channel="email", organisation=rng.choice(orgs),
            subject="Too slow", description="…", received_at=received,
            status=rng.choice(["received", "closed"]), response_target_hours=24,
            response_due_at=received + datetime.timedelta(hours=24),
            response_warn_at=received + datetime.timedelta(hours=18),
            created_at=received, updated_at=received,
        )  # fmt: skip
    for _i in range(30):
        submitted = first + datetime.timedelta(seconds=rng.randrange(span))
        ended = submitted + datetime.timedelta(days=rng.randint(0, 20))
        outcome = rng.choice(["implemented", "implemented", "failed", "backed_out", ""])
        ChangeRequestFactory(
            change_type=rng.choice(["standard", "normal", "normal", "emergency"]),
            status="closed" if outcome else rng.choice(["submitted", "cancelled"]),
            submitted_at=submitted if rng.random() < 0.9 else None,
            actual_end=ended if outcome else None, outcome=outcome,
            review_success=rng.choice([None, True, False]) if outcome else None,
            created_at=submitted, requester=people.agent,
        )  # fmt: skip

    services = [
        ServiceFactory(customers=[orgs[0], orgs[1]]),
        ServiceFactory(customers=[orgs[1], orgs[2]]),
        ServiceFactory(customers=[orgs[0]]),
    ]
    retired = ServiceFactory(customers=[orgs[0]], status=ServiceStatus.RETIRED)
    outage_number = 0

    def outage(service, start, hours, kind="unplanned", announced=None, named=None):
        nonlocal outage_number
        outage_number += 1
        row = Outage.objects.create(
            reference=f"OUT-2026-{outage_number:06d}", service=service, title="Down",
            kind=kind, start=start,
            end=None if hours is None else start + datetime.timedelta(hours=hours),
            announced_at=announced, all_customers=named is None,
            created_at=start, updated_at=start,
        )  # fmt: skip
        if named:
            row.customers.set(named)

    for _i in range(26):
        service = rng.choice([*services, retired])
        start = first + datetime.timedelta(seconds=rng.randrange(span) // 60 * 60)
        hours = rng.choice([0.25, 1, 3, 10, 50])
        planned = rng.random() < 0.3
        announced = start - datetime.timedelta(days=2) if planned and rng.random() < 0.7 else None
        named = None if rng.random() < 0.6 else rng.sample(orgs, rng.randint(1, 2))
        outage(service, start, hours, "planned" if planned else "unplanned", announced, named)
    # two overlapping outages of one service, one across a month boundary, one still running
    outage(services[0], local(2026, 2, 10, 8), 5)
    outage(services[0], local(2026, 2, 10, 11), 4)
    outage(services[1], local(2026, 1, 31, 20), 10, named=[orgs[1]])
    outage(services[2], local(2026, 3, 30, 12), None)

    owner = people.owner
    now = timezone.now()
    document = Document.objects.create(
        reference="DOC-2026-000001", title="Policy", kind="policy", owner=owner,
        created_at=now, updated_at=now,
    )  # fmt: skip
    version = DocumentVersion.objects.create(
        document=document, number=1, author=owner, created_at=now, updated_at=now
    )
    staff = list(people.staff.values())
    for i, deadline in enumerate(
        [datetime.date(2026, 1, 20), datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)]
    ):
        campaign = AcknowledgementCampaign.objects.create(
            reference=f"ACK-2026-{i + 1:06d}", document=document, version=version,
            title="Read the policy", deadline=deadline, created_at=now,
        )  # fmt: skip
        for j, person in enumerate(staff):
            on_day = datetime.datetime.combine(deadline, datetime.time(23, 30), tzinfo=ZONE)
            when = [on_day, on_day + datetime.timedelta(hours=1), None,
                    on_day - datetime.timedelta(days=3)][(i + j) % 4]  # fmt: skip
            Acknowledgement.objects.create(
                campaign=campaign, person=person, added_at=now, acknowledged_at=when
            )
    return types.SimpleNamespace(organisations=orgs, services=services, tickets=made)
