"""Single points of failure through their services: found through CMDB impact, kept up to
date by the scan, a finding's note and moves."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.assurance.lifecycle import FindingStatus
from serviceloop.assurance.models import SpofFinding
from serviceloop.assurance.services_spof import (
    finding_transition,
    finding_update,
    spof_detect,
    spof_scan,
)
from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.impact import impact_of
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceComponentFactory


def audit_verbs(obj):
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_single_points_of_failure_are_found_through_impact(world, estate):
    found = spof_detect()

    names = {
        estate_name
        for (service, item) in found
        for estate_name, ci in estate.items()
        if ci.pk == item
    }
    assert names == {"erp-app", "vm-1", "host-1", "db-1"}
    assert {service for service, _item in found} == {world.erp.pk}
    assert found[(world.erp.pk, estate["host-1"].pk)] == [
        estate["erp-app"].reference,
        estate["vm-1"].reference,
        estate["host-1"].reference,
    ]
    for _service, item in found:  # each one really takes the service down
        assert world.erp.pk in {s.id for s in impact_of([item]).services}


def test_the_scan_opens_resolves_and_reopens_findings_idempotently(people, world, estate):
    first = spof_scan(actor=people.owner)
    second = spof_scan(actor=people.owner)
    ConfigurationItemFactory(name="db-2", ci_type=estate["db-1"].ci_type)
    ServiceComponentFactory(
        service=world.erp,
        configuration_item=ConfigurationItem_named("db-2"),
    )
    third = spof_scan()
    db_finding = SpofFinding.objects.get(configuration_item=estate["db-1"])

    assert first["created"] == 4 and first["open"] == 4
    assert second == {"created": 0, "reopened": 0, "resolved": 0, "open": 4}
    assert third["resolved"] == 1 and db_finding.status == FindingStatus.RESOLVED
    assert AuditEvent.objects.filter(verb="spof.scanned").count() == 2
    with pytest.raises(PermissionDenied):
        spof_scan(actor=people.agent)


def ConfigurationItem_named(name):  # noqa: N802 - reads like the model in the test above
    from serviceloop.portfolio.models import ConfigurationItem

    return ConfigurationItem.objects.get(name=name)


def test_a_finding_records_a_note_and_moves_with_a_note(people, world, estate):
    spof_scan()
    finding = SpofFinding.objects.get(configuration_item=estate["host-1"])

    finding = finding_update(actor=people.owner, finding=finding, note="Replica planned.")
    with pytest.raises(ValidationError):
        finding_transition(actor=people.owner, finding=finding, target=FindingStatus.ACCEPTED)
    finding = finding_transition(
        actor=people.owner,
        finding=finding,
        target=FindingStatus.ACCEPTED,
        note="A second host is budgeted for next year.",
    )
    with pytest.raises(PermissionDenied):
        finding_update(actor=people.auditor, finding=finding, note="x")

    assert finding.status == "accepted" and finding.version == 3
    assert finding.note == "A second host is budgeted for next year."
    assert audit_verbs(finding) == ["spof.updated", "spof.accepted"]
