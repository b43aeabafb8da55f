"""Competence rules: levels with evidence and history, lapsed certifications, gaps per desk
category, the assignment check in off / warn / block modes, the matrix, training sessions
that raise levels on a pass, expiry reminders exactly once, and communication records."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.support.models import (
    CompetenceChange,
    CompetenceSettings,
    PersonCompetence,
)
from serviceloop.support.queries_competence import (
    assignment_check,
    competence_gaps_for,
    competence_matrix,
    required_levels,
)
from serviceloop.support.tasks_competence import competence_expiry_reminders
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
skills = fixtures.skills  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")


def give(skills, people, person, competence, level, **kwargs):
    kwargs.setdefault("evidence", "评估 Assessment")
    return skills.services.person_competence_set(
        actor=people.owner, person=person, competence=competence, level=level, **kwargs
    )


def test_a_level_needs_evidence_and_keeps_its_history(people, skills):
    with pytest.raises(ValidationError) as error:
        skills.services.person_competence_set(
            actor=people.owner, person=people.agent, competence=skills.routing, level=2
        )
    assert "evidence" in error.value.message_dict
    with pytest.raises(ValidationError):
        give(skills, people, people.a_user, skills.routing, 2)  # customers hold no levels
    with pytest.raises(PermissionDenied):
        skills.services.person_competence_set(
            actor=people.lead, person=people.agent, competence=skills.routing, level=2, evidence="x"
        )

    give(skills, people, people.agent, skills.routing, 1)
    give(skills, people, people.agent, skills.routing, 3, evidence="独立处理 10 单")
    give(skills, people, people.agent, skills.routing, 3, evidence="独立处理 10 单")  # no change

    held = PersonCompetence.objects.get(person=people.agent, competence=skills.routing)
    assert held.level == 3 and held.assessed_by == people.owner
    history = list(
        CompetenceChange.objects.filter(person=people.agent).values_list(
            "level_before", "level_after"
        )
    )
    assert history == [(1, 3), (None, 1)]
    assert AuditEvent.objects.filter(verb="competence.level_set").count() == 2


def test_gaps_for_a_desk_category_count_lapsed_certifications_as_zero(people, skills):
    give(skills, people, people.agent, skills.routing, 3)
    give(
        skills,
        people,
        people.agent,
        skills.itil,
        3,
        certificate="ITIL4-F",
        expires_on=skills.today - DAY,
        assessed_on=skills.today - 400 * DAY,
    )

    gaps = competence_gaps_for(people.agent, skills.network)
    none_for_lead = competence_gaps_for(people.lead, skills.mail)

    assert [(g.competence, g.required, g.level, g.recorded, g.lapsed) for g in gaps] == [
        (skills.itil, 2, 0, 3, True)
    ]
    assert "lapsed" in gaps[0].describe()
    assert none_for_lead == []  # e-mail requires nothing
    assert [g.competence for g in competence_gaps_for(people.lead, skills.network)] == [
        skills.itil,
        skills.routing,
    ]
    role_gaps = competence_gaps_for(people.agent, None)  # the role's requirements
    assert [(g.competence, g.required) for g in role_gaps] == [(skills.itil, 1)]


def test_assignment_check_in_each_mode(people, skills):
    give(skills, people, people.agent, skills.routing, 1)
    give(skills, people, people.agent, skills.itil, 2)
    give(skills, people, people.lead, skills.routing, 4)
    give(skills, people, people.lead, skills.itil, 2)

    assert assignment_check(people.agent, skills.network, mode="off") == ("ok", "")
    level, message = assignment_check(people.agent, skills.network, mode="warn")
    assert level == "warn"
    assert "Agent" in message and "网络排障" in message and "level 1, needs 3" in message
    blocked, why = assignment_check(people.agent, skills.network, mode="block")
    assert blocked == "block" and "may not take" in why
    assert assignment_check(people.lead, skills.network, mode="block") == ("ok", "")
    assert assignment_check(people.agent, skills.mail, mode="block") == ("ok", "")

    # by default the stored setting decides: off until someone changes it
    assert CompetenceSettings.current().assignment_check == "off"
    assert assignment_check(people.agent, skills.network) == ("ok", "")
    skills.services.competence_settings_update(actor=people.owner, assignment_check="block")
    assert assignment_check(people.agent, skills.network)[0] == "block"
    with pytest.raises(ValidationError):
        skills.services.competence_settings_update(actor=people.owner, assignment_check="maybe")
    with pytest.raises(PermissionDenied):
        skills.services.competence_settings_update(actor=people.top, assignment_check="off")


def test_required_levels_come_from_role_team_categories_and_the_asked_process(people, skills):
    skills.services.requirement_set(
        actor=people.owner, competence=skills.itil, level=3, process="变更管理"
    )

    assert required_levels(people.agent) == {skills.routing.pk: 3, skills.itil.pk: 2}
    assert required_levels(people.auditor) == {}
    assert required_levels(people.auditor, process="变更管理") == {skills.itil.pk: 3}
    assert required_levels(people.auditor, category=skills.network) == {
        skills.routing.pk: 3,
        skills.itil.pk: 2,
    }


def test_requirements_name_exactly_one_target(people, skills):
    with pytest.raises(ValidationError):
        skills.services.requirement_set(
            actor=people.owner, competence=skills.itil, level=2, role="agent", process="x"
        )
    with pytest.raises(ValidationError):
        skills.services.requirement_set(actor=people.owner, competence=skills.itil, level=2)
    with pytest.raises(ValidationError):
        skills.services.requirement_set(
            actor=people.owner, competence=skills.itil, level=5, role="agent"
        )
    again = skills.services.requirement_set(
        actor=people.owner, competence=skills.itil, level=2, role="agent"
    )
    assert again.level == 2 and again.competence.requirements.filter(role="agent").count() == 1


def test_the_matrix_shows_levels_against_requirements_gaps_and_lapsed(people, skills):
    give(skills, people, people.agent, skills.routing, 3)
    give(
        skills,
        people,
        people.lead,
        skills.itil,
        2,
        expires_on=skills.today - DAY,
        assessed_on=skills.today - 30 * DAY,
    )

    matrix = competence_matrix(people.auditor, team=skills.team)
    rows = {row.person.username: row for row in matrix.rows}
    columns = [c.pk for c in matrix.competences]
    agent = dict(zip(columns, rows["agent"].cells, strict=True))
    lead = dict(zip(columns, rows["lead"].cells, strict=True))

    assert set(rows) == {"agent", "lead"}
    assert (agent[skills.routing.pk].level, agent[skills.routing.pk].gap) == (3, False)
    assert (agent[skills.itil.pk].level, agent[skills.itil.pk].required) == (None, 2)
    assert agent[skills.itil.pk].gap
    assert lead[skills.itil.pk].lapsed and lead[skills.itil.pk].gap
    assert (matrix.gaps, matrix.lapsed) == (3, 1)
    mine = competence_matrix(people.agent)
    assert [r.person for r in mine.rows] == [people.agent]  # agents see their own row
    gaps_only = competence_matrix(people.owner, gaps_only=True)
    assert people.admin not in [r.person for r in gaps_only.rows]


def test_a_passed_session_raises_the_level_once_and_sets_the_expiry(people, skills):
    course = skills.training.course_create(
        actor=people.owner,
        title="ITIL 4 基础培训",
        competence=skills.itil,
        raises_to_level=2,
        validity_months=36,
    )
    give(skills, people, people.lead, skills.itil, 3)  # holds more than the course gives
    held_on = skills.today - 2 * DAY
    session = skills.training.session_create(
        actor=people.owner,
        course=course,
        held_on=held_on,
        trainer=people.lead,
        attendees=[people.agent, people.lead, people.auditor],
    )
    record = skills.training.attendance_record
    with pytest.raises(ValidationError, match="marked as held"):
        record(actor=people.lead, session=session, person=people.agent, attended=True)
    skills.training.session_transition(actor=people.owner, session=session, target="held")
    with pytest.raises(PermissionDenied):
        record(actor=people.agent, session=session, person=people.agent, attended=True)
    with pytest.raises(ValidationError):
        record(
            actor=people.lead, session=session, person=people.agent, attended=False, result="pass"
        )

    passed = record(
        actor=people.lead,
        session=session,
        person=people.agent,
        attended=True,
        result="pass",
        score=91,
    )
    again = record(
        actor=people.lead,
        session=session,
        person=people.agent,
        attended=True,
        result="pass",
        score=92,
    )
    failed = record(
        actor=people.lead, session=session, person=people.auditor, attended=True, result="fail"
    )

    held = PersonCompetence.objects.get(person=people.agent, competence=skills.itil)
    assert passed.level_raised and again.level_raised and not failed.level_raised
    assert (held.level, held.source, held.session) == (2, "training", session)
    assert held.expires_on == datetime.date(held_on.year + 3, held_on.month, held_on.day)
    assert session.reference in held.evidence
    assert CompetenceChange.objects.filter(person=people.agent, source="training").count() == 1
    assert not PersonCompetence.objects.filter(person=people.auditor).exists()
    lead_row = record(
        actor=people.lead, session=session, person=people.lead, attended=True, result="pass"
    )
    assert not lead_row.level_raised  # level 3 already, no certification to renew
    with pytest.raises(ValidationError, match="stays held"):
        skills.training.session_transition(actor=people.owner, session=session, target="planned")


def test_a_pass_never_lowers_a_level(people, skills):
    course = skills.training.course_create(
        actor=people.owner, title="网络基础", competence=skills.routing, raises_to_level=2
    )
    give(skills, people, people.agent, skills.routing, 4)
    session = skills.training.session_create(
        actor=people.owner,
        course=course,
        held_on=skills.today,
        trainer_name="外部讲师",
        attendees=[people.agent],
    )
    skills.training.session_transition(actor=people.owner, session=session, target="held")
    row = skills.training.attendance_record(
        actor=people.owner, session=session, person=people.agent, attended=True, result="pass"
    )

    assert not row.level_raised
    assert PersonCompetence.objects.get(person=people.agent, competence=skills.routing).level == 4


def test_sessions_need_a_trainer_and_a_held_date_not_in_the_future(people, skills):
    course = skills.training.course_create(actor=people.owner, title="沟通技巧")
    with pytest.raises(ValidationError) as error:
        skills.training.session_create(actor=people.owner, course=course, held_on=skills.today)
    assert "trainer" in error.value.message_dict
    future = skills.training.session_create(
        actor=people.owner, course=course, held_on=skills.today + DAY, trainer=people.lead
    )
    with pytest.raises(ValidationError, match="not before"):
        skills.training.session_transition(actor=people.owner, session=future, target="held")
    with pytest.raises(ValidationError):
        skills.training.course_create(
            actor=people.owner, title="半配置", competence=skills.itil
        )  # a competence without the level a pass reaches


def test_expiry_is_reminded_exactly_once_per_record_and_date(
    people, skills, django_capture_on_commit_callbacks
):
    give(
        skills,
        people,
        people.lead,
        skills.itil,
        2,
        expires_on=skills.today + 10 * DAY,
        assessed_on=skills.today - 300 * DAY,
    )
    give(
        skills,
        people,
        people.agent,
        skills.itil,
        2,
        expires_on=skills.today + 200 * DAY,
        assessed_on=skills.today - 10 * DAY,
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = competence_expiry_reminders.call_local()
        second = competence_expiry_reminders.call_local()
        after_lapse = skills.services.competence_expiry_remind(today=skills.today + 20 * DAY)

    assert (first, second, after_lapse) == (1, 0, 0)
    reminder = Notification.objects.get(kind="competence_expiry")
    assert reminder.recipient == people.lead and "ITIL" in reminder.subject
    # a renewal sets a new date, reminded of in its turn
    give(
        skills,
        people,
        people.lead,
        skills.itil,
        2,
        expires_on=skills.today + 20 * DAY,
        assessed_on=skills.today,
    )
    assert skills.services.competence_expiry_remind() == 1
    assert AuditEvent.objects.filter(verb="competence.expiry_reminded").count() == 2


def test_communication_records_move_the_next_due_date(people, skills):
    services = skills.communication
    item = services.communication_item_create(
        actor=people.owner,
        topic="月度服务报告",
        audience="客户代表",
        frequency="monthly",
        channel="report",
        owner=people.lead,
    )
    assert item.reference.startswith("COM-") and item.next_due == skills.today

    with pytest.raises(PermissionDenied):
        services.communication_record_add(
            actor=people.agent, item=item, held_on=skills.today, summary="x"
        )
    with pytest.raises(ValidationError):
        services.communication_record_add(
            actor=people.lead, item=item, held_on=skills.today + DAY, summary=""
        )
    services.communication_record_add(
        actor=people.lead, item=item, held_on=datetime.date(2026, 1, 31), summary="一月报告"
    )
    item.refresh_from_db()
    assert (item.last_held_on, item.next_due) == (
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
    )
    # an older record does not move the dates back
    services.communication_record_add(
        actor=people.owner, item=item, held_on=datetime.date(2025, 12, 31), summary="十二月"
    )
    item.refresh_from_db()
    assert item.last_held_on == datetime.date(2026, 1, 31)
    assert item.records.count() == 2


def test_communication_due_is_reminded_once_per_date(people, skills):
    services = skills.communication
    item = services.communication_item_create(
        actor=people.owner,
        topic="周例会",
        audience="全体",
        frequency="weekly",
        channel="meeting",
        next_due=skills.today - DAY,
    )

    assert services.communication_due_remind() == 1
    assert services.communication_due_remind() == 0
    services.communication_record_add(
        actor=people.owner, item=item, held_on=skills.today, summary="已开会"
    )
    item.refresh_from_db()
    assert item.next_due == skills.today + 7 * DAY
    assert services.communication_due_remind(today=item.next_due) == 1
