"""Fixtures of the relationship tests, on top of the root ``people`` cast.

Each part adds its own, named after it: ``supplier_*`` (suppliers part), ``complaint_*``
(complaints part).
"""

import datetime

import pytest

# --- Suppliers part ------------------------------------------------------------------------


@pytest.fixture
def supplier_acme(people):
    """An external supplier recorded by the agent."""
    from serviceloop.relationship.services_suppliers import supplier_create

    return supplier_create(
        actor=people.agent, name="Acme Networks 网络", services_provided="WAN links"
    )


@pytest.fixture
def supplier_contract(people, supplier_acme):
    """An active contract with Acme (owner: the lead), 2026-01-01 to 2026-12-31, 60 days'
    notice, with one obligation of each kind (targets: 2 incidents, 8 waiting hours,
    3 response hours; the manual one has no target)."""
    from serviceloop.relationship.models import ContractStatus, ObligationMetric
    from serviceloop.relationship.services_suppliers_contracts import (
        contract_create,
        contract_transition,
        obligation_create,
    )

    contract = contract_create(
        actor=people.agent,
        supplier=supplier_acme,
        title="WAN maintenance",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        owner=people.lead,
        notice_period_days=60,
        value="120000.00",
    )
    for description, metric, target in (
        ("At most 2 incidents caused per period", ObligationMetric.SUPPLIER_INCIDENTS, 2),
        ("Average wait under 8 hours", ObligationMetric.WAITING_HOURS, 8),
        ("Average response within 3 hours", ObligationMetric.RESPONSE_HOURS, 3),
        ("Quarterly service report delivered", ObligationMetric.MANUAL, None),
    ):
        obligation_create(
            actor=people.agent,
            contract=contract,
            description=description,
            metric=metric,
            target_value=target,
        )
    return contract_transition(
        actor=people.agent,
        contract=contract,
        target=ContractStatus.ACTIVE,
        now=_supplier_local(datetime.datetime(2026, 1, 1, 9)),
    )


@pytest.fixture
def supplier_raise_ticket(people):
    """``supplier_raise_ticket(**kwargs)``: the desk's ``ticket_create`` under the desk tests'
    standard SLA (China working days), by the agent for ``a_user`` of customer A, as the
    desk's own ``raise_ticket`` fixture does."""
    from serviceloop.desk.services.tickets import ticket_create
    from serviceloop.desk.tests.factories import (
        CnWorkdaysCalendarFactory,
        SlaPolicyVersionFactory,
    )

    SlaPolicyVersionFactory(policy__name="Standard", calendar=CnWorkdaysCalendarFactory())

    def make(**kwargs):
        kwargs.setdefault("actor", people.agent)
        kwargs.setdefault("organisation", people.customer_a)
        kwargs.setdefault("requester", people.a_user)
        kwargs.setdefault("title", "专线中断 Leased line down")
        return ticket_create(**kwargs)

    return make


def _supplier_local(value: datetime.datetime) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(value)


# --- Complaints part -----------------------------------------------------------------------


@pytest.fixture
def complaint_portal(people):
    """``complaint_portal(**kwargs)``: a complaint lodged in the portal by ``a_user`` of
    customer A (kwargs override: actor, subject, severity, now...)."""
    from serviceloop.relationship.services_complaints import complaint_create

    def make(**kwargs):
        kwargs.setdefault("actor", people.a_user)
        kwargs.setdefault("organisation", kwargs["actor"].organisation)
        kwargs.setdefault("subject", "服务台态度差 Rude service desk")
        kwargs.setdefault("description", "The agent hung up on me twice.")
        return complaint_create(**kwargs)

    return make
