"""The tickets API's hand-written representation (``TicketSerializer.to_representation``)
equals what DRF's own fields give, value for value and byte for byte once rendered, for
tickets with and without their optional parts, in Shanghai time and in UTC, and through
a real API create."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from serviceloop.core.tests.factories import TeamFactory
from serviceloop.desk.api.ticket_serializers import TicketSerializer
from serviceloop.desk.models import Ticket
from serviceloop.desk.services.tickets import ticket_create
from serviceloop.desk.tests.factories import CategoryFactory, TicketFactory

UTC = datetime.UTC


def by_drf(ticket) -> dict:
    """The representation DRF builds from the serializer's declared and model fields."""
    serializer = TicketSerializer(ticket)
    return dict(serializers.ModelSerializer.to_representation(serializer, ticket))


def tickets(people):
    when = datetime.datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)
    team = TeamFactory(organisation=people.provider)
    bare = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    full = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        team=team,
        assignee=people.agent,
        category=CategoryFactory(default_team=team),
        is_major=True,
        status="closed",
        description="第一行\nline two",
        resolution="重启了服务。",
        first_response_at=when,
        resolved_at=when + datetime.timedelta(hours=3),
        closed_at=when + datetime.timedelta(days=1),
        response_due_at=when - datetime.timedelta(minutes=5),
        resolution_due_at=when + datetime.timedelta(hours=8),
        response_breached=True,
        sla_paused=True,
    )
    return [
        Ticket.objects.select_related(
            "organisation", "requester", "team", "assignee", "category"
        ).get(pk=t.pk)
        for t in (bare, full)
    ]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
def test_hand_written_representation_equals_drf(people, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for ticket in tickets(people):
            mine, theirs = dict(TicketSerializer(ticket).data), by_drf(ticket)
            assert mine == theirs
            assert list(mine) == list(theirs) == TicketSerializer.Meta.fields
            assert JSONRenderer().render(mine) == JSONRenderer().render(theirs)
    full = tickets(people)[1]
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert TicketSerializer(full).data["first_response_at"] == "2026-03-02T01:30:15.123456Z"
    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        data = TicketSerializer(full).data
        assert data["first_response_at"] == "2026-03-02T09:30:15.123456+08:00"
        assert data["team"] == full.team.uuid and data["assignee"] == full.assignee.uuid


def test_a_ticket_created_through_the_api_answers_as_drf_would(people, api_client_for):
    category = CategoryFactory(default_team=TeamFactory(organisation=people.provider))
    category.default_team.members.add(people.agent)
    answer = api_client_for(people.agent).post(
        "/api/v1/tickets/",
        {
            "requester": str(people.a_user.uuid),
            "title": "VPN 连接失败",
            "category": category.name,
            "impact": 2,
            "urgency": 2,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    ticket = Ticket.objects.select_related(
        "organisation", "requester", "team", "assignee", "category"
    ).get(reference=answer.json()["reference"])
    assert answer.content == JSONRenderer().render(by_drf(ticket))
    assert answer.json()["assignee"] == str(people.agent.uuid)


def test_created_by_the_service_without_reload(people):
    """The create endpoint answers from the object the service returns (no reload)."""
    ticket = ticket_create(
        actor=people.agent,
        organisation=people.customer_a,
        requester=people.a_user,
        title="Mail slow",
        impact=3,
        urgency=3,
    )
    assert dict(TicketSerializer(ticket).data) == by_drf(ticket)
