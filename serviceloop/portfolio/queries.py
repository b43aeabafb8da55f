"""Named read queries of the portfolio, for its own screens and API and for other apps.

Public functions other apps may call (they never import the models' internals):

- ``services_entitled(organisation)``: the live services a customer may raise tickets about;
- ``service_choices_for(user, organisation=None)``: the services a user may pick (staff: every
  live service, or those of ``organisation``; customers: their entitled ones);
- ``configuration_items_for(user, organisation=None, q="")``: the items a user may pick;
- ``get_service_for`` / ``get_ci_for`` (in ``permissions``) and ``impact_of`` (in ``impact``).
"""

from django.db.models import Count, Q

from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.models import (
    Asset,
    CiRelation,
    ConfigurationItem,
    Service,
    ServiceStatus,
)


def services_entitled(organisation):
    """The live services ``organisation`` is entitled to, by name."""
    if organisation is None:
        return Service.objects.none()
    return Service.objects.entitled(organisation).order_by("name")


def service_choices_for(user, organisation=None):
    """The live services the user may pick for a record (a ticket, a change...)."""
    services = Service.objects.visible_to(user).live()
    if organisation is not None:
        services = services.filter(customers=organisation)
    return services.order_by("name")


def configuration_items_for(user, organisation=None, q: str = ""):
    """The items in use the user may pick; with ``organisation``, that customer's items and
    the provider's own (no customer)."""
    items = ConfigurationItem.objects.visible_to(user).in_use().select_related("ci_type")
    if organisation is not None:
        items = items.filter(Q(organisation=organisation) | Q(organisation__isnull=True))
    if q:
        items = items.filter(Q(reference__iexact=q.strip()) | Q(name__icontains=q.strip()))
    return items.order_by("name", "pk")


def services_for_list(user, *, status: str = "", owner=None, q: str = ""):
    services = (
        Service.objects.visible_to(user)
        .select_related("owner", "hours")
        .annotate(
            customer_count=Count("customers", distinct=True),
            component_count=Count("components", distinct=True),
        )
    )
    if status:
        services = services.filter(status=status)
    if owner is not None:
        services = services.filter(owner=owner)
    if q:
        q = q.strip()
        services = services.filter(
            Q(name__icontains=q) | Q(code__icontains=q) | Q(summary__icontains=q)
        )
    return services.order_by("name", "pk")


def portal_services_for(user):
    """The customer's catalogue: live services his organisation is entitled to."""
    return (
        Service.objects.visible_to(user)
        .filter(status=ServiceStatus.LIVE)
        .select_related("hours")
        .order_by("name")
    )


def cis_for_list(user, *, ci_type=None, status: str = "", owner=None, customer=None, q: str = ""):
    items = ConfigurationItem.objects.visible_to(user).select_related(
        "ci_type", "owner", "organisation"
    )
    if ci_type is not None:
        items = items.filter(ci_type=ci_type)
    if status:
        items = items.filter(status=status)
    if owner is not None:
        items = items.filter(owner=owner)
    if customer is not None:
        items = items.filter(organisation=customer)
    if q:
        q = q.strip()
        items = items.filter(
            Q(reference__iexact=q)
            | Q(name__icontains=q)
            | Q(location__icontains=q)
            | Q(supplier__icontains=q)
        )
    return items.order_by("name", "pk")


def relations_of(item):
    """``(outgoing, incoming)`` relations of an item, with the other end loaded."""
    outgoing = (
        CiRelation.objects.filter(source=item)
        .select_related("target__ci_type")
        .order_by("kind", "target__name")
    )
    incoming = (
        CiRelation.objects.filter(target=item)
        .select_related("source__ci_type")
        .order_by("kind", "source__name")
    )
    return outgoing, incoming


def ci_history(item):
    """The item's audit rows, oldest first: its change history."""
    return (
        AuditEvent.objects.filter(
            object_type=ConfigurationItem._meta.label_lower, object_id=str(item.pk)
        )
        .select_related("actor")
        .order_by("id")
    )


def service_history(service):
    return (
        AuditEvent.objects.filter(object_type=Service._meta.label_lower, object_id=str(service.pk))
        .select_related("actor")
        .order_by("id")
    )


def assets_for_list(user, *, status: str = "", q: str = ""):
    assets = Asset.objects.visible_to(user).select_related("configuration_item")
    if status:
        assets = assets.filter(status=status)
    if q:
        q = q.strip()
        assets = assets.filter(
            Q(reference__iexact=q)
            | Q(name__icontains=q)
            | Q(tag__icontains=q)
            | Q(supplier__icontains=q)
        )
    return assets.order_by("-pk")
