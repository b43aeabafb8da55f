"""What a change touches: the impact snapshot (from ``portfolio.impact.impact_of``) and
whether the change policy puts it under change control.

The snapshot is taken when a change is submitted and refreshed while it may still be edited;
it stays as the record of what the CAB was shown, even if the CMDB changes later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.portfolio.models import ConfigurationItem, Service, ServiceComponent
from serviceloop.transition.models import ChangePolicy


@dataclass
class ChangeImpactView:
    """A snapshot as the screens and the API show it, plus the customer ids it names."""

    snapshot: dict
    customer_ids: set[int] = field(default_factory=set)


def impact_snapshot(ci_ids, service_ids, *, now=None) -> ChangeImpactView:
    """The impact of changing the items ``ci_ids`` and the services ``service_ids``.

    Items and services come from ``impact_of`` (everything that depends on the items, the
    services built on them and the services that need those, transitively); the services
    named directly are added at depth 0. Customers: those entitled to any of these services.
    One query for the impact, one for the services named directly.
    """
    from serviceloop.portfolio.impact import impact_of

    now = now or timezone.now()
    ci_ids = sorted({int(pk) for pk in ci_ids})
    service_ids = sorted({int(pk) for pk in service_ids})
    impact = impact_of(ci_ids)
    services = {
        s.id: {"id": s.id, "code": s.code, "name": s.name, "depth": s.depth}
        for s in impact.services
    }
    customers = {
        c.id: {"id": c.id, "name": c.name, "short_name": c.short_name} for c in impact.customers
    }
    if service_ids:
        for service in Service.objects.filter(pk__in=service_ids).prefetch_related("customers"):
            services[service.pk] = {
                "id": service.pk,
                "code": service.code,
                "name": service.name,
                "depth": 0,
            }
            for customer in service.customers.all():
                customers.setdefault(
                    customer.pk,
                    {"id": customer.pk, "name": customer.name, "short_name": customer.short_name},
                )
    snapshot = {
        "taken_at": now.isoformat(),
        "items": [
            {
                "id": item.id,
                "reference": item.reference,
                "name": item.name,
                "type": item.type_name,
                "depth": item.depth,
            }
            for item in impact.items
        ],
        "services": sorted(services.values(), key=lambda s: (s["depth"], s["name"], s["id"])),
        "customers": sorted(customers.values(), key=lambda c: (c["name"], c["id"])),
        "depth_limit_reached": impact.depth_limit_reached,
    }
    snapshot["summary"] = {
        "items": sum(1 for item in snapshot["items"] if item["depth"] > 0),
        "services": len(snapshot["services"]),
        "customers": len(snapshot["customers"]),
    }
    return ChangeImpactView(snapshot=snapshot, customer_ids=set(customers))


def change_control_reasons(
    ci_ids, service_ids, *, impacted_service_ids=(), policy: ChangePolicy | None = None
) -> list[str]:
    """Why a change with these items and services is under change control (empty: it is
    not). Controlled are: everything when the policy says so; items of a controlled type;
    controlled services named by the change, built on its items, or impacted by it."""
    policy = policy or ChangePolicy.current()
    if policy.all_controlled:
        return [_("Every item and service is under change control.")]
    reasons = []
    ci_ids, service_ids = set(ci_ids), set(service_ids) | set(impacted_service_ids)
    controlled_types = set(policy.controlled_ci_types.values_list("pk", flat=True))
    if ci_ids and controlled_types:
        for reference, type_name in (
            ConfigurationItem.objects.filter(pk__in=ci_ids, ci_type__in=controlled_types)
            .order_by("reference")
            .values_list("reference", "ci_type__name")
        ):
            reasons.append(
                _("%(item)s is a %(type)s: that type is under change control.")
                % {"item": reference, "type": type_name}
            )
    controlled_services = set(policy.controlled_services.values_list("pk", flat=True))
    if controlled_services:
        if ci_ids:
            service_ids |= set(
                ServiceComponent.objects.filter(
                    configuration_item__in=ci_ids, service__in=controlled_services
                ).values_list("service_id", flat=True)
            )
        for name in (
            Service.objects.filter(pk__in=service_ids & controlled_services)
            .order_by("name")
            .values_list("name", flat=True)
        ):
            reasons.append(_("The service %(name)s is under change control.") % {"name": name})
    return reasons
