"""The tickets API under /api/v1/tickets/: who sees and changes what (404 across
organisations, 403 for read-only staff), filters and cursor pages, ETag/If-Match (428,
412), Idempotency-Key replays, comments, the SLA status, and the OpenAPI schema."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from serviceloop.core.models import AuditEvent
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Comment, Source, Ticket
from serviceloop.desk.services.tickets import ticket_transition

URL = "/api/v1/tickets/"


@pytest.fixture
def tickets(people, raise_ticket):
    """Customer A: one ticket of a_user, one of a_manager; customer B: one of b_user."""
    return {
        "a_user": raise_ticket(title="VPN is down"),
        "a_manager": raise_ticket(requester=people.a_manager, title="Printer jammed"),
        "b_user": raise_ticket(
            organisation=people.customer_b, requester=people.b_user, title="Mail bounces"
        ),
    }


def detail(ticket, suffix=""):
    return f"{URL}{ticket.reference}/{suffix}"


def references(response):
    return sorted(row["reference"] for row in response.json()["results"])


# --- Reading ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("agent", {"a_user", "a_manager", "b_user"}),
        ("auditor", {"a_user", "a_manager", "b_user"}),
        ("a_manager", {"a_user", "a_manager"}),
        ("a_user", {"a_user"}),
        ("b_user", {"b_user"}),
        ("outsider", set()),
    ],
)
def test_lists_show_only_what_the_user_may_see(people, tickets, api_client_for, name, sees):
    response = api_client_for(getattr(people, name)).get(URL)

    assert response.status_code == 200
    assert references(response) == sorted(tickets[k].reference for k in sees)


@pytest.mark.parametrize("name", ["b_user", "b_manager", "outsider", "a_user"])
def test_other_peoples_tickets_are_404_on_every_endpoint(people, tickets, api_client_for, name):
    ticket = tickets["a_manager"]  # a_user is not its requester nor a watcher
    client = api_client_for(getattr(people, name))
    headers = {"HTTP_IF_MATCH": f'"{ticket.version}"'}

    answers = {
        "get": client.get(detail(ticket)).status_code,
        "comments": client.get(detail(ticket, "comments/")).status_code,
        "sla": client.get(detail(ticket, "sla/")).status_code,
        "patch": client.patch(detail(ticket), {"title": "x"}, format="json", **headers).status_code,
        "comment": client.post(
            detail(ticket, "comments/"), {"body": "hi"}, format="json", **headers
        ).status_code,
        "transition": client.post(
            detail(ticket, "transition/"), {"target": "cancelled"}, format="json", **headers
        ).status_code,
        "assign": client.post(detail(ticket, "assign/"), {}, format="json", **headers).status_code,
    }

    assert set(answers.values()) == {404}, answers
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_anonymous_callers_are_refused(tickets):
    client = APIClient()

    answers = [
        client.get(URL).status_code,
        client.get(detail(tickets["a_user"])).status_code,
        client.post(URL, {"title": "x"}, format="json").status_code,
    ]

    assert set(answers) <= {401, 403} and answers[0] in (401, 403)
    assert Ticket.objects.count() == 3


def test_a_ticket_carries_its_version_as_etag(people, tickets, api_client_for):
    ticket = tickets["a_user"]

    response = api_client_for(people.a_user).get(detail(ticket))

    assert response.status_code == 200
    assert response["ETag"] == f'"{ticket.version}"'
    body = response.json()
    assert body["id"] == str(ticket.uuid) and body["version"] == ticket.version
    assert body["organisation"] == str(people.customer_a.uuid)
    assert body["requester"] == str(people.a_user.uuid)
    assert body["status"] == "new" and body["kind"] == "incident"


def test_filters_narrow_the_list(people, desk, tickets, raise_ticket, api_client_for):
    assigned = raise_ticket(title="Assigned one", team=desk.team, assignee=people.agent)
    urgent = raise_ticket(title="Urgent one", impact=1, urgency=1)
    old = Ticket.objects.filter(pk=tickets["b_user"].pk)
    old.update(created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    client = api_client_for(people.agent)

    def refs(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return references(response)

    assert refs(organisation=str(people.customer_b.uuid)) == [tickets["b_user"].reference]
    assert refs(assignee=str(people.agent.uuid)) == [assigned.reference]
    assert refs(team=str(desk.team.uuid)) == [assigned.reference]
    assert refs(priority="P1") == [urgent.reference]
    assert refs(status="assigned") == [assigned.reference]
    assert refs(status=["assigned", "new"]) == refs()
    assert refs(kind="request") == []
    assert refs(created_before="2025-06-01T00:00:00Z") == [tickets["b_user"].reference]
    assert tickets["b_user"].reference not in refs(created_after="2025-06-01T00:00:00Z")
    assert client.get(URL, {"status": "nonsense"}).status_code == 400
    assert client.get(URL, {"organisation": "not-a-uuid"}).status_code == 400


def test_cursor_pages_walk_every_ticket_once_newest_first(people, raise_ticket, api_client_for):
    made = [raise_ticket(title=f"Ticket {n}") for n in range(5)]
    client = api_client_for(people.agent)

    seen, url = [], f"{URL}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["reference"] for row in page["results"]]
        url = page["next"]

    assert seen == [t.reference for t in reversed(made)]


def test_the_list_costs_the_same_queries_for_any_page_size(people, raise_ticket, api_client_for):
    for n in range(6):
        raise_ticket(title=f"Ticket {n}")
    client = api_client_for(people.agent)

    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"page_size": size}).status_code == 200
        return len(captured)

    assert queries(2) == queries(6)


# --- Creating ---------------------------------------------------------------------------


def test_a_customer_raises_a_ticket_for_himself(people, desk, api_client_for):
    response = api_client_for(people.a_user).post(
        URL, {"title": "Laptop is slow", "urgency": 2}, format="json"
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert (ticket.organisation, ticket.requester, ticket.source) == (
        people.customer_a,
        people.a_user,
        Source.API,
    )
    assert response["Location"] == f"/api/v1/tickets/{ticket.reference}/"
    assert response["ETag"] == f'"{ticket.version}"'
    assert AuditEvent.objects.filter(verb="ticket.created", object_id=str(ticket.pk)).count() == 1


def test_an_agent_raises_a_ticket_for_a_customer(people, desk, api_client_for):
    client = api_client_for(people.agent)

    without_requester = client.post(URL, {"title": "x"}, format="json")
    with_requester = client.post(
        URL,
        {"title": "Switch down", "requester": str(people.b_user.uuid), "category": "Network"},
        format="json",
    )

    assert without_requester.status_code == 400
    assert "requester" in without_requester.json()
    assert with_requester.status_code == 201, with_requester.content
    body = with_requester.json()
    assert body["organisation"] == str(people.customer_b.uuid)
    assert body["team"] == str(desk.team.uuid) and body["category"] == "Network"


def test_customers_cannot_raise_for_other_organisations(people, desk, api_client_for):
    client = api_client_for(people.a_manager)

    foreign = client.post(
        URL, {"title": "x", "organisation": str(people.customer_b.uuid)}, format="json"
    )
    routed = client.post(URL, {"title": "x", "team": str(desk.team.uuid)}, format="json")

    assert foreign.status_code == 400 and "organisation" in foreign.json()
    assert routed.status_code == 400
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("name", ["auditor", "owner", "top"])
def test_read_only_staff_cannot_create(people, desk, api_client_for, name):
    response = api_client_for(getattr(people, name)).post(
        URL, {"title": "x", "requester": str(people.a_user.uuid)}, format="json"
    )

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_validation_errors_speak_the_users_language(people, desk):
    people.agent.language = "en"
    people.agent.save()
    english, chinese = APIClient(), APIClient()
    english.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=people.agent)}")
    chinese.force_login(people.a_user)  # zh-hans, the default

    in_english = english.post(URL, {"requester": str(people.a_user.uuid)}, format="json")
    in_chinese = chinese.post(URL, {}, format="json")

    assert in_english.status_code == in_chinese.status_code == 400
    assert in_english.json()["title"] == ["This field is required."]
    assert in_chinese.json()["title"] == ["该字段是必填项。"]


def test_an_idempotency_key_replays_the_first_ticket(people, desk, api_client_for):
    client = api_client_for(people.a_user)
    body = {"title": "Wi-Fi drops every hour"}

    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
    other_key = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-43")
    other_org = api_client_for(people.b_user).post(
        URL, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-42"
    )

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json() and second["ETag"] == first["ETag"]
    assert second["Idempotent-Replayed"] == "true"
    assert other_key.status_code == other_org.status_code == 201
    assert Ticket.objects.count() == 3
    assert AuditEvent.objects.filter(verb="ticket.created").count() == 3


def test_a_key_used_by_someone_who_may_not_see_the_ticket_is_a_conflict(
    people, desk, api_client_for
):
    api_client_for(people.a_manager).post(
        URL, {"title": "Manager's"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    response = api_client_for(people.a_user).post(
        URL, {"title": "User's"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 409
    assert "Manager" not in response.content.decode()
    assert Ticket.objects.count() == 1


def test_a_malformed_idempotency_key_is_refused(people, desk, api_client_for):
    response = api_client_for(people.a_user).post(
        URL, {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 191
    )

    assert response.status_code == 400
    assert not Ticket.objects.exists()


# --- Changing: ETag / If-Match ------------------------------------------------------------


def test_changes_without_if_match_get_428(people, tickets, api_client_for):
    ticket = tickets["a_user"]
    people.agent.language = "en"
    people.agent.save()
    client = api_client_for(people.agent)

    answers = [
        client.patch(detail(ticket), {"title": "x"}, format="json"),
        client.post(detail(ticket, "transition/"), {"target": "in_progress"}, format="json"),
        client.post(detail(ticket, "assign/"), {}, format="json"),
        client.post(detail(ticket, "comments/"), {"body": "hi"}, format="json"),
    ]

    assert [r.status_code for r in answers] == [428] * 4
    assert "If-Match" in answers[0].json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version
    assert not Comment.objects.exists()


def test_stale_changes_get_412_with_the_current_etag(people, tickets, api_client_for):
    ticket = tickets["a_user"]
    client = api_client_for(people.agent)
    stale = {"HTTP_IF_MATCH": f'"{ticket.version}"'}
    ticket_transition(actor=people.agent, ticket=ticket, target=Status.IN_PROGRESS)
    current = Ticket.objects.get(pk=ticket.pk).version

    answers = [
        client.patch(detail(ticket), {"title": "x"}, format="json", **stale),
        client.post(
            detail(ticket, "transition/"), {"target": "waiting_customer"}, format="json", **stale
        ),
        client.post(detail(ticket, "assign/"), {}, format="json", **stale),
        client.post(detail(ticket, "comments/"), {"body": "hi"}, format="json", **stale),
    ]

    assert [r.status_code for r in answers] == [412] * 4
    assert {r["ETag"] for r in answers} == {f'"{current}"'}
    assert answers[0].json()["current_version"] == current
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.version, after.title, after.status) == (current, ticket.title, "in_progress")
    assert not Comment.objects.exists()


def test_an_agent_patches_details_with_the_right_etag(people, tickets, api_client_for):
    ticket = tickets["a_user"]
    client = api_client_for(people.agent)

    response = client.patch(
        detail(ticket),
        {"title": "VPN down for the whole floor", "impact": 1, "urgency": 1},
        format="json",
        HTTP_IF_MATCH=f'"{ticket.version}"',
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "VPN down for the whole floor" and body["priority"] == "P1"
    assert body["version"] == ticket.version + 1
    assert response["ETag"] == f'"{ticket.version + 1}"'
    bad = client.patch(detail(ticket), {"impact": 9}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert bad.status_code == 400 and "impact" in bad.json()


@pytest.mark.parametrize("name", ["auditor", "owner", "top", "a_user"])
def test_read_only_users_and_customers_cannot_patch_or_assign(
    people, tickets, api_client_for, name
):
    ticket = tickets["a_user"]
    client = api_client_for(getattr(people, name))
    headers = {"HTTP_IF_MATCH": f'"{ticket.version}"'}

    patch = client.patch(detail(ticket), {"title": "x"}, format="json", **headers)
    assign = client.post(detail(ticket, "assign/"), {}, format="json", **headers)

    assert (patch.status_code, assign.status_code) == (403, 403)
    assert Ticket.objects.get(pk=ticket.pk).title == ticket.title


@pytest.mark.parametrize("name", ["auditor", "owner", "top"])
def test_read_only_staff_cannot_comment_or_transition(people, tickets, api_client_for, name):
    ticket = tickets["a_user"]
    client = api_client_for(getattr(people, name))
    headers = {"HTTP_IF_MATCH": f'"{ticket.version}"'}

    answers = [
        client.post(detail(ticket, "comments/"), {"body": "x"}, format="json", **headers),
        client.post(
            detail(ticket, "transition/"), {"target": "cancelled"}, format="json", **headers
        ),
    ]

    assert [r.status_code for r in answers] == [403, 403]
    assert client.get(detail(ticket)).status_code == 200  # reading is fine


def test_transition_follows_the_lifecycle(people, tickets, api_client_for):
    ticket = tickets["a_user"]
    agent = api_client_for(people.agent)

    started = agent.post(
        detail(ticket, "transition/"),
        {"target": "in_progress"},
        format="json",
        HTTP_IF_MATCH=f'"{ticket.version}"',
    )
    no_note = agent.post(
        detail(ticket, "transition/"), {"target": "resolved"}, format="json", HTTP_IF_MATCH="*"
    )
    customer_resolves = api_client_for(people.a_user).post(
        detail(ticket, "transition/"),
        {"target": "resolved", "note": "done"},
        format="json",
        HTTP_IF_MATCH=started["ETag"],
    )

    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert no_note.status_code == 400 and "note" in no_note.json()
    assert customer_resolves.status_code == 400 and "status" in customer_resolves.json()
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_an_agent_assigns_a_ticket(people, desk, tickets, api_client_for):
    ticket = tickets["a_user"]

    response = api_client_for(people.lead).post(
        detail(ticket, "assign/"),
        {"team": str(desk.team.uuid), "assignee": str(people.agent.uuid)},
        format="json",
        HTTP_IF_MATCH=f'"{ticket.version}"',
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignee"] == str(people.agent.uuid) and body["status"] == "assigned"


# --- Comments ---------------------------------------------------------------------------


def test_replies_and_internal_notes(people, tickets, api_client_for):
    ticket = tickets["a_user"]
    agent, customer = api_client_for(people.agent), api_client_for(people.a_user)

    note = agent.post(
        detail(ticket, "comments/"),
        {"body": "Looks like the VPN concentrator", "internal": True},
        format="json",
        HTTP_IF_MATCH=f'"{ticket.version}"',
    )
    reply = agent.post(
        detail(ticket, "comments/"),
        {"body": "We are on it."},
        format="json",
        HTTP_IF_MATCH=note["ETag"],
    )
    answer = customer.post(
        detail(ticket, "comments/"),
        {"body": "Thanks!", "internal": True},  # customers always reply publicly
        format="json",
        HTTP_IF_MATCH=reply["ETag"],
    )

    assert [r.status_code for r in (note, reply, answer)] == [201, 201, 201]
    assert note.json()["internal"] is True and answer.json()["internal"] is False
    assert answer["ETag"] == f'"{Ticket.objects.get(pk=ticket.pk).version}"'
    staff_view = [c["body"] for c in agent.get(detail(ticket, "comments/")).json()["results"]]
    customer_view = [c["body"] for c in customer.get(detail(ticket, "comments/")).json()["results"]]
    assert staff_view == ["Looks like the VPN concentrator", "We are on it.", "Thanks!"]
    assert customer_view == ["We are on it.", "Thanks!"]
    assert Comment.objects.get(body="Thanks!").source == Source.API


# --- SLA status -------------------------------------------------------------------------


def test_the_sla_status_is_replayed_as_of_now(people, desk, raise_ticket, api_client_for):
    ticket = raise_ticket(impact=1, urgency=1)  # P1: 30 min response, 240 min resolution
    ticket_transition(actor=people.agent, ticket=ticket, target=Status.WAITING_CUSTOMER)

    response = api_client_for(people.a_user).get(detail(ticket, "sla/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["policy"], body["policy_version"], body["calendar"]) == (
        "Standard",
        1,
        "cn-workdays",
    )
    assert body["paused"] is True
    assert body["response"]["target_seconds"] == 30 * 60
    assert body["resolution"]["target_seconds"] == 240 * 60
    assert body["resolution"]["due_at"] is None  # paused: no due instant
    assert body["resolution"]["consumed_seconds"] >= 0 and body["resolution"]["breached"] is False
    assert response["ETag"] == f'"{Ticket.objects.get(pk=ticket.pk).version}"'


def test_a_ticket_without_an_sla_says_so(people, tickets, api_client_for):
    ticket = tickets["a_user"]
    Ticket.objects.filter(pk=ticket.pk).update(sla_version=None)

    body = api_client_for(people.agent).get(detail(ticket, "sla/")).json()

    assert body["policy"] is None and body["response"] is None and body["resolution"] is None


# --- Schema -----------------------------------------------------------------------------


def test_the_openapi_schema_builds_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    schema = target.read_text()
    for path in (
        "/api/v1/tickets/{reference}/transition/",
        "/api/v1/tickets/{reference}/sla/",
        "/api/v1/intake/alertmanager:",
        "/api/v1/intake/zabbix:",
        "/api/v1/intake/generic:",
    ):
        assert path in schema
    assert "If-Match" in schema and "Idempotency-Key" in schema
