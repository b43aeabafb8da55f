"""factory-boy factories for the transition app's tests, and the few portfolio records they
stand on (item types, items, relations, services, components).

Like the other apps' factories they write rows directly (no service, no audit row): they
build the world a test starts from. A test about a write calls the service itself.
"""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from serviceloop.portfolio.lifecycle import CiStatus, ServiceStatus
from serviceloop.portfolio.models import (
    CiRelation,
    CiType,
    ConfigurationItem,
    RelationKind,
    Service,
    ServiceComponent,
)
from serviceloop.transition.lifecycle import ChangeStatus, ReleaseStatus
from serviceloop.transition.models import (
    BlackoutPeriod,
    CabRule,
    ChangeRequest,
    ChangeTemplate,
    ChangeType,
    Release,
)
from serviceloop.transition.risk import RiskLevel


class CiTypeFactory(DjangoModelFactory):
    class Meta:
        model = CiType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.LazyAttribute(lambda o: f"Type {o.code}")


class ConfigurationItemFactory(DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    reference = factory.Sequence(lambda n: f"CI-2000-{n + 1:06d}")
    name = factory.Sequence(lambda n: f"server-{n}")
    ci_type = factory.SubFactory(CiTypeFactory)
    status = CiStatus.ACTIVE


class CiRelationFactory(DjangoModelFactory):
    class Meta:
        model = CiRelation

    source = factory.SubFactory(ConfigurationItemFactory)
    kind = RelationKind.DEPENDS_ON
    target = factory.SubFactory(ConfigurationItemFactory)


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"svc-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    status = ServiceStatus.LIVE

    @factory.post_generation
    def customers(self, create, extracted, **kwargs):
        if create and extracted:
            self.customers.set(extracted)


class ServiceComponentFactory(DjangoModelFactory):
    class Meta:
        model = ServiceComponent

    service = factory.SubFactory(ServiceFactory)
    configuration_item = factory.SubFactory(ConfigurationItemFactory)


class ChangeTemplateFactory(DjangoModelFactory):
    class Meta:
        model = ChangeTemplate

    name = factory.Sequence(lambda n: f"Restart web node {n}")
    description = "Rolling restart of one web node."
    implementation_plan = "Drain, restart, check health, put back."
    backout_plan = "Put the node back as it was."
    test_plan = "Health check returns 200."
    risk_level = RiskLevel.LOW


class CabRuleFactory(DjangoModelFactory):
    """``CabRuleFactory(approvers=[...], emergency_approvers=[...])``."""

    class Meta:
        model = CabRule
        skip_postgeneration_save = True

    risk_level = RiskLevel.MEDIUM
    quorum = 2
    emergency_quorum = 1

    @factory.post_generation
    def approvers(self, create, extracted, **kwargs):
        if create and extracted:
            self.approvers.set(extracted)

    @factory.post_generation
    def emergency_approvers(self, create, extracted, **kwargs):
        if create and extracted:
            self.emergency_approvers.set(extracted)


class BlackoutPeriodFactory(DjangoModelFactory):
    class Meta:
        model = BlackoutPeriod

    organisation = None
    start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=10))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(days=2))
    reason = "Year-end closing"


class ChangeRequestFactory(DjangoModelFactory):
    """A change in any status, written directly (``ChangeRequestFactory(status=..., items=[...],
    on_services=[...], customers=[...])``)."""

    class Meta:
        model = ChangeRequest
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CHG-2000-{n + 1:06d}")
    change_type = ChangeType.NORMAL
    title = factory.Sequence(lambda n: f"Patch server {n}")
    description = "Apply the monthly patches."
    reason = "Security fixes."
    requester = None
    owner = factory.SelfAttribute("requester")
    implementation_plan = "Patch and reboot."
    backout_plan = "Restore the snapshot."
    status = ChangeStatus.DRAFT
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if create and extracted:
            self.configuration_items.set(extracted)

    @factory.post_generation
    def on_services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def customers(self, create, extracted, **kwargs):
        if create and extracted:
            self.affected_customers.set(extracted)


class ReleaseFactory(DjangoModelFactory):
    class Meta:
        model = Release

    reference = factory.Sequence(lambda n: f"REL-2000-{n + 1:06d}")
    name = factory.Sequence(lambda n: f"Release {n}")
    status = ReleaseStatus.PLANNED
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")
