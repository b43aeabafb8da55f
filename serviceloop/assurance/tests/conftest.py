"""Fixtures of the assurance tests, on top of the root ``people`` cast.

``cn_calendar``: the cn-workdays preset (Mon–Fri 09–12 and 13–18 Asia/Shanghai, China's
statutory holidays and make-up workdays). ``world``: two live services entitled to the
customers: ``erp`` on cn-workdays service hours (customers A and B, owned by ``lead``) and
``mail`` without service hours (24×7, customer A only); a pipeline service ``vpn``. And
``security``: the security team (named by the SECURITY_TEAM setting) with ``lead`` in it.
``estate``: the ERP's configuration items, four of them single points of failure.
"""

import types

import pytest

from serviceloop.core.tests.factories import TeamFactory
from serviceloop.desk.tests.factories import CnWorkdaysCalendarFactory
from serviceloop.portfolio.lifecycle import CiStatus
from serviceloop.portfolio.models import RelationKind, ServiceStatus
from serviceloop.portfolio.tests.factories import (
    CiRelationFactory,
    CiTypeFactory,
    ConfigurationItemFactory,
    ServiceComponentFactory,
    ServiceFactory,
)


@pytest.fixture
def cn_calendar(db):
    return CnWorkdaysCalendarFactory()


@pytest.fixture
def world(people, cn_calendar):
    erp = ServiceFactory(
        code="erp",
        name="ERP",
        hours=cn_calendar,
        owner=people.lead,
        customers=[people.customer_a, people.customer_b],
    )
    mail = ServiceFactory(code="mail", name="Mail", hours=None, customers=[people.customer_a])
    vpn = ServiceFactory(code="vpn", name="VPN", status=ServiceStatus.PIPELINE)
    return types.SimpleNamespace(erp=erp, mail=mail, vpn=vpn, calendar=cn_calendar)


@pytest.fixture
def security(people, settings):
    team = TeamFactory(
        organisation=people.provider, name=settings.SECURITY_TEAM, members=[people.lead]
    )
    return types.SimpleNamespace(team=team)


@pytest.fixture
def make_sla(people):
    """``make_sla(services=, customers=, percent=)``: an SLA agreed on 2 January 2025, in force
    from 1 January 2025, with an availability target, written through the relationship
    services."""
    import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from serviceloop.relationship.models import TargetMetric, TargetUnit, VersionStatus
    from serviceloop.relationship.services_agreements import (
        agreement_create,
        agreement_target_add,
        agreement_version_transition,
    )

    agreed = datetime.datetime(2025, 1, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    def make(*, services, customers, percent):
        agreement = agreement_create(
            actor=people.admin,
            kind="sla",
            title="Availability SLA",
            customers=customers,
            services=services,
            valid_from=datetime.date(2025, 1, 1),
            body="<p>Terms.</p>",
            now=agreed,
        )
        version = agreement.versions.get()
        agreement_target_add(
            actor=people.admin,
            version=version,
            metric=TargetMetric.AVAILABILITY,
            target_value=Decimal(percent),
            unit=TargetUnit.PERCENT,
        )
        agreement_version_transition(
            actor=people.admin, version=version, target=VersionStatus.IN_REVIEW, now=agreed
        )
        return agreement_version_transition(
            actor=people.owner, version=version, target=VersionStatus.AGREED, now=agreed
        )

    return make


@pytest.fixture
def estate(world):
    """ERP = app (component) → runs on vm-1 → runs on host-1; app depends on db-1; two
    switches part of the service; a connected pair of firewalls; a retired old db."""
    server, db, switch, firewall = (
        CiTypeFactory(code=code, name=code.title()) for code in ("vm", "database", "switch", "fw")
    )
    app = ConfigurationItemFactory(name="erp-app", ci_type=CiTypeFactory(code="app", name="App"))
    vm = ConfigurationItemFactory(name="vm-1", ci_type=server)
    host = ConfigurationItemFactory(name="host-1", ci_type=CiTypeFactory(code="host", name="Host"))
    db1 = ConfigurationItemFactory(name="db-1", ci_type=db)
    old = ConfigurationItemFactory(name="db-old", ci_type=db, status=CiStatus.RETIRED)
    sw1 = ConfigurationItemFactory(name="sw-1", ci_type=switch)
    sw2 = ConfigurationItemFactory(name="sw-2", ci_type=switch)
    fw1 = ConfigurationItemFactory(name="fw-1", ci_type=firewall)
    fw2 = ConfigurationItemFactory(name="fw-2", ci_type=firewall)
    for item in (app, sw1, sw2, fw1):
        ServiceComponentFactory(service=world.erp, configuration_item=item)
    CiRelationFactory(source=app, target=vm, kind=RelationKind.RUNS_ON)
    CiRelationFactory(source=vm, target=host, kind=RelationKind.RUNS_ON)
    CiRelationFactory(source=app, target=db1, kind=RelationKind.DEPENDS_ON)
    CiRelationFactory(source=app, target=old, kind=RelationKind.DEPENDS_ON)
    CiRelationFactory(source=fw1, target=fw2, kind=RelationKind.CONNECTED_TO)
    # a pipeline service built on the same host is not live: no finding for it
    ServiceComponentFactory(service=world.vpn, configuration_item=host)
    return {i.name: i for i in (app, vm, host, db1, old, sw1, sw2, fw1, fw2)}
