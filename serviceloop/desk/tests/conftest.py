"""Fixtures of the desk tests, on top of the root ``people`` cast.

``desk``: the cn-workdays calendar, a standard SLA policy (v1, see ``STANDARD_TARGETS``),
the "Service Desk" team (lead + agent, led by ``people.lead``) and a "Network" category
routed to it. ``raise_ticket(**kwargs)``: ``ticket_create`` with sensible defaults (the agent
raises a ticket for ``a_user`` of customer A; no team, so it stays new and unassigned).
"""

import types

import pytest

from serviceloop.desk.tests.factories import (
    CategoryFactory,
    CnWorkdaysCalendarFactory,
    SlaPolicyVersionFactory,
    TeamFactory,
)


@pytest.fixture
def cn_calendar(db):
    return CnWorkdaysCalendarFactory()


@pytest.fixture
def sla(cn_calendar):
    """Version 1 of the "Standard" policy: every customer, service, type and priority."""
    return SlaPolicyVersionFactory(policy__name="Standard", calendar=cn_calendar)


@pytest.fixture
def desk(people, sla):
    team = TeamFactory(
        organisation=people.provider,
        name="Service Desk",
        lead=people.lead,
        members=[people.lead, people.agent],
    )
    category = CategoryFactory(name="Network", default_team=team)
    return types.SimpleNamespace(
        team=team, category=category, sla=sla, policy=sla.policy, calendar=sla.calendar
    )


@pytest.fixture
def raise_ticket(people, desk):
    from serviceloop.desk.services.tickets import ticket_create

    def make(**kwargs):
        kwargs.setdefault("actor", people.agent)
        kwargs.setdefault("organisation", people.customer_a)
        kwargs.setdefault("requester", people.a_user)
        kwargs.setdefault("title", "VPN 无法连接 VPN is down")
        return ticket_create(**kwargs)

    return make
