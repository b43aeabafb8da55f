"""The complaints register through its services: lodging (portal and staff), the declared
lifecycle, closure refused without the customer's acceptance, reopening, the response-time
target (wall clock and business time), the warning and breach sent exactly once, who sees
what, and ``complaint_count``."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.tests.factories import CalendarFactory
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import Complaint, ComplaintEvent, ComplaintStatus
from serviceloop.relationship.queries_complaints import complaint_count
from serviceloop.relationship.services_complaints import (
    complaint_create,
    complaint_note_add,
    complaint_update,
)
from serviceloop.relationship.services_complaints_alerts import complaint_response_alerts_run
from serviceloop.relationship.services_complaints_lifecycle import (
    complaint_acceptance_record,
    complaint_transition,
)
from serviceloop.relationship.services_complaints_targets import complaint_target_set

pytestmark = pytest.mark.usefixtures("english")


def local(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


def notified(person, kind):
    return Notification.objects.filter(recipient=person, kind=kind)


# --- Lodging -------------------------------------------------------------------------------


def test_a_customer_lodges_a_complaint_in_the_portal(people, complaint_portal):
    now = local("2026-03-02 10:00")

    complaint = complaint_portal(channel="phone", owner=people.agent, now=now)

    assert re.fullmatch(r"CMP-2026-\d{6}", complaint.reference)
    assert (complaint.channel, complaint.complainant, complaint.owner) == (
        "portal",
        people.a_user,
        None,
    )
    assert complaint.status == ComplaintStatus.RECEIVED and complaint.received_at == now
    # medium: 24 wall-clock hours (no business calendar anywhere), warned at 75 %
    assert complaint.response_calendar is None and complaint.response_target_hours == 24
    assert complaint.response_due_at == local("2026-03-03 10:00")
    assert complaint.response_warn_at == local("2026-03-03 04:00")
    # Nobody owns it yet: the leads (team lead, administrator) are told.
    assert notified(people.lead, "complaint_received").count() == 1
    assert notified(people.admin, "complaint_received").count() == 1
    assert not notified(people.agent, "complaint_received").exists()
    assert AuditEvent.objects.get(verb="complaint.created").payload["channel"] == "portal"
    assert list(complaint.events.values_list("kind", flat=True)) == ["created"]


def test_customers_lodge_only_for_themselves(people, complaint_portal):
    with pytest.raises(PermissionDenied):
        complaint_portal(actor=people.a_user, organisation=people.customer_b)
    with pytest.raises(PermissionDenied):
        complaint_portal(actor=people.a_user, complainant=people.a_manager)
    with pytest.raises(PermissionDenied):
        complaint_portal(actor=people.auditor, organisation=people.customer_a)
    on_behalf = complaint_portal(actor=people.a_manager, complainant=people.a_user)
    assert on_behalf.complainant == people.a_user and on_behalf.created_by == people.a_manager


def test_a_customer_names_only_his_own_services(people, complaint_portal):
    mine = Service.objects.create(code="vpn", name="VPN", status="live")
    mine.customers.add(people.customer_a)
    theirs = Service.objects.create(code="erp", name="ERP", status="live")
    theirs.customers.add(people.customer_b)

    assert complaint_portal(service=mine).service == mine
    with pytest.raises(ValidationError) as error:
        complaint_portal(service=theirs)
    assert "service" in error.value.message_dict


def test_staff_record_a_phone_complaint_received_earlier(people):
    complaint = complaint_create(
        actor=people.agent,
        organisation=people.customer_b,
        channel="phone",
        severity="high",
        complainant_name="王先生 Mr Wang",
        complainant_phone="+86 21 5555",
        subject="Outage not communicated",
        description="Nobody told us about Saturday's outage.",
        received_at=local("2026-03-02 09:00"),
        now=local("2026-03-02 18:00"),
    )

    assert complaint.owner == people.agent and complaint.complainant is None
    assert complaint.complainant_label == "王先生 Mr Wang"
    # high: 8 hours; recorded after its due time, it is breached from the start
    assert complaint.response_due_at == local("2026-03-02 17:00")
    assert complaint.response_breached


def test_bad_input_is_refused_and_nothing_written(people):
    with pytest.raises(ValidationError) as error:
        complaint_create(
            actor=people.agent,
            organisation=people.customer_a,
            channel="pigeon",
            severity="apocalyptic",
            subject=" ",
            description="",
            complainant=people.b_user,
            received_at=timezone.now() + datetime.timedelta(hours=1),
            owner=people.auditor,
        )
    assert set(error.value.message_dict) == {
        "channel",
        "severity",
        "subject",
        "description",
        "complainant",
        "received_at",
        "owner",
    }
    with pytest.raises(ValidationError) as error:
        complaint_create(
            actor=people.agent,
            organisation=people.provider,
            subject="x",
            description="y",
            complainant_name="z",
        )
    assert "organisation" in error.value.message_dict
    assert not Complaint.objects.exists() and not AuditEvent.objects.exists()


# --- The lifecycle -------------------------------------------------------------------------


def test_a_complaint_cannot_close_without_the_customers_acceptance(people, complaint_portal):
    complaint = complaint_portal()
    complaint = complaint_transition(actor=people.agent, complaint=complaint, target="acknowledged")
    complaint = complaint_transition(
        actor=people.agent, complaint=complaint, target="investigating"
    )
    complaint_note_add(actor=people.agent, complaint=complaint, body="Call recording checked.")
    with pytest.raises(ValidationError) as error:
        complaint_transition(actor=people.agent, complaint=complaint, target="responded")
    assert "response" in error.value.message_dict
    complaint = complaint_transition(
        actor=people.agent,
        complaint=complaint,
        target="responded",
        response="We apologise; the agent has been coached.",
    )
    assert complaint.responded_at is not None and not complaint.response_breached

    with pytest.raises(ValidationError) as error:
        complaint_transition(actor=people.agent, complaint=complaint, target="closed")
    assert "acceptance" in str(error.value)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESPONDED

    with pytest.raises(PermissionDenied):  # closing is the provider's move
        complaint_transition(actor=people.a_user, complaint=complaint, target="closed")
    complaint = complaint_acceptance_record(
        actor=people.a_user, complaint=complaint, accepted=True, note="Thank you."
    )
    assert (complaint.customer_accepted, complaint.acceptance_date) == (True, timezone.localdate())
    assert complaint.acceptance_recorded_by == people.a_user
    assert notified(people.lead, "complaint_acceptance").exists()  # unowned: the leads
    complaint = complaint_transition(actor=people.agent, complaint=complaint, target="closed")

    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at is not None
    verbs = list(
        AuditEvent.objects.filter(object_type="relationship.complaint")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "complaint.created",
        "complaint.acknowledged",
        "complaint.investigating",
        "complaint.note",
        "complaint.responded",
        "complaint.acceptance",
        "complaint.closed",
    ]
    statuses = complaint.events.filter(kind="status").values_list("to_value", flat=True)
    assert list(statuses) == ["acknowledged", "investigating", "responded", "closed"]
    # the complainant follows every move
    assert notified(people.a_user, "complaint_status").count() == 4


def test_closing_records_the_acceptance_given_with_it(people, complaint_portal):
    complaint = complaint_portal()
    complaint = complaint_transition(
        actor=people.agent, complaint=complaint, target="responded", response="Refund issued."
    )
    with pytest.raises(ValidationError) as error:
        complaint_transition(
            actor=people.agent,
            complaint=complaint,
            target="closed",
            accepted=False,
            acceptance_date=timezone.localdate(),
        )
    assert "acceptance_note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        complaint_transition(
            actor=people.agent,
            complaint=complaint,
            target="closed",
            accepted=True,
            acceptance_date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "acceptance_date" in error.value.message_dict

    complaint = complaint_transition(
        actor=people.agent,
        complaint=complaint,
        target="closed",
        accepted=False,
        acceptance_date=timezone.localdate(),
        acceptance_note="Still unhappy; escalated to the account manager.",
    )

    assert complaint.status == "closed" and complaint.customer_accepted is False
    row = AuditEvent.objects.get(verb="complaint.closed")
    assert row.payload["acceptance"]["accepted"] is False


def test_reopening_needs_a_reason_and_clears_the_acceptance(people, complaint_portal):
    complaint = complaint_portal()
    complaint = complaint_transition(
        actor=people.agent, complaint=complaint, target="responded", response="Done."
    )
    with pytest.raises(ValidationError) as error:
        complaint_transition(actor=people.a_user, complaint=complaint, target="investigating")
    assert "reason" in error.value.message_dict
    complaint = complaint_transition(
        actor=people.a_user,
        complaint=complaint,
        target="investigating",
        reason="Nothing has changed.",
    )
    assert complaint.status == "investigating"
    assert notified(people.lead, "complaint_status").exists()

    complaint = complaint_transition(
        actor=people.agent, complaint=complaint, target="responded", response="Now fixed."
    )
    complaint_acceptance_record(
        actor=people.agent,
        complaint=complaint,
        accepted=True,
        acceptance_date=timezone.localdate(),
    )
    complaint = complaint_transition(actor=people.agent, complaint=complaint, target="closed")
    with pytest.raises(PermissionDenied):
        complaint_transition(
            actor=people.a_user, complaint=complaint, target="investigating", reason="again"
        )
    complaint = complaint_transition(
        actor=people.agent, complaint=complaint, target="investigating", reason="Came back."
    )

    assert complaint.closed_at is None and not complaint.acceptance_recorded
    row = AuditEvent.objects.filter(verb="complaint.investigating").order_by("id").last()
    assert row.payload["previous_acceptance"]["accepted"] is True
    with pytest.raises(ValidationError, match="cannot go from"):
        complaint_transition(actor=people.agent, complaint=complaint, target="closed")


def test_read_only_staff_and_other_customers_are_refused(people, complaint_portal):
    complaint = complaint_portal()
    for person in (people.auditor, people.top, people.b_manager):
        with pytest.raises(PermissionDenied):
            complaint_transition(actor=person, complaint=complaint, target="acknowledged")
        with pytest.raises(PermissionDenied):
            complaint_note_add(actor=person, complaint=complaint, body="x")
    with pytest.raises(PermissionDenied):
        complaint_update(actor=people.a_manager, complaint=complaint, severity="high")


def test_acceptance_is_recorded_only_after_the_response(people, complaint_portal):
    complaint = complaint_portal()
    with pytest.raises(ValidationError, match="once the complaint has been responded"):
        complaint_acceptance_record(actor=people.a_user, complaint=complaint, accepted=True)


# --- The response-time target --------------------------------------------------------------


def test_business_hours_count_through_the_customers_calendar(people, complaint_portal):
    calendar = CalendarFactory(hours="09:00-12:00,13:00-18:00", time_zone="Asia/Shanghai")
    people.customer_a.calendar = calendar
    people.customer_a.save()
    with pytest.raises(PermissionDenied):
        complaint_target_set(actor=people.agent, severity="high", hours=6)
    complaint_target_set(actor=people.lead, severity="high", hours=8, warn_percent=50)

    # Monday 17:00: 1 h on Monday, then 09-12 and 13-17 on Tuesday
    complaint = complaint_portal(severity="high", now=local("2026-03-02 17:00"))

    assert complaint.response_calendar == calendar
    assert complaint.response_due_at == local("2026-03-03 17:00")
    assert complaint.response_warn_at == local("2026-03-03 12:00")  # 4 business hours


def test_the_provider_calendar_applies_when_the_customer_has_none(people, complaint_portal):
    people.provider.calendar = CalendarFactory(hours="09:00-17:00", time_zone="Asia/Shanghai")
    people.provider.save()
    complaint_target_set(actor=people.admin, severity="low", hours=16)

    complaint = complaint_portal(severity="low", now=local("2026-03-06 16:00"))  # a Friday

    # 1 h on Friday, 8 h on Monday, 7 h on Tuesday
    assert complaint.response_due_at == local("2026-03-10 16:00")


def test_wall_clock_when_business_hours_are_switched_off(people, complaint_portal):
    people.provider.calendar = CalendarFactory()
    people.provider.save()
    complaint_target_set(actor=people.lead, severity="medium", hours=10, business_hours=False)

    complaint = complaint_portal(now=local("2026-03-06 16:00"))

    assert complaint.response_calendar is None
    assert complaint.response_due_at == local("2026-03-07 02:00")


def test_a_new_severity_recomputes_the_target(people, complaint_portal):
    complaint = complaint_portal(severity="low", now=local("2026-03-02 10:00"))

    complaint = complaint_update(
        actor=people.agent, complaint=complaint, severity="high", owner=people.lead
    )

    assert complaint.response_due_at == local("2026-03-02 18:00")
    assert notified(people.lead, "complaint_assigned").count() == 1
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="updated").exists()


def test_the_warning_and_the_breach_are_sent_exactly_once(people, complaint_portal):
    complaint = complaint_portal(now=local("2026-03-02 10:00"))  # due 03-03 10:00, warn 04:00
    complaint_update(actor=people.agent, complaint=complaint, owner=people.agent)

    assert complaint_response_alerts_run(now=local("2026-03-03 03:59")) == {
        "warning": 0,
        "breach": 0,
    }
    assert complaint_response_alerts_run(now=local("2026-03-03 04:00"))["warning"] == 1
    assert complaint_response_alerts_run(now=local("2026-03-03 05:00"))["warning"] == 0
    assert complaint_response_alerts_run(now=local("2026-03-03 10:00"))["breach"] == 1
    assert complaint_response_alerts_run(now=local("2026-03-03 11:00")) == {
        "warning": 0,
        "breach": 0,
    }

    complaint.refresh_from_db()
    assert complaint.response_breached and complaint.response_warned_at is not None
    assert notified(people.agent, "complaint_response_warning").count() == 1
    assert notified(people.agent, "complaint_response_breached").count() == 1
    assert notified(people.lead, "complaint_response_breached").count() == 1  # escalated
    assert AuditEvent.objects.filter(verb="complaint.response_breached").count() == 1


def test_the_periodic_task_runs_the_alerts(people, complaint_portal):
    from serviceloop.relationship.tasks_complaints import complaint_response_alerts

    complaint_portal(now=timezone.now() - datetime.timedelta(days=2))

    assert complaint_response_alerts.call_local() == {"warning": 0, "breach": 1}
    assert complaint_response_alerts.call_local() == {"warning": 0, "breach": 0}


def test_a_timely_response_stops_the_clock_and_a_late_one_is_breached(people, complaint_portal):
    timely = complaint_portal(now=local("2026-03-02 10:00"))
    late = complaint_portal(now=local("2026-03-02 10:00"))

    complaint_transition(
        actor=people.agent,
        complaint=timely,
        target="responded",
        response="Sorry.",
        now=local("2026-03-02 12:00"),
    )
    late = complaint_transition(
        actor=people.agent,
        complaint=late,
        target="responded",
        response="Sorry.",
        now=local("2026-03-04 12:00"),
    )

    assert late.response_breached
    assert complaint_response_alerts_run(now=local("2026-03-05 10:00")) == {
        "warning": 0,
        "breach": 0,
    }
    timely.refresh_from_db()
    assert not timely.response_breached


# --- Visibility and the count --------------------------------------------------------------


def test_who_sees_which_complaints(people, complaint_portal):
    own = complaint_portal()
    colleague = complaint_portal(actor=people.a_manager)
    other = complaint_portal(actor=people.b_user)

    def seen(person):
        return set(Complaint.objects.visible_to(person))

    assert seen(people.a_user) == {own}
    assert seen(people.a_manager) == {own, colleague}
    assert seen(people.b_manager) == {other}
    assert seen(people.outsider) == set()
    assert seen(people.auditor) == {own, colleague, other}


def test_complaint_count_counts_received_complaints_by_period_customer_and_service(
    people, complaint_portal
):
    vpn = Service.objects.create(code="vpn", name="VPN", status="live")
    vpn.customers.add(people.customer_a, people.customer_b)
    for when, actor, service in (
        ("2026-01-31 23:59", people.a_user, None),
        ("2026-02-01 00:00", people.a_user, vpn),
        ("2026-02-14 12:00", people.b_user, vpn),
        ("2026-02-28 23:59", people.a_manager, None),
        ("2026-03-01 00:00", people.a_user, vpn),
    ):
        complaint_portal(actor=actor, service=service, now=local(when))

    february = (datetime.date(2026, 2, 1), datetime.date(2026, 3, 1))
    assert complaint_count(*february) == 3
    assert complaint_count(*february, organisation=people.customer_a) == 2
    assert complaint_count(*february, service=vpn) == 2
    assert complaint_count(*february, organisation=people.customer_b, service=vpn) == 1
    assert complaint_count(local("2026-01-31 23:59"), local("2026-02-01 00:00")) == 1
