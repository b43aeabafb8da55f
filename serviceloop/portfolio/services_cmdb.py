"""Every write of the CMDB but the assets: configuration item types, items and their
relations. (Assets: ``services_assets``; what both do the same way: ``cmdb_writes``.)

Each service checks the actor's right, validates (ValidationError with translated messages,
nothing written), writes the change and one audit row in one transaction. An item's history
is its audit rows (``object_type="portfolio.configurationitem"``); relation changes are
recorded on the relation's source item.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.portfolio import ci_attributes
from serviceloop.portfolio.cmdb_writes import (
    DESCRIPTION_LIMIT,
    TEXT_LIMITS,
    audit_value,
    check_version,
    clean_text,
    require_cmdb_writer,
)
from serviceloop.portfolio.lifecycle import CI_MOVES, move_for, moves_from
from serviceloop.portfolio.models import (
    CiRelation,
    CiStatus,
    CiType,
    ConfigurationItem,
    RelationKind,
)
from serviceloop.portfolio.permissions import can_write_ci_types

CI_FIELDS = (
    "name",
    "ci_type",
    "owner",
    "location",
    "supplier",
    "version_label",
    "description",
    "attributes",
    "organisation",
)
TYPE_FIELDS = ("code", "name", "description", "attributes", "is_active")


# --- Types ---------------------------------------------------------------------------------


def _clean_type(fields: dict, errors: dict, *, instance: CiType | None) -> dict:
    cleaned = {}
    if "code" in fields:
        code = clean_text(fields["code"], "code", errors, limit=40).lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", code or ""):
            errors["code"] = _("Use lower-case letters, digits, hyphens and underscores.")
        elif CiType.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["code"] = _("Another type has this code.")
        cleaned["code"] = code
    if "name" in fields:
        name = clean_text(fields["name"], "name", errors, limit=120)
        if not name:
            errors["name"] = _("Give the type a name.")
        elif CiType.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["name"] = _("Another type has this name.")
        cleaned["name"] = name
    if "description" in fields:
        cleaned["description"] = clean_text(
            fields["description"], "description", errors, limit=DESCRIPTION_LIMIT
        )
    if "attributes" in fields:
        try:
            cleaned["attributes"] = ci_attributes.clean_definitions(fields["attributes"])
        except ValidationError as error:
            errors["attributes"] = error.messages
    if "is_active" in fields:
        cleaned["is_active"] = bool(fields["is_active"])
    return cleaned


def ci_type_create(
    *, actor, code: str, name: str, description: str = "", attributes=None, is_active=True
) -> CiType:
    """Create a configuration item type with its attribute definitions."""
    if actor is not None and not can_write_ci_types(actor):
        raise PermissionDenied
    errors: dict = {}
    cleaned = _clean_type(
        {
            "code": code,
            "name": name,
            "description": description,
            "attributes": attributes,
            "is_active": is_active,
        },
        errors,
        instance=None,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ci_type = CiType.objects.create(**cleaned)
        audit_record(actor=actor, verb="ci_type.created", obj=ci_type, payload=cleaned)
    return ci_type


def ci_type_update(*, actor, ci_type: CiType, expected_version=None, **fields) -> CiType:
    """Change a type. Items keep the attribute values they have; the new definitions apply
    the next time an item is changed."""
    if actor is not None and not can_write_ci_types(actor):
        raise PermissionDenied
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean_type(fields, errors, instance=ci_type)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = CiType.objects.select_for_update(of=("self",)).get(pk=ci_type.pk)
        check_version(current, expected_version)
        changes = {
            name: [getattr(current, name), value]
            for name, value in cleaned.items()
            if getattr(current, name) != value
        }
        if not changes:
            return current
        for name, value in cleaned.items():
            setattr(current, name, value)
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db(fields=["version"])
        audit_record(actor=actor, verb="ci_type.updated", obj=current, payload=changes)
    return current


# --- Configuration items -------------------------------------------------------------------


def clean_ci_fields(
    fields: dict, *, instance: ConfigurationItem | None = None
) -> tuple[dict, dict]:
    """``(cleaned, errors)`` for the given item fields (creating: all of them). ``errors``
    maps a field name (``attributes.<key>`` for one attribute) to its message; nothing is
    written. Used by the writes below and by the import's dry run."""
    errors: dict = {}
    cleaned: dict = {}
    for name in ("name", "location", "supplier", "version_label"):
        if name in fields:
            cleaned[name] = clean_text(fields[name], name, errors, limit=TEXT_LIMITS[name])
    if "name" in cleaned and not cleaned["name"] and "name" not in errors:
        errors["name"] = _("Give the item a name.")
    if "description" in fields:
        cleaned["description"] = clean_text(
            fields["description"], "description", errors, limit=DESCRIPTION_LIMIT
        )
    ci_type = fields.get("ci_type", instance.ci_type if instance else None)
    if "ci_type" in fields:
        if not isinstance(ci_type, CiType):
            errors["ci_type"] = _("Choose the item's type.")
            ci_type = None
        elif not ci_type.is_active and (instance is None or instance.ci_type_id != ci_type.pk):
            errors["ci_type"] = _("This type is no longer in use.")
        cleaned["ci_type"] = ci_type
    if "owner" in fields:
        owner = fields["owner"]
        if owner is not None and not (
            isinstance(owner, User) and owner.is_active and owner.has_capability(Capability.STAFF)
        ):
            errors["owner"] = _("The owner must be an active member of the provider's staff.")
        cleaned["owner"] = owner
    if "organisation" in fields:
        organisation = fields["organisation"]
        if organisation is not None and not (
            isinstance(organisation, Organisation)
            and organisation.kind == OrganisationKind.CUSTOMER
            and organisation.is_active
        ):
            errors["organisation"] = _("Choose an active customer organisation, or none.")
        cleaned["organisation"] = organisation
    if "attributes" in fields or "ci_type" in fields:
        values = fields.get("attributes", instance.attributes if instance else {})
        if ci_type is not None:
            attributes, problems = ci_attributes.clean_values(ci_type.attributes, values)
            for key, message in problems.items():
                errors[f"attributes.{key}" if key else "attributes"] = message
            cleaned["attributes"] = attributes
    return cleaned, errors


def _raise(errors: dict) -> None:
    """A ValidationError whose attribute messages say which attribute they are about."""
    merged: dict[str, list[str]] = {}
    for field, message in errors.items():
        if field.startswith("attributes."):
            key = field.split(".", 1)[1]
            merged.setdefault("attributes", []).append(f"{key}: {message}")
        else:
            merged.setdefault(field, []).extend(message if isinstance(message, list) else [message])
    raise ValidationError(merged)


def _new_item(*, actor, cleaned: dict, status: str) -> ConfigurationItem:
    """Insert one item inside the caller's transaction (reference allocated), no audit row."""
    item = ConfigurationItem(
        reference=reference_allocate(kind="CI"),
        status=status,
        created_by=actor if getattr(actor, "pk", None) else None,
        **cleaned,
    )
    item.save()
    return item


def _item_payload(item: ConfigurationItem) -> dict:
    return {
        "reference": item.reference,
        "status": item.status,
        **{name: audit_value(getattr(item, name)) for name in CI_FIELDS},
    }


def ci_create(
    *,
    actor,
    name: str,
    ci_type: CiType,
    status: str = CiStatus.PLANNED,
    owner: User | None = None,
    location: str = "",
    supplier: str = "",
    version_label: str = "",
    description: str = "",
    attributes: dict | None = None,
    organisation: Organisation | None = None,
) -> ConfigurationItem:
    """Record a configuration item (reference ``CI-YYYY-NNNNNN``), planned unless told."""
    require_cmdb_writer(actor)
    cleaned, errors = clean_ci_fields(
        {
            "name": name,
            "ci_type": ci_type,
            "owner": owner,
            "location": location,
            "supplier": supplier,
            "version_label": version_label,
            "description": description,
            "attributes": attributes or {},
            "organisation": organisation,
        }
    )
    if status not in CiStatus.values:
        errors["status"] = _("Choose a valid status.")
    if errors:
        _raise(errors)
    with transaction.atomic():
        item = _new_item(actor=actor, cleaned=cleaned, status=status)
        audit_record(actor=actor, verb="ci.created", obj=item, payload=_item_payload(item))
    return item


def _locked_item(item: ConfigurationItem, expected_version) -> ConfigurationItem:
    current = (
        ConfigurationItem.objects.select_for_update(of=("self",))
        .select_related("ci_type")
        .get(pk=item.pk)
    )
    check_version(current, expected_version)
    return current


def _save_item(item: ConfigurationItem) -> None:
    item.version = F("version") + 1
    item.save()
    item.refresh_from_db(fields=["version"])


def ci_update(
    *, actor, item: ConfigurationItem, expected_version=None, **fields
) -> ConfigurationItem:
    """Change an item's details; one audit row with ``{field: [old, new]}`` (nothing when
    nothing changed). A retired item keeps its record as it was."""
    require_cmdb_writer(actor)
    unknown = set(fields) - set(CI_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        current = _locked_item(item, expected_version)
        if current.status == CiStatus.RETIRED:
            raise ValidationError(_("This item is retired; its record can no longer change."))
        cleaned, errors = clean_ci_fields(fields, instance=current)
        if errors:
            _raise(errors)
        before = {name: getattr(current, name) for name in cleaned}
        changes = {
            name: [audit_value(before[name]), audit_value(value)]
            for name, value in cleaned.items()
            if before[name] != value
        }
        if not changes:
            return current
        for name, value in cleaned.items():
            setattr(current, name, value)
        _save_item(current)
        audit_record(actor=actor, verb="ci.updated", obj=current, payload=changes)
    return current


def ci_moves(item: ConfigurationItem):
    return moves_from(CI_MOVES, item.status)


def ci_transition(
    *, actor, item: ConfigurationItem, target: str, expected_version=None
) -> ConfigurationItem:
    """Move the item along its declared lifecycle (planned → active ⇄ maintenance → retired)."""
    require_cmdb_writer(actor)
    with transaction.atomic():
        current = _locked_item(item, expected_version)
        move = move_for(CI_MOVES, current.status, target)
        if move is None:
            raise ValidationError(
                {
                    "status": _("An item cannot go from “%(from)s” to “%(to)s”.")
                    % {
                        "from": CiStatus(current.status).label,
                        "to": CiStatus(target).label if target in CiStatus.values else target,
                    }
                }
            )
        before = current.status
        current.status = target
        _save_item(current)
        audit_record(
            actor=actor,
            verb="ci.status_changed",
            obj=current,
            payload={"status": [before, target]},
        )
    return current


# --- Relations -----------------------------------------------------------------------------


def relation_add(
    *,
    actor,
    source: ConfigurationItem,
    kind: str,
    target: ConfigurationItem,
    note: str = "",
) -> CiRelation:
    """Relate two items: ``source <kind> target`` (e.g. app depends-on database). No relation
    of an item to itself, no duplicate; connected-to is symmetric, so B connected-to A is a
    duplicate of A connected-to B. Audited on the source item."""
    require_cmdb_writer(actor)
    errors: dict = {}
    if kind not in RelationKind.values:
        errors["kind"] = _("Choose a valid relation.")
    note = clean_text(note, "note", errors, limit=200)
    if source.pk == target.pk:
        errors["target"] = _("An item cannot be related to itself.")
    if errors:
        raise ValidationError(errors)
    duplicate = CiRelation.objects.filter(source=source, kind=kind, target=target)
    if kind == RelationKind.CONNECTED_TO:
        duplicate = duplicate | CiRelation.objects.filter(source=target, kind=kind, target=source)
    if duplicate.exists():
        raise ValidationError({"target": _("These items are already related this way.")})
    if source.status == CiStatus.RETIRED or target.status == CiStatus.RETIRED:
        raise ValidationError({"target": _("A retired item takes no new relations.")})
    try:
        with transaction.atomic():
            relation = CiRelation.objects.create(
                source=source,
                kind=kind,
                target=target,
                note=note,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            audit_record(
                actor=actor,
                verb="ci.relation_added",
                obj=source,
                payload={"kind": kind, "target": target.reference, "note": note},
            )
    except IntegrityError as exc:  # a concurrent identical insert won the race
        raise ValidationError({"target": _("These items are already related this way.")}) from exc
    return relation


def relation_remove(*, actor, relation: CiRelation) -> None:
    """Remove a relation (the audit row on its source item keeps the fact it existed)."""
    require_cmdb_writer(actor)
    with transaction.atomic():
        source = relation.source
        payload = {"kind": relation.kind, "target": relation.target.reference}
        deleted, _count = CiRelation.objects.filter(pk=relation.pk).delete()
        if deleted:
            audit_record(actor=actor, verb="ci.relation_removed", obj=source, payload=payload)
