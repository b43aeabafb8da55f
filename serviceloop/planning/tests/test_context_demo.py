"""The demo of clauses 4–6: the online-services profile, issues and parties, an approved
scope and policy, the RACI matrix, five objectives bound to figures and ten risks and
opportunities — created once."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from serviceloop.core.demo import demo_load
from serviceloop.core.models import User
from serviceloop.planning import demo, demo_management
from serviceloop.planning.figures import FIGURES
from serviceloop.planning.models import (
    PROCESSES,
    ContextIssue,
    InterestedParty,
    Objective,
    PolicyVersion,
    RaciAssignment,
    Risk,
    ScopeStatement,
    TailoringSetting,
)
from serviceloop.planning.queries_objectives import evaluated
from serviceloop.planning.queries_tailoring import CACHE_KEY
from serviceloop.portfolio import demo as portfolio_demo


@pytest.fixture(autouse=True)
def _fresh_switches():
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def test_the_demo_tailors_and_plans_the_management_system_once(db, client_for):
    quiet = lambda line: None  # noqa: E731
    demo_load(write=quiet)
    portfolio_demo.demo_records(write=quiet)  # the services and items the records link to

    created = demo.demo_records(write=quiet)
    again = demo.demo_records(write=quiet)

    assert created > 0 and again == 0 and demo_management.demo_records(write=quiet) == 0
    assert TailoringSetting.objects.get().profile == "online"
    assert ContextIssue.objects.count() == 6 and InterestedParty.objects.count() == 6
    scope = ScopeStatement.objects.get()
    assert scope.status == "approved" and scope.approved_by.username == "ceo"
    assert scope.services.count() == 6
    assert {e.module for e in scope.exclusions.all()} == {"surveys", ""}
    policy = PolicyVersion.objects.get()
    assert policy.status == "approved" and policy.communications.count() == 2
    accountable = RaciAssignment.objects.filter(letters__contains="A")
    assert set(accountable.values_list("process", flat=True)) == {p.code for p in PROCESSES}
    objectives = list(Objective.objects.all())
    assert len(objectives) == 5 and all(o.figure in FIGURES for o in objectives)
    assert {e.status for _o, e in evaluated(objectives)} - {"no_data"}  # some are measured
    assert Risk.objects.count() == 10
    assert Risk.objects.filter(kind="opportunity").count() == 3
    assert Risk.objects.filter(status="closed").count() == 1
    assert Risk.objects.filter(configuration_items__isnull=False).distinct().count() >= 3
    assert Risk.objects.filter(objectives__isnull=False).distinct().count() >= 3
    client = client_for(User.objects.get(username="ceo"))
    for name in ("context_overview", "objective_list", "risk_heatmap", "raci_matrix"):
        assert client.get(reverse(name)).status_code == 200
