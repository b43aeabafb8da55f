"""The SLA clock applied to tickets through the services, on China's 2026 working days.

cn-workdays: Mon-Fri 09:00-12:00 and 13:00-18:00 Asia/Shanghai; 2026: Mid-Autumn Fri Sep 25,
National Day Oct 1-7 off, make-up workday Sat Oct 10. Standard targets (minutes): P1 30/240,
P2 60/480, P3 240/1440 (update every 240), P4 480/2400; warnings at 75 %.
Every ticket is created and worked with explicit ``now=`` instants.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from serviceloop import cli
from serviceloop.core.audit import audit_verify
from serviceloop.core.models import AuditEvent
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Ticket
from serviceloop.desk.services.tickets import (
    ticket_assign,
    ticket_comment,
    ticket_transition,
    ticket_update,
)
from serviceloop.desk.sla import SLA_FIELDS, ticket_sla_refresh
from serviceloop.desk.tests.factories import SlaPolicyVersionFactory, shanghai

H = 3600
# impact, urgency → priority with the default matrix
P1 = {"impact": 1, "urgency": 1}
P2 = {"impact": 2, "urgency": 2}
P3 = {"impact": 3, "urgency": 3}
P4 = {"impact": 4, "urgency": 4}


def stored(ticket) -> dict:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {name: getattr(ticket, name) for name in SLA_FIELDS}


def assert_replay_matches(ticket, now):
    """The stored fields are exactly what a fresh replay of the history gives at ``now``."""
    fresh = Ticket.objects.select_related("sla_version__calendar").get(pk=ticket.pk)
    assert ticket_sla_refresh(fresh, now=now) == {}


DUE_CASES = [
    # created, priority, response due, resolution due, response warning, resolution warning
    pytest.param(
        "2026-09-28 17:00",
        P2,
        "2026-09-28 18:00",
        "2026-09-29 17:00",
        "2026-09-28 17:45",
        "2026-09-29 15:00",
        id="monday-evening-runs-into-tuesday",
    ),
    pytest.param(
        "2026-09-28 11:50",
        P2,
        "2026-09-28 13:50",
        "2026-09-29 11:50",
        "2026-09-28 13:35",
        "2026-09-29 09:50",
        id="lunch-break-does-not-count",
    ),
    pytest.param(
        "2026-09-30 17:00",
        P2,
        "2026-09-30 18:00",
        "2026-10-08 17:00",
        "2026-09-30 17:45",
        "2026-10-08 15:00",
        id="national-day-oct-1-7-is-skipped",
    ),
    pytest.param(
        "2026-10-09 17:00",
        P2,
        "2026-10-09 18:00",
        "2026-10-10 17:00",
        "2026-10-09 17:45",
        "2026-10-10 15:00",
        id="saturday-oct-10-is-a-make-up-workday",
    ),
    pytest.param(
        "2026-10-09 17:00",
        P4,
        "2026-10-10 17:00",
        "2026-10-15 17:00",
        "2026-10-10 15:00",
        "2026-10-14 15:00",
        id="p4-over-the-make-up-weekend",
    ),
    pytest.param(
        "2026-09-26 10:00",
        P1,
        "2026-09-28 09:30",
        "2026-09-28 14:00",
        "2026-09-28 09:22:30",
        "2026-09-28 12:00",
        id="raised-on-a-weekend-starts-monday",
    ),
    pytest.param(
        "2026-09-28 12:30",
        P1,
        "2026-09-28 13:30",
        "2026-09-28 17:00",
        "2026-09-28 13:22:30",
        "2026-09-28 16:00",
        id="raised-at-lunch-starts-at-13",
    ),
]


@pytest.mark.parametrize(
    ("created", "priority", "response_due", "resolution_due", "response_warn", "resolution_warn"),
    DUE_CASES,
)
def test_due_times_follow_the_calendar(
    created, priority, response_due, resolution_due, response_warn, resolution_warn, raise_ticket
):
    ticket = raise_ticket(now=shanghai(created), **priority)

    values = stored(ticket)
    assert values == values | {
        "response_due_at": shanghai(response_due),
        "resolution_due_at": shanghai(resolution_due),
        "response_warn_at": shanghai(response_warn),
        "resolution_warn_at": shanghai(resolution_warn),
        "response_breached": False,
        "resolution_breached": False,
        "sla_paused": False,
        "paused_seconds": 0,
    }
    assert_replay_matches(ticket, shanghai(created))


def test_a_p3_ticket_has_an_update_cadence(raise_ticket, people):
    ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P3)
    assert stored(ticket)["next_update_due_at"] == shanghai("2026-09-28 14:00")

    ticket_comment(
        actor=people.agent, ticket=ticket, body="Looking.", now=shanghai("2026-09-28 16:00")
    )

    # 4 business hours after the last public update: 16-18 Monday, 09-11 Tuesday.
    assert stored(ticket)["next_update_due_at"] == shanghai("2026-09-29 11:00")
    assert stored(ticket)["response_met_at"] == shanghai("2026-09-28 16:00")


class TestPolicyVersions:
    def test_a_ticket_keeps_its_version_when_a_new_one_is_published(
        self, raise_ticket, people, desk
    ):
        old = raise_ticket(now=shanghai("2026-09-28 09:00"), **P2)
        v2 = SlaPolicyVersionFactory(
            policy=desk.policy,
            calendar=desk.calendar,
            targets={"P2": {"response": 30, "resolution": 120}},
        )
        new = raise_ticket(now=shanghai("2026-09-28 09:00"), **P2)

        assert (v2.number, old.sla_version, new.sla_version) == (2, desk.sla, v2)
        assert stored(new)["resolution_due_at"] == shanghai("2026-09-28 11:00")

        # Working the old ticket after the publication keeps version 1's targets.
        ticket_comment(
            actor=people.agent, ticket=old, body="On it.", now=shanghai("2026-09-28 10:00")
        )
        ticket_update(
            actor=people.agent,
            ticket=old,
            title="VPN down for all",
            now=shanghai("2026-09-28 10:30"),
        )
        old.refresh_from_db()
        assert old.sla_version == desk.sla
        assert stored(old)["resolution_due_at"] == shanghai("2026-09-28 18:00")  # 8 h of v1
        assert stored(old)["response_met_at"] == shanghai("2026-09-28 10:00")
        assert_replay_matches(old, shanghai("2026-09-28 10:30"))

    def test_a_policy_of_a_lower_rank_wins_and_other_customers_fall_through(
        self, raise_ticket, people, desk
    ):
        vip = SlaPolicyVersionFactory(
            policy__name="Customer B premium",
            policy__rank=10,
            policy__organisation=people.customer_b,
            calendar=desk.calendar,
        )

        a = raise_ticket(now=shanghai("2026-09-28 09:00"))
        b = raise_ticket(
            now=shanghai("2026-09-28 09:00"),
            organisation=people.customer_b,
            requester=people.b_user,
        )

        assert (a.sla_version, b.sla_version) == (desk.sla, vip)

    def test_without_a_matching_policy_a_ticket_has_no_sla(self, raise_ticket, desk):
        desk.policy.is_active = False
        desk.policy.save()

        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"))

        assert ticket.sla_version is None
        assert stored(ticket)["resolution_due_at"] is None


class TestPauses:
    def test_waiting_for_the_customer_pauses_both_clocks_and_his_reply_resumes_them(
        self, raise_ticket, people
    ):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P2)
        ticket_comment(
            actor=people.agent, ticket=ticket, body="Which site?", now=shanghai("2026-09-28 09:20")
        )
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.WAITING_CUSTOMER,
            now=shanghai("2026-09-28 10:00"),
        )

        paused = stored(ticket)
        assert paused["sla_paused"] is True
        assert paused["resolution_due_at"] is None and paused["resolution_warn_at"] is None
        assert paused["response_met_at"] == shanghai("2026-09-28 09:20")
        assert_replay_matches(ticket, shanghai("2026-09-28 10:00"))

        ticket_comment(
            actor=people.a_user,
            ticket=ticket,
            body="Shanghai office.",
            now=shanghai("2026-09-29 09:30"),
        )

        resumed = stored(ticket)
        assert resumed["sla_paused"] is False
        # Paused Mon 10-12 and 13-18, Tue 09:00-09:30: 7.5 business hours.
        assert resumed["paused_seconds"] == int(7.5 * H)
        # 1 h consumed before the pause, 7 h left from Tue 09:30: 09:30-12, 13-17:30.
        assert resumed["resolution_due_at"] == shanghai("2026-09-29 17:30")
        assert resumed["resolution_warn_at"] == shanghai("2026-09-29 15:30")
        assert_replay_matches(ticket, shanghai("2026-09-29 09:30"))

    def test_a_supplier_pause_spanning_national_day_counts_only_working_time(
        self, raise_ticket, people
    ):
        ticket = raise_ticket(now=shanghai("2026-09-30 09:00"), **P2)
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.IN_PROGRESS,
            now=shanghai("2026-09-30 09:30"),
        )
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.WAITING_SUPPLIER,
            note="The carrier is on it.",
            now=shanghai("2026-09-30 10:00"),
        )
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.IN_PROGRESS,
            now=shanghai("2026-10-08 10:00"),
        )

        values = stored(ticket)
        assert values["paused_seconds"] == 8 * H  # Sep 30 10-12, 13-18; Oct 8 09-10
        assert values["resolution_due_at"] == shanghai("2026-10-08 18:00")
        assert_replay_matches(ticket, shanghai("2026-10-08 10:00"))

    def test_a_note_sent_with_a_waiting_move_is_the_first_response(self, raise_ticket, people):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P2)
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.WAITING_CUSTOMER,
            note="Please send us the error message.",
            now=shanghai("2026-09-28 09:10"),
        )
        ticket_comment(
            actor=people.a_user, ticket=ticket, body="Error 809.", now=shanghai("2026-09-29 11:00")
        )

        ticket.refresh_from_db()
        assert ticket.first_response_at == shanghai("2026-09-28 09:10")
        assert ticket.response_met_at == ticket.first_response_at
        assert ticket.response_due_at is None  # stopped: answered in 10 minutes
        assert ticket.response_breached is False

    def test_time_spent_resolved_does_not_count_after_a_reopen(self, raise_ticket, people):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P2)
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.RESOLVED,
            note="Fixed.",
            now=shanghai("2026-09-28 11:00"),
        )
        assert stored(ticket)["resolution_met_at"] == shanghai("2026-09-28 11:00")
        assert stored(ticket)["resolution_due_at"] is None

        ticket_transition(
            actor=people.a_user,
            ticket=ticket,
            target=Status.IN_PROGRESS,
            now=shanghai("2026-09-29 09:00"),
        )

        # 2 h used on Monday, 6 h left from Tuesday 09:00: 09-12, 13-16.
        assert stored(ticket)["resolution_due_at"] == shanghai("2026-09-29 16:00")
        assert stored(ticket)["resolution_met_at"] is None
        assert_replay_matches(ticket, shanghai("2026-09-29 09:00"))


class TestPriorityChanges:
    def test_a_raised_priority_re_targets_from_creation(self, raise_ticket, people):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P3)
        assert stored(ticket)["resolution_due_at"] == shanghai("2026-09-30 18:00")  # 24 h
        ticket_comment(
            actor=people.agent, ticket=ticket, body="Looking.", now=shanghai("2026-09-28 10:00")
        )

        ticket_update(
            actor=people.agent, ticket=ticket, impact=1, urgency=1, now=shanghai("2026-09-28 11:00")
        )

        ticket.refresh_from_db()
        assert ticket.priority == "P1"
        values = stored(ticket)
        assert values["resolution_due_at"] == shanghai("2026-09-28 14:00")  # 4 h from 09:00
        assert values["resolution_warn_at"] == shanghai("2026-09-28 12:00")
        assert values["response_met_at"] == shanghai("2026-09-28 10:00")
        assert values["next_update_due_at"] is None  # P1 has no update cadence here
        assert_replay_matches(ticket, shanghai("2026-09-28 11:00"))

    def test_a_priority_raised_after_its_new_target_passed_is_breached_at_once(
        self, raise_ticket, people
    ):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P4)

        ticket_update(
            actor=people.agent, ticket=ticket, priority="P1", now=shanghai("2026-09-29 10:00")
        )

        values = stored(ticket)
        assert values["resolution_due_at"] == shanghai("2026-09-28 14:00")
        assert values["resolution_breached"] is True
        assert values["response_breached"] is True  # no reply within P1's 30 minutes
        assert_replay_matches(ticket, shanghai("2026-09-29 10:00"))

    def test_a_lowered_priority_gives_more_time_from_creation(self, raise_ticket, people):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"), **P1)

        ticket_update(
            actor=people.agent, ticket=ticket, impact=2, urgency=2, now=shanghai("2026-09-28 09:10")
        )

        assert stored(ticket)["resolution_due_at"] == shanghai("2026-09-28 18:00")
        assert stored(ticket)["response_due_at"] == shanghai("2026-09-28 10:00")


def test_stored_fields_equal_a_fresh_replay_after_every_service_call(raise_ticket, people, desk):
    """A whole life, step by step; after each call the stored clock is the replay's."""
    t = shanghai("2026-09-30 11:00")
    ticket = raise_ticket(now=t, **P3)
    assert_replay_matches(ticket, t)
    steps = [
        ("2026-09-30 11:30", ticket_assign, {"team": desk.team, "assignee": people.agent}),
        (
            "2026-09-30 14:00",
            ticket_comment,
            {"body": "Internal: check the switch", "public": False},
        ),
        ("2026-09-30 15:00", ticket_comment, {"body": "We are on it."}),
        ("2026-09-30 16:00", ticket_transition, {"target": Status.WAITING_CUSTOMER}),
        ("2026-10-08 09:30", ticket_comment, {"body": "Logs attached.", "actor": people.a_user}),
        ("2026-10-08 10:00", ticket_update, {"impact": 2, "urgency": 2}),
        ("2026-10-08 11:00", ticket_transition, {"target": Status.WAITING_SUPPLIER}),
        ("2026-10-10 10:00", ticket_transition, {"target": Status.IN_PROGRESS}),
        ("2026-10-10 17:00", ticket_transition, {"target": Status.RESOLVED, "note": "Replaced."}),
        (
            "2026-10-12 09:00",
            ticket_transition,
            {"target": Status.IN_PROGRESS, "actor": people.a_user},
        ),
        ("2026-10-12 12:30", ticket_update, {"priority": "P1"}),
        ("2026-10-12 15:00", ticket_transition, {"target": Status.RESOLVED, "note": "Again."}),
        ("2026-10-13 09:00", ticket_transition, {"target": Status.CLOSED, "actor": people.a_user}),
    ]
    for when, service, kwargs in steps:
        kwargs = {"actor": people.agent, **kwargs}
        service(ticket=ticket, now=shanghai(when), **kwargs)
        assert_replay_matches(ticket, shanghai(when))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.resolution_breached is True  # P1's 4 h were long gone
    assert ticket.paused_seconds > 0


class TestRecomputeCommand:
    @pytest.fixture
    def tickets(self, raise_ticket, people):
        """Two resolved tickets in the period, one before it, and one open ticket raised now."""

        def resolved(created, resolved_at):
            ticket = raise_ticket(now=shanghai(created), **P2)
            return ticket_transition(
                actor=people.agent,
                ticket=ticket,
                target=Status.RESOLVED,
                note="Fixed.",
                now=shanghai(resolved_at),
            )

        return {
            "corrupted": resolved("2026-09-28 09:00", "2026-09-28 15:00"),
            "untouched": resolved("2026-09-29 09:00", "2026-09-29 10:00"),
            "before": resolved("2026-08-03 09:00", "2026-08-03 10:00"),
            "open": raise_ticket(now=timezone.now(), **P4),
        }

    @staticmethod
    def corrupt(ticket, **assignments):
        columns = ", ".join(f"{name} = %s" for name in assignments)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Ticket._meta.db_table} SET {columns} WHERE id = %s",
                [*assignments.values(), ticket.pk],
            )

    def test_it_reports_and_repairs_corrupted_figures_then_finds_nothing(self, tickets, capsys):
        truth = {name: stored(ticket) for name, ticket in tickets.items()}
        self.corrupt(tickets["corrupted"], paused_seconds=999, resolution_breached=True)
        self.corrupt(tickets["open"], resolution_due_at=None)
        self.corrupt(tickets["before"], paused_seconds=1)
        audit_rows = AuditEvent.objects.count()

        call_command("sla_recompute", "--since", "2026-09-01")
        first = capsys.readouterr().out

        assert "3 tickets checked, 2 changed." in first
        assert "  paused_seconds: 1" in first and "  resolution_due_at: 1" in first
        assert tickets["corrupted"].reference in first and tickets["open"].reference in first
        assert stored(tickets["corrupted"]) == truth["corrupted"]
        assert stored(tickets["open"]) == truth["open"]
        assert stored(tickets["untouched"]) == truth["untouched"]
        assert stored(tickets["before"])["paused_seconds"] == 1  # outside --since
        assert AuditEvent.objects.count() == audit_rows + 2
        assert set(
            AuditEvent.objects.filter(verb="ticket.sla_recomputed").values_list(
                "object_id", flat=True
            )
        ) == {str(tickets["corrupted"].pk), str(tickets["open"].pk)}
        # the batch's audit rows (one insert) extend the hash chain as single rows do
        chain = audit_verify()
        assert chain.broken_event_id is None and chain.checked >= 2, chain

        call_command("sla_recompute", "--since", "2026-09-01")
        second = capsys.readouterr().out

        assert "3 tickets checked, 0 changed." in second
        assert AuditEvent.objects.count() == audit_rows + 2

    def test_dry_run_reports_and_changes_nothing(self, tickets):
        self.corrupt(tickets["corrupted"], paused_seconds=999)
        audit_rows = AuditEvent.objects.count()
        out = io.StringIO()

        call_command("sla_recompute", "--since", "2026-09-01", "--dry-run", stdout=out)

        assert "3 tickets checked, 1 would change." in out.getvalue()
        assert stored(tickets["corrupted"])["paused_seconds"] == 999
        assert AuditEvent.objects.count() == audit_rows

    def test_until_bounds_the_period(self, tickets):
        self.corrupt(tickets["corrupted"], paused_seconds=999)
        self.corrupt(tickets["untouched"], paused_seconds=999)
        out = io.StringIO()

        call_command("sla_recompute", "--since", "2026-09-28", "--until", "2026-09-29", stdout=out)

        assert "1 tickets checked, 1 changed." in out.getvalue()
        assert stored(tickets["corrupted"])["paused_seconds"] == 0
        assert stored(tickets["untouched"])["paused_seconds"] == 999

    def test_the_cli_offers_the_command_with_its_options(self, db, capsys):
        # (Running it through the CLI would close the test's database connection.)
        with pytest.raises(SystemExit) as exited:
            cli.main(["sla-recompute", "--help"])

        assert exited.value.code == 0
        usage = capsys.readouterr().out
        assert "--since" in usage and "--until" in usage and "--dry-run" in usage

    def test_a_malformed_date_is_refused(self, db):
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("sla_recompute", "--since", "last tuesday")

    def test_the_period_is_read_in_the_local_time_zone(self, raise_ticket):
        # 07:30 in Shanghai is still the day before in UTC: the day is the local one.
        early = raise_ticket(now=shanghai("2026-09-28 07:30"))
        assert early.created_at.astimezone(datetime.UTC).day == 27
        self.corrupt(early, paused_seconds=5)
        out = io.StringIO()

        call_command("sla_recompute", "--since", "2026-09-28", "--until", "2026-09-29", stdout=out)

        assert "1 tickets checked, 1 changed." in out.getvalue()
        assert stored(early)["paused_seconds"] == 0
