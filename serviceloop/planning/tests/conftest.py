"""Fixtures of the planning tests, on top of the root ``people`` cast.

``clauses``: the clause model loaded from the shipped list. ``assessment``: a draft gap
analysis by the management-system owner (one blank answer per leaf clause of 4–10).
``answer(assessment, number)``: its answer for a clause. ``answer_all(assessment, maturities)``
fills every answer (a default maturity, with per-clause overrides; "na" for not applicable).
"""

import datetime

import pytest


@pytest.fixture
def clauses(db):
    from serviceloop.conformity.models import Clause
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load()
    return {clause.number: clause for clause in Clause.objects.all()}


@pytest.fixture
def assessment(people, clauses):
    from serviceloop.planning.services_assessments import assessment_create

    return assessment_create(
        actor=people.owner,
        title="差距分析 Gap analysis 2026",
        assessed_on=datetime.date(2026, 3, 2),
        copy_previous=False,
    )


@pytest.fixture
def answer():
    def get(assessment, number):
        return assessment.answers.select_related("clause").get(clause__number=number)

    return get


@pytest.fixture
def answer_all(people):
    from serviceloop.planning.services_assessments import answer_update

    def fill(assessment, default=3, **overrides):
        for row in assessment.answers.select_related("clause"):
            value = overrides.get(row.clause.number, default)
            if value == "na":
                answer_update(
                    actor=people.owner,
                    answer=row,
                    not_applicable=True,
                    maturity=None,
                    justification="不适用 Not used here",
                )
            else:
                answer_update(
                    actor=people.owner, answer=row, maturity=value, gap=f"gap {row.clause.number}"
                )

    return fill
