"""The slow, obviously-correct reference for ``impact_of``: a breadth-first walk in Python with
one query per level (and a few queries for the names), used by the tests and by
``bench/cmdb.py`` as its baseline. Its answer must equal ``impact_of``'s exactly."""

from __future__ import annotations

from collections.abc import Iterable

from serviceloop.portfolio.impact import (
    DEFAULT_MAX_DEPTH,
    Impact,
    ImpactCustomer,
    ImpactEdge,
    ImpactItem,
    ImpactService,
)
from serviceloop.portfolio.models import (
    IMPACT_KINDS,
    CiRelation,
    CiStatus,
    ConfigurationItem,
    Service,
    ServiceComponent,
    ServiceDependency,
    ServiceStatus,
)

CHUNK = 10_000  # ids per IN list (SQLite allows 32,766 parameters)


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def impact_by_levels(ci_ids: Iterable[int], *, max_depth: int = DEFAULT_MAX_DEPTH) -> Impact:
    start = sorted({int(pk) for pk in ci_ids})
    impact = Impact(start=tuple(start), max_depth=max_depth)
    start = list(ConfigurationItem.objects.filter(pk__in=start).values_list("pk", flat=True))
    if not start:
        return impact

    # 1. items, level by level: one query per level (per chunk of the frontier)
    depth = dict.fromkeys(start, 0)
    frontier, level = set(start), 0
    while frontier and level < max_depth:
        found = set()
        for chunk in _chunks(frontier):
            found.update(
                CiRelation.objects.filter(target_id__in=chunk, kind__in=IMPACT_KINDS)
                .exclude(source__status=CiStatus.RETIRED)
                .values_list("source_id", flat=True)
            )
        frontier = {pk for pk in found if pk not in depth}
        level += 1
        for pk in frontier:
            depth[pk] = level

    # 2. services built on them, then the services that need those, level by level
    service_depth: dict[int, int] = {}
    for chunk in _chunks(depth):
        for service_id in (
            ServiceComponent.objects.filter(configuration_item_id__in=chunk)
            .exclude(service__status=ServiceStatus.RETIRED)
            .values_list("service_id", flat=True)
        ):
            service_depth[service_id] = 0
    frontier, level = set(service_depth), 0
    while frontier and level < max_depth:
        found = set(
            ServiceDependency.objects.filter(depends_on_id__in=frontier)
            .exclude(service__status=ServiceStatus.RETIRED)
            .values_list("service_id", flat=True)
        )
        frontier = {pk for pk in found if pk not in service_depth}
        level += 1
        for pk in frontier:
            service_depth[pk] = level

    # 3. the names, the edges between what was found, and the customers
    for chunk in _chunks(depth):
        for pk, reference, name, type_name, status in ConfigurationItem.objects.filter(
            pk__in=chunk
        ).values_list("pk", "reference", "name", "ci_type__name", "status"):
            impact.items.append(ImpactItem(pk, reference, name, type_name, status, depth[pk]))
        for source, target, kind in CiRelation.objects.filter(
            target_id__in=chunk, kind__in=IMPACT_KINDS
        ).values_list("source_id", "target_id", "kind"):
            if source in depth:
                impact.edges.append(ImpactEdge(f"ci:{source}", f"ci:{target}", kind))
        for service_id, item_id, role in ServiceComponent.objects.filter(
            configuration_item_id__in=chunk
        ).values_list("service_id", "configuration_item_id", "role"):
            if service_id in service_depth:
                impact.edges.append(ImpactEdge(f"service:{service_id}", f"ci:{item_id}", role))
    for pk, code, name, status in Service.objects.filter(pk__in=service_depth).values_list(
        "pk", "code", "name", "status"
    ):
        impact.services.append(ImpactService(pk, code, name, status, service_depth[pk]))
    for source, target in ServiceDependency.objects.filter(
        depends_on_id__in=service_depth, service_id__in=service_depth
    ).values_list("service_id", "depends_on_id"):
        impact.edges.append(ImpactEdge(f"service:{source}", f"service:{target}", "depends_on"))
    customers: dict[int, tuple[str, str, set[int]]] = {}
    through = Service.customers.through
    for service_id, org_id, short, name in through.objects.filter(
        service_id__in=service_depth
    ).values_list(
        "service_id", "organisation_id", "organisation__short_name", "organisation__name"
    ):
        customers.setdefault(org_id, (short, name, set()))[2].add(service_id)
        impact.edges.append(ImpactEdge(f"customer:{org_id}", f"service:{service_id}", "entitled"))

    impact.items.sort(key=lambda item: (item.depth, item.reference))
    impact.services.sort(key=lambda service: (service.depth, service.name, service.id))
    impact.customers = sorted(
        (ImpactCustomer(pk, s, n, tuple(sorted(ids))) for pk, (s, n, ids) in customers.items()),
        key=lambda customer: (customer.name, customer.id),
    )
    impact.edges.sort(key=lambda edge: (edge.source, edge.target, edge.kind))
    return impact
