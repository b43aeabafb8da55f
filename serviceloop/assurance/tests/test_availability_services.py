"""Availability management through its services: outages from incidents, changes and by hand;
adjustments with a reason; availability of recorded outages against an independent
second-by-second reference; the monthly report; targets. (Single points of failure:
``test_spof``.)"""

import datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from serviceloop.assurance import queries
from serviceloop.assurance.availability import Span
from serviceloop.assurance.models import (
    AvailabilityTarget,
    Outage,
    OutageEventKind,
    OutageKind,
    OutageSource,
)
from serviceloop.assurance.services_availability import (
    outage_adjust,
    outage_create,
    outage_customers_set,
    outage_end,
    outage_from_change,
    outage_from_incident,
    outages_follow_incidents,
    target_clear,
    target_set,
)
from serviceloop.assurance.tests.factories import OutageFactory
from serviceloop.assurance.tests.test_availability_engine import Reference
from serviceloop.core.models import AuditEvent
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind
from serviceloop.desk.tests.factories import TicketEventFactory, TicketFactory
from serviceloop.portfolio.tests.factories import (
    ServiceFactory,
)
from serviceloop.transition.models import ChangeEvent, ChangeEventKind, ChangeRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2025, 10, 20, 12, 0, tzinfo=SHANGHAI)


def at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def audit_verbs(obj):
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def major_incident(people, *, created, resolved=None, reopened_and_resolved=None, service="ERP"):
    ticket = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        is_major=True,
        service=service,
        created_at=created,
        status=Status.RESOLVED if resolved else Status.IN_PROGRESS,
        resolved_at=resolved,
    )
    TicketEventFactory(ticket=ticket, kind=EventKind.CREATED, at=created)
    if resolved:
        TicketEventFactory(
            ticket=ticket, kind=EventKind.STATUS, at=resolved, to_value=Status.RESOLVED
        )
    if reopened_and_resolved:
        TicketEventFactory(
            ticket=ticket, kind=EventKind.STATUS, at=reopened_and_resolved, to_value=Status.RESOLVED
        )
    return ticket


# --- Exactness of recorded outages ---------------------------------------------------------------


def test_recorded_outages_match_the_second_by_second_reference(people, world):
    """Overlapping outages, a lunch break, an evening, National Day and a make-up Saturday,
    one planned and announced (not counted), one planned and not announced (counted)."""
    erp = world.erp
    records = [
        ("2025-09-30 11:40:07", "2025-09-30 13:25:13", OutageKind.UNPLANNED, None),
        ("2025-09-30 13:00:00", "2025-09-30 14:10:00", OutageKind.UNPLANNED, None),
        ("2025-09-30 17:30:45", "2025-10-09 09:05:05", OutageKind.UNPLANNED, None),
        ("2025-10-10 10:00:00", "2025-10-10 11:00:00", OutageKind.PLANNED, "2025-10-01 10:00"),
        ("2025-10-10 10:30:00", "2025-10-10 10:40:00", OutageKind.UNPLANNED, None),
        ("2025-10-11 11:58:00", "2025-10-11 13:01:00", OutageKind.PLANNED, None),
    ]
    for start, end, kind, announced in records:
        outage_create(
            actor=people.agent,
            service=erp,
            title=f"{kind} {start}",
            kind=kind,
            start=at(start),
            end=at(end),
            announced_at=at(announced) if announced else None,
            now=NOW,
        )
    start, end = at("2025-09-29 00:00"), at("2025-10-13 00:00")
    spans = [Span(o.start, o.end, o.counts_as_downtime()) for o in Outage.objects.all()]

    result = queries.service_availability(erp, start, end, now=NOW)
    reference = Reference().compute(start, end, spans, NOW)

    assert {
        "agreed": result.agreed_seconds,
        "down": result.downtime_seconds,
        "excluded": result.excluded_seconds,
        "breaks": result.breaks,
    } == reference
    expected_down = (1193 + 4200) + (1755 + 305) + 600 + (120 + 60)
    assert result.downtime_seconds == expected_down
    assert result.ratio == Fraction(reference["agreed"] - expected_down, reference["agreed"])


def test_planned_maintenance_counts_when_the_setting_says_so(people, world, settings):
    start = at("2025-10-10 10:00")
    outage_create(
        actor=people.agent,
        service=world.erp,
        title="Patching",
        kind=OutageKind.PLANNED,
        start=start,
        end=start + datetime.timedelta(hours=1),
        announced_at=start - datetime.timedelta(days=3),
        now=NOW,
    )
    period = at("2025-10-10 00:00"), at("2025-10-11 00:00")

    settings.AVAILABILITY_PLANNED_AS_DOWNTIME = False
    excluded = queries.service_availability(world.erp, *period, now=NOW)
    settings.AVAILABILITY_PLANNED_AS_DOWNTIME = True
    counted = queries.service_availability(world.erp, *period, now=NOW)

    assert (excluded.downtime_seconds, excluded.excluded_seconds) == (0, 3600)
    assert (counted.downtime_seconds, counted.excluded_seconds) == (3600, 0)


def test_maintenance_announced_only_after_it_started_is_downtime(people, world):
    start = at("2025-10-10 10:00")
    outage = outage_create(
        actor=people.agent,
        service=world.erp,
        title="Late notice",
        kind=OutageKind.PLANNED,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        announced_at=start + datetime.timedelta(minutes=5),
        now=NOW,
    )

    assert outage.counts_as_downtime(False) is True


def test_a_customer_sees_only_the_outages_that_affected_him(people, world):
    outage_create(
        actor=people.agent,
        service=world.erp,
        title="Everyone",
        start=at("2025-10-14 10:00"),
        end=at("2025-10-14 10:30"),
        now=NOW,
    )
    outage_create(
        actor=people.agent,
        service=world.erp,
        title="Only B",
        start=at("2025-10-14 10:20"),
        end=at("2025-10-14 11:00"),
        all_customers=False,
        customers=[people.customer_b],
        now=NOW,
    )
    period = at("2025-10-14 00:00"), at("2025-10-15 00:00")

    a = queries.service_availability(world.erp, *period, customer=people.customer_a, now=NOW)
    b = queries.service_availability(world.erp, *period, customer=people.customer_b, now=NOW)
    whole = queries.service_availability(world.erp, *period, now=NOW)

    assert (a.downtime_seconds, b.downtime_seconds, whole.downtime_seconds) == (1800, 3600, 3600)
    assert (a.breaks, b.breaks) == (1, 1)


def test_the_monthly_report_matches_the_reference_per_service_and_customer(people, world):
    outage_create(
        actor=people.agent,
        service=world.erp,
        title="ERP down",
        start=at("2025-09-30 17:00:01"),
        end=at("2025-10-09 09:00:59"),
        now=NOW,
    )
    outage_create(
        actor=people.agent,
        service=world.mail,
        title="Mail down",
        start=at("2025-09-30 23:00"),
        end=at("2025-10-01 01:00:30"),
        now=NOW,
    )
    start, end = queries.month_period(2025, 10)

    per_service, per_customer = queries.availability_report(start, end, now=NOW)

    rows = {row.service.code: row for row in per_service}
    assert set(rows) == {"erp", "mail"}
    assert rows["erp"].result.downtime_seconds == 59  # the holidays are not service time
    assert rows["erp"].result.agreed_seconds == Reference().compute(start, end, [], NOW)["agreed"]
    assert rows["mail"].result.downtime_seconds == 3630  # 24×7 from 1 October 00:00
    assert rows["mail"].result.agreed_seconds == 31 * 86400
    assert [(r.customer.pk, r.service.code) for r in per_customer] == [
        (people.customer_a.pk, "erp"),
        (people.customer_a.pk, "mail"),
        (people.customer_b.pk, "erp"),
    ]


def test_an_ongoing_outage_counts_until_now(people, world):
    outage_create(
        actor=people.agent,
        service=world.mail,
        title="Still down",
        start=NOW - datetime.timedelta(minutes=90),
        now=NOW,
    )

    result = queries.service_availability(
        world.mail, NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=1), now=NOW
    )

    assert result.downtime_seconds == 5400


# --- Outages from a major incident ---------------------------------------------------------------


def test_an_outage_follows_the_major_incidents_timeline(people, world):
    ticket = major_incident(
        people,
        created=at("2025-10-14 09:12:30"),
        resolved=at("2025-10-14 10:00:00"),
        reopened_and_resolved=at("2025-10-14 10:45:10"),
    )

    outage = outage_from_incident(actor=people.agent, ticket=ticket, service=world.erp, now=NOW)

    assert (outage.start, outage.end) == (at("2025-10-14 09:12:30"), at("2025-10-14 10:45:10"))
    assert (outage.kind, outage.source, outage.ticket) == (
        OutageKind.UNPLANNED,
        OutageSource.MAJOR_INCIDENT,
        ticket,
    )
    event = outage.events.get()
    assert event.kind == OutageEventKind.CREATED and event.reason == ""
    assert audit_verbs(outage) == ["outage.created"]


def test_other_times_than_the_timeline_need_a_reason(people, world):
    ticket = major_incident(
        people, created=at("2025-10-14 09:12:30"), resolved=at("2025-10-14 10:00:00")
    )

    with pytest.raises(ValidationError) as refused:
        outage_from_incident(
            actor=people.agent,
            ticket=ticket,
            service=world.erp,
            start=at("2025-10-14 09:00:00"),
            now=NOW,
        )
    outage = outage_from_incident(
        actor=people.agent,
        ticket=ticket,
        service=world.erp,
        start=at("2025-10-14 09:00:00"),
        reason="Monitoring shows errors from 09:00, before the ticket was raised.",
        now=NOW,
    )

    assert "reason" in refused.value.message_dict
    assert outage.start == at("2025-10-14 09:00:00") and outage.end == at("2025-10-14 10:00")
    event = outage.events.get()
    assert event.reason.startswith("Monitoring shows")
    assert parse_datetime(event.changes["timeline"]["start"]) == at("2025-10-14 09:12:30")
    payload = AuditEvent.objects.get(verb="outage.created").payload
    assert payload["reason"].startswith("Monitoring shows")


def test_an_unresolved_incident_gives_an_ongoing_outage_ended_when_it_is_resolved(people, world):
    ticket = major_incident(people, created=at("2025-10-20 09:00"))
    outage = outage_from_incident(actor=people.agent, ticket=ticket, service=world.erp, now=NOW)
    assert outage.end is None

    ticket.status, ticket.resolved_at = Status.RESOLVED, at("2025-10-20 11:30:05")
    ticket.save()
    TicketEventFactory(
        ticket=ticket, kind=EventKind.STATUS, at=ticket.resolved_at, to_value=Status.RESOLVED
    )
    ended = outages_follow_incidents(now=NOW + datetime.timedelta(hours=1))
    again = outages_follow_incidents(now=NOW + datetime.timedelta(hours=2))

    outage.refresh_from_db()
    assert (ended, again) == (1, 0)
    assert outage.end == at("2025-10-20 11:30:05")
    assert [e.kind for e in outage.events.all()] == [OutageEventKind.CREATED, OutageEventKind.ENDED]


def test_one_outage_per_incident_and_service_and_only_major_incidents(people, world):
    ticket = major_incident(people, created=at("2025-10-14 09:00"), resolved=at("2025-10-14 10:00"))
    minor = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    outage_from_incident(actor=people.agent, ticket=ticket, service=world.erp, now=NOW)

    with pytest.raises(ValidationError):
        outage_from_incident(actor=people.agent, ticket=ticket, service=world.erp, now=NOW)
    with pytest.raises(ValidationError) as not_major:
        outage_from_incident(actor=people.agent, ticket=minor, service=world.erp, now=NOW)
    other = outage_from_incident(actor=people.agent, ticket=ticket, service=world.mail, now=NOW)

    assert "ticket" in not_major.value.message_dict
    assert other.service == world.mail and Outage.objects.count() == 2


# --- Adjusting, ending, customers ----------------------------------------------------------------


def test_adjusting_needs_a_reason_and_is_kept_in_history_and_audit(people, world):
    outage = outage_create(
        actor=people.agent,
        service=world.erp,
        title="Down",
        start=at("2025-10-14 10:00"),
        end=at("2025-10-14 11:00"),
        now=NOW,
    )

    with pytest.raises(ValidationError) as refused:
        outage_adjust(
            actor=people.agent,
            outage=outage,
            start=at("2025-10-14 09:50"),
            end=outage.end,
            reason="",
        )
    outage = outage_adjust(
        actor=people.agent,
        outage=outage,
        start=at("2025-10-14 09:50"),
        end=at("2025-10-14 11:00"),
        reason="Monitoring saw the first errors at 09:50.",
        now=NOW,
    )

    assert "reason" in refused.value.message_dict
    assert outage.start == at("2025-10-14 09:50") and outage.version == 2
    event = outage.events.get(kind=OutageEventKind.ADJUSTED)
    assert event.reason == "Monitoring saw the first errors at 09:50."
    assert parse_datetime(event.changes["start"][0]) == at("2025-10-14 10:00")
    assert audit_verbs(outage) == ["outage.created", "outage.adjusted"]


def test_a_stale_version_is_refused(people, world):
    outage = OutageFactory(
        service=world.erp, start=at("2025-10-14 10:00"), end=at("2025-10-14 11:00")
    )

    with pytest.raises(ValidationError) as stale:
        outage_adjust(
            actor=people.agent,
            outage=outage,
            start=at("2025-10-14 09:00"),
            end=outage.end,
            reason="x",
            expected_version=7,
        )

    assert stale.value.error_list[0].code == "stale"


def test_bad_windows_are_refused_with_nothing_written(people, world):
    cases = [
        {"start": at("2025-10-14 11:00"), "end": at("2025-10-14 10:00")},
        {"start": NOW + datetime.timedelta(hours=1)},
        {"start": datetime.datetime(2025, 10, 14, 10, 0)},  # naive
        {"start": None},
    ]
    for window in cases:
        with pytest.raises(ValidationError):
            outage_create(actor=people.agent, service=world.erp, title="x", now=NOW, **window)
    with pytest.raises(ValidationError) as announced:
        outage_create(
            actor=people.agent,
            service=world.erp,
            title="x",
            start=at("2025-10-14 10:00"),
            announced_at=at("2025-10-13 10:00"),
            now=NOW,
        )

    assert "announced_at" in announced.value.message_dict
    assert Outage.objects.count() == 0 and not AuditEvent.objects.filter(verb__startswith="outage")


def test_planned_maintenance_may_lie_ahead(people, world):
    outage = outage_create(
        actor=people.agent,
        service=world.erp,
        title="Next week",
        kind=OutageKind.PLANNED,
        start=NOW + datetime.timedelta(days=7),
        end=NOW + datetime.timedelta(days=7, hours=2),
        announced_at=NOW,
        now=NOW,
    )

    assert outage.is_announced and not outage.counts_as_downtime(False)


def test_ending_an_outage_and_ending_it_twice(people, world):
    outage = outage_create(
        actor=people.agent, service=world.mail, title="Down", start=at("2025-10-20 10:00"), now=NOW
    )

    outage = outage_end(actor=people.agent, outage=outage, now=NOW)

    assert outage.end == NOW
    with pytest.raises(ValidationError):
        outage_end(actor=people.agent, outage=outage, now=NOW)


def test_affected_customers_must_be_entitled(people, world):
    outage = OutageFactory(service=world.mail)

    with pytest.raises(ValidationError) as refused:
        outage_customers_set(
            actor=people.agent, outage=outage, all_customers=False, customers=[people.customer_b]
        )
    with pytest.raises(ValidationError):
        outage_customers_set(actor=people.agent, outage=outage, all_customers=False, customers=[])
    outage = outage_customers_set(
        actor=people.agent, outage=outage, all_customers=False, customers=[people.customer_a]
    )

    assert "customers" in refused.value.message_dict
    assert list(outage.customers.all()) == [people.customer_a] and not outage.all_customers
    assert outage.events.get().kind == OutageEventKind.CUSTOMERS


@pytest.mark.parametrize("role", ["auditor", "top", "owner", "a_manager"])
def test_only_staff_who_operate_record_outages(role, people, world):
    with pytest.raises(PermissionDenied):
        outage_create(
            actor=getattr(people, role),
            service=world.erp,
            title="x",
            start=at("2025-10-14 10:00"),
            now=NOW,
        )


# --- From a change -------------------------------------------------------------------------------


def change_with_window(people, service, *, start, end, actual=None, scheduled_at=None):
    change = ChangeRequest.objects.create(
        reference="CHG-2025-000001",
        title="Database upgrade",
        requester=people.agent,
        planned_start=start,
        planned_end=end,
        actual_start=actual[0] if actual else None,
        actual_end=actual[1] if actual else None,
        created_at=start - datetime.timedelta(days=10),
        updated_at=start - datetime.timedelta(days=10),
    )
    change.services.set([service])
    if scheduled_at:
        ChangeEvent.objects.create(change=change, at=scheduled_at, kind=ChangeEventKind.SCHEDULED)
    return change


def test_a_change_gives_announced_planned_maintenance_over_its_actual_window(people, world):
    change = change_with_window(
        people,
        world.erp,
        start=at("2025-10-15 20:00"),
        end=at("2025-10-15 22:00"),
        actual=(at("2025-10-15 20:05"), at("2025-10-15 22:40")),
        scheduled_at=at("2025-10-10 09:00"),
    )

    outage = outage_from_change(actor=people.agent, change=change, service=world.erp, now=NOW)

    assert (outage.kind, outage.source, outage.change) == (
        OutageKind.PLANNED,
        OutageSource.PLANNED_MAINTENANCE,
        change,
    )
    assert (outage.start, outage.end) == (at("2025-10-15 20:05"), at("2025-10-15 22:40"))
    assert outage.announced_at == at("2025-10-10 09:00") and not outage.counts_as_downtime(False)
    with pytest.raises(ValidationError) as other_service:
        outage_from_change(actor=people.agent, change=change, service=world.mail, now=NOW)
    assert "service" in other_service.value.message_dict


# --- Targets -------------------------------------------------------------------------------------


def test_the_services_own_target_applies_without_an_sla(people, world):
    assert queries.target_for(world.erp, None, NOW.date()) == (None, "")

    target = target_set(actor=people.lead, service=world.erp, target_percent="99.5")  # its owner

    assert queries.target_for(world.erp, people.customer_a, NOW.date()) == (
        Decimal("99.500"),
        "service",
    )
    assert target.version == 1
    target = target_set(actor=people.owner, service=world.erp, target_percent=Decimal("99.95"))
    assert target.target_percent == Decimal("99.950") and target.version == 2
    assert target_clear(actor=people.admin, service=world.erp)
    assert not AvailabilityTarget.objects.exists()


@pytest.mark.parametrize("value", ["0", "100.5", "-1", "abc", None])
def test_bad_targets_are_refused(value, people, world):
    with pytest.raises(ValidationError):
        target_set(actor=people.owner, service=world.erp, target_percent=value)


@pytest.mark.parametrize("role", ["agent", "auditor", "top"])
def test_targets_are_set_by_managers_and_the_service_owner_only(role, people, world):
    with pytest.raises(PermissionDenied):
        target_set(actor=getattr(people, role), service=world.erp, target_percent="99")


def test_an_sla_target_wins_over_the_services_own(people, world, make_sla):
    target_set(actor=people.owner, service=world.erp, target_percent="99")
    make_sla(services=[world.erp], customers=[people.customer_a], percent="99.9")

    assert queries.target_for(world.erp, None, NOW.date()) == (Decimal("99.9"), "agreement")
    assert queries.target_for(world.erp, people.customer_a, NOW.date())[1] == "agreement"
    assert queries.target_for(world.erp, people.customer_b, NOW.date()) == (
        Decimal("99.000"),
        "service",
    )


def test_a_customers_view_is_unaffected_by_another_services_outages(people, world):
    other = ServiceFactory(code="other", customers=[people.customer_a])
    OutageFactory(service=other, start=at("2025-10-14 10:00"), end=at("2025-10-14 12:00"))

    result = queries.service_availability(
        world.erp,
        at("2025-10-14 00:00"),
        at("2025-10-15 00:00"),
        customer=people.customer_a,
        now=NOW,
    )

    assert result.downtime_seconds == 0 and result.percent == Decimal("100.000")


def test_outage_instants_are_whole_seconds(people, world):
    outage = outage_create(
        actor=people.agent,
        service=world.erp,
        title="x",
        start=at("2025-10-14 10:00:00.750"),
        end=at("2025-10-14 10:00:30.250"),
        now=NOW,
    )

    assert outage.start.microsecond == 0 and outage.end.microsecond == 0
    assert timezone.is_aware(outage.start)
