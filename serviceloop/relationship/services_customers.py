"""Customer accounts, contacts, relationship reviews and their actions (clause 8.3.2): every
write, and the overdue-action reminders.

Each service checks the actor's right, validates (a ValidationError with translated messages,
nothing written), writes the change and one audit row in one transaction, and queues its
notifications to go out after the commit.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.sanitise import clean_html
from serviceloop.core.services.notifications import notify
from serviceloop.relationship.models import (
    ActionStatus,
    CustomerAccount,
    CustomerContact,
    ReviewAction,
    ReviewActionReminder,
    ReviewMeeting,
)
from serviceloop.relationship.models.customers import (
    ACTION_OWNER,
    ACTION_WRITER,
    review_action_transition_for,
)
from serviceloop.relationship.permissions_customers import (
    can_write_relationship,
    require_relationship_writer,
)

TEXT_LIMIT = 50_000
REVIEW_REFERENCE_KIND = "CRV"

# --- Validation helpers (shared with the survey and agreement services) --------------------


def clean_text(value, field: str, errors: dict, *, limit: int = 2000, required=None) -> str:
    """``value`` stripped; records a message in ``errors`` when it is not text, too long, or
    empty while ``required`` (the message to show)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    elif required and not value:
        errors[field] = required
    return value


def clean_rich_text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT) -> str:
    """User-written HTML (or plain text, turned into paragraphs) reduced to the safe subset."""
    text = clean_text(value, field, errors, limit=limit)
    if not text:
        return ""
    if "<" not in text:
        text = linebreaks(text, autoescape=True)
    return clean_html(text)


def clean_date(value, field: str, errors: dict, *, required=None):
    if value in (None, ""):
        if required:
            errors[field] = required
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors[field] = _("Enter a date.")
        return None
    return value


def is_provider_staff(user) -> bool:
    return bool(user is not None and user.is_active and user.has_capability(Capability.STAFF))


def check_version(current_version: int, expected_version: int | None) -> None:
    """Optimistic concurrency: ValidationError (code ``stale``) when the record moved on."""
    if expected_version is not None and current_version != expected_version:
        raise ValidationError(
            _("Someone else changed this record meanwhile; check it and try again."),
            code="stale",
        )


# --- Customer accounts ---------------------------------------------------------------------

ACCOUNT_FIELDS = ("account_manager", "notes")


def _clean_account_manager(user, errors: dict):
    if user is not None and not can_write_relationship(user):
        errors["account_manager"] = _(
            "The account manager must be an active member of staff who works with customers."
        )
    return user


def customer_account_create(
    *, actor, organisation: Organisation, account_manager: User | None = None, notes: str = ""
) -> CustomerAccount:
    """Open the account record of a customer organisation (one per organisation)."""
    require_relationship_writer(actor)
    errors = {}
    if organisation is None or organisation.kind != OrganisationKind.CUSTOMER:
        errors["organisation"] = _("Choose a customer organisation.")
    elif CustomerAccount.objects.filter(organisation=organisation).exists():
        errors["organisation"] = _("This customer already has an account record.")
    _clean_account_manager(account_manager, errors)
    notes = clean_text(notes, "notes", errors, limit=TEXT_LIMIT)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                account = CustomerAccount.objects.create(
                    organisation=organisation, account_manager=account_manager, notes=notes
                )
        except IntegrityError:
            raise ValidationError(
                {"organisation": _("This customer already has an account record.")}
            ) from None
        audit_record(
            actor=actor,
            verb="customer_account.created",
            obj=account,
            payload=snapshot(account, ACCOUNT_FIELDS),
        )
    return account


def customer_account_update(
    *, actor, account: CustomerAccount, expected_version: int | None = None, **fields
) -> CustomerAccount:
    """Change the account manager or the internal notes."""
    require_relationship_writer(actor)
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors = {}
    if "account_manager" in fields:
        _clean_account_manager(fields["account_manager"], errors)
    if "notes" in fields:
        fields["notes"] = clean_text(fields["notes"], "notes", errors, limit=TEXT_LIMIT)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = CustomerAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        check_version(account.version, expected_version)
        before = snapshot(account, ACCOUNT_FIELDS)
        for name, value in fields.items():
            setattr(account, name, value)
        changes = field_changes(account, before, ACCOUNT_FIELDS)
        if changes:
            account.version = F("version") + 1
            account.save()
            account.refresh_from_db()
            audit_record(actor=actor, verb="customer_account.updated", obj=account, payload=changes)
    return account


# --- Contacts ------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "email", "phone", "is_primary", "user", "is_active")


def _clean_contact(account: CustomerAccount, fields: dict, errors: dict, contact=None) -> dict:
    cleaned = {}
    if "name" in fields:
        cleaned["name"] = clean_text(
            fields["name"], "name", errors, limit=150, required=_("Give the contact's name.")
        )
    if "role" in fields:
        cleaned["role"] = clean_text(fields["role"], "role", errors, limit=120)
    if "email" in fields:
        email = clean_text(fields["email"], "email", errors, limit=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = _("Enter a valid e-mail address.")
        cleaned["email"] = email
    if "phone" in fields:
        cleaned["phone"] = clean_text(fields["phone"], "phone", errors, limit=40)
    for flag in ("is_primary", "is_active"):
        if flag in fields:
            cleaned[flag] = bool(fields[flag])
    if "user" in fields:
        user = fields["user"]
        if user is not None:
            if user.organisation_id != account.organisation_id:
                errors["user"] = _("The user account must belong to this customer.")
            elif (
                CustomerContact.objects.filter(account=account, user=user)
                .exclude(pk=getattr(contact, "pk", None))
                .exists()
            ):
                errors["user"] = _("Another contact is already linked to this user account.")
        cleaned["user"] = user
    return cleaned


def _one_primary(contact: CustomerContact) -> None:
    """A new primary contact takes the flag from the previous one (same transaction)."""
    if contact.is_primary:
        CustomerContact.objects.filter(account_id=contact.account_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)


def customer_contact_create(
    *,
    actor,
    account: CustomerAccount,
    name: str,
    role: str = "",
    email: str = "",
    phone: str = "",
    is_primary: bool = False,
    user: User | None = None,
) -> CustomerContact:
    """Add a contact to a customer account; a primary contact replaces the previous one."""
    require_relationship_writer(actor)
    return _contact_create(
        actor=actor,
        account=account,
        fields={
            "name": name,
            "role": role,
            "email": email,
            "phone": phone,
            "is_primary": is_primary,
            "user": user,
        },
    )


def _contact_create(*, actor, account, fields) -> CustomerContact:
    errors = {}
    cleaned = _clean_contact(account, fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if cleaned.get("is_primary"):
            CustomerContact.objects.filter(account=account, is_primary=True).update(
                is_primary=False
            )
        contact = CustomerContact.objects.create(account=account, **cleaned)
        audit_record(
            actor=actor,
            verb="customer_contact.created",
            obj=contact,
            organisation=account.organisation,
            payload=snapshot(contact, CONTACT_FIELDS),
        )
    return contact


def customer_contact_update(*, actor, contact: CustomerContact, **fields) -> CustomerContact:
    """Change a contact (name, role, e-mail, phone, primary, linked user, active)."""
    require_relationship_writer(actor)
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors = {}
    cleaned = _clean_contact(contact.account, fields, errors, contact=contact)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact = CustomerContact.objects.select_for_update(of=("self",)).get(pk=contact.pk)
        before = snapshot(contact, CONTACT_FIELDS)
        for name, value in cleaned.items():
            setattr(contact, name, value)
        changes = field_changes(contact, before, CONTACT_FIELDS)
        if changes:
            _one_primary(contact)
            contact.save()
            audit_record(
                actor=actor,
                verb="customer_contact.updated",
                obj=contact,
                organisation=contact.account.organisation,
                payload=changes,
            )
    return contact


def contact_for_user(*, user: User) -> CustomerContact | None:
    """The contact linked to a customer user, on his organisation's account."""
    return (
        CustomerContact.objects.filter(user=user, account__organisation_id=user.organisation_id)
        .select_related("account")
        .first()
    )


def customer_contact_for_self(*, user: User) -> CustomerContact:
    """The contact record of a signed-in customer, created from his profile when missing
    (inside the caller's transaction, audited). ValidationError when his organisation has no
    account record yet."""
    contact = contact_for_user(user=user)
    if contact is not None:
        return contact
    account = CustomerAccount.objects.filter(organisation_id=user.organisation_id).first()
    if account is None:
        raise ValidationError(_("Your organisation has no customer account yet."))
    return _contact_create(
        actor=user,
        account=account,
        fields={
            "name": str(user)[:150],
            "email": user.email,
            "phone": user.phone,
            "user": user,
        },
    )


# --- Relationship reviews ------------------------------------------------------------------

REVIEW_FIELDS = ("held_on", "title", "participants", "minutes")


def _clean_review(fields: dict, errors: dict) -> dict:
    cleaned = {}
    if "held_on" in fields:
        cleaned["held_on"] = clean_date(
            fields["held_on"], "held_on", errors, required=_("Give the meeting's date.")
        )
    if "title" in fields:
        cleaned["title"] = clean_text(
            fields["title"], "title", errors, limit=200, required=_("Give the meeting a title.")
        )
    if "participants" in fields:
        text = clean_text(fields["participants"], "participants", errors, limit=5000)
        cleaned["participants"] = "\n".join(
            line.strip() for line in text.splitlines() if line.strip()
        )
    if "minutes" in fields:
        cleaned["minutes"] = clean_rich_text(fields["minutes"], "minutes", errors)
    return cleaned


def review_create(
    *,
    actor,
    account: CustomerAccount,
    held_on,
    title: str,
    participants: str = "",
    minutes: str = "",
) -> ReviewMeeting:
    """Record a relationship review meeting (reference ``CRV-YYYY-NNNNNN``); the minutes are
    stored as sanitised HTML."""
    require_relationship_writer(actor)
    errors = {}
    cleaned = _clean_review(
        {"held_on": held_on, "title": title, "participants": participants, "minutes": minutes},
        errors,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = ReviewMeeting.objects.create(
            reference=reference_allocate(kind=REVIEW_REFERENCE_KIND, year=cleaned["held_on"].year),
            account=account,
            created_by=actor,
            **cleaned,
        )
        audit_record(
            actor=actor,
            verb="customer_review.created",
            obj=review,
            organisation=account.organisation,
            payload={"reference": review.reference, **snapshot(review, REVIEW_FIELDS)},
        )
    return review


def review_update(
    *, actor, review: ReviewMeeting, expected_version: int | None = None, **fields
) -> ReviewMeeting:
    """Change a review's date, title, participants or minutes."""
    require_relationship_writer(actor)
    unknown = set(fields) - set(REVIEW_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors = {}
    cleaned = _clean_review(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = ReviewMeeting.objects.select_for_update(of=("self",)).get(pk=review.pk)
        check_version(review.version, expected_version)
        before = snapshot(review, REVIEW_FIELDS)
        for name, value in cleaned.items():
            setattr(review, name, value)
        changes = field_changes(review, before, REVIEW_FIELDS)
        if changes:
            review.version = F("version") + 1
            review.save()
            review.refresh_from_db()
            audit_record(
                actor=actor,
                verb="customer_review.updated",
                obj=review,
                organisation=review.account.organisation,
                payload=changes,
            )
    return review


# --- Review actions ------------------------------------------------------------------------

ACTION_FIELDS = ("title", "owner", "due_on")


def _clean_action(review: ReviewMeeting, fields: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = clean_text(
            fields["title"], "title", errors, limit=300, required=_("Say what is to be done.")
        )
    if "owner" in fields:
        owner = fields["owner"]
        if owner is None:
            errors["owner"] = _("Choose who owns the action.")
        elif not owner.is_active or not (
            is_provider_staff(owner) or owner.organisation_id == review.account.organisation_id
        ):
            errors["owner"] = _(
                "The owner must be an active member of staff or a person of this customer."
            )
        cleaned["owner"] = owner
    if "due_on" in fields:
        cleaned["due_on"] = clean_date(
            fields["due_on"], "due_on", errors, required=_("Give a due date.")
        )
    return cleaned


def review_action_add(*, actor, review: ReviewMeeting, title: str, owner: User, due_on):
    """Add an action to a review meeting (open)."""
    require_relationship_writer(actor)
    errors = {}
    cleaned = _clean_action(review, {"title": title, "owner": owner, "due_on": due_on}, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = ReviewAction.objects.create(review=review, **cleaned)
        audit_record(
            actor=actor,
            verb="customer_review_action.created",
            obj=action,
            organisation=review.account.organisation,
            payload={"review": review.reference, **snapshot(action, ACTION_FIELDS)},
        )
    return action


def review_action_update(*, actor, action: ReviewAction, **fields) -> ReviewAction:
    """Change an action's text, owner or due date (a new due date may be reminded again)."""
    require_relationship_writer(actor)
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors = {}
    cleaned = _clean_action(action.review, fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = ReviewAction.objects.select_for_update(of=("self",)).get(pk=action.pk)
        before = snapshot(action, ACTION_FIELDS)
        for name, value in cleaned.items():
            setattr(action, name, value)
        changes = field_changes(action, before, ACTION_FIELDS)
        if changes:
            action.save()
            audit_record(
                actor=actor,
                verb="customer_review_action.updated",
                obj=action,
                organisation=action.review.account.organisation,
                payload=changes,
            )
    return action


def review_action_roles(user, action: ReviewAction) -> set[str]:
    """``writer`` for staff who keep reviews, ``owner`` for the action's owner."""
    roles = set()
    if can_write_relationship(user):
        roles.add(ACTION_WRITER)
    if user.is_authenticated and user.is_active and action.owner_id == user.pk:
        roles.add(ACTION_OWNER)
    return roles


def review_action_transition(*, actor, action: ReviewAction, target: str, now=None):
    """Move an action along the declared table (open → done by its owner or staff who keep
    reviews; done → open by the latter). 403 for anyone else."""
    now = now or timezone.now()
    with transaction.atomic():
        action = (
            ReviewAction.objects.select_for_update(of=("self",))
            .select_related("review__account__organisation")
            .get(pk=action.pk)
        )
        if action.status == target:
            raise ValidationError(_("The action is already in this status."))
        move = review_action_transition_for(
            action.status, target, review_action_roles(actor, action)
        )
        if move is None:
            if review_action_transition_for(action.status, target, {ACTION_WRITER, ACTION_OWNER}):
                raise PermissionDenied
            raise ValidationError(_("This status change is not allowed."))
        source = action.status
        action.status = target
        if target == ActionStatus.DONE:
            action.done_at, action.done_by = now, actor
        else:
            action.done_at, action.done_by = None, None
        action.save(update_fields=["status", "done_at", "done_by"])
        audit_record(
            actor=actor,
            verb="customer_review_action.status",
            obj=action,
            organisation=action.review.account.organisation,
            payload={"status": [source, target]},
        )
    return action


def review_action_reminders_run(*, today: datetime.date | None = None, now=None) -> int:
    """Remind the owner and the account manager of every overdue open action, exactly once per
    action and due date (a claim row under a unique constraint decides between workers; a new
    due date may be reminded again). Returns the number of actions reminded."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    reminded = 0
    overdue = ReviewAction.objects.overdue(today).select_related(
        "owner", "review__account__account_manager", "review__account__organisation"
    )
    for action in overdue.exclude(reminders__due_on=F("due_on")):
        review = action.review
        try:
            with transaction.atomic():
                ReviewActionReminder.objects.create(
                    action=action, due_on=action.due_on, sent_at=now
                )
                notify(
                    recipients=[action.owner, review.account.account_manager],
                    kind="customer_review_action_overdue",
                    context={
                        "action": action,
                        "review": review,
                        "days": (today - action.due_on).days,
                    },
                    url=reverse("customer_review_detail", args=[review.reference]),
                    dedupe_key=f"customer-review-action-overdue:{action.pk}:{action.due_on}",
                )
                audit_record(
                    actor=None,
                    verb="customer_review_action.reminded",
                    obj=action,
                    organisation=review.account.organisation,
                    payload={"due_on": action.due_on, "owner": action.owner_id},
                )
        except IntegrityError:
            continue  # another worker reminded this action a moment ago
        reminded += 1
    return reminded
