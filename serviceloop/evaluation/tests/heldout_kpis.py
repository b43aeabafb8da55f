"""The held-out data set of the KPI equivalence tests (``test_kpi_sql.py``): three customers,
tickets over four local months with every status (reopened and cancelled ones included),
SLA outcomes, ratings, replies and reopenings in their history, major incidents with and
without a review, problems, complaints, changes, outages (planned, unplanned, overlapping,
named customers, one still running), policy acknowledgements, internal audit findings and
corrective actions. Random but seeded; some records sit exactly on the local month
boundaries (midnight Asia/Shanghai).

Findings and corrective actions are judged against today (an open finding counts once its
due date has passed), so some of them are dated from today: ``LIVE_MONTHS`` are the months
those fall in, compared as well for the two KPIs that read them."""

import datetime
import random
import types
from zoneinfo import ZoneInfo

from django.utils import timezone

ZONE = ZoneInfo("Asia/Shanghai")
MONTHS = ((2026, 1), (2026, 2), (2026, 3))
OPEN = ("new", "assigned", "in_progress", "waiting_customer", "waiting_supplier")


TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
# The days the findings dated from today fall on (see ``build_findings``).
LIVE_DAYS = (TODAY - DAY, TODAY, TODAY + 3 * DAY, TODAY + 5 * DAY, TODAY + 35 * DAY)
LIVE_MONTHS = tuple(sorted({(day.year, day.month) for day in LIVE_DAYS}))


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
    findings = build_findings(people, rng)
    actions = build_actions(people, rng)
    return types.SimpleNamespace(
        organisations=orgs, services=services, tickets=made, findings=findings, actions=actions
    )


def build_findings(people, rng):
    """Audit findings of every kind and status, due in each held-out month: closed before,
    on or after the due date (late ones closed in a later month too), still open or with an
    action planned past the due date, reopened (open again, no closing date), none due; and,
    dated from today, open and due yesterday (late), due today or later (not judged yet) and
    closed today ahead of its due date (on time)."""
    from serviceloop.evaluation.models import (
        Audit,
        AuditProgramme,
        AuditStatus,
        Finding,
        FindingKind,
        FindingStatus,
        ProgrammeStatus,
    )

    now = timezone.now()
    programme = AuditProgramme.objects.create(
        reference="AP-2026-000001", year=2026, title="Audit programme 2026",
        status=ProgrammeStatus.APPROVED, created_at=now, updated_at=now,
    )  # fmt: skip
    audit = Audit.objects.create(
        reference="AUD-2026-000001", programme=programme, title="Service desk",
        planned_start=datetime.date(2025, 12, 1), planned_end=datetime.date(2025, 12, 3),
        lead_auditor=people.auditor, status=AuditStatus.REPORTED, created_at=now, updated_at=now,
    )  # fmt: skip
    open_, planned, closed = FindingStatus.OPEN, FindingStatus.ACTION_PLANNED, FindingStatus.CLOSED
    d = datetime.date
    cases = [  # (due, status, closed on)
        (d(2026, 1, 1), closed, d(2026, 1, 1)),  # on the due date, first day of the month
        (d(2026, 1, 31), closed, d(2026, 1, 31)),  # on the due date, last day of the month
        (d(2026, 1, 15), closed, d(2026, 1, 9)),  # early
        (d(2026, 1, 20), closed, d(2026, 1, 21)),  # a day late
        (d(2026, 1, 31), closed, d(2026, 2, 1)),  # late, closed in the next month
        (d(2026, 1, 10), open_, None),  # still open past due
        (d(2026, 2, 1), closed, d(2026, 1, 30)),  # early, closed in the month before
        (d(2026, 2, 14), planned, None),  # action planned, past due
        (d(2026, 2, 20), open_, None),  # reopened: closed on the 18th, open again
        (d(2026, 2, 28), closed, d(2026, 2, 28)),
        (d(2026, 3, 31), closed, d(2026, 4, 2)),  # late, closed in the next month
        (d(2026, 3, 1), closed, d(2026, 3, 1)),
        (d(2026, 3, 12), open_, None),
        (None, closed, d(2026, 2, 3)),  # no due date: never judged
        (None, open_, None),
        (TODAY - DAY, open_, None),  # late since today
        (TODAY - DAY, planned, None),
        (TODAY, open_, None),  # due today: not judged yet
        (TODAY + 3 * DAY, open_, None),  # not due yet
        (TODAY + 3 * DAY, planned, None),
        (TODAY + 5 * DAY, closed, TODAY),  # closed ahead of its due date
        (TODAY + 35 * DAY, open_, None),
        (TODAY + 35 * DAY, closed, TODAY - 2 * DAY),
    ]
    for year, month in MONTHS:  # and some random ones each month
        for _i in range(6):
            due = d(year, month, rng.randint(1, 28))
            status = rng.choice([open_, planned, closed, closed, closed])
            closing = due + rng.randint(-10, 10) * DAY if status == closed else None
            cases.append((due, status, closing))
    made = []
    for i, (due, status, closed_on) in enumerate(cases):
        made.append(
            Finding(
                reference=f"AF-2026-{i + 1:06d}",
                audit=audit,
                kind=rng.choice(FindingKind.values),
                title=f"Finding {i}",
                due_on=due,
                status=status,
                closed_on=closed_on,
                owner=people.lead,
                created_at=now,
                updated_at=now,
            )  # fmt: skip
        )
    return Finding.objects.bulk_create(made)


def build_actions(people, rng):
    """Corrective actions decided through the verification service on given days: effective
    and not effective (which reopens the nonconformity) in every held-out month, some on the
    month boundaries; a nonconformity closed by an effective action and reopened later (the
    action's verdict stands); actions done but not verified yet, still in progress or
    cancelled; and preventive actions verified too (not corrective, so not counted)."""
    from serviceloop.core.numbering import reference_allocate
    from serviceloop.improvement.models import (
        Action,
        ActionKind,
        ActionStatus,
        NcSource,
        NcStatus,
        Nonconformity,
        VerificationMethod,
    )
    from serviceloop.improvement.services_actions_nonconformities import (
        action_create,
        action_transition,
        action_verify,
    )
    from serviceloop.improvement.services_nonconformities import nonconformity_reopen

    now = timezone.now()
    d = datetime.date

    def number(kind):
        return reference_allocate(kind=kind, year=2026)

    def nonconformity(status=NcStatus.VERIFYING):
        return Nonconformity.objects.create(
            reference=number("NC"), title="Held-out nonconformity", source=NcSource.INTERNAL_AUDIT,
            owner=people.lead, status=status, root_cause="Rota gap.", raised_on=d(2025, 12, 1),
            raised_by=people.auditor, created_at=now, updated_at=now,
        )  # fmt: skip

    def action(nc, status=ActionStatus.DONE, kind=ActionKind.CORRECTIVE):
        return Action.objects.create(
            reference=number("CA" if kind == ActionKind.CORRECTIVE else "PA"), kind=kind,
            nonconformity=nc, title="Held-out action", owner=people.lead, status=status,
            done_on=d(2025, 12, 20) if status == ActionStatus.DONE else None,
            verification_method=VerificationMethod.MANUAL, verification_plan="Check the rota.",
            created_at=now, updated_at=now,
        )  # fmt: skip

    def verify(row, effective, day):
        action_verify(
            actor=people.auditor, action=row, effective=effective, note="Checked.",
            evidence_note="Rota of the month.", today=day,
        )  # fmt: skip

    decided = [  # (verified on, effective)
        (d(2026, 1, 1), True), (d(2026, 1, 31), False), (d(2026, 2, 1), True),
        (d(2026, 2, 28), True), (d(2026, 3, 1), False), (d(2026, 3, 31), True),
        (d(2025, 12, 31), True), (d(2026, 4, 1), False),
    ]  # fmt: skip
    for year, month in MONTHS:
        for _i in range(4):
            decided.append((d(year, month, rng.randint(1, 28)), rng.random() < 0.7))
    for day, effective in decided:
        verify(action(nonconformity()), effective, day)
    # effective, the nonconformity closed, then reopened: the action's verdict stands; a new
    # action on it is not effective
    nc = nonconformity()
    verify(action(nc), True, d(2026, 2, 10))
    nc = nonconformity_reopen(actor=people.owner, nonconformity=nc, note="Seen again.",
                              today=d(2026, 3, 2))  # fmt: skip
    again = action_create(
        actor=people.owner, nonconformity=nc, title="Second try", owner=people.lead,
        verification_method=VerificationMethod.MANUAL, verification_plan="Check the rota.",
        today=d(2026, 3, 3),
    )  # fmt: skip
    again = action_transition(actor=people.owner, action=again, target=ActionStatus.DONE,
                              note="Rota changed.", today=d(2026, 3, 10))  # fmt: skip
    verify(again, False, d(2026, 3, 20))
    # two actions on one nonconformity: one effective, one not
    nc = nonconformity()
    first, second = action(nc), action(nc)
    verify(first, True, d(2026, 1, 12))
    verify(second, False, d(2026, 1, 14))
    # not decided: done and waiting, in progress, planned, cancelled
    for status in (ActionStatus.DONE, ActionStatus.IN_PROGRESS, ActionStatus.PLANNED,
                   ActionStatus.CANCELLED):  # fmt: skip
        action(nonconformity(NcStatus.ACTIONS_IN_PROGRESS), status)
    # preventive actions, verified: not corrective
    for day, effective in ((d(2026, 1, 5), False), (d(2026, 2, 5), True), (d(2026, 3, 5), False)):
        verify(action(None, kind=ActionKind.PREVENTIVE), effective, day)
    return list(Action.objects.order_by("pk"))
