"""factory-boy factories of the portfolio's models.

Like the core factories they write rows directly (no service, no audit row): they build the
world a test starts from. A test about a write calls the service itself.
"""

import factory
from factory.django import DjangoModelFactory

from serviceloop.portfolio.models import (
    Asset,
    CiRelation,
    CiStatus,
    CiType,
    ConfigurationItem,
    RelationKind,
    Service,
    ServiceChecklistItem,
    ServiceComponent,
    ServiceDependency,
    ServiceStatus,
)


class CiTypeFactory(DjangoModelFactory):
    class Meta:
        model = CiType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.LazyAttribute(lambda o: f"Type {o.code}")
    attributes = factory.LazyFunction(list)


class ConfigurationItemFactory(DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    reference = factory.Sequence(lambda n: f"CI-2026-{n + 900000:06d}")
    name = factory.Sequence(lambda n: f"item-{n}")
    ci_type = factory.SubFactory(CiTypeFactory, code="server", name="Server")
    status = CiStatus.ACTIVE
    attributes = factory.LazyFunction(dict)


class CiRelationFactory(DjangoModelFactory):
    class Meta:
        model = CiRelation

    source = factory.SubFactory(ConfigurationItemFactory)
    target = factory.SubFactory(ConfigurationItemFactory)
    kind = RelationKind.DEPENDS_ON


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    status = ServiceStatus.LIVE
    summary = "What customers get."
    staff_notes = "Internal notes for staff only."

    @factory.post_generation
    def customers(self, create, extracted, **kwargs):
        if create and extracted:
            self.customers.set(extracted)


class ServiceDependencyFactory(DjangoModelFactory):
    class Meta:
        model = ServiceDependency

    service = factory.SubFactory(ServiceFactory)
    depends_on = factory.SubFactory(ServiceFactory)


class ServiceComponentFactory(DjangoModelFactory):
    class Meta:
        model = ServiceComponent

    service = factory.SubFactory(ServiceFactory)
    configuration_item = factory.SubFactory(ConfigurationItemFactory)


class ServiceChecklistItemFactory(DjangoModelFactory):
    class Meta:
        model = ServiceChecklistItem

    service = factory.SubFactory(ServiceFactory)
    position = factory.Sequence(lambda n: n + 1)
    label = factory.Sequence(lambda n: f"Step {n}")


class AssetFactory(DjangoModelFactory):
    class Meta:
        model = Asset

    reference = factory.Sequence(lambda n: f"AST-2026-{n + 900000:06d}")
    name = factory.Sequence(lambda n: f"asset-{n}")
