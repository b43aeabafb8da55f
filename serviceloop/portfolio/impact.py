"""Impact analysis: what fails when configuration items fail.

``impact_of(ci_ids)`` answers, in ONE recursive SQL query (``WITH RECURSIVE``, the same text
on SQLite and PostgreSQL):

1. the items that depend on the given ones, transitively: a relation ``A <kind> B`` with kind
   runs-on, depends-on or part-of carries a failure of B to A (see ``models/cmdb.py`` for the
   edge directions); connected-to does not carry impact; retired items are not in use and
   do not pass impact on (a given item is always reported, whatever its status);
2. the services built on any of those items (service components, any role), and the services
   that depend on those, transitively (``ServiceDependency``); retired services are left out;
3. the customers entitled to those services.

Cycle safety: the walk is a ``UNION`` (not ``UNION ALL``) over ``(item, depth)`` rows, and the
depth is bounded by ``max_depth``, so a cycle adds at most ``max_depth`` rows per item and the
query always ends. Each item is reported once, at its shortest distance from the given ones.
The indexes it relies on: relations by ``(target, kind, source)``, service components by item,
service dependencies by the needed service, entitlements by service (the M2M's own index).

Graph edges (``Impact.edges``) all read "source needs target", so impact flows from target to
source: ``ci:A -runs_on-> ci:B``, ``service:S -component-> ci:A``, ``service:S -depends_on->
service:T``, ``customer:C -entitled-> service:S``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connections, router

from serviceloop.portfolio.lifecycle import CiStatus, ServiceStatus
from serviceloop.portfolio.models import (
    IMPACT_KINDS,
    CiRelation,
    CiType,
    ConfigurationItem,
    Service,
    ServiceComponent,
    ServiceDependency,
)

DEFAULT_MAX_DEPTH = 16
MAX_START_ITEMS = 500


@dataclass(frozen=True)
class ImpactItem:
    id: int
    reference: str
    name: str
    type_name: str
    status: str
    depth: int  # 0 for a given item, else the number of relations from the nearest given one

    @property
    def key(self) -> str:
        return f"ci:{self.id}"


@dataclass(frozen=True)
class ImpactService:
    id: int
    code: str
    name: str
    status: str
    depth: int  # 0: built on an impacted item; n: through n service dependencies

    @property
    def key(self) -> str:
        return f"service:{self.id}"


@dataclass(frozen=True)
class ImpactCustomer:
    id: int
    short_name: str
    name: str
    service_ids: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"customer:{self.id}"


@dataclass(frozen=True)
class ImpactEdge:
    source: str  # node key: "ci:12", "service:3", "customer:5"
    target: str
    kind: str  # relation kind, component role, "depends_on" or "entitled"


@dataclass
class Impact:
    start: tuple[int, ...]
    items: list[ImpactItem] = field(default_factory=list)
    services: list[ImpactService] = field(default_factory=list)
    customers: list[ImpactCustomer] = field(default_factory=list)
    edges: list[ImpactEdge] = field(default_factory=list)
    max_depth: int = DEFAULT_MAX_DEPTH

    @property
    def depth_limit_reached(self) -> bool:
        """Whether the walk stopped at the depth limit (there may be more beyond it)."""
        return any(item.depth >= self.max_depth for item in self.items) or any(
            service.depth >= self.max_depth for service in self.services
        )

    @property
    def dependent_items(self) -> list[ImpactItem]:
        """The impacted items other than the given ones."""
        return [item for item in self.items if item.depth > 0]

    def summary(self) -> dict:
        return {
            "items": len(self.dependent_items),
            "services": len(self.services),
            "customers": len(self.customers),
        }


def _tables() -> dict[str, str]:
    entitled = Service.customers.through
    return {
        "ci": ConfigurationItem._meta.db_table,
        "rel": CiRelation._meta.db_table,
        "type": CiType._meta.db_table,
        "service": Service._meta.db_table,
        "component": ServiceComponent._meta.db_table,
        "dep": ServiceDependency._meta.db_table,
        "entitled": entitled._meta.db_table,
        "entitled_service": entitled._meta.get_field("service").column,
        "entitled_org": entitled._meta.get_field("organisation").column,
        "org": entitled._meta.get_field("organisation").related_model._meta.db_table,
    }


def impact_sql(start_count: int) -> str:
    """The query text for ``start_count`` given items (parameters: the item ids, then the
    values of ``impact_params``)."""
    starts = ", ".join(["%s"] * start_count)
    kinds = ", ".join(["%s"] * len(IMPACT_KINDS))
    t = _tables()
    return f"""
WITH RECURSIVE
reach(ci_id, depth) AS (
    SELECT ci.id, 0 FROM {t["ci"]} ci WHERE ci.id IN ({starts})
  UNION
    SELECT r.source_id, reach.depth + 1
    FROM reach
    JOIN {t["rel"]} r ON r.target_id = reach.ci_id
    JOIN {t["ci"]} dependent ON dependent.id = r.source_id
    WHERE reach.depth < %s AND r.kind IN ({kinds}) AND dependent.status <> %s
),
items(ci_id, depth) AS (
    SELECT ci_id, MIN(depth) FROM reach GROUP BY ci_id
),
service_reach(service_id, depth) AS (
    SELECT sc.service_id, 0
    FROM items
    JOIN {t["component"]} sc ON sc.configuration_item_id = items.ci_id
    JOIN {t["service"]} s ON s.id = sc.service_id
    WHERE s.status <> %s
  UNION
    SELECT d.service_id, service_reach.depth + 1
    FROM service_reach
    JOIN {t["dep"]} d ON d.depends_on_id = service_reach.service_id
    JOIN {t["service"]} s ON s.id = d.service_id
    WHERE service_reach.depth < %s AND s.status <> %s
),
services(service_id, depth) AS (
    SELECT service_id, MIN(depth) FROM service_reach GROUP BY service_id
)
SELECT 'item', ci.id, NULL, items.depth, ci.reference, ci.name, ty.name, ci.status
FROM items
JOIN {t["ci"]} ci ON ci.id = items.ci_id
JOIN {t["type"]} ty ON ty.id = ci.ci_type_id
UNION ALL
SELECT 'relation', r.source_id, r.target_id, NULL, r.kind, NULL, NULL, NULL
FROM items needed
JOIN {t["rel"]} r ON r.target_id = needed.ci_id
JOIN items needing ON needing.ci_id = r.source_id
WHERE r.kind IN ({kinds})
UNION ALL
SELECT 'service', s.id, NULL, services.depth, s.code, s.name, NULL, s.status
FROM services
JOIN {t["service"]} s ON s.id = services.service_id
UNION ALL
SELECT 'component', sc.service_id, sc.configuration_item_id, NULL, sc.role, NULL, NULL, NULL
FROM items
JOIN {t["component"]} sc ON sc.configuration_item_id = items.ci_id
JOIN services ON services.service_id = sc.service_id
UNION ALL
SELECT 'depends', d.service_id, d.depends_on_id, NULL, NULL, NULL, NULL, NULL
FROM services needed
JOIN {t["dep"]} d ON d.depends_on_id = needed.service_id
JOIN services needing ON needing.service_id = d.service_id
UNION ALL
SELECT 'customer', o.id, e.{t["entitled_service"]}, NULL, o.short_name, o.name, NULL, NULL
FROM services
JOIN {t["entitled"]} e ON e.{t["entitled_service"]} = services.service_id
JOIN {t["org"]} o ON o.id = e.{t["entitled_org"]}
"""  # noqa: S608  (table and column names from the models; values are parameters)


def impact_params(start: list[int], max_depth: int) -> list:
    kinds = [str(kind) for kind in IMPACT_KINDS]
    return [
        *start,
        max_depth,
        *kinds,
        str(CiStatus.RETIRED),
        str(ServiceStatus.RETIRED),
        max_depth,
        str(ServiceStatus.RETIRED),
        *kinds,
    ]


def impact_of(
    ci_ids: Iterable[int], *, max_depth: int = DEFAULT_MAX_DEPTH, using: str | None = None
) -> Impact:
    """The impact of a failure of the items ``ci_ids`` (see the module docstring).

    One database query; no permission check (callers decide who may see it: staff). Items
    come sorted by depth then reference, services by depth then name, customers by name.
    Unknown ids are ignored; at most ``MAX_START_ITEMS`` items at once.
    """
    start = sorted({int(pk) for pk in ci_ids})
    if len(start) > MAX_START_ITEMS:
        raise ValueError(f"at most {MAX_START_ITEMS} items at once")
    max_depth = max(0, int(max_depth))
    impact = Impact(start=tuple(start), max_depth=max_depth)
    if not start:
        return impact
    using = using or router.db_for_read(ConfigurationItem)
    with connections[using].cursor() as cursor:
        cursor.execute(impact_sql(len(start)), impact_params(start, max_depth))
        rows = cursor.fetchall()

    customers: dict[int, tuple[str, str, set[int]]] = {}
    for kind, a, b, depth, code, name, extra, status in rows:
        if kind == "item":
            impact.items.append(ImpactItem(a, code, name, extra, status, depth))
        elif kind == "relation":
            impact.edges.append(ImpactEdge(f"ci:{a}", f"ci:{b}", code))
        elif kind == "service":
            impact.services.append(ImpactService(a, code, name, status, depth))
        elif kind == "component":
            impact.edges.append(ImpactEdge(f"service:{a}", f"ci:{b}", code))
        elif kind == "depends":
            impact.edges.append(ImpactEdge(f"service:{a}", f"service:{b}", "depends_on"))
        elif kind == "customer":
            customers.setdefault(a, (code or "", name, set()))[2].add(b)
            impact.edges.append(ImpactEdge(f"customer:{a}", f"service:{b}", "entitled"))
    impact.items.sort(key=lambda item: (item.depth, item.reference))
    impact.services.sort(key=lambda service: (service.depth, service.name, service.id))
    impact.customers = sorted(
        (
            ImpactCustomer(pk, short, name, tuple(sorted(ids)))
            for pk, (short, name, ids) in customers.items()
        ),
        key=lambda customer: (customer.name, customer.id),
    )
    impact.edges.sort(key=lambda edge: (edge.source, edge.target, edge.kind))
    return impact
