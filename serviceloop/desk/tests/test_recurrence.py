"""Recurring-incident detection: clusters by service + category and by similar titles,
one proposal per cluster across runs, and accepting or dismissing a proposal."""

import datetime
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    EventKind,
    Kind,
    ProblemProposal,
    ProblemStatus,
    ProposalRule,
    ProposalStatus,
    TicketEvent,
)
from serviceloop.desk.services.problems import problem_create, problem_link_incidents
from serviceloop.desk.services.recurrence import (
    jaccard,
    problem_proposal_accept,
    problem_proposal_dismiss,
    recurrence_detect,
    title_clusters,
    title_tokens,
)
from serviceloop.desk.tests.factories import CategoryFactory, TicketFactory

# These tests read messages: in English, whatever the default language.
pytestmark = pytest.mark.usefixtures("english")

NOW = timezone.now()


@pytest.fixture
def network(db):
    return CategoryFactory(name="网络 Network")


@pytest.fixture
def incident(people):
    titles = itertools.cycle(["办公室网络断开", "Cannot reach the intranet", "网络延迟很高"])

    def make(days_ago=1, **kwargs):
        kwargs.setdefault("organisation", people.customer_a)
        kwargs.setdefault("requester", people.a_user)
        kwargs.setdefault("title", next(titles))
        return TicketFactory(created_at=NOW - datetime.timedelta(days=days_ago), **kwargs)

    return make


def vpn_incidents(incident, network, n, start=0):
    return [incident(days_ago=start + k * 5 + 1, service="VPN", category=network) for k in range(n)]


def test_five_same_service_and_category_incidents_make_one_proposal(people, incident, network):
    tickets = vpn_incidents(incident, network, 5)
    incident(service="VPN")  # no category: not part of the class
    incident(service="ERP", category=network)  # another service
    assert recurrence_detect(now=NOW) == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0}
    proposal = ProblemProposal.objects.get()
    assert proposal.rule == ProposalRule.SERVICE_CATEGORY
    assert proposal.key == f"service-category:{network.pk}:vpn"
    assert set(proposal.incidents.all()) == set(tickets)
    assert proposal.label == "VPN · 网络 Network" and proposal.status == ProposalStatus.PROPOSED
    assert (proposal.window_days, proposal.threshold) == (30, 5)
    # The problem managers (team lead, provider admin) are told once; nobody else.
    notified = Notification.objects.filter(kind="problem_proposed")
    assert {n.recipient for n in notified} == {people.lead, people.admin}
    assert all(n.url == f"/desk/problem-proposals/{proposal.pk}/" for n in notified)
    assert AuditEvent.objects.filter(verb="problem_proposal.created").count() == 1

    # Run again: still one proposal, nothing written, nobody told twice.
    assert recurrence_detect(now=NOW)["unchanged"] == 1
    assert ProblemProposal.objects.count() == 1
    assert notified.count() == 2
    assert AuditEvent.objects.filter(verb__startswith="problem_proposal").count() == 1

    # A sixth incident: the same proposal grows.
    sixth = incident(days_ago=0, service="vpn ", category=network)
    assert recurrence_detect(now=NOW)["updated"] == 1
    proposal = ProblemProposal.objects.get()
    assert proposal.incidents.count() == 6 and sixth in proposal.incidents.all()
    row = AuditEvent.objects.get(verb="problem_proposal.updated")
    assert row.payload["added"] == [sixth.reference] and row.payload["total"] == 6
    assert notified.count() == 2


def test_below_the_threshold_or_outside_the_window_nothing_is_proposed(incident, network):
    vpn_incidents(incident, network, 4)
    incident(days_ago=31, service="VPN", category=network)  # slid out of the 30-day window
    incident(service="VPN", category=network, status=Status.CANCELLED)
    incident(service="VPN", category=network, kind=Kind.REQUEST)
    assert recurrence_detect(now=NOW)["created"] == 0
    assert not ProblemProposal.objects.exists()
    assert not Notification.objects.filter(kind="problem_proposed").exists()


def test_incidents_already_linked_to_a_problem_do_not_count(people, incident, network):
    tickets = vpn_incidents(incident, network, 5)
    problem = problem_create(actor=people.agent, title="VPN")
    problem_link_incidents(actor=people.agent, problem=problem, incidents=tickets[:1])
    assert recurrence_detect(now=NOW)["created"] == 0


def test_window_and_threshold_come_from_the_settings(settings, incident, network):
    settings.DESK_RECURRENCE_DAYS = 7
    settings.DESK_RECURRENCE_THRESHOLD = 3
    for days_ago in (1, 3, 6, 10):
        incident(days_ago=days_ago, service="VPN", category=network)
    recurrence_detect(now=NOW)
    proposal = ProblemProposal.objects.get()
    assert proposal.incidents.count() == 3 and (proposal.window_days, proposal.threshold) == (7, 3)


VPN_TITLES = ["VPN 无法连接", "VPN连接失败", "vpn 连不上", "无法连接 VPN", "VPN 连接不上了"]


def test_similar_titles_cluster_by_their_jieba_tokens(incident):
    services = ["VPN", "", "远程办公 Remote work", "", "Office network"]
    tickets = [
        incident(days_ago=k + 1, title=title, service=service)
        for k, (title, service) in enumerate(zip(VPN_TITLES, services, strict=True))
    ]
    incident(title="打印机卡纸")
    incident(title="VPN 很慢")  # shares "vpn" only: Jaccard 1/3
    incident(title="邮箱无法收信")
    recurrence_detect(now=NOW)
    proposal = ProblemProposal.objects.get()
    assert proposal.rule == ProposalRule.SIMILAR_TITLES
    assert set(proposal.incidents.all()) == set(tickets)
    assert proposal.key == "similar-titles:vpn 连接"
    assert proposal.suggested_title in VPN_TITLES
    # A later run with a sixth similar title grows the same proposal.
    sixth = incident(days_ago=0, title="VPN又连不上")
    assert recurrence_detect(now=NOW)["updated"] == 1
    assert sixth in ProblemProposal.objects.get().incidents.all()


def test_a_class_found_by_service_and_category_is_not_proposed_twice(incident, network):
    for k, title in enumerate(VPN_TITLES):
        incident(days_ago=k + 1, title=title, service="VPN", category=network)
    recurrence_detect(now=NOW)
    assert list(ProblemProposal.objects.values_list("rule", flat=True)) == [
        ProposalRule.SERVICE_CATEGORY
    ]


def test_accepting_creates_the_problem_with_the_incidents_linked(people, incident, network):
    tickets = vpn_incidents(incident, network, 5)
    recurrence_detect(now=NOW)
    proposal = ProblemProposal.objects.get()
    with pytest.raises(PermissionDenied):
        problem_proposal_accept(actor=people.agent, proposal=proposal)
    problem = problem_proposal_accept(
        actor=people.lead, proposal=proposal, title="VPN drops", owner=people.agent
    )
    assert problem.reference.startswith("PRB-") and problem.title == "VPN drops"
    assert problem.owner == people.agent and problem.status == ProblemStatus.NEW
    assert (problem.service, problem.category) == ("VPN", network)
    assert set(problem.incidents.all()) == set(tickets)
    for ticket in tickets:
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELDS)
        assert event.payload["problem"] == problem.reference
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.problem == problem
    assert proposal.decided_by == people.lead
    [row] = AuditEvent.objects.filter(object_type="desk.problem", object_id=str(problem.pk))
    assert row.verb == "problem.created_from_proposal"
    assert sorted(row.payload["incidents"]) == sorted(t.reference for t in tickets)
    with pytest.raises(ValidationError, match="already"):
        problem_proposal_accept(actor=people.lead, proposal=proposal)
    # Its incidents now belong to a problem: later runs propose nothing.
    incident(days_ago=0, service="VPN", category=network)
    assert recurrence_detect(now=NOW)["created"] == 0
    assert ProblemProposal.objects.count() == 1


def test_a_dismissed_cluster_is_not_proposed_again(people, incident, network):
    vpn_incidents(incident, network, 5)
    recurrence_detect(now=NOW)
    proposal = problem_proposal_dismiss(
        actor=people.lead, proposal=ProblemProposal.objects.get(), reason="Known ISP outage."
    )
    assert proposal.status == ProposalStatus.DISMISSED
    incident(days_ago=0, service="VPN", category=network)
    assert recurrence_detect(now=NOW)["skipped"] == 1
    proposal = ProblemProposal.objects.get()
    assert proposal.status == ProposalStatus.DISMISSED and proposal.incidents.count() == 5


def test_a_dismissed_title_cluster_stays_dismissed(people, incident):
    for k, title in enumerate(VPN_TITLES):
        incident(days_ago=k + 1, title=title)
    recurrence_detect(now=NOW)
    problem_proposal_dismiss(actor=people.lead, proposal=ProblemProposal.objects.get())
    incident(days_ago=0, title="vpn连接断开")  # the signature may drift; the cluster is known
    assert recurrence_detect(now=NOW)["skipped"] == 1
    assert ProblemProposal.objects.count() == 1


def test_proposal_pages(people, incident, network, client_for):
    vpn_incidents(incident, network, 5)
    recurrence_detect(now=NOW)
    proposal = ProblemProposal.objects.get()
    url = reverse("problem_proposal_detail", args=[proposal.pk])
    accept = reverse("problem_proposal_accept", args=[proposal.pk])
    assert client_for(people.a_manager).get(url).status_code == 404
    assert client_for(people.a_manager).post(accept, {"title": "x"}).status_code == 404
    agent_page = client_for(people.agent).get(url)
    assert agent_page.status_code == 200 and "accept-proposal" not in agent_page.content.decode()
    assert client_for(people.agent).post(accept, {"title": "x"}).status_code == 403
    lead = client_for(people.lead)
    listing = lead.get(reverse("problem_list")).content.decode()
    assert "VPN · 网络 Network" in listing
    response = lead.post(accept, {"title": "VPN 频繁断开"})
    proposal.refresh_from_db()
    assert proposal.problem is not None
    assert response["Location"] == f"/desk/problems/{proposal.problem.reference}/"
    assert proposal.problem.owner == people.lead and proposal.problem.incidents.count() == 5


def test_the_daily_task_runs_the_detection(incident, network):
    from serviceloop.desk.tasks import recurring_incidents

    vpn_incidents(incident, network, 5)
    result = recurring_incidents.call_local()
    assert result["created"] == 1


# --- Tokens and clustering -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "tokens"),
    [
        ("VPN 无法连接", {"vpn", "连接"}),
        ("VPN连接失败", {"vpn", "连接"}),
        ("vpn 连不上", {"vpn", "连接"}),
        ("网络故障!!", {"网络"}),
        ("Cannot connect to the VPN", {"connect", "vpn"}),
        ("VPN connection keeps dropping", {"vpn", "connect", "drop"}),
        ("", set()),
    ],
)
def test_title_tokens(title, tokens):
    assert title_tokens(title) == tokens


def brute_force_clusters(items, similarity):
    """Single link over every pair, the obvious way."""
    parent = {pk: pk for pk, _tokens in items}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for (a, ta), (b, tb) in itertools.combinations(items, 2):
        if ta and tb and jaccard(frozenset(ta), frozenset(tb)) >= similarity:
            parent[find(a)] = find(b)
    groups = {}
    for pk, _tokens in items:
        groups.setdefault(find(pk), []).append(pk)
    return sorted(sorted(g) for g in groups.values())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.frozensets(st.sampled_from("abcdefgh"), max_size=5), max_size=25),
    st.sampled_from(["1/2", "1/3", "2/3", "1"]),
)
def test_title_clusters_match_the_brute_force_reference(token_sets, similarity):
    from fractions import Fraction

    items = list(enumerate(token_sets))
    expected = brute_force_clusters(items, Fraction(similarity))
    assert sorted(title_clusters(items, similarity=Fraction(similarity))) == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_make_one_proposal(people, incident, network):
    import threading

    from django.db import connection

    vpn_incidents(incident, network, 5)
    barrier = threading.Barrier(4)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(recurrence_detect(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and sum(r["created"] for r in results) == 1
    assert ProblemProposal.objects.count() == 1
    assert ProblemProposal.objects.get().incidents.count() == 5
    assert Notification.objects.filter(kind="problem_proposed").count() == 2
