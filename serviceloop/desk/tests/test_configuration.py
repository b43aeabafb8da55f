"""Desk configuration by administrators: records, the priority matrix, publishing SLA versions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.desk.models import Category, PriorityMatrix, RequestType, Ticket
from serviceloop.desk.services.configuration import (
    config_save,
    priority_matrix_set,
    sla_policy_publish,
)

TARGETS_V2 = {"P1": {"response": 10, "resolution": 120}, "P2": {"resolution": 240},
              "P3": {"resolution": 960}, "P4": {"resolution": 1920}}  # fmt: skip


def test_publishing_a_version_never_changes_existing_tickets(people, desk, raise_ticket):
    before = raise_ticket()
    due_before = before.resolution_due_at

    v2 = sla_policy_publish(
        actor=people.admin, policy=desk.policy, calendar=desk.calendar, targets=TARGETS_V2
    )

    assert v2.number == desk.sla.number + 1
    before.refresh_from_db()
    assert before.sla_version == desk.sla and before.resolution_due_at == due_before
    after = raise_ticket()
    assert after.sla_version == v2
    assert AuditEvent.objects.filter(verb="sla_policy.published").count() == 1


def test_bad_targets_are_refused_and_nothing_is_published(people, desk):
    count = desk.policy.versions.count()
    with pytest.raises(ValidationError):
        sla_policy_publish(
            actor=people.admin,
            policy=desk.policy,
            calendar=desk.calendar,
            targets={"P9": {"resolution": 5}},
        )
    with pytest.raises(ValidationError):
        sla_policy_publish(
            actor=people.admin,
            policy=desk.policy,
            calendar=desk.calendar,
            targets=TARGETS_V2,
            warn_percent=0,
        )
    assert desk.policy.versions.count() == count
    with pytest.raises(PermissionDenied):
        sla_policy_publish(
            actor=people.lead, policy=desk.policy, calendar=desk.calendar, targets=TARGETS_V2
        )


def test_the_priority_matrix_drives_new_tickets(people, desk, raise_ticket):
    matrix = [["P4"] * 4 for _ in range(4)]
    priority_matrix_set(actor=people.admin, matrix=matrix)
    assert raise_ticket(impact=1, urgency=1).priority == "P4"
    with pytest.raises(ValidationError):
        priority_matrix_set(actor=people.admin, matrix=[["P1"]])
    assert PriorityMatrix.current() == matrix


def test_request_type_form_schema_is_validated(people, desk):
    with pytest.raises(ValidationError):
        config_save(actor=people.admin, model=RequestType, name="Bad", form_schema=[{"name": "1x"}])
    assert not RequestType.objects.exists()
    config_save(
        actor=people.admin,
        model=RequestType,
        name="VPN 账号",
        form_schema=[{"name": "user", "label": "用户", "type": "text", "required": True}],
    )
    assert RequestType.objects.get().form_schema[0]["name"] == "user"


def test_settings_screens_permissions(people, desk, client_for):
    assert client_for(people.agent).get(reverse("desk_settings")).status_code == 200
    assert (
        client_for(people.agent).get(reverse("desk_config_new", args=["categories"])).status_code
        == 403
    )
    assert client_for(people.a_manager).get(reverse("desk_settings")).status_code == 403
    admin = client_for(people.admin)
    assert admin.get(reverse("desk_config_list", args=["nonsense"])).status_code == 404
    response = admin.post(
        reverse("desk_config_new", args=["categories"]),
        {"name": "打印 Printing", "is_active": "on"},
    )
    assert response.status_code == 302 and Category.objects.filter(name="打印 Printing").exists()
    form = {"calendar": desk.calendar.pk, "warn_percent": 80, "escalation": "notify",
            "pause_statuses": ["waiting_customer"], "P1_resolution": 60, "P2_resolution": 120,
            "P3_resolution": 480, "P4_resolution": 960}  # fmt: skip
    response = admin.post(reverse("desk_sla_publish", args=[desk.policy.pk]), form)
    assert response.status_code == 302
    latest = desk.policy.versions.order_by("-number").first()
    assert latest.warn_percent == 80 and latest.pause_statuses == ["waiting_customer"]
    assert Ticket.objects.count() == 0
