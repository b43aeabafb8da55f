"""Creating and revoking the bearer tokens of the monitoring intake."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability
from serviceloop.desk.models import Category, IntakeSource, IntakeToken, OnResolved


def default_requester(organisation: Organisation) -> User | None:
    """Who an organisation's alert incidents are raised for when the token names nobody:
    its first active customer manager, else its first active person."""
    people = organisation.people.filter(is_active=True).order_by("pk")
    managers = [p for p in people if p.has_capability(Capability.ORG_WIDE)]
    return managers[0] if managers else people.first()


def intake_token_create(
    *,
    actor,
    source: str,
    name: str,
    organisation: Organisation,
    requester: User | None = None,
    category: Category | None = None,
    team: Team | None = None,
    on_resolved: str = OnResolved.RESOLVE,
    now=None,
) -> tuple[IntakeToken, str]:
    """Create a token for one monitoring source; returns it and its secret.

    The secret is returned here only: the database keeps its SHA-256. ``actor`` None is
    the command line (an operator on the server).
    """
    if actor is not None:
        require(actor, Capability.ADMINISTER)
    now = now or timezone.now()
    name = (name or "").strip()
    requester = requester or default_requester(organisation)
    errors = {}
    if source not in IntakeSource.values:
        errors["source"] = _("Choose Alertmanager, Zabbix or the generic webhook.")
    if not name:
        errors["name"] = _("Give the token a name.")
    elif IntakeToken.objects.filter(name=name).exists():
        errors["name"] = _("There is already a token with this name.")
    if not organisation.is_active:
        errors["organisation"] = _("This organisation is not active.")
    if requester is None:
        errors["requester"] = _("This organisation has nobody who can be the requester.")
    elif requester.organisation_id != organisation.pk or not requester.is_active:
        errors["requester"] = _("The requester must be an active person of the organisation.")
    if on_resolved not in OnResolved.values:
        errors["on_resolved"] = _("Choose what happens when an alert resolves.")
    if errors:
        raise ValidationError(errors)
    secret = IntakeToken.new_secret()
    try:
        with transaction.atomic():
            token = IntakeToken.objects.create(
                source=source,
                name=name,
                organisation=organisation,
                requester=requester,
                category=category,
                team=team,
                on_resolved=on_resolved,
                token_hash=IntakeToken.hash_secret(secret),
                token_prefix=secret[:8],
                created_by=actor,
                created_at=now,
            )
            audit_record(
                actor=actor,
                verb="intake_token.created",
                obj=token,
                payload={
                    "name": name,
                    "source": source,
                    "requester": requester.username,
                    "category": category.pk if category else None,
                    "team": team.pk if team else None,
                    "on_resolved": on_resolved,
                    "token_prefix": token.token_prefix,
                },
            )
    except IntegrityError as exc:  # the same name created meanwhile
        raise ValidationError({"name": _("There is already a token with this name.")}) from exc
    return token, secret


def intake_token_revoke(*, actor, token: IntakeToken, now=None) -> IntakeToken:
    """Revoke a token: its sender gets 401 from now on. Revoking twice changes nothing."""
    if actor is not None:
        require(actor, Capability.ADMINISTER)
    now = now or timezone.now()
    with transaction.atomic():
        token = IntakeToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            verb="intake_token.revoked",
            obj=token,
            payload={"name": token.name, "source": token.source},
        )
    return token


def intake_token_touch(token: IntakeToken, *, now=None) -> None:
    """Note that the token was used (at most once a minute, to spare writes)."""
    now = now or timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        IntakeToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
