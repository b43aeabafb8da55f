"""Impact analysis: which items, services and customers a failure reaches, in one query,
across cycles and up to the depth limit, checked against a per-level Python walk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceloop.portfolio.impact import ImpactEdge, impact_of
from serviceloop.portfolio.models import (
    CiRelation,
    CiStatus,
    ConfigurationItem,
    RelationKind,
    ServiceStatus,
)
from serviceloop.portfolio.tests.factories import (
    CiRelationFactory,
    ConfigurationItemFactory,
    ServiceComponentFactory,
    ServiceDependencyFactory,
    ServiceFactory,
)
from serviceloop.portfolio.tests.impact_reference import impact_by_levels


def relate(source, kind, target):
    return CiRelationFactory(source=source, kind=kind, target=target)


@pytest.fixture
def estate(people):
    """storage ← host ← vm ← db ← erp-app ← portal-app; mail-vm runs on the host too;
    a switch is only connected to the host. ERP is built on erp-app, the customer portal
    service on portal-app and needs ERP; Mail on mail-vm. Customer A is entitled to ERP,
    customer B to the portal and to Mail."""
    make = ConfigurationItemFactory
    items = {
        name: make(name=name, reference=f"CI-2026-{n:06d}")
        for n, name in enumerate(
            ["storage", "host", "vm", "db", "erp-app", "portal-app", "mail-vm", "switch"], 1
        )
    }
    relate(items["host"], RelationKind.DEPENDS_ON, items["storage"])
    relate(items["vm"], RelationKind.RUNS_ON, items["host"])
    relate(items["mail-vm"], RelationKind.RUNS_ON, items["host"])
    relate(items["db"], RelationKind.RUNS_ON, items["vm"])
    relate(items["erp-app"], RelationKind.DEPENDS_ON, items["db"])
    relate(items["portal-app"], RelationKind.DEPENDS_ON, items["erp-app"])
    relate(items["switch"], RelationKind.CONNECTED_TO, items["host"])
    erp = ServiceFactory(code="erp", name="ERP", customers=[people.customer_a])
    portal = ServiceFactory(code="portal", name="Portal", customers=[people.customer_b])
    mail = ServiceFactory(code="mail", name="Mail", customers=[people.customer_b])
    ServiceComponentFactory(service=erp, configuration_item=items["erp-app"])
    ServiceComponentFactory(service=portal, configuration_item=items["portal-app"])
    ServiceComponentFactory(service=mail, configuration_item=items["mail-vm"], role="runs_on")
    ServiceDependencyFactory(service=portal, depends_on=erp)
    return items, {"erp": erp, "portal": portal, "mail": mail}


def names(impact):
    return {item.name: item.depth for item in impact.items}


def test_a_failure_reaches_every_dependent_item_at_its_shortest_distance(estate):
    items, _services = estate
    impact = impact_of([items["storage"].pk])

    assert names(impact) == {
        "storage": 0,
        "host": 1,
        "vm": 2,
        "mail-vm": 2,
        "db": 3,
        "erp-app": 4,
        "portal-app": 5,
    }
    assert "switch" not in names(impact)  # connected-to carries no impact


def test_the_services_and_the_customers_entitled_to_them_are_reached(estate, people):
    items, services = estate
    impact = impact_of([items["db"].pk])

    assert {s.code: s.depth for s in impact.services} == {"erp": 0, "portal": 0}
    assert {c.id for c in impact.customers} == {people.customer_a.pk, people.customer_b.pk}
    customer_b = next(c for c in impact.customers if c.id == people.customer_b.pk)
    assert customer_b.service_ids == (services["portal"].pk,)


def test_a_service_that_needs_an_impacted_service_is_impacted_through_it(estate, people):
    items, services = estate
    ServiceComponentFactory(service=services["erp"], configuration_item=items["db"])
    services["portal"].components.all().delete()

    impact = impact_of([items["db"].pk])

    assert {s.code: s.depth for s in impact.services} == {"erp": 0, "portal": 1}
    assert (
        ImpactEdge(
            f"service:{services['portal'].pk}", f"service:{services['erp'].pk}", "depends_on"
        )
        in impact.edges
    )


def test_edges_read_source_needs_target(estate, people):
    items, services = estate
    impact = impact_of([items["vm"].pk])

    assert ImpactEdge(f"ci:{items['db'].pk}", f"ci:{items['vm'].pk}", "runs_on") in impact.edges
    assert (
        ImpactEdge(f"service:{services['erp'].pk}", f"ci:{items['erp-app'].pk}", "component")
        in impact.edges
    )
    assert (
        ImpactEdge(f"customer:{people.customer_a.pk}", f"service:{services['erp'].pk}", "entitled")
        in impact.edges
    )
    keys = {item.key for item in impact.items} | {s.key for s in impact.services}
    keys |= {c.key for c in impact.customers}
    assert all(e.source in keys and e.target in keys for e in impact.edges)


def test_part_of_carries_a_failure_of_the_whole_to_its_parts(db):
    room = ConfigurationItemFactory(name="room")
    rack = ConfigurationItemFactory(name="rack")
    relate(rack, RelationKind.PART_OF, room)

    assert names(impact_of([room.pk])) == {"room": 0, "rack": 1}
    assert names(impact_of([rack.pk])) == {"rack": 0}


def test_a_cycle_ends_and_each_item_is_reported_once(db):
    a, b, c = (ConfigurationItemFactory(name=n) for n in "abc")
    relate(b, RelationKind.DEPENDS_ON, a)
    relate(c, RelationKind.DEPENDS_ON, b)
    relate(a, RelationKind.DEPENDS_ON, c)  # a → c → b → a

    impact = impact_of([a.pk])

    assert names(impact) == {"a": 0, "b": 1, "c": 2}
    assert len(impact.edges) == 3
    assert not impact.depth_limit_reached


def test_service_dependency_cycles_end_too(db):
    item = ConfigurationItemFactory()
    one, two = ServiceFactory(code="one"), ServiceFactory(code="two")
    ServiceComponentFactory(service=one, configuration_item=item)
    ServiceDependencyFactory(service=two, depends_on=one)
    ServiceDependencyFactory(service=one, depends_on=two)

    impact = impact_of([item.pk])

    assert {s.code: s.depth for s in impact.services} == {"one": 0, "two": 1}


def test_the_depth_limit_stops_the_walk_and_says_so(db):
    chain = [ConfigurationItemFactory(name=f"n{i}") for i in range(6)]
    for needed, needing in zip(chain, chain[1:], strict=False):
        relate(needing, RelationKind.DEPENDS_ON, needed)

    limited = impact_of([chain[0].pk], max_depth=3)
    full = impact_of([chain[0].pk])

    assert names(limited) == {"n0": 0, "n1": 1, "n2": 2, "n3": 3}
    assert limited.depth_limit_reached
    assert len(full.items) == 6 and not full.depth_limit_reached


def test_retired_items_and_services_pass_no_impact_on(estate):
    items, services = estate
    ConfigurationItem.objects.filter(pk=items["vm"].pk).update(status=CiStatus.RETIRED)
    services["erp"].status = ServiceStatus.RETIRED
    services["erp"].save()

    from_host = impact_of([items["host"].pk])
    from_db = impact_of([items["db"].pk])

    assert names(from_host) == {"host": 0, "mail-vm": 1}
    assert {s.code for s in from_db.services} == {"portal"}
    # a retired item given itself is still reported
    assert names(impact_of([items["vm"].pk]))["vm"] == 0


def test_several_items_at_once_and_unknown_ids(estate):
    items, _services = estate
    impact = impact_of([items["erp-app"].pk, items["mail-vm"].pk, 999_999])

    assert names(impact) == {"erp-app": 0, "mail-vm": 0, "portal-app": 1}
    assert impact.start == tuple(sorted([items["erp-app"].pk, items["mail-vm"].pk, 999_999]))
    assert impact_of([]).items == []


def test_it_is_one_query(estate, django_assert_num_queries):
    items, _services = estate
    with django_assert_num_queries(1):
        impact_of([items["storage"].pk])


def test_the_query_is_recursive_sql(estate):
    items, _services = estate
    with CaptureQueriesContext(connection) as queries:
        impact_of([items["storage"].pk])
    assert queries.captured_queries[0]["sql"].lstrip().upper().startswith("WITH RECURSIVE")


def test_it_equals_the_per_level_walk_on_the_estate(estate):
    items, _services = estate
    for item in items.values():
        assert impact_of([item.pk]) == impact_by_levels([item.pk])


# --- Property: random graphs with cycles, retired items and service dependencies -----------

KINDS = [k.value for k in RelationKind]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    size=st.integers(min_value=2, max_value=12),
    edges=st.lists(
        st.tuples(st.integers(0, 11), st.sampled_from(KINDS), st.integers(0, 11)), max_size=40
    ),
    retired=st.sets(st.integers(0, 11), max_size=3),
    components=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 11)), max_size=8),
    service_edges=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=6),
    max_depth=st.integers(min_value=0, max_value=6),
    start=st.sets(st.integers(0, 11), min_size=1, max_size=3),
)
def test_it_equals_the_per_level_walk_on_random_graphs(
    people, size, edges, retired, components, service_edges, max_depth, start
):
    CiRelation.objects.all().delete()
    from serviceloop.portfolio.models import Service, ServiceComponent, ServiceDependency

    ServiceComponent.objects.all().delete()
    ServiceDependency.objects.all().delete()
    Service.objects.all().delete()
    ConfigurationItem.objects.all().delete()
    items = [
        ConfigurationItemFactory(
            name=f"r{i}", status=CiStatus.RETIRED if i in retired else CiStatus.ACTIVE
        )
        for i in range(size)
    ]
    for s, kind, t in edges:
        if s < size and t < size and s != t:
            CiRelation.objects.get_or_create(source=items[s], kind=kind, target=items[t])
    services = [
        ServiceFactory(
            code=f"s{i}", customers=[people.customer_a] if i % 2 else [people.customer_b]
        )
        for i in range(4)
    ]
    for s, i in components:
        if i < size:
            ServiceComponent.objects.get_or_create(service=services[s], configuration_item=items[i])
    for a, b in service_edges:
        if a != b:
            ServiceDependency.objects.get_or_create(service=services[a], depends_on=services[b])

    ids = [items[i].pk for i in start if i < size]
    assert impact_of(ids, max_depth=max_depth) == impact_by_levels(ids, max_depth=max_depth)
