"""The agent queue: its views, keyset pagination in every sort, its query count, htmx rows."""

import base64
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.tests.factories import TeamFactory
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Ticket
from serviceloop.desk.queries import keyset_page, queue_tickets
from serviceloop.desk.tests.factories import TicketFactory

HOUR = datetime.timedelta(hours=1)


def cursor_for(value, pk) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, pk]).encode()).decode().rstrip("=")


@pytest.fixture
def board(people, desk):
    """One ticket per situation a queue view must tell apart (times relative to now)."""
    now = timezone.now()
    other_team = TeamFactory(organisation=people.provider, name="Network team")

    def ticket(**fields):
        fields.setdefault("organisation", people.customer_a)
        fields.setdefault("requester", people.a_user)
        return TicketFactory(**fields)

    return {
        "mine": ticket(assignee=people.agent, team=desk.team, status=Status.IN_PROGRESS),
        "mine_waiting": ticket(
            assignee=people.agent, team=desk.team, status=Status.WAITING_CUSTOMER
        ),
        "mine_closed": ticket(assignee=people.agent, team=desk.team, status=Status.CLOSED),
        "colleague": ticket(assignee=people.lead, team=desk.team, status=Status.ASSIGNED),
        "team_unassigned": ticket(team=desk.team, status=Status.NEW),
        "other_team": ticket(
            team=other_team,
            assignee=people.admin,
            status=Status.ASSIGNED,
            organisation=people.customer_b,
            requester=people.b_user,
        ),
        "new": ticket(status=Status.NEW, resolution_due_at=now + 5 * HOUR),
        "due_soon": ticket(status=Status.NEW, resolution_due_at=now + HOUR),
        "response_late": ticket(
            assignee=people.admin,
            status=Status.ASSIGNED,
            response_due_at=now - HOUR,
            resolution_due_at=now + 30 * HOUR,
        ),
        "resolved_late": ticket(
            status=Status.RESOLVED, resolution_due_at=None, response_due_at=now - HOUR
        ),
        "cancelled": ticket(status=Status.CANCELLED, resolution_due_at=now - HOUR),
    }


EXPECTED_VIEWS = {
    "mine": {"mine", "mine_waiting"},
    "team": {"mine", "mine_waiting", "colleague", "team_unassigned"},
    "unassigned": {"team_unassigned", "new", "due_soon"},
    "breaching": {"due_soon", "response_late"},
    "open": {
        "mine",
        "mine_waiting",
        "colleague",
        "team_unassigned",
        "other_team",
        "new",
        "due_soon",
        "response_late",
    },
}
EXPECTED_VIEWS["all"] = EXPECTED_VIEWS["open"] | {"mine_closed", "resolved_late", "cancelled"}


@pytest.mark.parametrize("view", EXPECTED_VIEWS)
def test_each_view_lists_the_right_tickets(view, board, people, client_for):
    response = client_for(people.agent).get(reverse("desk_queue"), {"view": view})

    names = {pk: name for name, pk in ((n, t.pk) for n, t in board.items())}
    listed = {names[t.pk] for t in response.context["page"].tickets}
    assert listed == EXPECTED_VIEWS[view]
    assert response.context["view"] == view


def test_the_default_view_is_my_tickets(board, people, client_for):
    response = client_for(people.agent).get(reverse("desk_queue"))

    assert {t.pk for t in response.context["page"].tickets} == {
        board["mine"].pk,
        board["mine_waiting"].pk,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": Status.NEW}, {"team_unassigned", "new", "due_soon"}),
        ({"q": "RESOLVED-REF"}, {"resolved_late"}),
        ({"q": "printer 7 IS"}, set()),
        ({"q": "jammed"}, set(EXPECTED_VIEWS["all"])),
    ],
)
def test_filters_narrow_the_view(filters, expected, board, people, client_for):
    Ticket.objects.filter(pk=board["resolved_late"].pk).update(reference="RESOLVED-REF")

    response = client_for(people.agent).get(reverse("desk_queue"), {"view": "all", **filters})

    names = {t.pk: n for n, t in board.items()}
    assert {names[t.pk] for t in response.context["page"].tickets} == expected


def test_filtering_by_customer_and_priority(board, people, client_for):
    Ticket.objects.filter(pk=board["new"].pk).update(priority="P1")
    client = client_for(people.agent)

    by_customer = client.get(
        reverse("desk_queue"), {"view": "all", "organisation": people.customer_b.pk}
    )
    by_priority = client.get(reverse("desk_queue"), {"view": "all", "priority": "P1"})

    assert [t.pk for t in by_customer.context["page"].tickets] == [board["other_team"].pk]
    assert [t.pk for t in by_priority.context["page"].tickets] == [board["new"].pk]


class TestKeysetPagination:
    @pytest.fixture
    def many(self, people):
        """120 tickets with ties in creation time (3 per minute) and in due time, and every
        fourth without a due time."""
        base = timezone.now() - datetime.timedelta(days=2)
        tickets = []
        for i in range(120):
            tickets.append(
                TicketFactory(
                    organisation=people.customer_a,
                    requester=people.a_user,
                    created_at=base + datetime.timedelta(minutes=i // 3),
                    resolution_due_at=None if i % 4 == 0 else base + (i % 7) * HOUR,
                )
            )
        return tickets

    @staticmethod
    def expected_order(tickets, sort):
        keys = {
            "newest": lambda t: (-t.created_at.timestamp(), -t.pk),
            "oldest": lambda t: (t.created_at.timestamp(), t.pk),
            "due": lambda t: (
                t.resolution_due_at is None,
                t.resolution_due_at.timestamp() if t.resolution_due_at else 0,
                t.pk,
            ),
        }
        return [t.pk for t in sorted(tickets, key=keys[sort])]

    @pytest.mark.parametrize("sort", ["newest", "oldest", "due"])
    def test_pages_of_50_walk_every_ticket_once_in_order(self, sort, many, people):
        walked, sizes, cursor = [], [], ""
        while True:
            page = keyset_page(
                queue_tickets(people.agent, view="all"), sort=sort, cursor=cursor, size=50
            )
            walked += [t.pk for t in page.tickets]
            sizes.append(len(page.tickets))
            assert page.has_previous == bool(cursor)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

        assert sizes == [50, 50, 20]
        assert len(walked) == len(set(walked)) == 120
        assert walked == self.expected_order(many, sort)

    @pytest.mark.parametrize("sort", ["newest", "oldest", "due"])
    def test_the_queue_page_walks_with_its_next_link(self, sort, many, people, client_for):
        client = client_for(people.agent)
        walked, after = [], ""
        for _step in range(5):
            response = client.get(
                reverse("desk_queue"), {"view": "all", "sort": sort, "after": after}
            )
            walked += [t.pk for t in response.context["page"].tickets]
            after = response.context["page"].next_cursor
            if after is None:
                break
            assert f"after={after}" in response.content.decode()

        assert walked == self.expected_order(many, sort)

    def test_small_pages_in_due_order_cross_into_tickets_without_due_time(self, many, people):
        walked, cursor = [], ""
        for _step in range(200):
            page = keyset_page(
                queue_tickets(people.agent, view="all"), sort="due", cursor=cursor, size=7
            )
            walked += [t.pk for t in page.tickets]
            cursor = page.next_cursor
            if cursor is None:
                break

        assert walked == self.expected_order(many, "due")

    @pytest.mark.parametrize("cursor", ["garbage", "e30", cursor_for("not a time", 3), "W10"])
    def test_a_malformed_cursor_gives_the_first_page(self, cursor, many, people, client_for):
        response = client_for(people.agent).get(
            reverse("desk_queue"), {"view": "all", "after": cursor}
        )

        assert response.status_code == 200
        assert [t.pk for t in response.context["page"].tickets] == self.expected_order(
            many, "newest"
        )[:50]

    def test_a_cursor_with_an_id_out_of_range_is_not_a_server_error(self, many, people, client_for):
        cursor = cursor_for(timezone.now().isoformat(), 10**30)

        response = client_for(people.agent).get(
            reverse("desk_queue"), {"view": "all", "after": cursor}
        )

        assert response.status_code == 200


class TestQueryCount:
    def queries_for(self, client, size, people):
        Ticket.objects.all().delete()
        for n in range(size):
            TicketFactory(
                organisation=people.customer_a if n % 2 else people.customer_b,
                requester=people.a_user if n % 2 else people.b_user,
                assignee=people.agent,
                status=Status.IN_PROGRESS,
            )
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("desk_queue"), {"view": "mine"})
        assert len(response.context["page"].tickets) == size
        return len(captured)

    def test_the_queue_costs_the_same_queries_for_1_or_50_rows(
        self, people, client_for, desk, django_assert_max_num_queries
    ):
        client = client_for(people.agent)
        client.get(reverse("desk_queue"))  # session and first-use caches warm
        one = self.queries_for(client, 1, people)
        fifty = self.queries_for(client, 50, people)

        assert fifty == one
        assert one <= 12  # 9 when written: session, user, rows, filter choices, layout
        with django_assert_max_num_queries(one):
            response = client.get(reverse("desk_queue"), {"view": "all", "sort": "due"})
        assert len(response.context["page"].tickets) == 50


class TestHtmx:
    def test_an_htmx_request_gets_only_the_rows(self, people, client_for, desk):
        for _n in range(55):
            TicketFactory(organisation=people.customer_a, requester=people.a_user)

        response = client_for(people.agent).get(
            reverse("desk_queue"), {"view": "all"}, headers={"HX-Request": "true"}
        )

        content = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in content and "<table" not in content and "<form" not in content
        assert content.count("<tr>") == 50
        assert 'id="queue-more"' in content and "hx-get=" in content

    def test_a_full_request_gets_the_page(self, people, client_for, desk):
        TicketFactory(organisation=people.customer_a, requester=people.a_user)

        response = client_for(people.agent).get(reverse("desk_queue"), {"view": "all"})

        content = response.content.decode()
        assert "<html" in content and 'data-testid="queue"' in content
        assert 'id="queue-more"' not in content
