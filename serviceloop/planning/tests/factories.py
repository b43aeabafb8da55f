"""factory-boy factories of planning: rows written directly (no service, no audit row), for
tests that need a world to start from. Tests about a write call the service."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import OrganisationFactory, UserFactory
from serviceloop.planning.models import Milestone, MilestoneKind, PlanItem


class PlanItemFactory(DjangoModelFactory):
    class Meta:
        model = PlanItem
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"PLN-2026-{n + 1:06d}")
    title = factory.Sequence(lambda n: f"计划事项 Plan item {n}")
    owner = factory.SubFactory(
        UserFactory,
        role=Role.SYSTEM_OWNER,
        organisation=factory.SubFactory(OrganisationFactory, provider=True),
    )
    due_on = datetime.date(2026, 4, 30)
    start_on = factory.LazyAttribute(lambda o: min(datetime.date(2026, 3, 1), o.due_on))
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def clauses(self, create, extracted, **kwargs):
        if create and extracted:
            self.clauses.set(extracted)


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    title = factory.Sequence(lambda n: f"Milestone {n}")
    kind = MilestoneKind.OTHER
    due_on = datetime.date(2026, 6, 1)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")
