"""Fixtures of the demand tests, on top of the root ``people`` cast.

``demand_world``: two live services — ``mail`` (owner: the agent; customers A and B) and
``erp`` (owner: the lead; customer A) — and a capacity plan on mail owned by the agent:
CPU %, warning 70, critical 90, higher is worse, incident on alert, no forecast alert.
"""

import types
from decimal import Decimal

import pytest


@pytest.fixture
def demand_world(people):
    from serviceloop.demand.services_capacity import plan_create
    from serviceloop.portfolio.tests.factories import ServiceFactory

    mail = ServiceFactory(
        code="mail",
        name="Mail 邮件",
        owner=people.agent,
        customers=[people.customer_a, people.customer_b],
    )
    erp = ServiceFactory(code="erp", name="ERP", owner=people.lead, customers=[people.customer_a])
    plan = plan_create(
        actor=people.admin,
        name="Mail CPU",
        service=mail,
        owner=people.agent,
        resource="CPU %",
        unit="%",
        warning_threshold=Decimal("70"),
        critical_threshold=Decimal("90"),
    )
    return types.SimpleNamespace(mail=mail, erp=erp, plan=plan)
