"""The ticket lifecycle through its services and the ticket page.

Every declared transition is tried for every role (agent, requester, system): allowed for
the roles the table names, refused for the others; every undeclared move is refused for all.
"""

import datetime
import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.core.models import AuditEvent
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.desk.lifecycle import AGENT, REQUESTER, SYSTEM, TRANSITIONS, Status
from serviceloop.desk.models import Comment, EventKind, Ticket, TicketEvent
from serviceloop.desk.services.tickets import (
    StaleTicket,
    ticket_assign,
    ticket_comment,
    ticket_transition,
    ticket_update,
)
from serviceloop.desk.tests.factories import TicketFactory, shanghai

ROLES = (AGENT, REQUESTER, SYSTEM)
DECLARED = {(t.source, t.target, role) for t in TRANSITIONS for role in t.who}
PAIRS = sorted({(t.source, t.target) for t in TRANSITIONS})
NEEDS_NOTE = {(t.source, t.target, role) for t in TRANSITIONS for role in t.who if t.needs_note}
UNDECLARED = sorted(
    (source, target)
    for source in Status.values
    for target in Status.values
    if (source, target) not in PAIRS
)


def actor_for(role, people):
    return {AGENT: people.agent, REQUESTER: people.a_user, SYSTEM: None}[role]


def ticket_in(status, people, **fields):
    resolved = datetime.timedelta(hours=1) if status == Status.RESOLVED else None
    ticket = TicketFactory(
        organisation=people.customer_a, requester=people.a_user, status=status, **fields
    )
    if resolved is not None:
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=ticket.created_at - resolved)
        ticket.refresh_from_db()
    return ticket


def writes(ticket):
    """What a refused move must not have added: events, comments and audit rows."""
    return (
        TicketEvent.objects.filter(ticket=ticket).count(),
        Comment.objects.filter(ticket=ticket).count(),
        AuditEvent.objects.filter(object_type="desk.ticket", object_id=str(ticket.pk)).count(),
    )


def shown(response, message: str, language: str = "zh-hans") -> bool:
    with translation.override(language):
        return html.escape(gettext(message)) in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_each_declared_transition_is_allowed_exactly_for_its_roles(source, target, role, people):
    ticket = ticket_in(source, people)
    actor = actor_for(role, people)
    note = "Replaced the switch port." if (source, target, role) in NEEDS_NOTE else ""
    before = writes(ticket)

    if (source, target, role) in DECLARED:
        moved = ticket_transition(actor=actor, ticket=ticket, target=target, note=note)

        ticket.refresh_from_db()
        assert moved.status == ticket.status == target
        assert ticket.version == 2
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS)
        assert (event.from_value, event.to_value) == (source, target)
        assert (
            AuditEvent.objects.filter(verb=f"ticket.{target}", object_id=str(ticket.pk)).count()
            == 1
        )
    else:
        with pytest.raises(ValidationError) as refused:
            ticket_transition(actor=actor, ticket=ticket, target=target, note="A reason.")

        assert "status" in refused.value.message_dict
        ticket.refresh_from_db()
        assert (ticket.status, ticket.version) == (source, 1)
        assert writes(ticket) == before


def test_every_undeclared_move_is_refused_for_every_role(people):
    assert UNDECLARED, "the table should not allow every move"
    for source in {s for s, _t in UNDECLARED}:
        ticket = ticket_in(source, people)
        for target in (t for s, t in UNDECLARED if s == source):
            for role in ROLES:
                with pytest.raises(ValidationError):
                    ticket_transition(
                        actor=actor_for(role, people), ticket=ticket, target=target, note="Why."
                    )
        ticket.refresh_from_db()
        assert (ticket.status, ticket.version) == (source, 1)
        assert writes(ticket) == (0, 0, 0)


def test_an_unknown_target_status_is_refused_with_a_message(people):
    ticket = ticket_in(Status.NEW, people)

    with pytest.raises(ValidationError) as refused:
        ticket_transition(actor=people.agent, ticket=ticket, target="exploded", note="x")

    assert "exploded" in refused.value.message_dict["status"][0]


@pytest.mark.parametrize("actor_name", ["auditor", "top", "owner", "b_user", "outsider"])
def test_people_without_a_role_on_the_ticket_cannot_move_it(actor_name, people):
    ticket = ticket_in(Status.NEW, people)
    colleague = UserFactory(role=Role.CUSTOMER_USER, organisation=people.customer_a)

    for actor in (getattr(people, actor_name), colleague):
        with pytest.raises(PermissionDenied):
            ticket_transition(actor=actor, ticket=ticket, target=Status.IN_PROGRESS)

    assert writes(ticket) == (0, 0, 0)


def test_a_customer_manager_acts_as_requester_on_his_organisations_tickets(people):
    ticket = ticket_in(Status.RESOLVED, people)

    ticket_transition(actor=people.a_manager, ticket=ticket, target=Status.CLOSED)

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


@pytest.mark.parametrize(
    ("source", "target"),
    [(t.source, t.target) for t in TRANSITIONS if t.needs_note and AGENT in t.who],
)
@pytest.mark.parametrize("note", ["", "   \n "])
def test_resolving_and_cancelling_need_a_note(source, target, note, people):
    ticket = ticket_in(source, people)

    with pytest.raises(ValidationError) as refused:
        ticket_transition(actor=people.agent, ticket=ticket, target=target, note=note)

    assert "note" in refused.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == source
    assert writes(ticket) == (0, 0, 0)


def test_the_resolution_note_is_stored_and_sent_as_a_public_reply(people):
    ticket = ticket_in(Status.IN_PROGRESS, people)

    ticket_transition(
        actor=people.agent, ticket=ticket, target=Status.RESOLVED, note="  Rebooted the router. "
    )

    ticket.refresh_from_db()
    assert ticket.resolution == "Rebooted the router."
    assert ticket.resolved_at is not None
    reply = Comment.objects.get(ticket=ticket)
    assert (reply.body, reply.is_public, reply.author) == (
        "Rebooted the router.",
        True,
        people.agent,
    )
    assert ticket.first_response_at is not None  # the resolution is the provider's answer


def test_the_requester_withdraws_a_new_ticket_without_a_note(people):
    ticket = ticket_in(Status.NEW, people)

    ticket_transition(actor=people.a_user, ticket=ticket, target=Status.CANCELLED)

    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED


class TestReopen:
    @pytest.fixture
    def resolved(self, raise_ticket, people):
        def make():
            ticket = raise_ticket(now=shanghai("2026-09-28 09:00"))
            return ticket_transition(
                actor=people.agent,
                ticket=ticket,
                target=Status.RESOLVED,
                note="Fixed.",
                now=shanghai("2026-09-28 10:00"),
            )

        return make

    def test_the_requester_reopens_within_the_reopen_period(self, resolved, people, settings):
        limit = datetime.timedelta(days=settings.DESK_REOPEN_DAYS)
        ticket = resolved()

        ticket_transition(
            actor=people.a_user,
            ticket=ticket,
            target=Status.IN_PROGRESS,
            now=shanghai("2026-09-28 10:00") + limit,  # the last second of the period
        )

        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROGRESS
        assert ticket.resolved_at is None

    def test_the_requester_cannot_reopen_after_the_period(self, resolved, people, settings):
        settings.DESK_REOPEN_DAYS = 3
        ticket = resolved()

        with pytest.raises(ValidationError) as refused:
            ticket_transition(
                actor=people.a_user,
                ticket=ticket,
                target=Status.IN_PROGRESS,
                now=shanghai("2026-10-01 10:00:01"),
            )

        assert "status" in refused.value.message_dict
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED

    def test_an_agent_may_reopen_after_the_period(self, resolved, people, settings):
        ticket = resolved()
        late = shanghai("2026-09-28 10:00") + datetime.timedelta(
            days=settings.DESK_REOPEN_DAYS, seconds=1
        )

        ticket_transition(actor=people.agent, ticket=ticket, target=Status.IN_PROGRESS, now=late)

        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROGRESS


class TestReplies:
    def test_a_customer_reply_resumes_a_ticket_waiting_for_him(self, raise_ticket, people):
        ticket = raise_ticket(now=shanghai("2026-09-28 09:00"))
        ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.WAITING_CUSTOMER,
            now=shanghai("2026-09-28 10:00"),
        )
        ticket.refresh_from_db()
        assert ticket.sla_paused

        ticket_comment(
            actor=people.a_user,
            ticket=ticket,
            body="Here is the log.",
            now=shanghai("2026-09-28 14:00"),
        )

        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROGRESS
        assert not ticket.sla_paused
        assert ticket.paused_seconds == 3 * 3600  # 10-12 and 13-14: the lunch hour is off
        last = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).last()
        assert (last.from_value, last.to_value, last.actor) == (
            Status.WAITING_CUSTOMER,
            Status.IN_PROGRESS,
            people.a_user,
        )

    def test_an_agent_reply_does_not_resume_a_ticket_waiting_for_the_customer(
        self, raise_ticket, people
    ):
        ticket = raise_ticket()
        ticket_transition(actor=people.agent, ticket=ticket, target=Status.WAITING_CUSTOMER)

        ticket_comment(actor=people.agent, ticket=ticket, body="Any news?")

        ticket.refresh_from_db()
        assert ticket.status == Status.WAITING_CUSTOMER and ticket.sla_paused

    @pytest.mark.parametrize("final", [Status.CLOSED, Status.CANCELLED])
    @pytest.mark.parametrize("author", ["a_user", "agent"])
    def test_closed_tickets_take_no_replies(self, final, author, people):
        ticket = ticket_in(final, people)

        with pytest.raises(ValidationError) as refused:
            ticket_comment(actor=getattr(people, author), ticket=ticket, body="Hello?")

        assert "body" in refused.value.message_dict
        assert writes(ticket) == (0, 0, 0)

    def test_an_empty_reply_is_refused(self, people):
        ticket = ticket_in(Status.IN_PROGRESS, people)

        with pytest.raises(ValidationError):
            ticket_comment(actor=people.a_user, ticket=ticket, body="  ")

        assert writes(ticket) == (0, 0, 0)

    def test_a_customer_cannot_write_an_internal_note(self, people):
        ticket = ticket_in(Status.IN_PROGRESS, people)

        comment = ticket_comment(actor=people.a_user, ticket=ticket, body="Secret?", public=False)

        assert comment.is_public


class TestOptimisticConcurrency:
    def test_a_stale_version_is_refused_by_every_writing_service(self, raise_ticket, people, desk):
        ticket = raise_ticket()
        read_version = ticket.version
        ticket_comment(actor=people.lead, ticket=ticket, body="I look at it.")  # saves first
        before = writes(ticket)

        with pytest.raises(StaleTicket):
            ticket_transition(
                actor=people.agent,
                ticket=ticket,
                target=Status.IN_PROGRESS,
                expected_version=read_version,
            )
        with pytest.raises(StaleTicket):
            ticket_update(
                actor=people.agent, ticket=ticket, title="New", expected_version=read_version
            )
        with pytest.raises(StaleTicket):
            ticket_assign(
                actor=people.agent,
                ticket=ticket,
                team=desk.team,
                assignee=people.agent,
                expected_version=read_version,
            )

        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and ticket.title != "New"
        assert ticket.assignee is None
        assert writes(ticket) == before

    def test_the_current_version_is_accepted(self, raise_ticket, people):
        ticket = raise_ticket()

        moved = ticket_transition(
            actor=people.agent,
            ticket=ticket,
            target=Status.IN_PROGRESS,
            expected_version=ticket.version,
        )

        assert moved.status == Status.IN_PROGRESS
        assert moved.version == ticket.version + 1

    def test_the_ticket_page_says_when_someone_else_saved_first(
        self, raise_ticket, people, client_for
    ):
        ticket = raise_ticket()
        client = client_for(people.agent)
        page = client.get(reverse("ticket_detail", args=[ticket.reference]))
        assert f'name="version" value="{ticket.version}"' in page.content.decode()
        ticket_comment(actor=people.lead, ticket=ticket, body="Taking a look.")

        response = client.post(
            reverse("ticket_move", args=[ticket.reference]),
            {"target": Status.IN_PROGRESS, "version": ticket.version},
            follow=True,
        )

        assert response.status_code == 200
        assert shown(
            response, "Someone else changed this ticket meanwhile; check it and try again."
        )
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW

    def test_the_ticket_page_moves_a_ticket_with_the_current_version(
        self, raise_ticket, people, client_for
    ):
        ticket = raise_ticket()

        response = client_for(people.agent).post(
            reverse("ticket_move", args=[ticket.reference]),
            {"target": Status.RESOLVED, "note": "Done.", "version": ticket.version},
            follow=True,
        )

        assert shown(response, "Status changed.")
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED and ticket.resolution == "Done."

    def test_the_ticket_page_explains_a_refused_move(self, raise_ticket, people, client_for):
        ticket = raise_ticket()

        response = client_for(people.agent).post(
            reverse("ticket_move", args=[ticket.reference]),
            {"target": Status.RESOLVED, "version": ticket.version},
            follow=True,
        )

        assert shown(response, "Say why: this text is sent to the customer.")
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW
