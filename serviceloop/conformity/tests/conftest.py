"""Fixtures of the conformity tests: ``clauses`` loads the clause model from the shipped list."""

import pytest


@pytest.fixture
def clauses(db):
    from serviceloop.conformity.models import Clause
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load()
    return {clause.number: clause for clause in Clause.objects.all()}
