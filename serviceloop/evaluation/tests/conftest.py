"""Fixtures of the evaluation tests.

Internal audit: ``clauses`` (the clause model loaded from the shipped list), ``auditing``
(the competence "Internal auditing" set as the qualification, level 3, held at level 3 by
the auditor), ``desk_team`` (the provider's service desk: lead and agent), ``programme``
(this year's programme, approved, with the default lines; 8.6.1, incident management, is
owned by the desk team and rated high risk), ``audit`` (a planned audit of 8.6.1 and 8.6.2
by the auditor) and ``started`` (the same, in progress). Dates and helpers:
``steps_audits``.

Management review: ``kpis`` (the KPI library), ``second_top`` (another member of top
management, who does not chair the review) and ``review`` (a planned review chaired by
``people.top``). The steps of a meeting: ``steps_reviews``.
"""

import pytest

from serviceloop.evaluation.tests.steps_audits import DAY, TODAY, line_of
from serviceloop.evaluation.tests.steps_reviews import plan_review

# --- Internal audit ------------------------------------------------------------------------


@pytest.fixture
def clauses(db):
    from serviceloop.conformity.models import Clause
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load()
    return {clause.number: clause for clause in Clause.objects.all()}


@pytest.fixture
def auditing(people):
    from serviceloop.evaluation.auditors_audits import audit_settings_update
    from serviceloop.support.services_competence import competence_create, person_competence_set

    competence = competence_create(actor=people.owner, name="Internal auditing", category="Audit")
    audit_settings_update(actor=people.owner, competence=competence, minimum_level=3)
    person_competence_set(
        actor=people.owner,
        person=people.auditor,
        competence=competence,
        level=3,
        evidence="Internal auditor course, two audits shadowed",
        certificate="IA-20000-7",
        assessed_on=TODAY - 30 * DAY,
    )
    return competence


@pytest.fixture
def desk_team(people):
    from serviceloop.core.tests.factories import TeamFactory

    return TeamFactory(
        organisation=people.provider,
        name="Service Desk 服务台",
        lead=people.lead,
        members=[people.lead, people.agent],
    )


@pytest.fixture
def programme(people, clauses, desk_team, auditing):
    from serviceloop.evaluation.services_audits import (
        line_update,
        programme_create,
        programme_transition,
    )

    programme = programme_create(actor=people.owner, year=TODAY.year)
    line_update(
        actor=people.owner,
        line=line_of(programme, "8.6.1"),
        owner_team=desk_team,
        risk="high",
        risk_note="Most tickets; two SLA breaches last quarter",
    )
    return programme_transition(actor=people.owner, programme=programme, target="approved")


@pytest.fixture
def audit(people, programme):
    from serviceloop.evaluation.services_audits import audit_create

    start = max(TODAY, TODAY.replace(month=1, day=1))
    return audit_create(
        actor=people.auditor,
        programme=programme,
        title="Incident and request management",
        lines=[line_of(programme, "8.6.1"), line_of(programme, "8.6.2")],
        planned_start=start,
        planned_end=start,
        lead_auditor=people.auditor,
        scope="Service desk, first line",
        auditees="Service desk team",
    )


@pytest.fixture
def started(people, audit):
    from serviceloop.evaluation.services_audits import audit_transition

    return audit_transition(actor=people.auditor, audit=audit, target="in_progress")


# --- Management review ---------------------------------------------------------------------


@pytest.fixture
def kpis(db):
    from serviceloop.evaluation.library import kpi_library_load

    kpi_library_load()


@pytest.fixture
def second_top(people):
    from serviceloop.core.roles import Role
    from serviceloop.core.tests.factories import UserFactory

    return UserFactory(username="vp", role=Role.TOP_MANAGEMENT, organisation=people.provider)


@pytest.fixture
def review(people, kpis):
    return plan_review(people)
