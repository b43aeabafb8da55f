"""The internal-audit screens: programmes, audits, checklists, findings, auditors; their
forms (errors shown, nothing written), exports, and who sees and does what (customers 404,
read-only staff 403 on writes)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.findings_audits import finding_create
from serviceloop.evaluation.models import Audit, AuditProgramme, Finding
from serviceloop.evaluation.tests.steps_audits import DAY, TODAY, line_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def finding(people, started, clauses):
    return finding_create(
        actor=people.auditor, audit=started, kind="minor_nc", title="Major incidents not reviewed",
        clauses=[clauses["8.6.1"]], owner=people.lead, due_on=TODAY + 10 * DAY,
    )  # fmt: skip


def read_urls(programme, audit, finding, people):
    return [
        reverse("audit_programme_list"),
        reverse("audit_programme_detail", args=[programme.reference]),
        reverse("internal_audit_list"),
        reverse("internal_audit_detail", args=[audit.reference]),
        reverse("audit_finding_list"),
        reverse("audit_finding_detail", args=[finding.reference]),
        reverse("audit_auditor_list"),
        reverse("audit_auditor_detail", args=[people.auditor.pk]),
    ]


def test_staff_read_every_screen_and_customers_get_404(people, started, finding, client_for):
    urls = read_urls(started.programme, started, finding, people)
    for user in (people.top, people.agent):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 200, url
    for user in (people.a_manager, people.b_user):
        client = client_for(user)
        for url in [*urls, reverse("audit_settings"), reverse("audit_programme_new")]:
            assert client.get(url).status_code == 404, url


def test_read_only_staff_get_403_on_writes(people, started, finding, client_for):
    client = client_for(people.agent)
    programme = started.programme
    gets = [
        reverse("audit_programme_new"),
        reverse("audit_programme_edit", args=[programme.reference]),
        reverse("audit_line_new", args=[programme.reference]),
        reverse("internal_audit_new", args=[programme.reference]),
        reverse("internal_audit_edit", args=[started.reference]),
        reverse("audit_finding_new", args=[started.reference]),
        reverse("audit_finding_edit", args=[finding.reference]),
        reverse("audit_settings"),
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
    posts = [
        reverse("audit_programme_move", args=[programme.reference]),
        reverse("internal_audit_move", args=[started.reference]),
        reverse("audit_finding_move", args=[finding.reference]),
        reverse("audit_finding_attach", args=[finding.reference]),
    ]
    for url in posts:
        assert client.post(url, {"target": "closed", "note": "x"}).status_code == 403, url
    assert Audit.objects.get().status == "in_progress"
    assert Finding.objects.get().status == "open"


def test_the_programme_page_shows_lines_risk_and_coverage(people, programme, client_for):
    from serviceloop.evaluation.services_audits import line_remove

    line_remove(actor=people.owner, line=line_of(programme, "10.2"))

    response = client_for(people.top).get(
        reverse("audit_programme_detail", args=[programme.reference])
    )
    text = response.content.decode()

    assert 'data-testid="coverage-gaps"' in text
    assert '<tr class="table-warning" data-clause="10.2">' in text
    assert 'data-line="8.6.1"' in text and "Twice a year" in text
    assert "Service Desk 服务台" in text


def test_the_owner_creates_a_programme_through_the_form(people, clauses, client_for):
    client = client_for(people.owner)

    bad = client.post(reverse("audit_programme_new"), {"year": 1990})
    assert bad.status_code == 200
    assert "greater than or equal to 2000" in bad.content.decode()
    assert not AuditProgramme.objects.exists()

    good = client.post(reverse("audit_programme_new"), {"year": TODAY.year, "title": ""})
    programme = AuditProgramme.objects.get()
    assert good.status_code == 302 and good["Location"].endswith(f"{programme.reference}/")
    approve = client.post(
        reverse("audit_programme_move", args=[programme.reference]),
        {"target": "approved", "version": programme.version},
    )
    assert approve.status_code == 302
    assert AuditProgramme.objects.get().status == "approved"


def test_the_audit_form_shows_the_independence_refusal(people, programme, client_for):
    from serviceloop.support.models import PersonCompetence

    PersonCompetence.objects.create(
        person=people.lead, competence=PersonCompetence.objects.get().competence, level=4,
        assessed_on=TODAY - DAY, updated_at=people.lead.date_joined,
    )  # fmt: skip
    url = reverse("internal_audit_new", args=[programme.reference])
    data = {
        "title": "Desk audit", "lines": [line_of(programme, "8.6.1").pk],
        "planned_start": TODAY.isoformat(), "planned_end": TODAY.isoformat(),
        "lead_auditor": people.lead.pk,
    }  # fmt: skip

    refused = client_for(people.auditor).post(url, data)
    accepted = client_for(people.auditor).post(url, data | {"lead_auditor": people.auditor.pk})

    assert refused.status_code == 200
    assert "the team that owns it" in refused.content.decode()
    audit = Audit.objects.get()
    assert accepted.status_code == 302 and accepted["Location"].endswith(f"{audit.reference}/")


def test_the_audit_page_answers_questions_and_moves_the_audit(people, audit, client_for):
    client = client_for(people.auditor)
    page = client.get(reverse("internal_audit_detail", args=[audit.reference])).content.decode()
    assert "Are all incidents recorded" in page
    assert "Incidents resolved within the SLA" in page  # the live evidence

    client.post(reverse("internal_audit_move", args=[audit.reference]),
                {"target": "in_progress", "version": audit.version})  # fmt: skip
    item = audit.checklist.first()
    prefix = f"q{item.pk}"
    response = client.post(
        reverse("audit_checklist_answer", args=[audit.reference, item.pk]),
        {f"{prefix}-result": "observation", f"{prefix}-notes": "Template not used",
         f"{prefix}-evidence_links": "INC-2026-000123\nhttps://wiki.example/mi"},
    )  # fmt: skip
    item.refresh_from_db()

    assert response.status_code == 302
    assert (item.result, item.evidence_links) == (
        "observation", ["INC-2026-000123", "https://wiki.example/mi"],
    )  # fmt: skip
    page = client.get(reverse("internal_audit_detail", args=[audit.reference])).content.decode()
    assert 'href="https://wiki.example/mi"' in page
    assert Audit.objects.get().status == "in_progress"


def test_recording_a_finding_through_the_form_opens_a_nonconformity(
    people, started, client_for, clauses
):
    from serviceloop.improvement.models import Nonconformity

    url = reverse("audit_finding_new", args=[started.reference])
    item = started.checklist.first()
    form = client_for(people.auditor).get(url + f"?item={item.pk}")
    response = client_for(people.auditor).post(url, {
        "kind": "major_nc", "title": "No major incident reviews", "clauses": [clauses["8.6.1"].pk],
        "owner": people.lead.pk, "due_on": (TODAY + 20 * DAY).isoformat(),
        "checklist_item": item.pk,
    })  # fmt: skip

    assert form.status_code == 200
    finding = Finding.objects.get()
    assert response.status_code == 302
    page = client_for(people.top).get(reverse("audit_finding_detail", args=[finding.reference]))
    nc = Nonconformity.objects.get()
    assert nc.reference in page.content.decode()
    assert reverse("nonconformity_detail", args=[nc.reference]) in page.content.decode()


def test_the_owner_plans_the_action_and_attaches_evidence_on_the_page(people, finding, client_for):
    client = client_for(people.lead)
    page = client.get(reverse("audit_finding_detail", args=[finding.reference])).content.decode()
    assert 'data-testid="move-action_planned"' in page
    assert 'data-testid="move-closed"' not in page

    client.post(reverse("audit_finding_move", args=[finding.reference]),
                {"target": "action_planned", "action_plan": "Review both incidents"})  # fmt: skip
    client.post(
        reverse("audit_finding_attach", args=[finding.reference]),
        {"file": SimpleUploadedFile("review.txt", "回顾记录".encode())},
    )

    finding.refresh_from_db()
    assert (finding.status, finding.action_plan) == ("action_planned", "Review both incidents")
    page = client.get(reverse("audit_finding_detail", args=[finding.reference])).content.decode()
    assert "review.txt" in page


def test_the_auditor_register_shows_the_qualification_record(people, auditing, client_for):
    client = client_for(people.top)

    register = client.get(reverse("audit_auditor_list")).content.decode()
    detail = client.get(reverse("audit_auditor_detail", args=[people.auditor.pk])).content.decode()

    assert 'data-person="auditor"' in register and 'data-qualified="yes"' in register
    assert "IA-20000-7" in detail and "Internal auditing" in detail
    assert "Internal auditor course, two audits shadowed" in detail


def test_the_owner_sets_the_qualification(people, auditing, client_for):
    response = client_for(people.owner).post(
        reverse("audit_settings"), {"competence": auditing.pk, "minimum_level": 4, "version": 2}
    )

    assert response.status_code == 302
    register = client_for(people.top).get(reverse("audit_auditor_list")).content.decode()
    assert 'data-qualified="no"' in register and "4 or higher is required" in register
    assert AuditEvent.objects.filter(verb="audit_settings.updated").count() == 2


@pytest.mark.parametrize(
    ("name", "args", "header"),
    [
        ("audit_programme_list", [], "Reference"),
        ("internal_audit_list", [], "Lead auditor"),
        ("audit_finding_list", [], "Nonconformity"),
        ("audit_auditor_list", [], "Qualified today"),
    ],
)
def test_every_list_exports_csv_and_xlsx(people, finding, client_for, name, args, header):
    client = client_for(people.top)
    url = reverse(name, args=args)

    csv = client.get(url, {"export": "csv"})
    xlsx = client.get(url, {"export": "xlsx"})

    assert csv.status_code == 200 and header in b"".join(csv.streaming_content).decode()
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert header in [cell.value for cell in sheet[1]]
    assert sheet.max_row >= 2


def test_the_programme_lines_and_the_checklist_export(people, finding, client_for):
    client = client_for(people.top)
    audit = finding.audit

    lines = client.get(reverse("audit_programme_detail", args=[audit.programme.reference]),
                       {"export": "xlsx"})  # fmt: skip
    checklist = client.get(
        reverse("internal_audit_detail", args=[audit.reference]), {"export": "csv"}
    )

    rows = list(load_workbook(io.BytesIO(lines.content)).active.values)
    assert rows[0][:4] == ("Clause", "Subject", "Owning team", "Risk")
    assert ("8.6.1", "Incident management", "Service Desk 服务台", "High") in [r[:4] for r in rows]
    text = b"".join(checklist.streaming_content).decode()
    assert "8.6.1" in text and "Are all incidents recorded" in text


def test_the_lists_issue_no_query_per_row(people, started, clauses, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.top)
    urls = [reverse("audit_finding_list"), reverse("internal_audit_list"),
            reverse("audit_programme_detail", args=[started.programme.reference])]  # fmt: skip

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    finding_create(
        actor=people.auditor, audit=started, kind="observation", title="One",
        clauses=[clauses["8.6.1"]],
    )  # fmt: skip
    before = counts()
    for n in range(4):
        finding_create(
            actor=people.auditor, audit=started, kind="minor_nc", title=f"NC {n}",
            clauses=[clauses["8.6.2"], clauses["8.6.1"]], owner=people.lead,
            due_on=TODAY + DAY,
        )  # fmt: skip
    from serviceloop.evaluation.services_audits import audit_create

    audit_create(
        actor=people.auditor, programme=started.programme, title="Second",
        lines=[line_of(started.programme, "8.6.1")], planned_start=TODAY, planned_end=TODAY,
        lead_auditor=people.auditor,
    )  # fmt: skip

    assert counts() == before
