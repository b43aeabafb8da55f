"""Fixtures of the customers and agreements tests (imported by each ``test_customers_*`` and
``test_agreements_*`` module), on top of the root ``people`` cast.

``cust``: three live services (ERP for customers A and B, Mail for A, Portal for B) and one
pipeline service; customer accounts for A (account manager: the lead) and B (the agent), each
with a primary contact linked to its manager and a contact linked to its user.
``desk_policy``: the desk's "Standard" SLA policy, version 1 (STANDARD_TARGETS, minutes).
``make_sla``: an SLA drafted by the lead for customer A, with text, services and targets,
moved as far as asked (``until="draft" | "in_review" | "agreed"``).
"""

import datetime
import types
from decimal import Decimal

import pytest

from serviceloop.relationship.models import TargetMetric, TargetUnit, VersionStatus

D = datetime.date


def make_service(code, name, *, status="live", customers=()):
    from serviceloop.portfolio.models import Service

    service = Service.objects.create(code=code, name=name, status=status)
    service.customers.set(customers)
    return service


@pytest.fixture
def cust(people):
    from serviceloop.relationship.services_customers import (
        customer_account_create,
        customer_contact_create,
    )

    erp = make_service("erp", "ERP 企业资源计划", customers=[people.customer_a, people.customer_b])
    mail = make_service("mail", "Mail 邮件", customers=[people.customer_a])
    portal = make_service("portal", "Portal 门户", customers=[people.customer_b])
    pipeline = make_service("lab", "Lab 实验室", status="pipeline", customers=[people.customer_a])
    account_a = customer_account_create(
        actor=people.admin,
        organisation=people.customer_a,
        account_manager=people.lead,
        notes="A: key account",
    )
    account_b = customer_account_create(
        actor=people.admin, organisation=people.customer_b, account_manager=people.agent
    )
    contacts = {}
    for account, manager, user, prefix in (
        (account_a, people.a_manager, people.a_user, "a"),
        (account_b, people.b_manager, people.b_user, "b"),
    ):
        contacts[f"{prefix}_manager"] = customer_contact_create(
            actor=people.admin,
            account=account,
            name=f"{prefix.upper()} Manager",
            email=f"{prefix}.manager@example.org",
            is_primary=True,
            user=manager,
        )
        contacts[f"{prefix}_user"] = customer_contact_create(
            actor=people.admin,
            account=account,
            name=f"{prefix.upper()} User",
            email=f"{prefix}.user@example.org",
            user=user,
        )
    return types.SimpleNamespace(
        erp=erp,
        mail=mail,
        portal=portal,
        pipeline=pipeline,
        account_a=account_a,
        account_b=account_b,
        **contacts,
    )


@pytest.fixture
def desk_policy(db):
    from serviceloop.desk.tests.factories import SlaPolicyVersionFactory

    return SlaPolicyVersionFactory(policy__name="Standard")


@pytest.fixture
def make_sla(people, cust, desk_policy):
    from serviceloop.relationship.services_agreements import (
        agreement_create,
        agreement_target_add,
        agreement_version_transition,
    )

    def make(*, until="agreed", customers=None, services=None, author=None, approver=None,
             valid_from=None, review_on=None, availability="99.5", now=None):  # fmt: skip
        author = author or people.lead
        valid_from = valid_from or D(2026, 1, 1)
        agreement = agreement_create(
            actor=author,
            kind="sla",
            title="ERP and Mail SLA",
            customers=customers or [people.customer_a],
            valid_from=valid_from,
            review_on=review_on,
            services=services or [cust.erp, cust.mail],
            body="<p>We answer fast.</p><script>alert(1)</script>",
            now=now,
        )
        version = agreement.versions.get()
        agreement_target_add(
            actor=author,
            version=version,
            metric=TargetMetric.FIRST_RESPONSE,
            priority="P1",
            target_value=Decimal(30),
            unit=TargetUnit.MINUTES,
            sla_policy=desk_policy.policy,
        )
        agreement_target_add(
            actor=author,
            version=version,
            metric=TargetMetric.AVAILABILITY,
            target_value=Decimal(availability),
            unit=TargetUnit.PERCENT,
        )
        if until in ("in_review", "agreed"):
            version = agreement_version_transition(
                actor=author, version=version, target=VersionStatus.IN_REVIEW, now=now
            )
        if until == "agreed":
            version = agreement_version_transition(
                actor=approver or people.owner, version=version, target=VersionStatus.AGREED,
                now=now,
            )  # fmt: skip
        return version

    return make
