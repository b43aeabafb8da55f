"""Fixtures of the transition tests: a small CMDB and catalogue, CAB rules, and a helper that
walks a change to a given status through the real services."""

import datetime
import types

import pytest
from django.utils import timezone

from serviceloop.portfolio.models import RelationKind
from serviceloop.transition import services_cab, services_change_implementation, services_changes
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import ChangeType
from serviceloop.transition.risk import RiskLevel
from serviceloop.transition.tests.factories import (
    CabRuleFactory,
    CiRelationFactory,
    CiTypeFactory,
    ConfigurationItemFactory,
    ServiceComponentFactory,
    ServiceFactory,
)

CS = ChangeStatus


@pytest.fixture
def cmdb(people):
    """``app`` depends on ``db``, ``db`` runs on ``host``; ``printer`` stands alone. The ERP
    service (customer A) is built on ``app``; the Print service (customer B) on
    ``printer``."""
    server = CiTypeFactory(code="server", name="Server")
    software = CiTypeFactory(code="software", name="Software")
    host = ConfigurationItemFactory(name="host-1", reference="CI-2000-000101", ci_type=server)
    db = ConfigurationItemFactory(name="erp-db", reference="CI-2000-000102", ci_type=software)
    app = ConfigurationItemFactory(name="erp-app", reference="CI-2000-000103", ci_type=software)
    printer = ConfigurationItemFactory(name="printer", reference="CI-2000-000104", ci_type=server)
    CiRelationFactory(source=db, kind=RelationKind.RUNS_ON, target=host)
    CiRelationFactory(source=app, kind=RelationKind.DEPENDS_ON, target=db)
    erp = ServiceFactory(code="erp", name="ERP", customers=[people.customer_a])
    printing = ServiceFactory(code="print", name="Print", customers=[people.customer_b])
    ServiceComponentFactory(service=erp, configuration_item=app)
    ServiceComponentFactory(service=printing, configuration_item=printer)
    return types.SimpleNamespace(
        server=server,
        software=software,
        host=host,
        db=db,
        app=app,
        printer=printer,
        erp=erp,
        printing=printing,
    )


@pytest.fixture
def cab(people):
    """CAB rules: low and medium risk need two of admin, lead and owner; high risk all
    three. The emergency CAB is the lead alone (one approval)."""
    members = [people.admin, people.lead, people.owner]
    return {
        level: CabRuleFactory(
            risk_level=level,
            quorum=3 if level == RiskLevel.HIGH else 2,
            approvers=members,
            emergency_approvers=[people.lead],
        )
        for level in RiskLevel.values
    }


@pytest.fixture
def window():
    """A window a week ahead: ``window(hours_from=0, hours=2)``."""
    base = (timezone.now() + datetime.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)

    def make(hours_from=0, hours=2):
        start = base + datetime.timedelta(hours=hours_from)
        return start, start + datetime.timedelta(hours=hours)

    return make


@pytest.fixture
def new_change(people, cmdb):
    def make(*, actor=None, items=None, services=(), change_type=ChangeType.NORMAL, **fields):
        fields.setdefault("title", "Upgrade the ERP database")
        fields.setdefault("description", "Minor version upgrade.")
        fields.setdefault("reason", "Vendor support ends.")
        fields.setdefault("implementation_plan", "Stop, upgrade, start.")
        fields.setdefault("backout_plan", "Restore the backup.")
        return services_changes.change_create(
            actor=actor or people.agent,
            change_type=change_type,
            configuration_items=[cmdb.db] if items is None else items,
            services=services,
            **fields,
        )

    return make


@pytest.fixture
def walk(people, cab, window):
    """``walk(change, CS.SCHEDULED, start=..., end=...)``: move a normal change forward with
    the real services (the agent works it; the CAB approves) and return it fresh."""
    order = [
        CS.SUBMITTED,
        CS.ASSESSED,
        CS.AWAITING_CAB,
        CS.APPROVED,
        CS.SCHEDULED,
        CS.IMPLEMENTING,
        CS.IMPLEMENTED,
    ]

    def step(change, target, **kw):
        agent = people.agent
        if target == CS.SUBMITTED:
            return services_changes.change_submit(actor=agent, change=change)
        if target == CS.ASSESSED:
            return services_changes.change_assess(
                actor=agent,
                change=change,
                likelihood=kw.get("likelihood", 2),
                impact=kw.get("impact", 2),
            )
        if target == CS.AWAITING_CAB:
            return services_cab.change_send_to_cab(actor=agent, change=change)
        if target == CS.APPROVED:
            for voter in (people.admin, people.lead, people.owner):
                change.refresh_from_db()
                if change.status != CS.AWAITING_CAB:
                    break
                services_cab.change_vote(actor=voter, change=change, decision="approve")
            change.refresh_from_db()
            return change
        if target == CS.SCHEDULED:
            start, end = kw.get("start"), kw.get("end")
            if start is None:
                start, end = window()
            return services_change_implementation.change_schedule(
                actor=agent,
                change=change,
                planned_start=start,
                planned_end=end,
                override_reason=kw.get("override_reason", ""),
            )
        if target == CS.IMPLEMENTING:
            return services_change_implementation.change_start(actor=agent, change=change)
        return services_change_implementation.change_complete(
            actor=agent, change=change, target=target
        )

    def make(change, target, **kw):
        change.refresh_from_db()
        first = order.index(change.status) + 1 if change.status in order else 0
        for status in order[first : order.index(target) + 1]:
            change.refresh_from_db()
            if change.status in order and order.index(change.status) >= order.index(status):
                continue  # e.g. a standard change is approved on submission
            change = step(change, status, **kw)
        change.refresh_from_db()
        return change

    return make
