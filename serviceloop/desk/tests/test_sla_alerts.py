"""SLA warnings and breach escalations: once per ticket, target, threshold and due time.

A P1 ticket raised Mon 2026-09-28 09:00 (cn-workdays; P1: response 30 min, resolution 4 h;
warnings at 75 %): response warning 09:22:30, due 09:30; resolution warning 12:00, due 14:00.
"""

import threading

import pytest
from django.db import connection

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind, SlaAlert, Ticket, TicketEvent
from serviceloop.desk.services.sla_alerts import sla_alerts_run
from serviceloop.desk.services.tickets import ticket_comment, ticket_transition
from serviceloop.desk.sla import ticket_sla_refresh
from serviceloop.desk.tests.factories import SlaPolicyVersionFactory, shanghai

P1 = {"impact": 1, "urgency": 1}
P3 = {"impact": 3, "urgency": 3}


def alerts(ticket):
    return sorted(
        SlaAlert.objects.filter(ticket=ticket).values_list("target", "threshold", "due_at")
    )


def notified(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def audit_verbs(ticket, verb):
    return AuditEvent.objects.filter(object_id=str(ticket.pk), verb=verb).count()


@pytest.fixture
def p1_ticket(raise_ticket, people, desk):
    return raise_ticket(
        now=shanghai("2026-09-28 09:00"), team=desk.team, assignee=people.agent, **P1
    )


def test_a_warning_is_sent_once_to_the_assignee_and_the_team_lead(p1_ticket):
    first = sla_alerts_run(now=shanghai("2026-09-28 09:25"))
    second = sla_alerts_run(now=shanghai("2026-09-28 09:26"))

    assert first == {"warning": 1, "breach": 0}
    assert second == {"warning": 0, "breach": 0}
    assert alerts(p1_ticket) == [("response", "warning", shanghai("2026-09-28 09:30"))]
    assert notified("sla_warning") == ["agent", "lead"]
    assert audit_verbs(p1_ticket, "ticket.sla_warning") == 1


def test_nothing_is_sent_before_the_warning_threshold(p1_ticket):
    assert sla_alerts_run(now=shanghai("2026-09-28 09:22")) == {"warning": 0, "breach": 0}
    assert alerts(p1_ticket) == []
    assert notified("sla_warning") == []


def test_a_breach_is_acted_on_once(p1_ticket):
    sla_alerts_run(now=shanghai("2026-09-28 09:25"))

    first = sla_alerts_run(now=shanghai("2026-09-28 09:31"))
    second = sla_alerts_run(now=shanghai("2026-09-28 09:32"))

    assert first == {"warning": 0, "breach": 1}
    assert second == {"warning": 0, "breach": 0}
    assert alerts(p1_ticket) == [
        ("response", "breach", shanghai("2026-09-28 09:30")),
        ("response", "warning", shanghai("2026-09-28 09:30")),
    ]
    assert notified("sla_breach") == ["agent", "lead"]
    assert audit_verbs(p1_ticket, "ticket.sla_breach") == 1
    breach_event = TicketEvent.objects.get(ticket=p1_ticket, kind=EventKind.SLA)
    assert breach_event.to_value == "response_breached"
    ticket = Ticket.objects.get(pk=p1_ticket.pk)
    assert ticket.response_breached and not ticket.resolution_breached
    assert (ticket.assignee, ticket.priority) == (p1_ticket.assignee, "P1")  # notify only
    assert ticket_sla_refresh(ticket, now=shanghai("2026-09-28 09:31")) == {}


def test_each_target_gets_its_own_warning_and_breach(p1_ticket):
    for when in ("09:25", "09:31", "12:01", "12:02", "14:01", "14:02", "17:00"):
        sla_alerts_run(now=shanghai(f"2026-09-28 {when}"))

    assert alerts(p1_ticket) == [
        ("resolution", "breach", shanghai("2026-09-28 14:00")),
        ("resolution", "warning", shanghai("2026-09-28 14:00")),
        ("response", "breach", shanghai("2026-09-28 09:30")),
        ("response", "warning", shanghai("2026-09-28 09:30")),
    ]
    assert len(notified("sla_warning")) == len(notified("sla_breach")) == 4


def test_answered_paused_and_closed_tickets_raise_nothing(raise_ticket, people, desk):
    answered = raise_ticket(now=shanghai("2026-09-28 09:00"), assignee=people.agent, **P1)
    ticket_comment(
        actor=people.agent, ticket=answered, body="On it.", now=shanghai("2026-09-28 09:05")
    )
    paused = raise_ticket(now=shanghai("2026-09-28 09:00"), **P1)
    ticket_transition(
        actor=people.agent,
        ticket=paused,
        target=Status.WAITING_CUSTOMER,
        now=shanghai("2026-09-28 09:05"),
    )
    resolved = raise_ticket(now=shanghai("2026-09-28 09:00"), **P1)
    ticket_transition(
        actor=people.agent,
        ticket=resolved,
        target=Status.RESOLVED,
        note="Done.",
        now=shanghai("2026-09-28 09:05"),
    )

    counts = sla_alerts_run(now=shanghai("2026-09-28 09:35"))

    assert counts == {"warning": 0, "breach": 0}
    assert SlaAlert.objects.count() == 0


def test_a_due_time_moved_by_a_pause_gets_a_new_warning(p1_ticket, people):
    sla_alerts_run(now=shanghai("2026-09-28 09:25"))
    ticket_transition(
        actor=people.agent,
        ticket=p1_ticket,
        target=Status.WAITING_CUSTOMER,
        now=shanghai("2026-09-28 09:26"),
    )
    assert sla_alerts_run(now=shanghai("2026-09-28 10:00")) == {"warning": 0, "breach": 0}
    # The customer answers on Tuesday: 4 minutes of the 30 are left.
    ticket_comment(
        actor=people.a_user, ticket=p1_ticket, body="Here.", now=shanghai("2026-09-29 09:00")
    )

    assert sla_alerts_run(now=shanghai("2026-09-29 09:01")) == {"warning": 1, "breach": 0}
    assert sla_alerts_run(now=shanghai("2026-09-29 09:02")) == {"warning": 0, "breach": 0}
    assert [a for a in alerts(p1_ticket) if a[0] == "response"] == [
        ("response", "warning", shanghai("2026-09-28 09:30")),
        ("response", "warning", shanghai("2026-09-29 09:04")),
    ]


class TestEscalations:
    @pytest.fixture
    def escalating(self, raise_ticket, people, desk):
        def make(action, **priority):
            version = SlaPolicyVersionFactory(
                policy=desk.policy, calendar=desk.calendar, escalation=action
            )
            ticket = raise_ticket(
                now=shanghai("2026-09-28 09:00"),
                team=desk.team,
                assignee=people.agent,
                **(priority or P1),
            )
            assert ticket.sla_version == version
            return ticket

        return make

    def test_notify_tells_the_assignee_and_lead_and_changes_nothing(self, escalating):
        ticket = escalating("notify")

        sla_alerts_run(now=shanghai("2026-09-28 09:31"))

        after = Ticket.objects.get(pk=ticket.pk)
        assert (after.assignee_id, after.priority) == (ticket.assignee_id, "P1")
        assert notified("sla_breach") == ["agent", "lead"]

    def test_reassign_hands_the_ticket_to_the_team_lead(self, escalating, people):
        ticket = escalating("reassign")

        sla_alerts_run(now=shanghai("2026-09-28 09:31"))

        after = Ticket.objects.get(pk=ticket.pk)
        assert after.assignee == people.lead
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED, actor=None)
        assert (event.from_value, event.to_value) == (str(people.agent.pk), str(people.lead.pk))
        assert "lead" in notified("sla_breach")
        audit = AuditEvent.objects.get(verb="ticket.sla_breach", object_id=str(ticket.pk))
        assert audit.payload["changes"]["assignee"] == [people.agent.pk, people.lead.pk]

    def test_reassign_still_tells_the_agent_it_was_taken_from(self, escalating):
        escalating("reassign")

        sla_alerts_run(now=shanghai("2026-09-28 09:31"))

        assert notified("sla_breach") == ["agent", "lead"]

    def test_raise_priority_goes_one_step_and_re_targets_from_creation(self, escalating):
        ticket = escalating("raise_priority", **P3)  # response 4 h: due Mon 14:00

        assert sla_alerts_run(now=shanghai("2026-09-28 14:01")) == {"warning": 0, "breach": 1}

        after = Ticket.objects.select_related("sla_version__calendar").get(pk=ticket.pk)
        assert after.priority == "P2"
        # P2's 8 h measured from creation, Monday 09:00.
        assert after.resolution_due_at == shanghai("2026-09-28 18:00")
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY)
        assert (event.from_value, event.to_value) == ("P3", "P2")
        assert ticket_sla_refresh(after, now=shanghai("2026-09-28 14:01")) == {}

    def test_a_raised_priority_is_not_raised_again_for_the_same_missed_response(self, escalating):
        ticket = escalating("raise_priority", **P3)

        for minute in range(1, 4):
            sla_alerts_run(now=shanghai(f"2026-09-28 14:0{minute}"))

        after = Ticket.objects.get(pk=ticket.pk)
        assert after.priority == "P2"
        assert (
            SlaAlert.objects.filter(ticket=ticket, target="response", threshold="breach").count()
            == 1
        )

    def test_an_escalation_that_changes_the_ticket_bumps_its_version(self, escalating):
        ticket = escalating("reassign")

        sla_alerts_run(now=shanghai("2026-09-28 09:31"))

        assert Ticket.objects.get(pk=ticket.pk).version == ticket.version + 1


@pytest.mark.postgres
def test_four_workers_at_once_send_each_alert_exactly_once(transactional_db, people, desk):
    from serviceloop.desk.services.tickets import ticket_create

    tickets = [
        ticket_create(
            actor=people.agent,
            organisation=people.customer_a,
            requester=people.a_user,
            title=f"Outage {n}",
            team=desk.team,
            assignee=people.agent,
            now=shanghai("2026-09-28 09:00"),
            **P1,
        )
        for n in range(5)
    ]

    def run_together(now):
        barrier = threading.Barrier(4)
        results, errors = [], []

        def worker():
            try:
                barrier.wait()
                results.append(sla_alerts_run(now=now))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        return results

    warnings = run_together(shanghai("2026-09-28 09:25"))
    breaches = run_together(shanghai("2026-09-28 09:31"))

    assert sum(r["warning"] for r in warnings) == 5
    assert sum(r["breach"] for r in breaches) == 5
    assert SlaAlert.objects.filter(threshold="warning").count() == 5
    assert SlaAlert.objects.filter(threshold="breach").count() == 5
    assert Notification.objects.filter(kind="sla_warning").count() == 10  # agent + lead each
    assert Notification.objects.filter(kind="sla_breach").count() == 10
    assert AuditEvent.objects.filter(verb="ticket.sla_warning").count() == 5
    assert AuditEvent.objects.filter(verb="ticket.sla_breach").count() == 5
    assert TicketEvent.objects.filter(kind=EventKind.SLA).count() == 5
    for ticket in tickets:
        assert Ticket.objects.get(pk=ticket.pk).response_breached
