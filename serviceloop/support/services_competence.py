"""Competence and awareness (clauses 7.2, 7.3): every write on competences, requirements and
people's levels, the expiry reminders and the settings, and who may do what.

- **read**: the management-system owner, administrators, auditors, top management and team
  leads read everyone's competence records; other staff read their own, and the courses and
  sessions. Customers: 404.
- **edit** (competences, requirements, people's levels, courses, sessions, settings): the
  manage-system or administer capability; others get 403.
- **record attendance and results**: editors and the session's trainer.

Training courses and sessions (a pass raises a level) are in ``services_training``; the
communication plan (clause 7.4) in ``services_communication``. Each service validates,
writes and appends one audit row in one transaction.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES, Capability, Role
from serviceloop.support.models import (
    AssignmentCheck,
    ChangeSource,
    Competence,
    CompetenceChange,
    CompetenceRequirement,
    CompetenceSettings,
    PersonCompetence,
    competence_read_all,
)
from serviceloop.support.record_writing import reminders_send, text_clean

NAME_LIMIT = 120
TEXT_LIMIT = 4_000
UNSET = object()

# --- Who may do what -----------------------------------------------------------------------


def competence_may_edit(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.has_capability(Capability.MANAGE_SYSTEM)
            or user.has_capability(Capability.ADMINISTER)
        )
    )


def require_staff(user) -> None:
    if not (user.is_authenticated and user.has_capability(Capability.STAFF)):
        raise Http404


def require_edit(user) -> None:
    require_staff(user)
    if not competence_may_edit(user):
        raise PermissionDenied


def get_competence_for(user, pk, *, write: bool = False) -> Competence:
    require_staff(user)
    try:
        competence = Competence.objects.get(pk=pk)
    except (Competence.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    return competence


def get_requirement_for(user, pk, *, write: bool = False) -> CompetenceRequirement:
    require_staff(user)
    try:
        requirement = CompetenceRequirement.objects.select_related("competence", "category").get(
            pk=pk
        )
    except (CompetenceRequirement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    return requirement


def get_person_for(user, pk, *, write: bool = False) -> User:
    """A member of staff whose competence record ``user`` may read: anyone for readers of
    every record, himself otherwise (404)."""
    require_staff(user)
    try:
        person = User.objects.select_related("organisation").get(
            pk=pk, role__in=list(PROVIDER_ROLES)
        )
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not competence_read_all(user) and person.pk != user.pk:
        raise Http404
    if write:
        require_edit(user)
    return person


# --- Validation ----------------------------------------------------------------------------


def _clean_level(value, errors, *, field="level", minimum=0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 4:
        errors[field] = _("Choose a level from %(min)d to 4.") % {"min": minimum}
        return minimum
    return value


def _clean_date(value, field, errors, *, required=True):
    if value in (None, ""):
        if required:
            errors[field] = _("Enter a date.")
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[field] = _("Enter a date.")
        return None
    return value


def _staff_person(person, field, errors):
    if not isinstance(person, User) or not (person.is_active and person.is_provider_staff):
        errors[field] = _("Choose an active member of staff.")
    return person


def _changes(instance, values: dict) -> dict:
    """Set ``values`` on ``instance``; ``{field: [old, new]}`` of those that differ (related
    objects by primary key)."""
    changes = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.is_relation:
            old, new = getattr(instance, field.attname), (value.pk if value is not None else None)
        else:
            old, new = getattr(instance, name), value
        if old != new:
            changes[name] = [old, new]
            setattr(instance, name, value)
    return changes


# --- Competences and requirements ----------------------------------------------------------


def competence_create(*, actor, name: str, category: str = "", description: str = "") -> Competence:
    """Add a competence (names are unique)."""
    require_edit(actor)
    errors: dict = {}
    name = text_clean(name, "name", errors, limit=NAME_LIMIT, required_message=_("Give a name."))
    category = text_clean(category, "category", errors, limit=NAME_LIMIT)
    description = text_clean(description, "description", errors, limit=TEXT_LIMIT)
    if name and Competence.objects.filter(name__iexact=name).exists():
        errors["name"] = _("A competence with this name exists.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        competence = Competence.objects.create(
            name=name, category=category, description=description
        )
        audit_record(
            actor=actor,
            verb="competence.created",
            obj=competence,
            payload={"name": name, "category": category},
        )
    return competence


def competence_update(
    *, actor, competence: Competence, name=UNSET, category=UNSET, description=UNSET, is_active=UNSET
) -> Competence:
    require_edit(actor)
    errors: dict = {}
    values = {}
    if name is not UNSET:
        values["name"] = text_clean(
            name, "name", errors, limit=NAME_LIMIT, required_message=_("Give a name.")
        )
        if (
            values["name"]
            and Competence.objects.filter(name__iexact=values["name"])
            .exclude(pk=competence.pk)
            .exists()
        ):
            errors["name"] = _("A competence with this name exists.")
    if category is not UNSET:
        values["category"] = text_clean(category, "category", errors, limit=NAME_LIMIT)
    if description is not UNSET:
        values["description"] = text_clean(description, "description", errors, limit=TEXT_LIMIT)
    if is_active is not UNSET:
        values["is_active"] = bool(is_active)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        competence = Competence.objects.select_for_update(of=("self",)).get(pk=competence.pk)
        changes = _changes(competence, values)
        if not changes:
            return competence
        competence.save()
        audit_record(actor=actor, verb="competence.updated", obj=competence, payload=changes)
    return competence


def requirement_set(
    *,
    actor,
    competence: Competence,
    level: int,
    role: str = "",
    process: str = "",
    category=None,
) -> CompetenceRequirement:
    """Require ``level`` of ``competence`` from a role, a process or a desk category (exactly
    one). Setting it again for the same target changes the level."""
    require_edit(actor)
    errors: dict = {}
    level = _clean_level(level, errors, minimum=1)
    role = role or ""
    process = text_clean(process, "process", errors, limit=NAME_LIMIT)
    if role and role not in Role.values:
        errors["role"] = _("Choose a role.")
    targets = [bool(role), bool(process), category is not None]
    if sum(targets) != 1:
        errors["role"] = _("Name exactly one of: a role, a process, a desk category.")
    if errors:
        raise ValidationError(errors)
    lookup = {"competence": competence, "role": role, "process": process, "category": category}
    with transaction.atomic():
        requirement = (
            CompetenceRequirement.objects.select_for_update(of=("self",)).filter(**lookup).first()
        )
        if requirement is not None and requirement.level == level:
            return requirement
        old = requirement.level if requirement else None
        if requirement is None:
            requirement = CompetenceRequirement.objects.create(level=level, **lookup)
        else:
            requirement.level = level
            requirement.save(update_fields=["level"])
        audit_record(
            actor=actor,
            verb="competence.requirement_set",
            obj=requirement,
            payload={
                "competence": competence.pk,
                "role": role,
                "process": process,
                "category": category.pk if category else None,
                "level": [old, level],
            },
        )
    return requirement


def requirement_remove(*, actor, requirement: CompetenceRequirement) -> None:
    require_edit(actor)
    with transaction.atomic():
        payload = {
            "competence": requirement.competence_id,
            "role": requirement.role,
            "process": requirement.process,
            "category": requirement.category_id,
            "level": requirement.level,
        }
        audit_record(
            actor=actor, verb="competence.requirement_removed", obj=requirement, payload=payload
        )
        requirement.delete()


# --- People's levels -----------------------------------------------------------------------


def _apply_level(
    *,
    actor,
    person,
    competence,
    level,
    evidence,
    certificate,
    expires_on,
    assessed_on,
    source,
    session,
    now,
) -> tuple[PersonCompetence, CompetenceChange | None]:
    """Write a person's level and its history row (inside the caller's transaction)."""
    held = (
        PersonCompetence.objects.select_for_update(of=("self",))
        .filter(person=person, competence=competence)
        .first()
    )
    before = held.level if held else None
    if held is None:
        held = PersonCompetence(person=person, competence=competence)
    elif (
        held.level == level
        and held.evidence == evidence
        and held.certificate == certificate
        and held.expires_on == expires_on
        and held.assessed_on == assessed_on
    ):
        return held, None
    held.level = level
    held.evidence = evidence
    held.certificate = certificate
    held.expires_on = expires_on
    held.assessed_on = assessed_on
    held.assessed_by = actor if getattr(actor, "pk", None) else None
    held.source = source
    held.session = session
    held.updated_at = now
    held.save()
    change = CompetenceChange.objects.create(
        person=person,
        competence=competence,
        level_before=before,
        level_after=level,
        expires_on=expires_on,
        evidence=evidence,
        source=source,
        session=session,
        changed_by=held.assessed_by,
        changed_at=now,
    )
    return held, change


def person_competence_set(
    *,
    actor,
    person: User,
    competence: Competence,
    level: int,
    evidence: str = "",
    certificate: str = "",
    expires_on: datetime.date | None = None,
    assessed_on: datetime.date | None = None,
    now=None,
) -> PersonCompetence:
    """Record a person's level in a competence (0–4) from an assessment, with the evidence
    that shows it and, for a certification, its expiry date. The previous level is kept in
    the history. Evidence is required for any level above 0."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    _staff_person(person, "person", errors)
    level = _clean_level(level, errors)
    evidence = text_clean(evidence, "evidence", errors, limit=TEXT_LIMIT)
    if level and not evidence and "level" not in errors:
        errors["evidence"] = _(
            "Say what shows this level: a certificate, an assessment, work observed."
        )
    certificate = text_clean(certificate, "certificate", errors, limit=200)
    expires_on = _clean_date(expires_on, "expires_on", errors, required=False)
    assessed_on = _clean_date(
        assessed_on or timezone.localdate(now), "assessed_on", errors, required=True
    )
    if assessed_on and assessed_on > timezone.localdate(now):
        errors["assessed_on"] = _("The assessment date cannot be in the future.")
    if expires_on and assessed_on and expires_on < assessed_on:
        errors["expires_on"] = _("The expiry date cannot be before the assessment.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        held, change = _apply_level(
            actor=actor,
            person=person,
            competence=competence,
            level=level,
            evidence=evidence,
            certificate=certificate,
            expires_on=expires_on,
            assessed_on=assessed_on,
            source=ChangeSource.ASSESSMENT,
            session=None,
            now=now,
        )
        if change is not None:
            audit_record(
                actor=actor,
                verb="competence.level_set",
                obj=held,
                payload={
                    "person": person.pk,
                    "competence": competence.pk,
                    "level": [change.level_before, level],
                    "expires_on": expires_on,
                },
            )
    return held


# --- Expiry reminders ----------------------------------------------------------------------


def expiry_reminder_key(held: PersonCompetence) -> str:
    return f"competence-expiry:{held.pk}:{held.expires_on.isoformat()}"


def competence_expiry_remind(*, today: datetime.date | None = None) -> int:
    """Remind each holder of a certification that expires within the notice period (or has
    expired): exactly once per record and expiry date (the notification's dedupe key names
    both; a renewal sets a new date, reminded of in its turn). Returns how many were sent."""
    today = today or timezone.localdate()
    notice = datetime.timedelta(days=CompetenceSettings.current().expiry_notice_days)
    due = (
        PersonCompetence.objects.filter(
            expires_on__isnull=False, expires_on__lte=today + notice, person__is_active=True
        )
        .select_related("person", "competence")
        .order_by("pk")
    )
    return reminders_send(
        due,
        key=expiry_reminder_key,
        recipient=lambda held: held.person,
        kind="competence_expiry",
        context=lambda held: {
            "held": held,
            "competence": held.competence,
            "expires_on": held.expires_on,
            "lapsed": held.expires_on < today,
        },
        url=lambda held: reverse("competence_person", args=[held.person_id]),
        verb="competence.expiry_reminded",
        payload=lambda held: {"person": held.person_id, "expires_on": held.expires_on},
    )


# --- Settings ------------------------------------------------------------------------------


def competence_settings_update(
    *, actor, assignment_check=UNSET, expiry_notice_days=UNSET, now=None
) -> CompetenceSettings:
    """Change the assignment competence check (off / warn / block) or the expiry notice."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    if assignment_check is not UNSET and assignment_check not in AssignmentCheck.values:
        errors["assignment_check"] = _("Choose off, warn or block.")
    if expiry_notice_days is not UNSET and (
        not isinstance(expiry_notice_days, int) or not 0 <= expiry_notice_days <= 365
    ):
        errors["expiry_notice_days"] = _("Between 0 and 365 days.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = CompetenceSettings.objects.select_for_update(of=("self",)).order_by("pk").first()
        if row is None:
            row = CompetenceSettings.objects.create()
        changes = {}
        for name, value in (
            ("assignment_check", assignment_check),
            ("expiry_notice_days", expiry_notice_days),
        ):
            if value is not UNSET and getattr(row, name) != value:
                changes[name] = [getattr(row, name), value]
                setattr(row, name, value)
        if not changes:
            return row
        row.updated_at, row.updated_by = now, actor
        row.save()
        audit_record(actor=actor, verb="competence.settings_updated", obj=row, payload=changes)
    return row
