"""The competence, training and communication screens: the matrix (filters, highlighted gaps
and lapsed certifications, CSV and a coloured XLSX), a person's profile, requirements and
settings, training sessions with attendance, the communication plan with records and files,
and the permission rules (customers 404, read-only staff 403)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from serviceloop.core.models import Attachment
from serviceloop.support.models import (
    CommunicationItem,
    CompetenceSettings,
    PersonCompetence,
    TrainingSession,
)
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
skills = fixtures.skills  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")

PAGES = [
    "competence_matrix",
    "competence_list",
    "competence_requirements",
    "training_list",
    "training_courses",
    "communication_list",
    "communication_records",
]


@pytest.fixture
def levels(people, skills):
    owner = people.owner
    skills.services.person_competence_set(
        actor=owner, person=people.agent, competence=skills.routing, level=1, evidence="观察"
    )
    skills.services.person_competence_set(
        actor=owner,
        person=people.lead,
        competence=skills.itil,
        level=2,
        evidence="证书",
        certificate="ITIL4-F 1",
        expires_on=skills.today - 3 * DAY,
        assessed_on=skills.today - 400 * DAY,
    )
    skills.services.person_competence_set(
        actor=owner, person=people.lead, competence=skills.routing, level=4, evidence="带教"
    )
    return skills


def test_the_matrix_highlights_gaps_and_lapsed_certifications(people, levels, client_for):
    page = client_for(people.owner).get(reverse("competence_matrix"), {"team": levels.team.pk})
    html = page.content.decode()
    matrix = page.context["matrix"]

    assert page.status_code == 200
    assert [r.person.username for r in matrix.rows] == ["agent", "lead"]
    assert html.count('data-cell="lapsed"') == 1
    assert html.count('data-cell="gap"') == 2  # agent: routing 1/3 and ITIL —/2
    assert 'data-cell="met"' in html and "lapsed" in html


def test_the_matrix_exports_csv_rows_and_a_coloured_workbook(people, levels, client_for):
    client = client_for(people.auditor)

    csv = client.get(reverse("competence_matrix"), {"export": "csv", "team": levels.team.pk})
    xlsx = client.get(reverse("competence_matrix"), {"export": "xlsx", "team": levels.team.pk})

    text = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert len(text) == 1 + 2 * 2  # header + two people × two competences
    assert any("lead" in line and "ITIL" in line and "True" in line for line in text)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.values)
    header = rows[0]
    assert header[:2] == ("Person", "Teams")
    lead_row = next(i for i, r in enumerate(rows, start=1) if r[0] == str(people.lead))
    itil_column = header.index(levels.itil.name) + 1
    cell = sheet.cell(row=lead_row, column=itil_column)
    assert cell.value == "2 / 2" and cell.fill.start_color.rgb.endswith("FFE69C")
    agent_row = next(i for i, r in enumerate(rows, start=1) if r[0] == str(people.agent))
    routing_column = header.index(levels.routing.name) + 1
    assert sheet.cell(row=agent_row, column=routing_column).fill.start_color.rgb.endswith("F8D7DA")


def test_every_page_opens_for_staff_and_is_404_for_customers(people, levels, client_for):
    for name in PAGES:
        for user in (people.owner, people.auditor, people.top, people.agent, people.lead):
            assert client_for(user).get(reverse(name)).status_code == 200, (name, user)
        assert client_for(people.a_manager).get(reverse(name)).status_code == 404, name
        exported = client_for(people.admin).get(reverse(name), {"export": "xlsx"})
        assert exported.status_code == 200 and exported.content[:2] == b"PK", name


def test_writes_are_403_for_read_only_and_operational_staff(people, levels, client_for):
    person = reverse("competence_person_set", args=[people.agent.pk])
    for user in (people.auditor, people.top, people.agent, people.lead):
        client = client_for(user)
        for name in (
            "competence_new",
            "competence_requirement_new",
            "competence_settings",
            "training_session_new",
            "training_course_new",
            "communication_new",
        ):
            assert client.get(reverse(name)).status_code == 403, (name, user)
        assert client.post(person, {"competence": levels.itil.pk, "level": 4}).status_code in (
            403,
            404,
        )
    assert PersonCompetence.objects.filter(person=people.agent, competence=levels.itil).count() == 0


def test_a_person_sees_his_own_profile_only_unless_he_reads_everyone(people, levels, client_for):
    agent = client_for(people.agent)

    own = agent.get(reverse("competence_person", args=[people.agent.pk]))
    other = agent.get(reverse("competence_person", args=[people.lead.pk]))
    matrix = agent.get(reverse("competence_matrix"))
    lead_page = client_for(people.auditor).get(reverse("competence_person", args=[people.lead.pk]))

    assert own.status_code == 200 and other.status_code == 404
    assert [r.person for r in matrix.context["matrix"].rows] == [people.agent]
    html = lead_page.content.decode()
    assert 'data-state="lapsed"' in html and "ITIL4-F 1" in html
    assert (
        client_for(people.a_user)
        .get(reverse("competence_person", args=[people.agent.pk]))
        .status_code
        == 404
    )


def test_recording_a_level_and_the_settings_through_the_forms(people, levels, client_for):
    owner = client_for(people.owner)

    posted = owner.post(
        reverse("competence_person_set", args=[people.agent.pk]),
        {"competence": levels.itil.pk, "level": 2, "evidence": "ITIL 4 考试通过"},
    )
    settings = owner.post(
        reverse("competence_settings"), {"assignment_check": "block", "expiry_notice_days": 45}
    )
    bad = owner.post(
        reverse("competence_person_set", args=[people.agent.pk]),
        {"competence": levels.itil.pk, "level": 3},
    )

    assert posted.status_code == 302
    assert PersonCompetence.objects.get(person=people.agent, competence=levels.itil).level == 2
    assert settings.status_code == 302
    assert CompetenceSettings.current().assignment_check == "block"
    assert bad.status_code == 200 and "evidence" in bad.context["form"].errors


def test_training_session_screens_record_attendance(people, levels, client_for):
    owner = client_for(people.owner)
    owner.post(
        reverse("training_course_new"),
        {"title": "网络排障实操", "competence": levels.routing.pk, "raises_to_level": 3},
    )
    course = levels.routing.courses.get()
    owner.post(
        reverse("training_session_new"),
        {
            "course": course.pk,
            "held_on": (levels.today - DAY).isoformat(),
            "trainer": people.lead.pk,
            "attendees": [people.agent.pk, people.auditor.pk],
        },
    )
    session = TrainingSession.objects.get()
    owner.post(reverse("training_session_move", args=[session.reference]), {"target": "held"})

    lead = client_for(people.lead)  # the trainer
    page = lead.get(reverse("training_session", args=[session.reference]))
    recorded = lead.post(
        reverse("training_attendance", args=[session.reference]),
        {"person": people.agent.pk, "attended": "yes", "result": "pass", "score": "88"},
    )
    stranger = client_for(people.agent).post(
        reverse("training_attendance", args=[session.reference]),
        {"person": people.agent.pk, "attended": "yes", "result": "pass"},
    )
    agent_view = client_for(people.agent).get(reverse("training_session", args=[session.reference]))

    assert page.context["can_record"] and 'data-testid="record-attendance"' in page.content.decode()
    assert recorded.status_code == 302
    assert PersonCompetence.objects.get(person=people.agent, competence=levels.routing).level == 3
    assert stranger.status_code == 403
    assert not agent_view.context["show_results"]
    listing = owner.get(reverse("training_list"), {"status": "held"})
    assert [s.reference for s in listing.context["page"]] == [session.reference]
    assert listing.context["page"][0].passed_count == 1


def test_the_communication_plan_and_records_with_files(people, levels, client_for):
    owner = client_for(people.owner)
    owner.post(
        reverse("communication_new"),
        {
            "topic": "月度服务报告",
            "audience": "客户代表",
            "frequency": "monthly",
            "channel": "report",
            "owner": people.lead.pk,
            "next_due": (levels.today - 2 * DAY).isoformat(),
        },
    )
    item = CommunicationItem.objects.get()
    listing = owner.get(reverse("communication_list"))
    overdue = owner.get(reverse("communication_list"), {"overdue": "on"})
    assert 'data-testid="overdue"' in listing.content.decode()
    assert [i.reference for i in overdue.context["page"]] == [item.reference]

    lead = client_for(people.lead)  # the item's owner records it
    recorded = lead.post(
        reverse("communication_record", args=[item.reference]),
        {
            "held_on": levels.today.isoformat(),
            "summary": "11 月报告已发送。",
            "files": [SimpleUploadedFile("report.txt", "可用性 99.9%".encode())],
        },
    )
    page = owner.get(reverse("communication_detail", args=[item.reference])).content.decode()

    assert recorded.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.is_internal and attachment.filename == "report.txt"
    assert "11 月报告已发送" in page and "report.txt" in page
    item.refresh_from_db()
    assert item.last_held_on == levels.today and not item.overdue
    assert (
        client_for(people.agent)
        .post(
            reverse("communication_record", args=[item.reference]),
            {"held_on": levels.today.isoformat(), "summary": "x"},
        )
        .status_code
        == 403
    )
    assert (
        client_for(people.b_manager)
        .get(reverse("communication_detail", args=[item.reference]))
        .status_code
        == 404
    )
    records = owner.get(reverse("communication_records"), {"export": "csv"})
    assert "11 月报告已发送" in b"".join(records.streaming_content).decode("utf-8-sig")


def test_the_requirement_screens(people, levels, client_for):
    owner = client_for(people.owner)
    listing = owner.get(reverse("competence_requirements"))
    created = owner.post(
        reverse("competence_requirement_new"),
        {"competence": levels.itil.pk, "level": 3, "process": "变更管理"},
    )
    both = owner.post(
        reverse("competence_requirement_new"),
        {"competence": levels.itil.pk, "level": 3, "process": "x", "role": "agent"},
    )
    requirement = levels.itil.requirements.get(process="变更管理")
    removed = owner.post(reverse("competence_requirement_remove", args=[requirement.pk]))

    assert listing.status_code == 200 and len(listing.context["requirements"]) == 3
    assert created.status_code == 302 and removed.status_code == 302
    assert both.status_code == 200 and both.context["form"].errors
    assert not levels.itil.requirements.filter(process="变更管理").exists()
    assert (
        client_for(people.auditor)
        .post(reverse("competence_requirement_remove", args=[levels.itil.requirements.first().pk]))
        .status_code
        == 403
    )


def test_the_matrix_costs_the_same_queries_for_any_number_of_people(
    people, levels, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.owner)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("competence_matrix"))
    for person in (people.admin, people.auditor, people.top):
        levels.services.person_competence_set(
            actor=people.owner, person=person, competence=levels.itil, level=2, evidence="证书"
        )
        levels.team.members.add(person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("competence_matrix"))
    assert len(page.context["matrix"].rows) == 6
