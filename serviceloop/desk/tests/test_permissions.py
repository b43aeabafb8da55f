"""Who may see and work a ticket, through the screens.

The ticket belongs to customer A and was raised by ``a_user``. ``colleague`` is another plain
user of customer A: he sees only his own tickets, so this one is a 404 for him, as for the
other organisations and the outsider. Read-only staff (system owner, auditor, top
management) read everything and get 403 on every write.
"""

import pytest
from django.urls import reverse

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Comment, Ticket
from serviceloop.desk.services.tickets import ticket_comment

AGENTS = ("admin", "lead", "agent")
READ_ONLY_STAFF = ("owner", "auditor", "top")
STAFF = AGENTS + READ_ONLY_STAFF
REQUESTER_SIDE = ("a_user", "a_manager")  # the requester, and a manager of his organisation
HIDDEN_FROM = ("colleague", "b_manager", "b_user", "outsider")
EVERYONE = STAFF + REQUESTER_SIDE + HIDDEN_FROM + ("anonymous",)


@pytest.fixture
def cast(people):
    colleague = UserFactory(
        username="a.colleague", role=Role.CUSTOMER_USER, organisation=people.customer_a
    )
    return {**people.staff, **people.customers, "colleague": colleague, "anonymous": None}


@pytest.fixture
def ticket(raise_ticket, people):
    return raise_ticket(title="Mail server slow 邮件服务器慢")


def call(client, method, url, data=None):
    return client.get(url) if method == "get" else client.post(url, data or {})


def assert_sign_in_asked(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def expected_read(who):
    if who == "anonymous":
        return 302
    return 404 if who in HIDDEN_FROM else 200


@pytest.mark.parametrize("who", EVERYONE)
def test_the_ticket_page(who, cast, ticket, client_for):
    response = client_for(cast[who]).get(reverse("ticket_detail", args=[ticket.reference]))

    if who == "anonymous":
        assert_sign_in_asked(response)
    else:
        assert response.status_code == expected_read(who)
    if response.status_code == 200:
        assert "Mail server slow" in response.content.decode()


def test_an_unknown_reference_is_404(people, client_for, desk):
    response = client_for(people.agent).get(reverse("ticket_detail", args=["INC-2026-999999"]))

    assert response.status_code == 404


class TestWrites:
    """Each POST action, for every kind of person."""

    def post(self, who, action, cast, ticket, client_for, desk):
        data = {
            "comment": {"body": "Any update? 有进展吗？"},
            "move": {
                "target": Status.CANCELLED if who in REQUESTER_SIDE else Status.IN_PROGRESS,
                "version": ticket.version,
            },
            "assign": {"team": desk.team.pk, "assignee": cast["agent"].pk},
            "edit": {"title": "Edited title", "impact": 2, "urgency": 2},
        }[action]
        return client_for(cast[who]).post(
            reverse(f"ticket_{action}", args=[ticket.reference]), data
        )

    @staticmethod
    def changed(ticket, action) -> bool:
        current = Ticket.objects.get(pk=ticket.pk)
        return {
            "comment": Comment.objects.filter(ticket=ticket).exists(),
            "move": current.status != Status.NEW,
            "assign": current.assignee_id is not None,
            "edit": current.title == "Edited title",
        }[action]

    @pytest.mark.parametrize("action", ["comment", "move", "assign", "edit"])
    @pytest.mark.parametrize("who", AGENTS)
    def test_agents_may_do_everything(self, who, action, cast, ticket, client_for, desk):
        response = self.post(who, action, cast, ticket, client_for, desk)

        assert response.status_code == 302
        assert response.url == reverse("ticket_detail", args=[ticket.reference])
        assert self.changed(ticket, action)

    @pytest.mark.parametrize("action", ["comment", "move"])
    @pytest.mark.parametrize("who", REQUESTER_SIDE)
    def test_the_requester_side_may_reply_and_move(
        self, who, action, cast, ticket, client_for, desk
    ):
        response = self.post(who, action, cast, ticket, client_for, desk)

        assert response.status_code == 302
        assert self.changed(ticket, action)

    @pytest.mark.parametrize("action", ["assign", "edit"])
    @pytest.mark.parametrize("who", REQUESTER_SIDE)
    def test_the_requester_side_may_not_assign_or_edit(
        self, who, action, cast, ticket, client_for, desk
    ):
        response = self.post(who, action, cast, ticket, client_for, desk)

        assert response.status_code == 403
        assert not self.changed(ticket, action)

    @pytest.mark.parametrize("action", ["comment", "move", "assign", "edit"])
    @pytest.mark.parametrize("who", READ_ONLY_STAFF)
    def test_read_only_staff_get_403(self, who, action, cast, ticket, client_for, desk):
        response = self.post(who, action, cast, ticket, client_for, desk)

        assert response.status_code == 403
        assert not self.changed(ticket, action)

    @pytest.mark.parametrize("action", ["comment", "move", "assign", "edit"])
    @pytest.mark.parametrize("who", HIDDEN_FROM)
    def test_others_get_404(self, who, action, cast, ticket, client_for, desk):
        response = self.post(who, action, cast, ticket, client_for, desk)

        assert response.status_code == 404
        assert not self.changed(ticket, action)

    @pytest.mark.parametrize("action", ["comment", "move", "assign", "edit"])
    def test_anonymous_visitors_are_sent_to_sign_in(self, action, cast, ticket, client_for, desk):
        response = self.post("anonymous", action, cast, ticket, client_for, desk)

        assert_sign_in_asked(response)
        assert not self.changed(ticket, action)

    @pytest.mark.parametrize("action", ["comment", "move", "assign", "edit"])
    def test_actions_answer_only_post(self, action, cast, ticket, client_for):
        response = client_for(cast["agent"]).get(
            reverse(f"ticket_{action}", args=[ticket.reference])
        )

        assert response.status_code == 405


def test_a_watcher_sees_the_ticket_but_cannot_act_on_it(cast, ticket, client_for):
    ticket.watchers.add(cast["colleague"])
    client = client_for(cast["colleague"])

    page = client.get(reverse("ticket_detail", args=[ticket.reference]))
    reply = client.post(reverse("ticket_comment", args=[ticket.reference]), {"body": "+1"})

    assert page.status_code == 200
    assert reply.status_code == 403
    assert not Comment.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_the_queue_is_for_staff(who, cast, client_for, desk):
    response = client_for(cast[who]).get(reverse("desk_queue"))

    if who == "anonymous":
        assert_sign_in_asked(response)
    else:
        assert response.status_code == (200 if who in STAFF else 403)


@pytest.mark.parametrize("who", EVERYONE)
def test_raising_a_ticket_for_a_customer_is_for_agents(who, cast, client_for, desk):
    response = client_for(cast[who]).get(reverse("ticket_new"))

    if who == "anonymous":
        assert_sign_in_asked(response)
    else:
        assert response.status_code == (200 if who in AGENTS else 403)


@pytest.mark.parametrize("who", EVERYONE)
def test_the_portal_pages(who, cast, ticket, client_for):
    home = client_for(cast[who]).get(reverse("portal_home"))
    new = client_for(cast[who]).get(reverse("portal_new"))

    if who == "anonymous":
        assert_sign_in_asked(home)
        assert_sign_in_asked(new)
        return
    assert home.status_code == 200
    listed = ticket.reference in home.content.decode()
    assert listed == (who in STAFF or who in REQUESTER_SIDE)
    assert new.status_code == (403 if who in STAFF else 200)


class TestInternalNotes:
    SECRET = "Internal: the customer's firewall is misconfigured"

    @pytest.fixture
    def noted(self, ticket, people):
        ticket_comment(actor=people.agent, ticket=ticket, body=self.SECRET, public=False)
        ticket_comment(actor=people.agent, ticket=ticket, body="We are looking into it.")
        return ticket

    @pytest.mark.parametrize("who", REQUESTER_SIDE)
    def test_customers_never_see_internal_notes(self, who, cast, noted, client_for):
        page = client_for(cast[who]).get(reverse("ticket_detail", args=[noted.reference]))

        content = page.content.decode()
        assert page.status_code == 200
        assert "We are looking into it." in content
        assert "firewall" not in content
        assert all(event.kind != "note" for event, _comment in page.context["timeline"])

    @pytest.mark.parametrize("who", STAFF)
    def test_staff_see_internal_notes(self, who, cast, noted, client_for):
        page = client_for(cast[who]).get(reverse("ticket_detail", args=[noted.reference]))

        assert "firewall" in page.content.decode()

    def test_the_requester_is_not_notified_of_an_internal_note(self, noted, people):
        kinds = set(people.a_user.notifications.values_list("kind", flat=True))

        assert "ticket_note" not in kinds
        assert "ticket_reply" in kinds

    def test_a_customer_cannot_post_an_internal_note_through_the_page(
        self, ticket, people, client_for
    ):
        client_for(people.a_user).post(
            reverse("ticket_comment", args=[ticket.reference]),
            {"body": "Please keep this private", "internal": "on"},
        )

        assert Comment.objects.get(ticket=ticket).is_public
