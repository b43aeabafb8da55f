"""Organisations (the provider and its customers), people and teams."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import (
    CUSTOMER_ROLES,
    PROVIDER_ROLES,
    Capability,
    Role,
    role_capabilities,
)
from serviceloop.core.validators import validate_time_zone


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", _("Service provider")
    CUSTOMER = "customer", _("Customer")


class OrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Provider staff see every organisation; a customer sees only his own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        return self.filter(pk=user.organisation_id)

    def customers(self):
        return self.filter(kind=OrganisationKind.CUSTOMER)


class Organisation(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    calendar = models.ForeignKey(
        "core.Calendar",
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    email_domain = models.CharField(_("e-mail domain"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            # One provider per installation: the customers are everyone else.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="provider"),
                name="one_provider_organisation",
                violation_error_message=_("There is already a provider organisation."),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_provider(self) -> bool:
        return self.kind == OrganisationKind.PROVIDER


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see everyone; a customer sees the people of his own organisation."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        return self.filter(organisation_id=user.organisation_id)


class ServiceLoopUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in. Belongs to exactly one organisation and holds one role."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="people",
        null=True,  # only for the bootstrap superuser before an organisation exists
    )
    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.CUSTOMER_USER
    )
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty: the organisation's time zone."),
    )

    objects = ServiceLoopUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def capabilities(self) -> frozenset[Capability]:
        if not self.is_active:
            return frozenset()
        return role_capabilities(self.role)

    def has_capability(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role in CUSTOMER_ROLES


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        return self.filter(organisation_id=user.organisation_id)


class Team(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("team e-mail"), blank=True)
    lead = models.ForeignKey(
        User,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="teams", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique")
        ]

    def __str__(self):
        return self.name
