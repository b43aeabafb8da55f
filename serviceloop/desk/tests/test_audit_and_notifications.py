"""Every desk service writes exactly one audit row; refused input writes nothing at all; the
right people are notified, each in his own language, once the change has committed."""

import html

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.core.audit import audit_verify
from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Comment, Ticket, TicketEvent
from serviceloop.desk.services.tickets import (
    ticket_assign,
    ticket_comment,
    ticket_create,
    ticket_transition,
    ticket_update,
)


def footprint():
    """Everything a desk write may add."""
    return (
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Comment.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def ticket_audit(ticket):
    return list(
        AuditEvent.objects.filter(object_type="desk.ticket", object_id=str(ticket.pk)).order_by(
            "id"
        )
    )


SERVICE_CALLS = {
    "transition": (
        lambda t, p, d: ticket_transition(actor=p.agent, ticket=t, target=Status.IN_PROGRESS),
        "ticket.in_progress",
    ),
    "resolve": (
        lambda t, p, d: ticket_transition(
            actor=p.agent, ticket=t, target=Status.RESOLVED, note="Fixed."
        ),
        "ticket.resolved",
    ),
    "withdraw": (
        lambda t, p, d: ticket_transition(actor=p.a_user, ticket=t, target=Status.CANCELLED),
        "ticket.cancelled",
    ),
    "reply": (
        lambda t, p, d: ticket_comment(actor=p.agent, ticket=t, body="Hi."),
        "ticket.replied",
    ),
    "customer reply": (
        lambda t, p, d: ticket_comment(actor=p.a_user, ticket=t, body="Thanks."),
        "ticket.replied",
    ),
    "note": (
        lambda t, p, d: ticket_comment(actor=p.agent, ticket=t, body="Hm.", public=False),
        "ticket.noted",
    ),
    "update": (
        lambda t, p, d: ticket_update(actor=p.agent, ticket=t, title="Renamed", impact=1),
        "ticket.updated",
    ),
    "assign": (
        lambda t, p, d: ticket_assign(actor=p.lead, ticket=t, team=d.team, assignee=p.agent),
        "ticket.assigned",
    ),
}


@pytest.mark.parametrize("name", SERVICE_CALLS)
def test_each_service_writes_exactly_one_audit_row(name, raise_ticket, people, desk):
    ticket = raise_ticket()
    call, verb = SERVICE_CALLS[name]
    before = AuditEvent.objects.count()

    call(ticket, people, desk)

    assert AuditEvent.objects.count() == before + 1
    row = ticket_audit(ticket)[-1]
    assert row.verb == verb
    assert row.organisation_id == people.customer_a.pk
    assert audit_verify().ok


def test_raising_a_ticket_writes_one_audit_row_with_its_facts(raise_ticket, people, desk):
    ticket = raise_ticket(category=desk.category)

    (row,) = ticket_audit(ticket)
    assert (row.verb, row.actor) == ("ticket.created", people.agent)
    assert row.payload["reference"] == ticket.reference
    assert row.payload["sla_version"] == desk.sla.pk
    assert row.payload["team"] == desk.team.pk


def test_a_customer_reply_that_resumes_the_ticket_is_still_one_row(raise_ticket, people):
    ticket = raise_ticket()
    ticket_transition(actor=people.agent, ticket=ticket, target=Status.WAITING_CUSTOMER)
    before = AuditEvent.objects.count()

    ticket_comment(actor=people.a_user, ticket=ticket, body="Here you go.")

    assert AuditEvent.objects.count() == before + 1
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_repeated_idempotency_key_returns_the_first_ticket_and_writes_nothing(
    raise_ticket, people
):
    first = raise_ticket(idempotency_key="<abc@mail.example>")
    before = footprint()

    again = raise_ticket(idempotency_key="<abc@mail.example>", title="Another subject")

    assert again.pk == first.pk
    assert footprint() == before


REFUSED_CREATIONS = {
    "no title": {"title": "   "},
    "requester of another customer": {"requester": "b_user"},
    "impact out of range": {"impact": 7},
    "urgency out of range": {"urgency": 0},
    "unknown type": {"kind": "rumour"},
    "assignee who does not work tickets": {"assignee": "auditor"},
}


@pytest.mark.parametrize("name", REFUSED_CREATIONS)
def test_a_refused_creation_writes_nothing(name, raise_ticket, people):
    kwargs = {
        key: getattr(people, value) if key in ("requester", "assignee") else value
        for key, value in REFUSED_CREATIONS[name].items()
    }
    before = footprint()

    with pytest.raises(ValidationError):
        raise_ticket(**kwargs)

    assert footprint() == before


@pytest.mark.parametrize(
    ("actor", "organisation", "requester"),
    [
        ("auditor", "customer_a", "a_user"),  # read-only staff
        ("a_user", "customer_b", "b_user"),  # another customer's ticket
        ("a_user", "customer_a", "a_manager"),  # a plain user raising for a colleague
    ],
)
def test_raising_without_the_right_is_refused_and_writes_nothing(
    actor, organisation, requester, people, desk
):
    before = footprint()

    with pytest.raises(PermissionDenied):
        ticket_create(
            actor=getattr(people, actor),
            organisation=getattr(people, organisation),
            requester=getattr(people, requester),
            title="Sneaky",
        )

    assert footprint() == before


REFUSED_CHANGES = {
    "update with an empty title": lambda t, p, d: ticket_update(actor=p.agent, ticket=t, title=""),
    "update with an impact of 0": lambda t, p, d: ticket_update(actor=p.agent, ticket=t, impact=0),
    "update with a priority that does not exist": lambda t, p, d: ticket_update(
        actor=p.agent, ticket=t, priority="P9"
    ),
    "empty reply": lambda t, p, d: ticket_comment(actor=p.agent, ticket=t, body=""),
    "resolve without a note": lambda t, p, d: ticket_transition(
        actor=p.agent, ticket=t, target=Status.RESOLVED
    ),
    "undeclared move": lambda t, p, d: ticket_transition(
        actor=p.agent, ticket=t, target=Status.CLOSED
    ),
    "assign outside the team": lambda t, p, d: ticket_assign(
        actor=p.lead, ticket=t, team=d.team, assignee=p.admin
    ),
}


@pytest.mark.parametrize("name", REFUSED_CHANGES)
def test_a_refused_change_writes_nothing(name, raise_ticket, people, desk):
    ticket = raise_ticket()
    before = footprint()

    with pytest.raises(ValidationError):
        REFUSED_CHANGES[name](ticket, people, desk)

    assert footprint() == before
    current = Ticket.objects.get(pk=ticket.pk)
    assert (current.version, current.title, current.status, current.priority) == (
        1,
        ticket.title,
        Status.NEW,
        ticket.priority,
    )


def test_an_update_with_an_impact_beyond_the_matrix_is_a_validation_error(raise_ticket, people):
    ticket = raise_ticket()

    with pytest.raises(ValidationError):
        ticket_update(actor=people.agent, ticket=ticket, impact=9)


def test_an_edit_with_bad_input_is_explained_on_the_page(raise_ticket, people, client_for):
    ticket = raise_ticket()
    before = footprint()

    response = client_for(people.agent).post(
        reverse("ticket_edit", args=[ticket.reference]),
        {"title": "", "impact": 9, "urgency": 2},
        follow=True,
    )

    assert response.status_code == 200
    assert footprint() == before
    assert response.context["messages"]  # the form's reasons, shown on the page


class TestNotifications:
    def test_the_requester_is_notified_of_his_new_ticket_in_his_language(self, people, desk):
        english = UserFactory(
            username="a.english",
            role=Role.CUSTOMER_USER,
            organisation=people.customer_a,
            language="en",
        )
        for requester in (english, people.a_user):  # en, zh-hans
            ticket = ticket_create(
                actor=people.agent,
                organisation=people.customer_a,
                requester=requester,
                title="Printer jammed",
            )

            (notice,) = Notification.objects.filter(recipient=requester, kind="ticket_created")
            with translation.override(requester.language):
                expected = gettext("We received your request: %(title)s") % {
                    "title": "Printer jammed"
                }
            assert notice.subject == f"[{ticket.reference}] {expected}"
            assert notice.url == f"/desk/tickets/{ticket.reference}/"
        assert Notification.objects.get(recipient=english).subject.endswith(
            "We received your request: Printer jammed"
        )

    def test_the_assignee_is_notified_when_a_ticket_is_routed_to_him(self, people, desk):
        ticket = ticket_create(
            actor=people.a_user,
            organisation=people.customer_a,
            requester=people.a_user,
            title="Wi-Fi is down",
            category=desk.category,
        )

        assert ticket.assignee is not None
        notices = Notification.objects.filter(recipient=ticket.assignee, kind="ticket_assigned")
        assert notices.count() == 1
        assert ticket.reference in notices.get().subject

    def test_the_assignee_is_notified_on_assignment(self, raise_ticket, people, desk):
        ticket = raise_ticket()

        ticket_assign(actor=people.lead, ticket=ticket, team=desk.team, assignee=people.agent)

        assert (
            Notification.objects.filter(recipient=people.agent, kind="ticket_assigned").count() == 1
        )
        assert not Notification.objects.filter(recipient=people.lead).exists()

    def test_the_requester_hears_of_status_changes_and_replies_but_not_his_own(
        self, raise_ticket, people
    ):
        ticket = raise_ticket()
        ticket_comment(actor=people.agent, ticket=ticket, body="Looking into it.")
        ticket_comment(actor=people.a_user, ticket=ticket, body="Thank you.")

        kinds = list(
            Notification.objects.filter(recipient=people.a_user).values_list("kind", flat=True)
        )
        assert sorted(kinds) == ["ticket_created", "ticket_reply"]

    def test_notifications_are_mailed_only_after_the_change_commits(
        self, people, desk, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as pending:
            ticket = ticket_create(
                actor=people.agent,
                organisation=people.customer_a,
                requester=people.a_user,
                title="Mail server slow",
            )
            assert mail.outbox == []

        for callback in pending:
            callback()

        assert [m.to for m in mail.outbox] == [[people.a_user.email]]
        assert ticket.reference in mail.outbox[0].subject

    def test_a_refused_change_notifies_nobody(self, raise_ticket, people, client_for):
        ticket = raise_ticket()
        before = Notification.objects.count()

        response = client_for(people.agent).post(
            reverse("ticket_move", args=[ticket.reference]),
            {"target": Status.RESOLVED, "note": ""},
            follow=True,
        )

        with translation.override(people.agent.language):
            assert html.escape(gettext("Say why: this text is sent to the customer.")) in (
                response.content.decode()
            )
        assert Notification.objects.count() == before
