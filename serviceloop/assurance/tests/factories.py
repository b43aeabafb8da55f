"""factory-boy factories of the assurance models.

Like the other apps' factories they write rows directly (no service, no audit row): they build
the world a test starts from. A test about a write calls the service itself.
"""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from serviceloop.assurance.lifecycle import IssueStatus, PlanStatus, RiskStatus
from serviceloop.assurance.models import (
    AvailabilityTarget,
    ContinuityIssue,
    ContinuityPlan,
    ContinuityTest,
    Outage,
    OutageKind,
    OutageSource,
    SecurityControl,
    SecurityIncident,
    SecurityRisk,
    risk_level_for,
)
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.portfolio.tests.factories import ServiceFactory


class AvailabilityTargetFactory(DjangoModelFactory):
    class Meta:
        model = AvailabilityTarget

    service = factory.SubFactory(ServiceFactory)
    target_percent = "99.500"
    updated_at = factory.LazyFunction(timezone.now)


class OutageFactory(DjangoModelFactory):
    class Meta:
        model = Outage
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"OUT-2000-{n + 1:06d}")
    service = factory.SubFactory(ServiceFactory)
    title = factory.Sequence(lambda n: f"Outage {n}")
    kind = OutageKind.UNPLANNED
    source = OutageSource.MANUAL
    start = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=2))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=1))
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def customers(self, create, extracted, **kwargs):
        if create and extracted:
            self.customers.set(extracted)


class ContinuityPlanFactory(DjangoModelFactory):
    class Meta:
        model = ContinuityPlan

    reference = factory.Sequence(lambda n: f"BCP-2000-{n + 1:06d}")
    service = factory.SubFactory(ServiceFactory)
    title = factory.Sequence(lambda n: f"Continuity plan {n}")
    status = PlanStatus.ACTIVE
    rto_minutes = 240
    rpo_minutes = 60
    invocation_criteria = "Service down for more than an hour."
    owner = factory.SubFactory(UserFactory, role=Role.TEAM_LEAD)
    review_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=180))
    test_due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class ContinuityTestFactory(DjangoModelFactory):
    class Meta:
        model = ContinuityTest

    plan = factory.SubFactory(ContinuityPlanFactory)
    kind = "tabletop"
    tested_on = factory.LazyFunction(timezone.localdate)
    result = "pass"
    summary = "Walked through every step."
    recorded_by = factory.SelfAttribute("plan.owner")
    recorded_at = factory.LazyFunction(timezone.now)


class ContinuityIssueFactory(DjangoModelFactory):
    class Meta:
        model = ContinuityIssue

    test = factory.SubFactory(ContinuityTestFactory)
    description = "The contact list was out of date."
    action = "Update the contact list."
    owner = factory.SelfAttribute("test.plan.owner")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    status = IssueStatus.OPEN


class SecurityControlFactory(DjangoModelFactory):
    class Meta:
        model = SecurityControl

    code = factory.Sequence(lambda n: f"T-{n + 1:02d}")
    title = factory.Sequence(lambda n: f"Control {n}")
    description = "What the control does."
    updated_at = factory.LazyFunction(timezone.now)


class SecurityRiskFactory(DjangoModelFactory):
    class Meta:
        model = SecurityRisk

    reference = factory.Sequence(lambda n: f"ISR-2000-{n + 1:06d}")
    title = factory.Sequence(lambda n: f"Risk {n}")
    asset = "Customer database"
    threat = "Theft of credentials"
    vulnerability = "No second factor"
    likelihood = 3
    impact = 4
    score = factory.LazyAttribute(lambda o: o.likelihood * o.impact)
    level = factory.LazyAttribute(lambda o: risk_level_for(o.likelihood * o.impact))
    treatment = "mitigate"
    owner = factory.SubFactory(UserFactory, role=Role.SYSTEM_OWNER)
    review_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))
    status = RiskStatus.OPEN
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class SecurityIncidentFactory(DjangoModelFactory):
    class Meta:
        model = SecurityIncident
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"SEC-2000-{n + 1:06d}")
    classification = "phishing"
    detected_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def viewers(self, create, extracted, **kwargs):
        if create and extracted:
            self.viewers.set(extracted)
