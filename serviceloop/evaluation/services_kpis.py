"""Writes of evaluation: editing a KPI definition (validated, one transaction, audited)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes
from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability
from serviceloop.evaluation.engine import definition_validate
from serviceloop.evaluation.models import KpiDefinition

EDITABLE = ("name_en", "name_zh", "description", "unit", "direction", "target", "warning",
            "period", "owner", "is_active")  # fmt: skip


def kpi_can_edit(user) -> bool:
    return user.has_capability(Capability.MANAGE_SYSTEM) or user.has_capability(
        Capability.ADMINISTER
    )


def kpi_definition_update(actor, definition: KpiDefinition, **changes) -> KpiDefinition:
    if not kpi_can_edit(actor):
        require(actor, Capability.MANAGE_SYSTEM)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(names)s.") % {
            "names": ", ".join(sorted(unknown))
        })  # fmt: skip
    with transaction.atomic():
        locked = KpiDefinition.objects.select_for_update(of=("self",)).get(pk=definition.pk)
        before = {n: getattr(locked, n if n != "owner" else "owner_id") for n in EDITABLE}
        for name, value in changes.items():
            setattr(locked, name, value)
        target, warning = locked.target, locked.warning
        if (
            target is not None
            and warning is not None
            and (
                (locked.direction == "higher" and warning > target)
                or (locked.direction == "lower" and warning < target)
            )
        ):
            raise ValidationError(
                _("The warning threshold must lie on the bad side of the target.")
            )
        definition_validate(locked)
        diff = {
            k: [str(v[0]), str(v[1])] for k, v in field_changes(locked, before, EDITABLE).items()
        }
        locked.version += 1
        locked.save()
        audit_record(actor=actor, verb="kpi.updated", obj=locked, payload={"changes": diff})
    return locked
