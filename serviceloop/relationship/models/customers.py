"""Models of the customers part (clause 8.3.2): a customer account per customer organisation,
its contacts, relationship review meetings and their actions.

Satisfaction surveys live in ``customers_surveys`` and service level agreements in
``agreements``; both are re-exported here so ``relationship.models`` sees every model.

Visibility is decided by each queryset's ``visible_to(user)``: provider staff see every
customer's records; a customer sees only his own organisation's (everyone else: nothing).
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "ActionStatus",
    "CustomerAccount",
    "CustomerContact",
    "REVIEW_ACTION_TRANSITIONS",
    "ReviewAction",
    "ReviewActionReminder",
    "ReviewActionTransition",
    "ReviewMeeting",
    "review_action_transition_for",
]


def _no_one(user) -> bool:
    return not user.is_authenticated or not user.is_active


class CustomerAccountQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every account; a customer sees his own organisation's account."""
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class CustomerAccount(models.Model):
    """The provider's record of its relationship with one customer organisation."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.OneToOneField(
        "core.Organisation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="customer_account",
        limit_choices_to={"kind": "customer"},
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_customer_accounts",
    )
    notes = models.TextField(_("internal notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CustomerAccountQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("customer account")
        verbose_name_plural = _("customer accounts")

    def __str__(self):
        return str(self.organisation)

    def services_in_use(self):
        """The portfolio services the organisation is entitled to (``Service.customers``)."""
        from serviceloop.portfolio.models import Service

        return Service.objects.filter(customers=self.organisation_id).order_by("name")


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user):
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(account__organisation_id=user.organisation_id)


class CustomerContact(models.Model):
    """A person at the customer the provider deals with; may be linked to a user account."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        CustomerAccount,
        verbose_name=_("customer account"),
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customer_contacts",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name", "pk"]
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_primary=True),
                name="customer_contact_one_primary",
            ),
            models.UniqueConstraint(
                fields=["account", "user"],
                condition=Q(user__isnull=False),
                name="customer_contact_user_once",
            ),
        ]

    def __str__(self):
        return self.name


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every review; a customer sees his organisation's reviews."""
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(account__organisation_id=user.organisation_id)


class ReviewMeeting(models.Model):
    """A relationship review meeting with a customer: who took part, the minutes (sanitised
    HTML), and the actions agreed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    account = models.ForeignKey(
        CustomerAccount,
        verbose_name=_("customer account"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    participants = models.TextField(_("participants"), blank=True, help_text=_("One per line."))
    minutes = models.TextField(_("minutes"), blank=True)  # sanitised HTML (clean_html)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("relationship review")
        verbose_name_plural = _("relationship reviews")

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def participant_list(self) -> list[str]:
        return [line.strip() for line in self.participants.splitlines() if line.strip()]

    @property
    def minutes_html(self):
        """The minutes as safe HTML (cleaned when stored; cleaned again on the way out)."""
        from django.utils.safestring import mark_safe

        from serviceloop.core.sanitise import clean_html

        return mark_safe(clean_html(self.minutes))  # noqa: S308 - nh3 output


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


# Who moves an action: ``writer`` is staff who work the relationship; ``owner`` the person the
# action is assigned to (a customer may own one).
ACTION_WRITER, ACTION_OWNER = "writer", "owner"


@dataclass(frozen=True)
class ReviewActionTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]


REVIEW_ACTION_TRANSITIONS: tuple[ReviewActionTransition, ...] = (
    ReviewActionTransition(
        ActionStatus.OPEN,
        ActionStatus.DONE,
        _("Mark done"),
        frozenset({ACTION_WRITER, ACTION_OWNER}),
    ),
    ReviewActionTransition(
        ActionStatus.DONE, ActionStatus.OPEN, _("Reopen"), frozenset({ACTION_WRITER})
    ),
)


def review_action_transition_for(source, target, roles) -> ReviewActionTransition | None:
    """The declared move from ``source`` to ``target`` that one of ``roles`` may make."""
    for move in REVIEW_ACTION_TRANSITIONS:
        if move.source == source and move.target == target and move.who & set(roles):
            return move
    return None


class ReviewActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if _no_one(user):
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(review__account__organisation_id=user.organisation_id)

    def open(self):
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, today):
        """Open actions whose due date is before ``today`` (a local date)."""
        return self.filter(status=ActionStatus.OPEN, due_on__lt=today)


class ReviewAction(models.Model):
    """An action agreed at a review meeting: an owner, a due date, open or done."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(
        ReviewMeeting, verbose_name=_("review"), on_delete=models.PROTECT, related_name="actions"
    )
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="customer_review_actions",
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ReviewActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")

    def __str__(self):
        return self.title

    def is_overdue(self, today) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < today


class ReviewActionReminder(models.Model):
    """The claim of one overdue reminder: once per action and due date, whatever the number
    of workers (the unique constraint decides)."""

    action = models.ForeignKey(ReviewAction, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "due_on"], name="review_action_remind_once")
        ]

    def __str__(self):
        return f"{self.action_id} {self.due_on}"


from serviceloop.relationship.models.agreements import *  # noqa: E402, F403
from serviceloop.relationship.models.agreements import __all__ as _agreements  # noqa: E402
from serviceloop.relationship.models.customers_surveys import *  # noqa: E402, F403
from serviceloop.relationship.models.customers_surveys import (  # noqa: E402
    __all__ as _surveys,
)

__all__ += [*_agreements, *_surveys]
