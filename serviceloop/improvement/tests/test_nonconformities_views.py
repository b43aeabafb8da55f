"""The nonconformity and action screens: who sees what (customers 404, read-only staff 403),
raising and the forms (bad input shown in the form, nothing written), the register's filters,
overdue highlight and exports, the KPI condition's progress on the pages, "my actions",
the navigation entry, and the demo data at every stage."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.core.models import Attachment
from serviceloop.core.navigation import entries_for
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Action, ActionVerification, Nonconformity
from serviceloop.improvement.services_actions_nonconformities import (
    action_create,
    action_transition,
)
from serviceloop.improvement.services_nonconformities import (
    nonconformity_analyse,
    nonconformity_raise,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def clauses(db):
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load()


@pytest.fixture
def nc(people, clauses):
    """Analysed, owned by the team lead, with a manual action owned by the agent."""
    raised = nonconformity_raise(
        people.auditor, title="Backups not restored in tests", source="internal_audit",
        source_reference="AUD-7", clause_numbers=["8.7.2"], owner=people.lead,
        due_on=timezone.localdate() - datetime.timedelta(days=3),
    )  # fmt: skip
    analysed = nonconformity_analyse(actor=people.lead, nonconformity=raised, method="five_whys",
                                     whys=[{"why": "Why?", "answer": "No schedule."}],
                                     root_cause="No restore schedule.")  # fmt: skip
    action_create(actor=people.lead, nonconformity=analysed, title="Quarterly restore test",
                  owner=people.agent, verification_method="manual",
                  verification_plan="Check the next two restore reports.")  # fmt: skip
    return Nonconformity.objects.get(pk=raised.pk)


def test_staff_read_customers_get_404(people, client_for, nc):
    action = nc.actions.get()
    urls = [
        reverse("nonconformity_list"), reverse("nonconformity_detail", args=[nc.reference]),
        reverse("action_list"), reverse("my_actions"),
        reverse("action_detail", args=[action.reference]),
    ]  # fmt: skip
    for user in (people.top, people.agent, people.auditor):
        for url in urls:
            assert client_for(user).get(url).status_code == 200, (user, url)
    for user in (people.a_manager, people.b_user, people.outsider):
        for url in [*urls, reverse("nonconformity_new"), reverse("nonconformity_analyse",
                                                                 args=[nc.reference])]:  # fmt: skip
            assert client_for(user).get(url).status_code == 404, (user, url)
    assert client_for(None).get(urls[0]).status_code == 302


def test_read_only_staff_get_403_on_writes(people, client_for, nc):
    action = nc.actions.get()
    for user in (people.top, people.agent):
        client = client_for(user)
        assert client.get(reverse("nonconformity_new")).status_code == 403
        assert client.get(reverse("nonconformity_contain", args=[nc.reference])).status_code == 403
        assert client.post(reverse("nonconformity_cancel", args=[nc.reference]),
                           {"note": "x"}).status_code == 403  # fmt: skip
        assert client.get(reverse("action_verify", args=[action.reference])).status_code == 403
    assert (
        client_for(people.top)
        .post(reverse("action_move", args=[action.reference]), {"target": "in_progress"})
        .status_code
        == 403
    )
    assert Nonconformity.objects.get(pk=nc.pk).status == "actions_in_progress"


def test_raising_from_the_form(people, client_for, clauses):
    client = client_for(people.auditor)
    bad = client.post(reverse("nonconformity_new"), {
        "title": "Complaint not answered", "source": "complaint", "severity": "minor",
        "clause_numbers": "8.3.4 99.9",
    })  # fmt: skip
    assert bad.status_code == 200 and "No clause has the number 99.9" in bad.content.decode()
    assert not Nonconformity.objects.exists()

    good = client.post(reverse("nonconformity_new"), {
        "title": "Complaint not answered", "source": "complaint", "severity": "minor",
        "source_reference": "CMP-2026-000004", "clause_numbers": "8.3.4", "owner": people.lead.pk,
    })  # fmt: skip
    created = Nonconformity.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse(
        "nonconformity_detail", args=[created.reference]
    )
    assert (created.raised_by, created.owner, created.source) == (people.auditor, people.lead,
                                                                  "complaint")  # fmt: skip


def test_the_register_filters_highlights_overdue_and_exports(people, client_for, nc):
    nonconformity_raise(people.owner, title="Closed-looking other", source="complaint")
    client = client_for(people.top)

    page = client.get(reverse("nonconformity_list")).content.decode()
    assert nc.reference in page and "data-overdue" in page and "1 nonconformity is past" in page
    filtered = client.get(reverse("nonconformity_list"), {"source": "complaint"}).content.decode()
    assert nc.reference not in filtered and "Closed-looking other" in filtered
    assert (
        nc.reference
        in client.get(reverse("nonconformity_list"), {"overdue": "on"}).content.decode()
    )

    csv = b"".join(client.get(reverse("nonconformity_list"), {"export": "csv"}).streaming_content)
    text = csv.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Reference,Title,Source")
    assert f"{nc.reference},Backups not restored in tests,Internal audit,AUD-7,Minor,8.7.2" in text
    xlsx = client.get(reverse("nonconformity_list"), {"export": "xlsx", "source": "internal_audit"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(rows) == 2 and rows[1][0] == nc.reference and rows[1][12] == 1

    actions = client.get(reverse("action_list"), {"export": "csv"})
    assert "Quarterly restore test" in b"".join(actions.streaming_content).decode("utf-8-sig")


def test_the_register_list_costs_a_fixed_number_of_queries(
    people, client_for, nc, django_assert_max_num_queries
):
    for n in range(12):
        nonconformity_raise(people.owner, title=f"Finding {n}", source="internal_audit",
                            owner=people.agent)  # fmt: skip
    client = client_for(people.owner)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("nonconformity_list")).status_code == 200


def test_the_detail_page_shows_the_analysis_the_actions_and_the_kpi_progress(
    people, client_for, nc
):
    from serviceloop.desk.tests.factories import TicketFactory
    from serviceloop.improvement.verification import kpi_condition_check

    kpi = KpiDefinition.objects.create(code="incidents", name_en="Incidents", aggregate="count",
                                       source="desk.tickets", period="month")  # fmt: skip
    done_on = timezone.localdate() - datetime.timedelta(days=100)
    action = action_create(actor=people.owner, nonconformity=nc, title="Monitor restores",
                           owner=people.agent, verification_method="kpi", kpi=kpi,
                           kpi_comparator="<=", kpi_threshold=3, kpi_periods=6, today=done_on)  # fmt: skip
    action_transition(actor=people.agent, action=action, target="done", note="Monitoring on.",
                      done_on=done_on)  # fmt: skip
    TicketFactory(organisation=people.customer_a)
    result = kpi_condition_check(action)
    assert result.outcome == "pending" and result.periods

    page = client_for(people.top).get(reverse("nonconformity_detail", args=[nc.reference]))
    text = page.content.decode()
    assert "No restore schedule." in text and "Because" in text
    assert "Quarterly restore test" in text and "Check the next two restore reports." in text
    assert "Incidents ≤ 3 per month, 6 periods in a row" in text
    assert f"{result.in_row} of 6 periods met in a row" in text
    assert 'data-testid="kpi-progress"' in text and "met</span>" in text
    assert "Plan an action" not in text  # top management reads only
    detail = client_for(people.agent).get(reverse("action_detail", args=[action.reference]))
    assert "Incidents ≤ 3 per month" in detail.content.decode()


def test_containment_and_analysis_forms(people, client_for, clauses):
    raised = nonconformity_raise(people.owner, title="Form test", source="other", owner=people.lead)
    client = client_for(people.lead)
    contain_url = reverse("nonconformity_contain", args=[raised.reference])
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    bad = client.post(contain_url, {"containment": "Isolated", "contained_on": future})
    assert bad.status_code == 200 and "cannot be in the future" in bad.content.decode()
    assert Nonconformity.objects.get(pk=raised.pk).status == "open"
    client.post(contain_url, {"containment": "Isolated", "contained_on": timezone.localdate()})
    assert Nonconformity.objects.get(pk=raised.pk).status == "contained"

    analyse_url = reverse("nonconformity_analyse", args=[raised.reference])
    assert "Fishbone" in client.get(analyse_url).content.decode()
    half = client.post(analyse_url, {"method": "five_whys", "why_1": "Why?", "root_cause": "x"})
    assert half.status_code == 200 and "Each why needs its answer." in half.content.decode()
    done = client.post(analyse_url, {
        "method": "fishbone", "fishbone_process": "No check\nNo owner", "fishbone_people": "",
        "root_cause": "Nobody owns the check.",
    })  # fmt: skip
    saved = Nonconformity.objects.get(pk=raised.pk)
    assert done.status_code == 302 and saved.status == "analysed"
    assert saved.rca_fishbone == {"process": ["No check", "No owner"]}


def test_planning_moving_and_verifying_an_action_on_screen(people, client_for, nc):
    kpi = KpiDefinition.objects.create(code="restores", name_en="Failed restores",
                                       aggregate="count", source="desk.tickets",
                                       slices=["organisation"])  # fmt: skip
    lead = client_for(people.lead)
    url = reverse("nonconformity_action_new", args=[nc.reference])
    bad = lead.post(url, {"title": "Watch restores", "verification_method": "kpi", "kpi": kpi.pk,
                          "kpi_slice": "team=3", "kpi_comparator": "<=", "kpi_threshold": "0",
                          "kpi_periods": "3"})  # fmt: skip
    assert bad.status_code == 200 and "cannot be sliced by team" in bad.content.decode()
    assert nc.actions.count() == 1
    good = lead.post(url, {"title": "Watch restores", "verification_method": "kpi", "kpi": kpi.pk,
                           "kpi_slice": f"organisation={people.customer_a.pk}",
                           "kpi_comparator": "<=", "kpi_threshold": "0", "kpi_periods": "3",
                           "owner": people.agent.pk})  # fmt: skip
    assert good.status_code == 302
    created = nc.actions.get(title="Watch restores")
    assert created.kpi_slice == {"organisation": people.customer_a.pk}

    manual = nc.actions.get(title="Quarterly restore test")
    agent = client_for(people.agent)
    move = reverse("action_move", args=[manual.reference])
    agent.post(move, {"target": "done", "note": ""})
    assert Action.objects.get(pk=manual.pk).status == "planned"  # "what was done" missing
    agent.post(move, {"target": "done", "note": "Restore tested.",
                      "done_on": timezone.localdate().isoformat()})  # fmt: skip
    assert Action.objects.get(pk=manual.pk).status == "done"

    verify = reverse("action_verify", args=[manual.reference])
    auditor = client_for(people.auditor)
    no_evidence = auditor.post(verify, {"effective": "yes", "note": "Report seen."})
    assert no_evidence.status_code == 200 and "Give the evidence" in no_evidence.content.decode()
    upload = SimpleUploadedFile("restore.txt", b"restore report ok", "text/plain")
    done = auditor.post(verify, {"effective": "yes", "note": "Report seen.",
                                 "evidence_file": upload})  # fmt: skip
    assert done.status_code == 302
    row = ActionVerification.objects.get(action=manual, kind="decision")
    assert Attachment.objects.get().target == row
    page = agent.get(reverse("action_detail", args=[manual.reference])).content.decode()
    assert "restore.txt" in page and "Report seen." in page


def test_my_actions_lists_only_mine(people, client_for, nc):
    preventive = action_create(actor=people.owner, nonconformity=None, title="Lead's own",
                               source="risk", owner=people.lead)  # fmt: skip
    mine = client_for(people.agent).get(reverse("my_actions")).content.decode()
    assert "Quarterly restore test" in mine and preventive.reference not in mine
    lead = client_for(people.lead).get(reverse("my_actions")).content.decode()
    assert preventive.reference in lead and "Quarterly restore test" not in lead


def test_preventive_action_screen(people, client_for):
    assert client_for(people.auditor).get(reverse("preventive_action_new")).status_code == 403
    client = client_for(people.owner)
    response = client.post(reverse("preventive_action_new"), {
        "title": "Load-test alert rules", "source": "risk", "source_reference": "RSK-2026-000008",
        "owner": people.lead.pk, "verification_method": "manual",
        "verification_plan": "No alert storm in the next drill.",
    })  # fmt: skip
    created = Action.objects.get()
    assert response.status_code == 302 and created.kind == "preventive"
    assert created.reference in client.get(reverse("action_list")).content.decode()


def test_navigation_entry_for_staff_only(people):
    assert "nonconformity_list" in [e.url_name for e in entries_for(people.top)]
    assert "nonconformity_list" not in [e.url_name for e in entries_for(people.a_manager)]


def test_demo_data_covers_every_stage_and_is_idempotent(people, clauses):
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.improvement.demo_nonconformities import demo_records

    kpi_library_load()
    assert demo_records(write=lambda *_: None) == 8
    statuses = set(Nonconformity.objects.values_list("status", flat=True))
    assert statuses == {"open", "contained", "analysed", "actions_in_progress", "verifying",
                        "closed", "reopened"}  # fmt: skip
    pending = Action.objects.get(verification_method="kpi")
    assert pending.status == "done" and pending.nonconformity.status == "verifying"
    assert Action.objects.filter(kind="preventive").count() == 1
    assert demo_records(write=lambda *_: None) == 0
