"""Shared pieces of the complaint services (``services_complaints``,
``services_complaints_lifecycle``, ``services_complaints_alerts``): text and contact
cleaning, the owner check, the locked read and versioned save of a complaint, its history
events, and who on the staff is told."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.utils.translation import gettext as _

from serviceloop.core.models import User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.relationship.models import Complaint, ComplaintEvent

TEXT_LIMIT = 20_000


def clean_text(
    value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required: str = ""
) -> str:
    """Stripped text; ``required`` is the message when it is empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = required
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def complaint_event(complaint, kind, *, actor, at, from_value="", to_value="", **payload):
    """One row of the complaint's history (inside the caller's transaction)."""
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_value=str(from_value or ""),
        to_value=str(to_value or ""),
        payload=payload,
    )


def complaint_locked(complaint: Complaint, expected_version) -> Complaint:
    """The complaint re-read under a row lock; ValidationError ``stale`` when
    ``expected_version`` is given and no longer its version."""
    current = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("organisation", "complainant", "owner", "service")
        .get(pk=complaint.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this complaint meanwhile; check it and try again."),
            code="stale",
        )
    return current


def complaint_save(complaint: Complaint, now) -> None:
    """Save with the version incremented and ``updated_at`` set."""
    complaint.updated_at = now
    complaint.version = F("version") + 1
    complaint.save()
    complaint.refresh_from_db(fields=["version"])


def complaint_url(complaint: Complaint) -> str:
    """The complaint's page, for notifications."""
    return f"/complaints/{complaint.reference}/"


def complaint_managers() -> list[User]:
    """Active staff who lead operational work (the lead capability): they are told of a
    complaint nobody owns yet."""
    roles = [
        role
        for role, caps in ROLE_CAPABILITIES.items()
        if Capability.LEAD in caps and Capability.OPERATE in caps
    ]
    return list(User.objects.filter(is_active=True, role__in=roles).order_by("pk"))


def staff_to_tell(complaint: Complaint) -> list[User]:
    """Its owner, or the complaint managers while nobody owns it."""
    return [complaint.owner] if complaint.owner_id else complaint_managers()


def clean_owner(person, errors: dict):
    """None, or an active member of staff who works operational records."""
    if person is None:
        return None
    if (
        not isinstance(person, User)
        or not person.is_active
        or not person.has_capability(Capability.OPERATE)
    ):
        errors["owner"] = _("The owner is a member of staff who works operational records.")
    return person


def clean_complainant(organisation, complainant, fields: dict, errors: dict) -> dict:
    """The complainant's contact fields cleaned; the complainant (a user of the customer
    organisation) or a name is required."""
    cleaned = {
        "complainant_name": clean_text(fields.get("complainant_name"), "complainant_name", errors, limit=150),
        "complainant_email": clean_text(fields.get("complainant_email"), "complainant_email", errors, limit=254),
        "complainant_phone": clean_text(fields.get("complainant_phone"), "complainant_phone", errors, limit=40),
    }  # fmt: skip
    if cleaned["complainant_email"]:
        try:
            validate_email(cleaned["complainant_email"])
        except ValidationError:
            errors["complainant_email"] = _("Enter a valid e-mail address.")
    if complainant is not None and (
        not isinstance(complainant, User) or complainant.organisation_id != organisation.pk
    ):
        errors["complainant"] = _("The complainant must belong to the customer organisation.")
    if complainant is None and not cleaned["complainant_name"]:
        errors["complainant_name"] = _("Name the complainant.")
    return cleaned
