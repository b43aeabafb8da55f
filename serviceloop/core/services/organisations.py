"""Organisations, people and teams: creating and changing them."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Organisation, OrganisationKind, Team, User
from serviceloop.core.permissions import require
from serviceloop.core.roles import CUSTOMER_ROLES, PROVIDER_ROLES, Capability, Role

ORGANISATION_FIELDS = ("name", "short_name", "time_zone", "calendar", "email_domain", "is_active")
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "email",
    "phone",
    "role",
    "language",
    "time_zone",
    "is_active",
)
TEAM_FIELDS = ("name", "description", "email", "lead", "is_active")


def _check_role_fits_organisation(role: str, organisation: Organisation) -> None:
    if organisation.kind == OrganisationKind.PROVIDER and role not in PROVIDER_ROLES:
        raise ValidationError({"role": _("People of the provider hold a provider role.")})
    if organisation.kind == OrganisationKind.CUSTOMER and role not in CUSTOMER_ROLES:
        raise ValidationError({"role": _("People of a customer hold a customer role.")})


def _full_clean(instance, **kwargs):
    instance.full_clean(**kwargs)


def _derive_admin_site_access(person: User) -> None:
    """The (read-only) Django admin is open to provider administrators only."""
    person.is_staff = person.is_superuser = person.role == Role.PROVIDER_ADMIN


def organisation_create(*, actor, kind: str, name: str, **fields) -> Organisation:
    """Create an organisation (the provider once, customers any number of times)."""
    if actor is not None:
        require(actor, Capability.ADMINISTER)
    organisation = Organisation(kind=kind, name=name, **fields)
    if kind == OrganisationKind.PROVIDER and Organisation.objects.filter(kind=kind).exists():
        raise ValidationError({"kind": _("There is already a provider organisation.")})
    _full_clean(organisation)
    try:
        with transaction.atomic():
            organisation.save()
            audit_record(
                actor=actor,
                verb="organisation.created",
                obj=organisation,
                payload=snapshot(organisation, ("kind", *ORGANISATION_FIELDS)),
            )
    except IntegrityError as exc:
        # Created by someone else a moment ago (a race past the checks): the constraints decide.
        if kind == OrganisationKind.PROVIDER and Organisation.objects.filter(kind=kind).exists():
            raise ValidationError({"kind": _("There is already a provider organisation.")}) from exc
        if Organisation.objects.filter(name=name).exists():
            raise ValidationError(
                {"name": _("An organisation with this name already exists.")}
            ) from exc
        raise
    return organisation


def organisation_update(*, actor, organisation: Organisation, **fields) -> Organisation:
    require(actor, Capability.ADMINISTER)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = snapshot(organisation, ORGANISATION_FIELDS)
        for name, value in fields.items():
            if name not in ORGANISATION_FIELDS:
                raise ValueError(f"not an editable field: {name}")
            setattr(organisation, name, value)
        _full_clean(organisation)
        changes = field_changes(organisation, before, ORGANISATION_FIELDS)
        if changes:
            organisation.save()
            audit_record(
                actor=actor, verb="organisation.updated", obj=organisation, payload=changes
            )
    return organisation


def person_create(
    *,
    actor,
    organisation: Organisation,
    username: str,
    role: str,
    password: str | None = None,
    **fields,
) -> User:
    """Create a person in an organisation with a role fitting that organisation.

    Without a password the account cannot sign in until a password reset is done.
    """
    if actor is not None:
        require(actor, Capability.ADMINISTER)
    person = User(organisation=organisation, username=username, role=role, **fields)
    _check_role_fits_organisation(role, organisation)
    _derive_admin_site_access(person)
    if password:
        validate_password(password, person)
        person.set_password(password)
    else:
        person.set_unusable_password()
    _full_clean(person, exclude=["password"])
    with transaction.atomic():
        person.save()
        audit_record(
            actor=actor,
            verb="person.created",
            obj=person,
            payload={"username": username, **snapshot(person, PERSON_FIELDS)},
        )
    return person


def person_update(*, actor, person: User, **fields) -> User:
    """Change a person's profile. People may change their own name, language and time zone;
    role, organisation membership and activity need the administer capability."""
    self_service = {"first_name", "last_name", "display_name", "phone", "language", "time_zone"}
    if not (actor.pk == person.pk and set(fields) <= self_service):
        require(actor, Capability.ADMINISTER)
    with transaction.atomic():
        person = (
            User.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=person.pk)
        )
        before = snapshot(person, PERSON_FIELDS)
        for name, value in fields.items():
            if name not in PERSON_FIELDS:
                raise ValueError(f"not an editable field: {name}")
            setattr(person, name, value)
        if person.organisation is not None:
            _check_role_fits_organisation(person.role, person.organisation)
        _derive_admin_site_access(person)
        if actor.pk == person.pk and not person.is_active:
            raise ValidationError({"is_active": _("You cannot deactivate your own account.")})
        _full_clean(person, exclude=["password"])
        changes = field_changes(person, before, PERSON_FIELDS)
        if changes:
            person.save()
            audit_record(actor=actor, verb="person.updated", obj=person, payload=changes)
    return person


def person_set_password(*, actor, person: User, password: str) -> None:
    """Set a new password (validated by the configured validators)."""
    if actor.pk != person.pk:
        require(actor, Capability.ADMINISTER)
    validate_password(password, person)
    with transaction.atomic():
        person.set_password(password)
        person.save(update_fields=["password"])
        audit_record(actor=actor, verb="person.password_changed", obj=person)


def team_create(*, actor, organisation: Organisation, name: str, members=(), **fields) -> Team:
    if actor is not None:
        require(actor, Capability.ADMINISTER)
    team = Team(organisation=organisation, name=name, **fields)
    _full_clean(team)
    members = list(members)
    _check_members(team, members)
    with transaction.atomic():
        team.save()
        team.members.set(members)
        audit_record(
            actor=actor,
            verb="team.created",
            obj=team,
            payload={**snapshot(team, TEAM_FIELDS), "members": sorted(m.pk for m in members)},
        )
    return team


def _check_members(team: Team, members) -> None:
    strangers = [m for m in members if m.organisation_id != team.organisation_id]
    if team.lead_id and team.lead.organisation_id != team.organisation_id:
        strangers.append(team.lead)
    if strangers:
        raise ValidationError(
            {"members": _("Team members must belong to the team's organisation.")}
        )


def team_update(*, actor, team: Team, members=None, **fields) -> Team:
    require(actor, Capability.ADMINISTER)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = snapshot(team, TEAM_FIELDS)
        before_members = sorted(team.members.values_list("pk", flat=True))
        for name, value in fields.items():
            if name not in TEAM_FIELDS:
                raise ValueError(f"not an editable field: {name}")
            setattr(team, name, value)
        _full_clean(team)
        changes = field_changes(team, before, TEAM_FIELDS)
        if members is not None:
            members = list(members)
            _check_members(team, members)
            after_members = sorted(m.pk for m in members)
            if after_members != before_members:
                team.members.set(members)
                changes["members"] = [before_members, after_members]
        else:
            _check_members(team, [])
        if changes:
            team.save()
            audit_record(actor=actor, verb="team.updated", obj=team, payload=changes)
    return team
