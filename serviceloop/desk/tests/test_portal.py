"""The customer portal: raising a ticket and following one's own (a manager: his
organisation's)."""

import html

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from serviceloop.core.models import Notification
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Source, Ticket
from serviceloop.desk.tests.factories import PriorityMatrixFactory, TicketFactory

FORM = {
    "kind": "incident",
    "title": "ERP 报表导出失败 ERP export fails",
    "description": "Since this morning.",
    "service": "ERP",
    "urgency": 2,
    "impact": 2,
}


def portal_listing(client):
    response = client.get(reverse("portal_home"))
    assert response.status_code == 200
    return {t.reference for t in response.context["tickets"]}


class TestRaising:
    def test_a_customer_raises_a_ticket_and_sees_it_in_my_tickets(self, people, desk, client_for):
        client = client_for(people.a_user)

        response = client.post(reverse("portal_new"), FORM)

        ticket = Ticket.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("ticket_detail", args=[ticket.reference])
        assert (ticket.source, ticket.kind, ticket.status) == (
            Source.PORTAL,
            "incident",
            Status.NEW,
        )
        assert (ticket.organisation, ticket.requester) == (people.customer_a, people.a_user)
        assert ticket.priority == "P2"  # impact 2 × urgency 2 in the default matrix
        assert ticket.sla_version == desk.sla and ticket.resolution_due_at is not None
        assert portal_listing(client) == {ticket.reference}
        page = client.get(response.url)
        assert page.status_code == 200 and "ERP export fails" in page.content.decode()
        assert Notification.objects.filter(recipient=people.a_user, kind="ticket_created").exists()

    def test_the_thank_you_message_names_the_reference(self, people, desk, client_for):
        response = client_for(people.a_user).post(reverse("portal_new"), FORM, follow=True)

        ticket = Ticket.objects.get()
        with translation.override(people.a_user.language):
            message = gettext("Thank you. Your ticket %s is registered.") % ticket.reference
        assert html.escape(message) in response.content.decode()

    @pytest.mark.parametrize(
        ("impact", "urgency", "priority"), [(1, 1, "P4"), (2, 3, "P1"), (4, 4, "P3")]
    )
    def test_the_priority_comes_from_the_configured_matrix(
        self, impact, urgency, priority, people, desk, client_for
    ):
        PriorityMatrixFactory(
            matrix=[
                ["P4", "P4", "P4", "P4"],
                ["P4", "P4", "P1", "P4"],
                ["P4", "P4", "P4", "P4"],
                ["P4", "P4", "P4", "P3"],
            ]
        )

        client_for(people.a_user).post(
            reverse("portal_new"), {**FORM, "impact": impact, "urgency": urgency}
        )

        assert Ticket.objects.get().priority == priority

    def test_a_customer_cannot_raise_for_another_organisation_or_person(
        self, people, desk, client_for
    ):
        client_for(people.a_user).post(
            reverse("portal_new"),
            {
                **FORM,
                "organisation": people.customer_b.pk,
                "requester": people.b_user.pk,
                "source": "monitoring",
                "assignee": people.agent.pk,
            },
        )

        ticket = Ticket.objects.get()
        assert (ticket.organisation, ticket.requester) == (people.customer_a, people.a_user)
        assert (ticket.source, ticket.assignee) == (Source.PORTAL, None)

    @pytest.mark.parametrize(
        "bad",
        [{"title": ""}, {"urgency": 9}, {"impact": "x"}, {"kind": "rumour"}],
    )
    def test_bad_input_shows_the_form_again_and_creates_nothing(
        self, bad, people, desk, client_for
    ):
        response = client_for(people.a_user).post(reverse("portal_new"), {**FORM, **bad})

        assert response.status_code == 200
        assert response.context["form"].errors
        assert not Ticket.objects.exists()

    def test_a_customer_manager_raises_in_his_own_name(self, people, desk, client_for):
        client_for(people.a_manager).post(reverse("portal_new"), FORM)

        ticket = Ticket.objects.get()
        assert (ticket.organisation, ticket.requester) == (people.customer_a, people.a_manager)


class TestMyTickets:
    @pytest.fixture
    def tickets(self, people, desk):
        def of(requester):
            return TicketFactory(organisation=requester.organisation, requester=requester)

        return {
            "a_user": of(people.a_user),
            "a_manager": of(people.a_manager),
            "b_user": of(people.b_user),
            "outsider": of(people.outsider),
        }

    @pytest.mark.parametrize(
        ("who", "sees"),
        [
            ("a_user", {"a_user"}),
            ("a_manager", {"a_user", "a_manager"}),
            ("b_user", {"b_user"}),
            ("b_manager", {"b_user"}),
            ("outsider", {"outsider"}),
        ],
    )
    def test_each_customer_sees_his_own_and_a_manager_his_organisations(
        self, who, sees, tickets, people, client_for
    ):
        listed = portal_listing(client_for(getattr(people, who)))

        assert listed == {tickets[name].reference for name in sees}

    def test_a_manager_opens_his_colleagues_ticket(self, tickets, people, client_for):
        response = client_for(people.a_manager).get(
            reverse("ticket_detail", args=[tickets["a_user"].reference])
        )

        assert response.status_code == 200

    def test_the_manager_page_is_titled_for_the_organisation(self, tickets, people, client_for):
        manager = client_for(people.a_manager).get(reverse("portal_home"))
        user = client_for(people.a_user).get(reverse("portal_home"))

        assert manager.context["org_wide"] is True and user.context["org_wide"] is False

    def test_my_tickets_are_paged_by_25(self, people, desk, client_for):
        for _n in range(30):
            TicketFactory(organisation=people.customer_a, requester=people.a_user)
        client = client_for(people.a_user)

        first = client.get(reverse("portal_home"))
        second = client.get(reverse("portal_home"), {"page": 2})

        one = {t.pk for t in first.context["tickets"]}
        two = {t.pk for t in second.context["tickets"]}
        assert (len(one), len(two), one & two) == (25, 5, set())
