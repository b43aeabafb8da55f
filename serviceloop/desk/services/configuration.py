"""Desk configuration by administrators: categories, request types, canned responses, the
priority matrix and SLA policies with their published versions. One audit row per change."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability
from serviceloop.desk.models import (
    CannedResponse,
    Category,
    PriorityMatrix,
    RequestType,
    SlaPolicy,
    SlaPolicyVersion,
)

EDITABLE = {
    Category: ("name", "default_team", "is_active"),
    RequestType: (
        "name",
        "description",
        "service",
        "category",
        "form_schema",
        "approver",
        "customer_manager_approves",
        "is_active",
    ),
    CannedResponse: ("title", "body", "is_active"),
    SlaPolicy: ("name", "rank", "organisation", "service", "kinds", "priorities", "is_active"),
}


def config_save(*, actor, model, instance=None, **fields):
    """Create (no ``instance``) or change one configuration record of ``model``."""
    require(actor, Capability.ADMINISTER)
    names = EDITABLE[model]
    unknown = set(fields) - set(names)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        if instance is None:
            record = model(**fields)
            record.full_clean()
            record.save()
            audit_record(
                actor=actor,
                verb=f"{model._meta.model_name}.created",
                obj=record,
                payload=snapshot(record, names),
            )
            return record
        record = model.objects.select_for_update().get(pk=instance.pk)
        before = snapshot(record, names)
        for name, value in fields.items():
            setattr(record, name, value)
        record.full_clean()
        changes = field_changes(record, before, names)
        if changes:
            record.save()
            audit_record(
                actor=actor, verb=f"{model._meta.model_name}.updated", obj=record, payload=changes
            )
        return record


def priority_matrix_set(*, actor, matrix) -> PriorityMatrix:
    require(actor, Capability.ADMINISTER)
    with transaction.atomic():
        row = PriorityMatrix.objects.select_for_update().order_by("pk").first() or PriorityMatrix()
        old = row.matrix or PriorityMatrix.current()
        row.matrix = matrix
        row.full_clean()
        row.save()
        audit_record(
            actor=actor,
            verb="priority_matrix.updated",
            object_type="desk.prioritymatrix",
            object_id=row.pk,
            payload={"matrix": [old, matrix]},
        )
    return row


def sla_policy_publish(
    *,
    actor,
    policy: SlaPolicy,
    calendar,
    targets: dict,
    warn_percent: int = 75,
    pause_statuses=None,
    escalation: str = "notify",
    now=None,
) -> SlaPolicyVersion:
    """Publish the next version of a policy. Tickets created from now on get it; tickets that
    exist keep the version they matched at creation, so history never changes."""
    require(actor, Capability.ADMINISTER)
    now = now or timezone.now()
    if not 1 <= int(warn_percent) <= 99:
        raise ValidationError({"warn_percent": _("Warn between 1 and 99 percent of the target.")})
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = SlaPolicyVersion(
            policy=policy,
            number=number,
            calendar=calendar,
            targets=targets,
            warn_percent=warn_percent,
            escalation=escalation,
            published_at=now,
            published_by=actor,
        )
        if pause_statuses is not None:
            version.pause_statuses = list(pause_statuses)
        version.full_clean()
        version.save()
        audit_record(
            actor=actor,
            verb="sla_policy.published",
            obj=policy,
            payload={
                "version": number,
                "calendar": calendar.name,
                "targets": targets,
                "warn_percent": warn_percent,
                "pause_statuses": version.pause_statuses,
                "escalation": escalation,
            },
        )
    return version
