"""The KPI engine against hand counts and hand-written raw SQL on a small fixture."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from serviceloop.desk.models import EventKind, TicketEvent
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation.engine import (
    kpi_breakdown,
    kpi_evaluate,
    kpi_records,
    kpi_snapshot_store,
    period_bounds,
    snapshots_store_previous,
)
from serviceloop.evaluation.library import LIBRARY, kpi_library_load
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 1, tzinfo=UTC)
END = datetime.datetime(2026, 4, 1, tzinfo=UTC)


def at(day, hour=9, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(people):
    kpi_library_load()
    a, b = people.customer_a, people.customer_b
    t = []
    # Responded in 10, 20, 30, 60 minutes; one breached; one outside the period.
    for minutes, org, breached, prio in (
        (10, a, False, "P1"),
        (20, a, False, "P2"),
        (30, b, False, "P2"),
        (60, b, True, "P3"),
    ):
        created = at(2)
        t.append(TicketFactory(
            organisation=org, priority=prio, created_at=created,
            first_response_at=created + datetime.timedelta(minutes=minutes),
            response_due_at=created + datetime.timedelta(minutes=45),
            response_met_at=created + datetime.timedelta(minutes=minutes),
            response_breached=breached,
        ))  # fmt: skip
    TicketFactory(organisation=a, created_at=datetime.datetime(2026, 2, 27, tzinfo=UTC),
                  first_response_at=datetime.datetime(2026, 2, 28, tzinfo=UTC))  # fmt: skip
    # Resolved: 2 h and 4 h; ratings 5 and 3; one reopened.
    t[0].resolved_at, t[0].status, t[0].csat_score, t[0].csat_at = at(2, 11), "resolved", 5, at(3)
    t[1].resolved_at, t[1].status, t[1].csat_score, t[1].csat_at = at(2, 13), "resolved", 3, at(3)
    t[0].save()
    t[1].save()
    TicketEvent.objects.create(ticket=t[1], at=at(2, 12), kind=EventKind.STATUS,
                               from_value="resolved", to_value="in_progress")  # fmt: skip
    return t


def available_codes():
    """The shipped KPIs whose registered function (if any) is installed."""
    from serviceloop.evaluation.engine import EXTERNALS

    return {
        d.code
        for d in KpiDefinition.objects.filter(is_active=True)
        if d.aggregate != "external" or d.external in EXTERNALS
    }


def kpi(code):
    return KpiDefinition.objects.get(code=code)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_ratio_of_counts_matches_raw_sql(world):
    result = kpi_evaluate(kpi("response-within-sla"), START, END)
    met, total = raw(
        "SELECT SUM(CASE WHEN response_breached = %s AND response_met_at IS NOT NULL THEN 1 "
        "ELSE 0 END), COUNT(*) FROM desk_ticket WHERE created_at >= %s AND created_at < %s "
        "AND (response_met_at IS NOT NULL OR response_breached = %s)",
        [False, START, END, True],
    )
    assert (result.numerator, result.denominator) == (met, total) == (3, 4)
    assert result.value == pytest.approx(75.0)
    assert result.status == "breach"  # target 95, warning 90


def test_percentiles_match_hand_computation(world):
    median = kpi_evaluate(kpi("first-response-median"), START, END)
    p90 = kpi_evaluate(kpi("first-response-p90"), START, END)
    # 10, 20, 30, 60 minutes: percentile_cont(0.5) = 25; (0.9) = 30 + 0.7 * 30 = 51.
    assert median.value == pytest.approx(25.0)
    assert p90.value == pytest.approx(51.0)
    assert median.denominator == 4
    assert median.status == "ok"


def test_avg_duration_average_and_ratio(world):
    mttr = kpi_evaluate(kpi("mean-time-to-resolve"), START, END)
    assert mttr.value == pytest.approx(3.0)  # (2 h + 4 h) / 2
    assert mttr.denominator == 2
    csat = kpi_evaluate(kpi("csat-average"), START, END)
    assert csat.value == pytest.approx(4.0)
    (avg,) = raw("SELECT AVG(csat_score) FROM desk_ticket WHERE csat_at >= %s AND csat_at < %s",
                 [START, END])  # fmt: skip
    assert csat.value == pytest.approx(float(avg))
    satisfied = kpi_evaluate(kpi("csat-satisfied"), START, END)
    assert (satisfied.numerator, satisfied.denominator, satisfied.value) == (1, 2, 50.0)


def test_reopen_rate_counts_each_ticket_once(world):
    TicketEvent.objects.create(ticket=world[1], at=at(2, 12, 30), kind=EventKind.STATUS,
                               from_value="closed", to_value="in_progress")  # fmt: skip
    result = kpi_evaluate(kpi("reopen-rate"), START, END)
    assert (result.numerator, result.denominator) == (1, 2)
    assert list(kpi_records(kpi("reopen-rate"), START, END, part="numerator")) == [world[1]]


def test_count_and_sum_kinds(world):
    count = KpiDefinition.objects.create(
        code="p2-count", name_en="P2", aggregate="count", source="desk.tickets",
        numerator_filter={"priority": "P2"}, slices=["organisation"],
    )  # fmt: skip
    assert kpi_evaluate(count, START, END).value == 2
    total = KpiDefinition.objects.create(
        code="csat-sum", name_en="sum", aggregate="sum", source="desk.tickets.rated",
        value_field="csat_score",
    )  # fmt: skip
    assert kpi_evaluate(total, START, END).value == 8


def test_slice_breakdown_and_records(world, people):
    definition = kpi("response-within-sla")
    sliced = kpi_evaluate(definition, START, END, {"organisation": people.customer_b.pk})
    assert (sliced.numerator, sliced.denominator) == (1, 2)
    rows = {row["key"]: row["result"] for row in kpi_breakdown(definition, START, END)}
    assert rows[people.customer_a.pk].value == 100.0
    assert rows[people.customer_b.pk].value == 50.0
    medians = {r["key"]: r["result"].value
               for r in kpi_breakdown(kpi("first-response-median"), START, END, by="priority")}  # fmt: skip
    assert medians == {"P1": 10.0, "P2": 25.0, "P3": 60.0}
    records = kpi_records(definition, START, END, {"organisation": people.customer_a.pk})
    assert set(records) == {world[0], world[1]}


def test_unknown_filters_and_slices_are_rejected(world):
    definition = kpi("response-within-sla")
    definition.numerator_filter = {"requester__password": "x"}
    with pytest.raises(ValidationError):
        kpi_evaluate(definition, START, END)
    with pytest.raises(ValidationError):
        kpi_evaluate(kpi("resolution-rate"), START, END, {"assignee": 1})


def test_no_data(db):
    kpi_library_load()
    result = kpi_evaluate(kpi("mean-time-to-resolve"), START, END)
    assert (result.value, result.status) == (None, "no_data")
    assert kpi_evaluate(kpi("first-response-p90"), START, END).status == "no_data"


def test_externals(world):
    assert kpi_evaluate(kpi("change-success-rate"), START, END).status == "no_data"
    complaints = kpi_evaluate(kpi("complaints-per-1000"), START, END)
    assert (complaints.numerator, complaints.denominator, complaints.value) == (0, 4, 0.0)
    assert kpi_evaluate(kpi("policy-acknowledgement-rate"), START, END).status == "no_data"


def test_library_and_snapshots_are_idempotent(world, people):
    assert kpi_library_load() == 0
    assert KpiDefinition.objects.count() == len(LIBRARY)
    definition = kpi("response-within-sla")
    first, created = kpi_snapshot_store(definition, (START, END))
    again, created_again = kpi_snapshot_store(definition, (START, END))
    assert created and not created_again and first.pk == again.pk
    assert float(again.value) == 75.0
    kpi_snapshot_store(definition, (START, END), {"organisation": 1})
    assert KpiSnapshot.objects.filter(definition=definition).count() == 2
    stored = snapshots_store_previous(datetime.date(2026, 4, 15))
    march = KpiSnapshot.objects.filter(
        period_start=period_bounds("month", datetime.date(2026, 3, 1))[0]
    )
    wholes = march.filter(slice_id="{}")
    # every active KPI that is available has its whole stored (the local-time month)
    assert wholes.count() == len(available_codes())
    # and one row per slice value: both customers, each priority of the month's tickets
    sliced = march.filter(definition=definition).exclude(slice_id="{}")
    keys = {s.slice_id for s in sliced}
    assert f'{{"organisation":{people.customer_a.pk}}}' in keys
    assert {'{"priority":"P1"}', '{"priority":"P2"}', '{"priority":"P3"}'} <= keys
    row = sliced.get(slice_id=f'{{"organisation":{people.customer_b.pk}}}')
    assert (float(row.numerator), float(row.denominator)) == (1.0, 2.0)
    assert stored == march.count()  # the rows stored by hand above are UTC months
    assert snapshots_store_previous(datetime.date(2026, 4, 15)) == 0
    assert march.count() == stored


def test_unregistered_function_is_not_available(world, monkeypatch):
    from serviceloop.evaluation.engine import EXTERNALS, definition_validate

    monkeypatch.delitem(EXTERNALS, "improvement.corrective_actions_effective", raising=False)
    definition = kpi("corrective-actions-effective")
    definition_validate(definition)  # expected from another part: valid
    assert kpi_evaluate(definition, START, END).status == "unavailable"
    assert kpi_snapshot_store(definition, (START, END)) == (None, False)
    definition.external = "nowhere.at_all"
    with pytest.raises(ValidationError) as error:
        definition_validate(definition)
    assert "external" in error.value.message_dict


def test_period_bounds():
    zone = timezone.get_default_timezone()
    start, end = period_bounds("quarter", datetime.date(2026, 11, 5))
    assert (start.date(), end.date()) == (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    assert start.tzinfo == zone
    start, end = period_bounds("week", datetime.date(2026, 11, 26))
    assert (start.date(), end.date()) == (datetime.date(2026, 11, 23), datetime.date(2026, 11, 30))


def test_filters_through_events_count_each_ticket_once(world, people):
    """A custom filter through the event history (a join) gives the flag's figures."""
    joined = KpiDefinition.objects.create(
        code="reopened-joined", name_en="Reopened", aggregate="ratio_of_counts",
        source="desk.tickets.resolved", slices=["organisation"], unit="%",
        numerator_filter={"events__kind": "status", "events__from_value__in": ["resolved"],
                          "events__to_value": "in_progress"},
    )  # fmt: skip
    TicketEvent.objects.create(ticket=world[1], at=at(2, 12, 30), kind=EventKind.STATUS,
                               from_value="resolved", to_value="in_progress")  # fmt: skip
    result = kpi_evaluate(joined, START, END)
    assert (result.numerator, result.denominator) == (1, 2)
    rows = {r["key"]: r["result"] for r in kpi_breakdown(joined, START, END)}
    assert (rows[people.customer_a.pk].numerator, rows[people.customer_a.pk].denominator) == (1, 2)
    assert list(kpi_records(joined, START, END, part="numerator")) == [world[1]]


@pytest.mark.parametrize(
    "spec",
    [{"priority__in": 5}, {"created_at__gte": "yesterday"}, {"csat_score": "five"}],
)
def test_filter_values_that_do_not_fit_are_refused_up_front(db, spec):
    from serviceloop.evaluation.engine import definition_validate

    definition = KpiDefinition(code="x", name_en="x", aggregate="count", source="desk.tickets",
                               numerator_filter=spec)  # fmt: skip
    with pytest.raises(ValidationError) as error:
        definition_validate(definition)
    assert "numerator_filter" in error.value.message_dict
