"""The signal screens and API: the proposals inbox (filters, export), a proposal's page with
its evidence and decisions, the rule settings, "Run now", and who may do what."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.desk.models import Problem
from serviceloop.desk.tests.factories import CategoryFactory, TicketFactory
from serviceloop.improvement.models import Proposal, SignalRule
from serviceloop.improvement.services_signals import signal_rules_load, signals_detect

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def proposal(people):
    signal_rules_load()
    SignalRule.objects.filter(kind="incident_cluster").update(enabled=True)
    category = CategoryFactory(name="Network")
    for _n in range(5):
        TicketFactory(category=category, service="VPN", title="VPN cannot connect")
    signals_detect()
    return Proposal.objects.get()


def test_the_inbox_lists_filters_and_exports(people, client_for, proposal):
    client = client_for(people.agent)

    page = client.get(reverse("proposal_list"))
    other_kind = client.get(reverse("proposal_list"), {"kind": "nonconformity"})
    exported = client.get(reverse("proposal_list"), {"export": "csv"})
    workbook = client.get(reverse("proposal_list"), {"export": "xlsx"})

    assert page.status_code == 200
    assert proposal.reference in page.content.decode()
    assert 'data-testid="run-now"' not in page.content.decode()  # agents may not run
    assert proposal.reference not in other_kind.content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows[1][:3] == [proposal.reference, "Problem", "Recurring incidents"]
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_proposal_page_shows_the_evidence_and_the_decisions(people, client_for, proposal):
    url = reverse("proposal_detail", args=[proposal.reference])
    manager = client_for(people.owner).get(url).content.decode()
    agent = client_for(people.agent).get(url).content.decode()

    assert proposal.evidence["incidents"][0] in agent
    assert 'data-testid="decide-accepted"' in manager
    assert 'data-testid="decide-accepted"' not in agent


def test_accepting_on_the_screen_creates_the_problem(people, client_for, proposal):
    url = reverse("proposal_decide", args=[proposal.reference])

    denied = client_for(people.agent).post(url, {"target": "accepted"})
    accepted = client_for(people.owner).post(
        url, {"target": "accepted", "title": "VPN drops", "version": proposal.version}
    )

    assert denied.status_code == 403
    assert accepted.status_code == 302
    problem = Problem.objects.get()
    assert problem.title == "VPN drops"
    page = client_for(people.owner).get(reverse("proposal_detail", args=[proposal.reference]))
    assert problem.reference in page.content.decode()


def test_dismissing_without_a_reason_is_refused_on_the_screen(people, client_for, proposal):
    url = reverse("proposal_decide", args=[proposal.reference])
    client = client_for(people.owner)

    refused = client.post(url, {"target": "dismissed", "note": ""}, follow=True)
    dismissed = client.post(url, {"target": "dismissed", "note": "Known upgrade"})

    assert "Say why." in refused.content.decode()
    assert dismissed.status_code == 302
    assert Proposal.objects.get().status == "dismissed"


def test_customers_get_404(people, client_for, api_client_for, proposal):
    client = client_for(people.b_user)
    for url in (
        reverse("proposal_list"),
        reverse("proposal_detail", args=[proposal.reference]),
        reverse("signal_rules"),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("signal_run")).status_code == 404
    assert api_client_for(people.b_user).get("/api/v1/proposals/").status_code == 404


def test_managers_edit_the_rules_on_the_settings_screen(people, client_for):
    signal_rules_load()
    client = client_for(people.owner)
    url = reverse("signal_rule_update", args=["incident_cluster"])

    page = client.get(reverse("signal_rules"))
    bad = client.post(url, {"incident_cluster-threshold": "1",
                            "incident_cluster-window_days": "30"})  # fmt: skip
    saved = client.post(
        url,
        {"incident_cluster-threshold": "8", "incident_cluster-window_days": "14"},  # switched off
    )
    read_only = client_for(people.agent).get(reverse("signal_rules"))
    denied = client_for(people.agent).post(url, {"incident_cluster-threshold": "3"})

    assert 'data-testid="save-incident_cluster"' in page.content.decode()
    assert bad.status_code == 400 and "Enter a whole number from 2" in bad.content.decode()
    assert saved.status_code == 302
    rule = SignalRule.objects.get(kind="incident_cluster")
    assert (rule.enabled, rule.threshold, rule.window_days) == (False, 8, 14)
    assert 'data-testid="save-incident_cluster"' not in read_only.content.decode()
    assert denied.status_code == 403


def test_run_now_is_for_managers_and_leaves_an_audit_row(people, client_for):
    signal_rules_load()
    denied = client_for(people.agent).post(reverse("signal_run"))
    ran = client_for(people.owner).post(reverse("signal_run"), {"next": "rules"})

    assert denied.status_code == 403
    assert ran.status_code == 302 and ran["Location"] == reverse("signal_rules")
    assert AuditEvent.objects.filter(verb="signals.run", actor=people.owner).count() == 1
    # every rule ran but the one switched off by default
    never_ran = SignalRule.objects.filter(last_run_at__isnull=True)
    assert list(never_ran.values_list("kind", flat=True)) == ["incident_cluster"]


# --- API -----------------------------------------------------------------------------------


def test_api_lists_and_decides_proposals(people, api_client_for, proposal):
    listed = api_client_for(people.agent).get("/api/v1/proposals/", {"kind": "problem"})
    denied = api_client_for(people.agent).post(
        f"/api/v1/proposals/{proposal.reference}/decide/", {"target": "accepted"}
    )
    bad = api_client_for(people.owner).post(
        f"/api/v1/proposals/{proposal.reference}/decide/", {"target": "dismissed"}, format="json"
    )
    decided = api_client_for(people.owner).post(
        f"/api/v1/proposals/{proposal.reference}/decide/",
        {"target": "accepted", "owner": "lead"},
        format="json",
        HTTP_IF_MATCH=f'"{proposal.version}"',
    )

    assert [row["reference"] for row in listed.data["results"]] == [proposal.reference]
    assert listed.data["results"][0]["evidence"]["count"] == 5
    assert denied.status_code == 403
    assert bad.status_code == 400
    assert decided.status_code == 200
    assert decided.data["record_reference"] == Problem.objects.get().reference
    assert Problem.objects.get().owner == people.lead


def test_api_reads_and_patches_rules_and_runs(people, api_client_for):
    signal_rules_load()
    api = api_client_for(people.owner)

    rules = api.get("/api/v1/signal-rules/")
    patched = api.patch(
        "/api/v1/signal-rules/kpi_trend/", {"margin_percent": 5}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    stale = api.patch(
        "/api/v1/signal-rules/kpi_trend/", {"enabled": False}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    denied = api_client_for(people.lead).patch(
        "/api/v1/signal-rules/kpi_trend/", {"enabled": False}, format="json"
    )
    ran = api.post("/api/v1/signal-rules/run/")

    assert len(rules.data) == 9
    assert {r["kind"]: r["raises"] for r in rules.data}["kpi_trend"] == "preventive_action"
    assert (patched.status_code, patched.data["margin_percent"]) == (200, 5)
    assert stale.status_code == 412
    assert denied.status_code == 403
    assert ran.status_code == 200 and ran.data["problem_recurrence"]["raised"] == 0
    assert "incident_cluster" not in ran.data  # switched off by default
    assert SignalRule.objects.get(kind="kpi_trend").last_run_at <= timezone.now()


def test_the_inbox_query_count_does_not_grow_with_rows(
    people, client_for, django_assert_max_num_queries
):
    from serviceloop.support.models import Document

    signal_rules_load()
    now = timezone.now()
    for n in range(12):
        Document.objects.create(
            reference=f"DOC-2026-{n:04d}", title=f"Doc {n}", kind="procedure",
            status="effective", owner=people.agent, next_review=timezone.localdate().replace(
                year=2020), created_at=now, updated_at=now,
        )  # fmt: skip
    signals_detect(kinds=["document_review"])
    assert Proposal.objects.count() == 12
    client = client_for(people.owner)
    client.get(reverse("proposal_list"))  # the session is settled
    with django_assert_max_num_queries(12):
        assert client.get(reverse("proposal_list")).status_code == 200
