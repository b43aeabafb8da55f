"""Problems and known errors: lifecycle and closure rule, root-cause analysis, linking
incidents, permissions, the known-error search, and the incident page's problem block."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.core.tests.factories import TeamFactory
from serviceloop.desk.models import (
    EventKind,
    Kind,
    Problem,
    ProblemEvent,
    ProblemIncident,
    ProblemStatus,
    TicketEvent,
)
from serviceloop.desk.queries_problems import known_errors_matching
from serviceloop.desk.services.problems import (
    problem_create,
    problem_link_incidents,
    problem_managers,
    problem_transition,
    problem_unlink_incident,
    problem_update,
)
from serviceloop.desk.tests.factories import CategoryFactory, TicketFactory

# These tests read messages: in English, whatever the default language.
pytestmark = pytest.mark.usefixtures("english")


def audit_rows(problem, verb=None):
    rows = AuditEvent.objects.filter(object_type="desk.problem", object_id=str(problem.pk))
    return rows.filter(verb=verb) if verb else rows


@pytest.fixture
def incident(people):
    def make(**kwargs):
        kwargs.setdefault("organisation", people.customer_a)
        kwargs.setdefault("requester", people.a_user)
        return TicketFactory(**kwargs)

    return make


@pytest.fixture
def problem(people):
    return problem_create(actor=people.agent, title="VPN 无法连接 VPN drops", service="VPN")


# --- Creating ------------------------------------------------------------------------------


def test_create_allocates_a_reference_defaults_the_owner_and_audits(people):
    problem = problem_create(actor=people.agent, title="  Mail queue stuck  ")
    assert re.fullmatch(r"PRB-\d{4}-\d{6}", problem.reference)
    assert problem.title == "Mail queue stuck"
    assert problem.owner == people.agent and problem.status == ProblemStatus.NEW
    [row] = audit_rows(problem)
    assert row.verb == "problem.created" and row.actor == people.agent
    assert row.payload["reference"] == problem.reference
    assert list(problem.events.values_list("kind", flat=True)) == ["created"]
    second = problem_create(actor=people.agent, title="Another")
    assert int(second.reference[-6:]) == int(problem.reference[-6:]) + 1


def test_create_refuses_bad_input_and_writes_nothing(people):
    with pytest.raises(ValidationError) as error:
        problem_create(actor=people.agent, title="   ", owner=people.auditor)
    assert set(error.value.message_dict) == {"title", "owner"}
    assert not Problem.objects.exists() and not AuditEvent.objects.exists()


# --- Lifecycle -----------------------------------------------------------------------------


def test_lifecycle_from_new_to_closed(people, problem):
    problem = problem_transition(
        actor=people.agent, problem=problem, target=ProblemStatus.INVESTIGATING
    )
    with pytest.raises(ValidationError, match="root cause or a workaround"):
        problem_transition(actor=people.agent, problem=problem, target=ProblemStatus.KNOWN_ERROR)
    problem_update(actor=people.agent, problem=problem, workaround="Restart the VPN client.")
    problem = problem_transition(
        actor=people.agent, problem=problem, target=ProblemStatus.KNOWN_ERROR
    )
    assert problem.known_error_at is not None and problem.is_known_error
    with pytest.raises(ValidationError) as error:
        problem_transition(actor=people.agent, problem=problem, target=ProblemStatus.RESOLVED)
    assert "resolution" in error.value.message_dict
    problem = problem_transition(
        actor=people.agent,
        problem=problem,
        target=ProblemStatus.RESOLVED,
        resolution="Firmware 2.1 on the concentrator.",
    )
    assert problem.resolved_at is not None
    # Closing is the problem manager's: an agent is refused, the team lead may.
    with pytest.raises(PermissionDenied):
        problem_transition(actor=people.agent, problem=problem, target=ProblemStatus.CLOSED)
    problem = problem_transition(actor=people.lead, problem=problem, target=ProblemStatus.CLOSED)
    assert problem.status == ProblemStatus.CLOSED and problem.closed_at is not None
    verbs = list(audit_rows(problem).order_by("id").values_list("verb", flat=True))
    assert verbs == [
        "problem.created",
        "problem.investigating",
        "problem.updated",
        "problem.known_error",
        "problem.resolved",
        "problem.closed",
    ]
    statuses = list(
        problem.events.filter(kind="status").order_by("id").values_list("to_value", flat=True)
    )
    assert statuses == ["investigating", "known_error", "resolved", "closed"]
    with pytest.raises(ValidationError, match="cannot go from"):
        problem_transition(actor=people.lead, problem=problem, target=ProblemStatus.INVESTIGATING)
    with pytest.raises(ValidationError, match="closed"):
        problem_update(actor=people.lead, problem=problem, root_cause="late edit")


def test_closure_needs_a_resolution_or_an_accepted_risk_with_justification(people, problem):
    # Accepting the risk: both texts are required, each with its own message.
    with pytest.raises(ValidationError) as error:
        problem_transition(
            actor=people.lead,
            problem=problem,
            target=ProblemStatus.CLOSED,
            accepted_risk="VPN may drop at peak hours.",
        )
    assert set(error.value.message_dict) == {"risk_justification"}
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.NEW and problem.accepted_risk == ""
    problem = problem_transition(
        actor=people.lead,
        problem=problem,
        target=ProblemStatus.CLOSED,
        accepted_risk="VPN may drop at peak hours.",
        risk_justification="The VPN is replaced next quarter.",
    )
    assert problem.status == ProblemStatus.CLOSED and problem.risk_accepted_by == people.lead
    row = audit_rows(problem, "problem.closed").get()
    assert row.payload["risk_justification"] == ["", "The VPN is replaced next quarter."]


def test_a_resolved_problem_whose_resolution_was_removed_cannot_close(people, problem):
    problem = problem_transition(
        actor=people.agent, problem=problem, target=ProblemStatus.RESOLVED, resolution="Patched."
    )
    problem = problem_update(actor=people.agent, problem=problem, resolution="")
    with pytest.raises(ValidationError) as error:
        problem_transition(actor=people.lead, problem=problem, target=ProblemStatus.CLOSED)
    assert error.value.message_dict["status"] == [
        "A problem can be closed only with a resolution, or with an accepted risk and its "
        "justification."
    ]
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED


def test_the_lead_of_a_team_is_a_problem_manager(people):
    TeamFactory(organisation=people.provider, lead=people.agent, members=[people.agent])
    managers = problem_managers()
    assert {people.agent, people.lead, people.admin} == set(managers)
    problem = problem_create(actor=people.agent, title="x")
    problem = problem_transition(
        actor=people.agent,
        problem=problem,
        target=ProblemStatus.CLOSED,
        accepted_risk="r",
        risk_justification="j",
    )
    assert problem.status == ProblemStatus.CLOSED


# --- Root-cause analysis -------------------------------------------------------------------


def test_rca_fields_are_saved_and_audited(people, problem):
    whys = [
        {"why": "为什么 VPN 断开?", "answer": "隧道超时。"},
        {"why": "", "answer": ""},
        {"why": "Why the timeout?", "answer": "Keep-alive disabled."},
    ]
    fishbone = {"technology": "Keep-alive off in the template.", "process": " ", "people": ""}
    problem = problem_update(
        actor=people.agent,
        problem=problem,
        five_whys=whys,
        fishbone=fishbone,
        root_cause="Keep-alive disabled in the VPN template.",
        workaround="Reconnect.",
        workaround_published=True,
    )
    problem.refresh_from_db()
    assert problem.five_whys == [whys[0], whys[2]]
    assert problem.fishbone == {"technology": "Keep-alive off in the template."}
    assert problem.is_known_error  # a published workaround makes a known error
    assert problem.version == 2
    row = audit_rows(problem, "problem.updated").get()
    assert row.payload["five_whys"] == [[], [whys[0], whys[2]]]
    assert row.payload["fishbone"] == [{}, {"technology": "Keep-alive off in the template."}]
    assert row.payload["root_cause"] == ["", "Keep-alive disabled in the VPN template."]
    # The same input again changes nothing and writes nothing.
    problem_update(actor=people.agent, problem=problem, five_whys=whys, fishbone=fishbone)
    assert audit_rows(problem, "problem.updated").count() == 1
    assert problem.events.filter(kind="updated").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fishbone": {"weather": "rain"}}, "fishbone"),
        ({"five_whys": [{"why": "", "answer": "an answer without a question"}]}, "five_whys"),
        ({"five_whys": "not a list"}, "five_whys"),
        ({"workaround_published": True}, "workaround_published"),
        ({"title": ""}, "title"),
    ],
)
def test_rca_bad_input_is_refused_with_a_message(people, problem, fields, field):
    with pytest.raises(ValidationError) as error:
        problem_update(actor=people.agent, problem=problem, **fields)
    assert field in error.value.message_dict
    assert not audit_rows(problem, "problem.updated").exists()


def test_rca_form_saves_through_the_page(people, problem, client_for):
    client = client_for(people.agent)
    response = client.post(
        reverse("problem_rca", args=[problem.reference]),
        {
            "version": problem.version,
            "why_1": "Why does it drop?",
            "answer_1": "The tunnel times out.",
            "fishbone_suppliers": "ISP changed the MTU.",
            "root_cause": "MTU mismatch.",
            "workaround": "Lower the MTU to 1400.",
            "workaround_published": "on",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.five_whys == [{"why": "Why does it drop?", "answer": "The tunnel times out."}]
    assert problem.fishbone == {"suppliers": "ISP changed the MTU."}
    assert problem.workaround_published and problem.root_cause == "MTU mismatch."
    page = client.get(reverse("problem_detail", args=[problem.reference]))
    assert "The tunnel times out." in page.content.decode()
    # A stale form (someone saved meanwhile) is refused with a message, nothing written.
    stale = client.post(
        reverse("problem_rca", args=[problem.reference]),
        {"version": 1, "root_cause": "overwritten"},
        follow=True,
    )
    assert "Someone else changed this problem" in stale.content.decode()
    problem.refresh_from_db()
    assert problem.root_cause == "MTU mismatch."


# --- Linking incidents ---------------------------------------------------------------------


def test_linking_incidents_writes_an_event_on_each_and_one_audit_row(people, problem, incident):
    first, second = incident(title="VPN down"), incident(title="VPN 断开")
    linked = problem_link_incidents(actor=people.agent, problem=problem, incidents=[first, second])
    assert {t.pk for t in linked} == {first.pk, second.pk}
    assert set(problem.incidents.all()) == {first, second}
    for ticket in (first, second):
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELDS)
        assert event.actor == people.agent
        assert event.payload["changes"] == {"problem": ["", problem.reference]}
    row = audit_rows(problem, "problem.incidents_linked").get()
    assert sorted(row.payload["incidents"]) == sorted([first.reference, second.reference])
    assert ProblemEvent.objects.filter(problem=problem, kind="linked").count() == 1
    # Linking again is a no-op: no second row anywhere.
    assert problem_link_incidents(actor=people.agent, problem=problem, incidents=[first]) == []
    assert audit_rows(problem, "problem.incidents_linked").count() == 1
    assert TicketEvent.objects.filter(ticket=first, kind=EventKind.FIELDS).count() == 1
    # Unlinking a wrong link: an event on the incident, one audit row.
    assert problem_unlink_incident(actor=people.agent, problem=problem, incident=first)
    assert set(problem.incidents.all()) == {second}
    assert audit_rows(problem, "problem.incident_unlinked").count() == 1


def test_only_incidents_link_and_a_closed_problem_takes_none(people, problem, incident):
    request = incident(kind=Kind.REQUEST, title="New laptop")
    with pytest.raises(ValidationError, match="Only incidents"):
        problem_link_incidents(actor=people.agent, problem=problem, incidents=[request])
    assert not ProblemIncident.objects.exists()
    problem = problem_transition(
        actor=people.lead,
        problem=problem,
        target=ProblemStatus.CLOSED,
        accepted_risk="r",
        risk_justification="j",
    )
    with pytest.raises(ValidationError, match="closed"):
        problem_link_incidents(actor=people.agent, problem=problem, incidents=[incident()])


def test_link_form_on_the_problem_page(people, problem, incident, client_for):
    one, two = incident(), incident()
    client = client_for(people.agent)
    url = reverse("problem_link", args=[problem.reference])
    response = client.post(url, {"references": f"{one.reference.lower()}, {two.reference}"})
    assert response.status_code == 302
    assert set(problem.incidents.all()) == {one, two}
    missing = client.post(url, {"references": "INC-1999-999999"}, follow=True)
    assert "No such incident: INC-1999-999999" in missing.content.decode()


def test_the_incident_page_shows_its_known_error_and_links_one(
    people, problem, incident, client_for
):
    ticket = incident(title="VPN 又断了")
    problem_update(
        actor=people.agent,
        problem=problem,
        workaround="重启 VPN 客户端 Restart the VPN client",
        workaround_published=True,
    )
    client = client_for(people.agent)
    page = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert 'data-testid="incident-problems"' in page
    assert f'<option value="{problem.reference}">' in page  # offered for linking
    response = client.post(
        reverse("ticket_problem_link", args=[ticket.reference]), {"problem": problem.reference}
    )
    assert response.status_code == 302
    assert list(ticket.problems.all()) == [problem]
    page = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert "重启 VPN 客户端 Restart the VPN client" in page  # the known error's workaround
    # The customer's own view of the same ticket shows nothing of it.
    customer_page = client_for(people.a_user).get(reverse("ticket_detail", args=[ticket.reference]))
    assert customer_page.status_code == 200
    assert "incident-problems" not in customer_page.content.decode()
    assert problem.reference not in customer_page.content.decode()


# --- Permissions ---------------------------------------------------------------------------


def _problem_urls(problem, ticket, proposal_pk=999):
    ref = problem.reference
    return {
        "get": [
            reverse("problem_list"),
            reverse("problem_new"),
            reverse("problem_detail", args=[ref]),
            reverse("problem_edit", args=[ref]),
            reverse("known_error_list") + "?q=vpn",
            reverse("problem_proposal_detail", args=[proposal_pk]),
        ],
        "post": [
            reverse("problem_new"),
            reverse("problem_edit", args=[ref]),
            reverse("problem_rca", args=[ref]),
            reverse("problem_move", args=[ref]),
            reverse("problem_link", args=[ref]),
            reverse("problem_unlink", args=[ref, ticket.reference]),
            reverse("problem_proposal_accept", args=[proposal_pk]),
            reverse("problem_proposal_dismiss", args=[proposal_pk]),
            reverse("ticket_problem_link", args=[ticket.reference]),
        ],
    }


@pytest.mark.parametrize("who", ["a_user", "a_manager", "b_manager", "outsider"])
def test_customers_get_404_on_every_problem_url(people, problem, incident, client_for, who):
    ticket = incident()  # customer A's own ticket, for the ticket-side link URL
    problem_link_incidents(actor=people.agent, problem=problem, incidents=[ticket])
    client = client_for(getattr(people, who))
    urls = _problem_urls(problem, ticket)
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    for url in urls["post"]:
        response = client.post(url, {"problem": problem.reference, "target": "closed"})
        assert response.status_code == 404, url
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.NEW and problem.incidents.count() == 1


@pytest.mark.parametrize("who", ["auditor", "top", "owner"])
def test_read_only_staff_read_but_get_403_on_writes(people, problem, incident, client_for, who):
    ticket = incident()
    client = client_for(getattr(people, who))
    for url in [
        reverse("problem_list"),
        reverse("problem_detail", args=[problem.reference]),
        reverse("known_error_list"),
    ]:
        assert client.get(url).status_code == 200, url
    urls = _problem_urls(problem, ticket)
    assert client.get(reverse("problem_new")).status_code == 403
    assert client.get(reverse("problem_edit", args=[problem.reference])).status_code == 403
    for url in urls["post"][:6] + urls["post"][8:]:
        response = client.post(url, {"problem": problem.reference, "target": "investigating"})
        assert response.status_code == 403, url
    with pytest.raises(PermissionDenied):
        problem_update(actor=getattr(people, who), problem=problem, root_cause="x")
    with pytest.raises(PermissionDenied):
        problem_create(actor=getattr(people, who), title="x")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.NEW and problem.root_cause == ""
    assert not problem.incidents.exists()


def test_agents_work_problems_through_the_pages(people, client_for):
    client = client_for(people.agent)
    category = CategoryFactory(name="Network")
    response = client.post(
        reverse("problem_new"),
        {"title": "Mail delays", "service": "Mail", "category": category.pk},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/desk/problems/{problem.reference}/"
    )
    assert problem.owner == people.agent and problem.category == category
    bad = client.post(reverse("problem_new"), {"title": ""})
    assert bad.status_code == 200 and Problem.objects.count() == 1
    move = client.post(
        reverse("problem_move", args=[problem.reference]),
        {"target": "resolved", "resolution": "Queue drained.", "version": problem.version},
    )
    assert move.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED and problem.resolution == "Queue drained."
    # An agent may not close: the move is not offered, and a forged POST is refused.
    page = client.get(reverse("problem_detail", args=[problem.reference])).content.decode()
    assert 'data-move="closed"' not in page and 'data-move="investigating"' in page
    assert (
        client.post(reverse("problem_move", args=[problem.reference]), {"target": "closed"})
    ).status_code == 403
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED


# --- Lists and the known-error database ----------------------------------------------------


@pytest.fixture
def known_errors(people):
    vpn = problem_create(actor=people.agent, title="VPN 无法连接")
    problem_update(
        actor=people.agent, problem=vpn, workaround="重启 VPN 客户端。", root_cause="隧道超时"
    )
    problem_transition(actor=people.agent, problem=vpn, target=ProblemStatus.KNOWN_ERROR)
    outlook = problem_create(actor=people.agent, title="Outlook keeps asking for the password")
    problem_update(
        actor=people.agent,
        problem=outlook,
        workaround="Remove the old entries in Credential Manager (删除凭据管理器中的旧凭据).",
        workaround_published=True,
    )
    not_yet = problem_create(actor=people.agent, title="VPN 很慢 slow VPN")
    problem_update(actor=people.agent, problem=not_yet, workaround="unpublished")
    closed = problem_create(actor=people.agent, title="VPN password expired")
    problem_update(
        actor=people.agent, problem=closed, workaround="Reset it.", workaround_published=True
    )
    problem_transition(
        actor=people.lead,
        problem=closed,
        target=ProblemStatus.CLOSED,
        accepted_risk="r",
        risk_justification="j",
    )
    return vpn, outlook


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"VPN 无法连接", "Outlook keeps asking for the password"}),
        ("VPN连接失败", {"VPN 无法连接"}),  # no substring match: found by its jieba tokens
        ("vpn 连不上", {"VPN 无法连接"}),
        ("客户端", {"VPN 无法连接"}),  # in the workaround
        ("隧道", {"VPN 无法连接"}),  # in the root cause
        ("凭据", {"Outlook keeps asking for the password"}),
        ("PASSWORD", {"Outlook keeps asking for the password"}),
        ("credential manager", {"Outlook keeps asking for the password"}),
        ("printer", set()),
    ],
)
def test_known_error_search(people, known_errors, query, expected):
    found = {p.title for p in known_errors_matching(people.agent, query)}
    assert found == expected
    assert not known_errors_matching(people.a_manager, query).exists()


def test_known_error_page_searches_in_chinese_and_english(people, known_errors, client_for):
    client = client_for(people.agent)
    page = client.get(reverse("known_error_list"), {"q": "VPN连接失败"}).content.decode()
    assert "VPN 无法连接" in page and "重启 VPN 客户端" in page
    assert "Outlook" not in page
    page = client.get(reverse("known_error_list"), {"q": "outlook"}).content.decode()
    assert "Credential Manager" in page and "重启" not in page


def test_problem_list_filters_and_keeps_its_query_count(
    people, client_for, django_assert_max_num_queries, incident
):
    for n in range(3):
        p = problem_create(actor=people.agent if n else people.lead, title=f"Problem {n}")
        problem_link_incidents(actor=people.agent, problem=p, incidents=[incident()])
    problem_transition(
        actor=people.agent,
        problem=Problem.objects.get(title="Problem 2"),
        target=ProblemStatus.INVESTIGATING,
    )
    client = client_for(people.agent)
    url = reverse("problem_list")
    page = client.get(url, {"status": "investigating"}).content.decode()
    assert "Problem 2" in page and "Problem 1" not in page
    page = client.get(url, {"owner": people.lead.pk}).content.decode()
    assert "Problem 0" in page and "Problem 1" not in page
    client.get(url)  # warm the session and the navigation
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(3, 13):
        problem_create(actor=people.agent, title=f"Problem {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "Problem 12" in response.content.decode()
