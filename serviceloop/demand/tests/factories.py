"""factory-boy factories of the demand app's models: rows written directly (no service, no
audit row) to build the world a test starts from. A test about a write calls the service."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import OrganisationFactory, UserFactory
from serviceloop.demand.models import (
    ActionStatus,
    Budget,
    CapacityAction,
    CapacityPlan,
    CostCategory,
    CostLine,
    DemandRecord,
    Direction,
    Measurement,
    MeasurementSource,
)
from serviceloop.demand.periods import Period
from serviceloop.portfolio.tests.factories import ServiceFactory


class CapacityPlanFactory(DjangoModelFactory):
    class Meta:
        model = CapacityPlan

    reference = factory.Sequence(lambda n: f"CAP-2000-{n + 1:06d}")
    name = factory.Sequence(lambda n: f"Plan {n}")
    service = factory.SubFactory(ServiceFactory)
    owner = factory.SubFactory(UserFactory, role=Role.AGENT)
    resource = "CPU %"
    unit = "%"
    direction = Direction.HIGHER_IS_WORSE
    warning_threshold = Decimal("70")
    critical_threshold = Decimal("90")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class MeasurementFactory(DjangoModelFactory):
    class Meta:
        model = Measurement

    plan = factory.SubFactory(CapacityPlanFactory)
    at = factory.Sequence(lambda n: timezone.now() - datetime.timedelta(days=n + 1))
    value = Decimal("50")
    source = MeasurementSource.MANUAL
    created_at = factory.LazyFunction(timezone.now)


class CapacityActionFactory(DjangoModelFactory):
    class Meta:
        model = CapacityAction

    plan = factory.SubFactory(CapacityPlanFactory)
    title = factory.Sequence(lambda n: f"Add capacity {n}")
    owner = factory.SelfAttribute("plan.owner")
    status = ActionStatus.OPEN
    created_at = factory.LazyFunction(timezone.now)


def _period_fields(label):
    period = Period.parse(label)
    return {"period_kind": period.kind, "period_start": period.start, "period_end": period.end}


class DemandRecordFactory(DjangoModelFactory):
    """``DemandRecordFactory(period="2026-Q1", ...)``."""

    class Meta:
        model = DemandRecord
        exclude = ["period"]

    period = "2026-Q1"
    organisation = factory.SubFactory(OrganisationFactory)
    service = factory.SubFactory(ServiceFactory)
    period_kind = factory.LazyAttribute(lambda o: _period_fields(o.period)["period_kind"])
    period_start = factory.LazyAttribute(lambda o: _period_fields(o.period)["period_start"])
    period_end = factory.LazyAttribute(lambda o: _period_fields(o.period)["period_end"])
    unit = "users"
    forecast_quantity = Decimal("100")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class BudgetFactory(DjangoModelFactory):
    """``BudgetFactory(period="2026", service=..., amount=...)``."""

    class Meta:
        model = Budget
        exclude = ["period"]

    period = "2026"
    service = factory.SubFactory(ServiceFactory)
    period_kind = factory.LazyAttribute(lambda o: _period_fields(o.period)["period_kind"])
    period_start = factory.LazyAttribute(lambda o: _period_fields(o.period)["period_start"])
    period_end = factory.LazyAttribute(lambda o: _period_fields(o.period)["period_end"])
    amount = Decimal("100000.00")
    currency = "CNY"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class CostLineFactory(DjangoModelFactory):
    class Meta:
        model = CostLine

    service = factory.SubFactory(ServiceFactory)
    date = datetime.date(2026, 1, 15)
    category = CostCategory.STAFF
    amount = Decimal("1000.00")
    currency = "CNY"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")
