"""Supplier performance reviews: the measured scores are computed from real desk tickets and
their status events (created and moved through the desk's own services), met or missed
against the targets; manual obligations are scored by the reviewer; completion rules."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Kind
from serviceloop.desk.services.tickets import ticket_transition
from serviceloop.relationship.models import (
    ContractStatus,
    ObligationMetric,
    ReviewStatus,
)
from serviceloop.relationship.queries_suppliers import (
    supplier_incident_count,
    supplier_response_hours,
    supplier_waiting_hours,
)
from serviceloop.relationship.services_suppliers import supplier_create, ticket_supplier_link
from serviceloop.relationship.services_suppliers_contracts import (
    contract_create,
    obligation_create,
)
from serviceloop.relationship.services_suppliers_reviews import (
    review_complete,
    review_create,
    review_recompute,
    review_score_set,
)

pytestmark = pytest.mark.usefixtures("english")

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def worked(people, supplier_raise_ticket):
    """``worked(created, waits, kind=...)``: a ticket raised at ``created`` that waits for
    the supplier over each ``(entered, left)`` of ``waits`` (``left`` None: still waiting),
    moved through the desk's ticket_transition at those times."""

    def make(created, waits, kind=Kind.INCIDENT):
        ticket = supplier_raise_ticket(kind=kind, now=at(created))
        ticket = ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.IN_PROGRESS,
            now=at(created) + datetime.timedelta(minutes=5),
        )
        for entered, left in waits:
            ticket = ticket_transition(
                actor=people.agent, ticket=ticket, target=Status.WAITING_SUPPLIER, now=at(entered)
            )
            if left is not None:
                ticket = ticket_transition(
                    actor=people.agent, ticket=ticket, target=Status.IN_PROGRESS, now=at(left)
                )
        return ticket

    return make


@pytest.fixture
def march_tickets(people, worked, supplier_acme):
    """Tickets of March 2026 linked to Acme, and one linked to another supplier.

    waits in March: T1 3 h + 1 h; T2 2 h of a 6 h wait crossing the month's end; T3 (a
    request) 2 h of a 6 h wait that began in February. Caused incidents raised in March:
    T1, T2 (T5 is April's; T4 is the other supplier's)."""
    other = supplier_create(actor=people.agent, name="Other Telecom")
    t1 = worked(
        "2026-03-02 09:00",
        [("2026-03-02 10:00", "2026-03-02 13:00"), ("2026-03-03 09:00", "2026-03-03 10:00")],
    )
    t2 = worked("2026-03-10 09:00", [("2026-03-31 22:00", "2026-04-01 04:00")])
    t3 = worked("2026-02-27 09:00", [("2026-02-28 20:00", "2026-03-01 02:00")], kind=Kind.REQUEST)
    t4 = worked("2026-03-05 09:00", [("2026-03-05 10:00", "2026-03-05 20:00")])
    t5 = worked("2026-04-02 09:00", [])
    for ticket, caused in ((t1, True), (t2, True), (t3, False), (t5, True)):
        ticket_supplier_link(
            actor=people.agent, ticket=ticket, supplier=supplier_acme, caused_incident=caused
        )
    ticket_supplier_link(actor=people.agent, ticket=t4, supplier=other, caused_incident=True)
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "other": other}


# --- The measures --------------------------------------------------------------------------


def test_the_measures_replay_the_tickets_status_events(supplier_acme, march_tickets):
    now = at("2026-04-10 09:00")

    incidents = supplier_incident_count(supplier_acme, *MARCH)
    waiting = supplier_waiting_hours(supplier_acme, *MARCH, now=now)
    response = supplier_response_hours(supplier_acme, *MARCH, now=now)

    assert (incidents.value, incidents.sample_size) == (Decimal(2), 2)
    # (4 + 2 + 2) hours over the 3 tickets that waited in March
    assert (waiting.value, waiting.sample_size) == (Decimal("2.67"), 3)
    # the waits that began in March: 3 h, 1 h (T1) and 6 h (T2)
    assert (response.value, response.sample_size) == (Decimal("3.33"), 3)


def test_a_wait_still_running_counts_until_now(people, worked, supplier_acme):
    ticket = worked("2026-03-20 09:00", [("2026-03-20 10:00", None)])
    ticket_supplier_link(actor=people.agent, ticket=ticket, supplier=supplier_acme)

    waiting = supplier_waiting_hours(supplier_acme, *MARCH, now=at("2026-03-20 16:30"))
    response = supplier_response_hours(supplier_acme, *MARCH, now=at("2026-03-20 16:30"))

    assert waiting.value == response.value == Decimal("6.50")


def test_without_tickets_the_measures_are_zero(supplier_acme):
    assert supplier_waiting_hours(supplier_acme, *MARCH).value == Decimal("0.00")
    assert supplier_response_hours(supplier_acme, *MARCH).sample_size == 0
    assert supplier_incident_count(supplier_acme, *MARCH).value == 0


# --- Reviews -------------------------------------------------------------------------------


def scores_by_metric(review):
    return {s.obligation.metric: s for s in review.scores.select_related("obligation")}


def test_a_review_computes_measured_scores_and_waits_for_the_manual_one(
    people, supplier_contract, supplier_acme, march_tickets
):
    review = review_create(
        actor=people.agent,
        supplier=supplier_acme,
        period_start=MARCH[0],
        period_end=MARCH[1],
        now=at("2026-04-10 09:00"),
    )

    scores = scores_by_metric(review)
    assert review.reference.startswith("SPR-2026-") and review.reviewer == people.agent
    assert review.status == ReviewStatus.DRAFT
    incidents = scores[ObligationMetric.SUPPLIER_INCIDENTS]
    assert (incidents.actual_value, incidents.met, incidents.computed) == (2, True, True)
    assert (scores[ObligationMetric.WAITING_HOURS].actual_value, scores["waiting_hours"].met) == (
        Decimal("2.67"),
        True,
    )
    response = scores[ObligationMetric.RESPONSE_HOURS]
    assert (response.actual_value, response.met, response.sample_size) == (
        Decimal("3.33"),
        False,  # target 3 hours
        3,
    )
    manual = scores[ObligationMetric.MANUAL]
    assert (manual.computed, manual.met) == (False, None)
    row = AuditEvent.objects.get(verb="supplier_review.created")
    assert row.payload["reference"] == review.reference

    with pytest.raises(ValidationError) as error:
        review_complete(actor=people.agent, review=review, overall_rating=3)
    assert "scores" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        review_score_set(actor=people.agent, score=manual, met=True)
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError, match="measured from the records"):
        review_score_set(actor=people.agent, score=response, met=True, note="Be kind")

    review_score_set(actor=people.agent, score=manual, met=True, note="Report came on day 3.")
    review_score_set(actor=people.agent, score=response, note="Two slow answers at night.")
    with pytest.raises(ValidationError) as error:
        review_complete(actor=people.agent, review=review)
    assert "overall_rating" in error.value.message_dict
    review = review_complete(
        actor=people.agent,
        review=review,
        overall_rating=3,
        actions="Agree a night-time escalation contact.",
        now=at("2026-04-11 09:00"),
    )

    assert review.status == ReviewStatus.COMPLETED and review.completed_at is not None
    assert scores_by_metric(review)[ObligationMetric.RESPONSE_HOURS].note.startswith("Two slow")
    row = AuditEvent.objects.get(verb="supplier_review.completed")
    assert (row.payload["met"], row.payload["missed"]) == (3, 1)
    with pytest.raises(ValidationError, match="completed"):
        review_recompute(actor=people.agent, review=review)


def test_recompute_follows_new_records_and_new_obligations(
    people, supplier_contract, supplier_acme, worked
):
    review = review_create(
        actor=people.agent,
        supplier=supplier_acme,
        period_start=MARCH[0],
        period_end=MARCH[1],
        now=at("2026-04-10 09:00"),
    )
    assert scores_by_metric(review)[ObligationMetric.SUPPLIER_INCIDENTS].actual_value == 0
    for day in (3, 4, 5):
        ticket = worked(f"2026-03-{day:02d} 09:00", [])
        ticket_supplier_link(
            actor=people.agent, ticket=ticket, supplier=supplier_acme, caused_incident=True
        )
    obligation_create(
        actor=people.agent,
        contract=supplier_contract,
        description="No more than 1 incident",
        metric=ObligationMetric.SUPPLIER_INCIDENTS,
        target_value=1,
    )

    review = review_recompute(actor=people.agent, review=review, now=at("2026-04-10 10:00"))

    counted = [
        (s.obligation.target_value, s.actual_value, s.met)
        for s in review.scores.filter(obligation__metric="supplier_incidents")
    ]
    assert sorted(counted) == [(1, 3, False), (2, 3, False)]


def test_only_contracts_in_force_during_the_period_are_reviewed(people, supplier_acme):
    draft = contract_create(
        actor=people.agent,
        supplier=supplier_acme,
        title="Never signed",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    obligation_create(
        actor=people.agent,
        contract=draft,
        description="Draft obligation",
        metric=ObligationMetric.MANUAL,
    )

    review = review_create(
        actor=people.agent, supplier=supplier_acme, period_start=MARCH[0], period_end=MARCH[1]
    )

    assert draft.status == ContractStatus.DRAFT
    assert review.scores.count() == 0


def test_review_input_is_validated_and_read_only_staff_are_refused(people, supplier_acme):
    with pytest.raises(ValidationError) as error:
        review_create(
            actor=people.agent,
            supplier=supplier_acme,
            period_start=datetime.date(2026, 3, 31),
            period_end=datetime.date(2026, 3, 1),
            reviewer=people.a_user,
        )
    assert set(error.value.message_dict) == {"period_end", "reviewer"}
    with pytest.raises(PermissionDenied):
        review_create(
            actor=people.auditor, supplier=supplier_acme, period_start=MARCH[0], period_end=MARCH[1]
        )
