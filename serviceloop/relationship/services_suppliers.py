"""Supplier management (clause 8.3.4): every write of suppliers, their contacts and the
tickets that waited on a supplier. Contracts and obligations are in
``services_suppliers_contracts``, disputes in ``services_suppliers_disputes``, performance
reviews in ``services_suppliers_reviews``.

Each service checks the actor's right (staff who work operational records; 403 for the
read-only roles), validates (a ValidationError with translated messages, nothing written),
writes the change and one audit row in one transaction, and queues notifications after the
commit. ``expected_version`` (the version the caller read) guards against lost updates: a
stale one raises a ValidationError with code ``stale``.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.desk.models import Kind, Ticket
from serviceloop.relationship.models import (
    Supplier,
    SupplierContact,
    SupplierKind,
    SupplierStatus,
    TicketSupplier,
)
from serviceloop.relationship.services_suppliers_base import (
    changes_between,
    clean_text,
    fk,
    locked,
    require_writer,
    save_versioned,
    staff_person,
)

# --- Suppliers -----------------------------------------------------------------------------

SUPPLIER_FIELDS = (
    "name",
    "kind",
    "organisation",
    "status",
    "manager",
    "services_provided",
    "website",
    "notes",
)


def _clean_supplier(fields: dict, errors: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name == "name":
            cleaned[name] = clean_text(
                value, name, errors, limit=200, required=_("Give the supplier a name.")
            )
        elif name == "kind":
            if value not in SupplierKind.values:
                errors[name] = _("Choose a kind of supplier.")
            cleaned[name] = value
        elif name == "status":
            if value not in SupplierStatus.values:
                errors[name] = _("Choose a status.")
            cleaned[name] = value
        elif name == "organisation":
            if value is not None and not isinstance(value, Organisation):
                errors[name] = _("Choose an organisation.")
            cleaned[name] = value
        elif name == "manager":
            cleaned[name] = staff_person(value, name, errors)
        elif name == "website":
            website = clean_text(value, name, errors, limit=200)
            if website:
                try:
                    URLValidator(schemes=["http", "https"])(website)
                except ValidationError:
                    errors[name] = _("Enter a web address starting with http:// or https://.")
            cleaned[name] = website
        elif name in ("services_provided", "notes"):
            cleaned[name] = clean_text(value, name, errors)
        else:
            raise ValueError(f"not an editable field: {name}")
    return cleaned


def _check_kind_and_organisation(supplier: Supplier, errors: dict) -> None:
    organisation = supplier.organisation
    if supplier.kind == SupplierKind.CUSTOMER:
        if organisation is None or organisation.kind != OrganisationKind.CUSTOMER:
            errors["organisation"] = _(
                "A customer acting as a supplier is one of our customer organisations: choose it."
            )
    elif supplier.kind == SupplierKind.INTERNAL:
        if organisation is not None and organisation.kind != OrganisationKind.PROVIDER:
            errors["organisation"] = _(
                "An internal supplier is part of the provider's own organisation."
            )
    elif organisation is not None:
        errors["organisation"] = _(
            "An organisation of this system is a customer or the provider: choose the "
            "matching kind of supplier."
        )


def supplier_create(
    *,
    actor,
    name: str,
    kind: str = SupplierKind.EXTERNAL,
    organisation: Organisation | None = None,
    status: str = SupplierStatus.ACTIVE,
    manager: User | None = None,
    services_provided: str = "",
    website: str = "",
    notes: str = "",
    now=None,
) -> Supplier:
    """Record a supplier. A customer acting as a supplier names its customer organisation;
    an internal supplier may name the provider; an external one names none."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    cleaned = _clean_supplier(
        {
            "name": name,
            "kind": kind,
            "organisation": organisation,
            "status": status,
            "manager": manager,
            "services_provided": services_provided,
            "website": website,
            "notes": notes,
        },
        errors,
    )
    supplier = Supplier(created_at=now, updated_at=now, **cleaned)
    if "kind" not in errors and "organisation" not in errors:
        _check_kind_and_organisation(supplier, errors)
    if "name" not in errors and Supplier.objects.filter(name__iexact=cleaned["name"]).exists():
        errors["name"] = _("A supplier with this name already exists.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            supplier.save()
            audit_record(
                actor=actor,
                verb="supplier.created",
                obj=supplier,
                payload={name: fk(value) for name, value in cleaned.items()},
            )
    except IntegrityError as exc:
        raise ValidationError({"name": _("A supplier with this name already exists.")}) from exc
    return supplier


def supplier_update(
    *, actor, supplier: Supplier, expected_version=None, now=None, **fields
) -> Supplier:
    """Change a supplier's details; one audit row with ``{field: [old, new]}`` (none when
    nothing changed)."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    cleaned = _clean_supplier(fields, errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            supplier = locked(Supplier, supplier, expected_version)
            before = {name: getattr(supplier, name) for name in cleaned}
            for name, value in cleaned.items():
                setattr(supplier, name, value)
            _check_kind_and_organisation(supplier, errors)
            if (
                "name" in cleaned
                and Supplier.objects.filter(name__iexact=supplier.name)
                .exclude(pk=supplier.pk)
                .exists()
            ):
                errors["name"] = _("A supplier with this name already exists.")
            if errors:
                raise ValidationError(errors)
            changes = changes_between(before, {name: getattr(supplier, name) for name in cleaned})
            if not changes:
                return supplier
            save_versioned(supplier, now)
            audit_record(actor=actor, verb="supplier.updated", obj=supplier, payload=changes)
    except IntegrityError as exc:
        raise ValidationError({"name": _("A supplier with this name already exists.")}) from exc
    return supplier


# --- Contacts ------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "email", "phone", "is_primary")


def _clean_contact(fields: dict, errors: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name == "name":
            cleaned[name] = clean_text(value, name, errors, limit=150, required=_("Give a name."))
        elif name == "role":
            cleaned[name] = clean_text(value, name, errors, limit=120)
        elif name == "phone":
            cleaned[name] = clean_text(value, name, errors, limit=40)
        elif name == "email":
            email = clean_text(value, name, errors, limit=254)
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    errors[name] = _("Enter a valid e-mail address.")
            cleaned[name] = email
        elif name == "is_primary":
            cleaned[name] = bool(value)
        else:
            raise ValueError(f"not an editable field: {name}")
    return cleaned


def _one_primary(contact: SupplierContact) -> None:
    if contact.is_primary:
        SupplierContact.objects.filter(supplier_id=contact.supplier_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)


def supplier_contact_add(
    *,
    actor,
    supplier: Supplier,
    name: str,
    role: str = "",
    email: str = "",
    phone: str = "",
    is_primary: bool = False,
) -> SupplierContact:
    """Add a contact person of the supplier; a primary contact replaces the previous one."""
    require_writer(actor)
    errors: dict = {}
    cleaned = _clean_contact(
        {"name": name, "role": role, "email": email, "phone": phone, "is_primary": is_primary},
        errors,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact = SupplierContact.objects.create(supplier=supplier, **cleaned)
        _one_primary(contact)
        audit_record(
            actor=actor,
            verb="supplier.contact_added",
            obj=supplier,
            payload={"contact": contact.pk, **cleaned},
        )
    return contact


def supplier_contact_update(*, actor, contact: SupplierContact, **fields) -> SupplierContact:
    require_writer(actor)
    errors: dict = {}
    cleaned = _clean_contact(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact = SupplierContact.objects.select_for_update(of=("self",)).get(pk=contact.pk)
        before = {name: getattr(contact, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(contact, name, value)
        changes = changes_between(before, cleaned)
        if not changes:
            return contact
        contact.save()
        _one_primary(contact)
        audit_record(
            actor=actor,
            verb="supplier.contact_updated",
            obj=contact.supplier,
            payload={"contact": contact.pk, **changes},
        )
    return contact


def supplier_contact_remove(*, actor, contact: SupplierContact) -> None:
    """Remove a contact person (people leave; the audit row keeps who it was)."""
    require_writer(actor)
    with transaction.atomic():
        supplier = contact.supplier
        payload = {"contact": contact.pk, "name": contact.name, "email": contact.email}
        SupplierContact.objects.filter(pk=contact.pk).delete()
        audit_record(actor=actor, verb="supplier.contact_removed", obj=supplier, payload=payload)


# --- Tickets waiting on a supplier ---------------------------------------------------------


def ticket_supplier_link(
    *,
    actor,
    ticket: Ticket,
    supplier: Supplier,
    caused_incident: bool = False,
    note: str = "",
    now=None,
) -> TicketSupplier:
    """Record that the ticket waited on the supplier (and, for an incident, whether the
    supplier caused it). Linking again changes the flag and the note of the link."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    note = clean_text(note, "note", errors, limit=300)
    caused_incident = bool(caused_incident)
    if caused_incident and ticket.kind != Kind.INCIDENT:
        errors["caused_incident"] = _("Only an incident can be caused by a supplier.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        link = (
            TicketSupplier.objects.select_for_update(of=("self",))
            .filter(ticket=ticket, supplier=supplier)
            .first()
        )
        if link is None:
            try:
                with transaction.atomic():
                    link = TicketSupplier.objects.create(
                        ticket=ticket,
                        supplier=supplier,
                        caused_incident=caused_incident,
                        note=note,
                        recorded_by=actor,
                        recorded_at=now,
                    )
            except IntegrityError as exc:
                raise ValidationError(
                    _("This ticket was linked to the supplier a moment ago; reload the page.")
                ) from exc
            verb, payload = "supplier.ticket_linked", {}
        else:
            payload = changes_between(
                {"caused_incident": link.caused_incident, "note": link.note},
                {"caused_incident": caused_incident, "note": note},
            )
            if not payload:
                return link
            link.caused_incident, link.note = caused_incident, note
            link.save(update_fields=["caused_incident", "note"])
            verb = "supplier.ticket_link_updated"
        audit_record(
            actor=actor,
            verb=verb,
            obj=supplier,
            payload={
                "ticket": ticket.reference,
                "caused_incident": caused_incident,
                "note": note,
                **({"changes": payload} if payload else {}),
            },
        )
    return link


def ticket_supplier_unlink(*, actor, link: TicketSupplier) -> None:
    """Remove a link recorded by mistake (the audit row keeps it)."""
    require_writer(actor)
    with transaction.atomic():
        payload = {
            "ticket": link.ticket.reference,
            "caused_incident": link.caused_incident,
            "recorded_at": link.recorded_at,
        }
        supplier = link.supplier
        TicketSupplier.objects.filter(pk=link.pk).delete()
        audit_record(actor=actor, verb="supplier.ticket_unlinked", obj=supplier, payload=payload)
