"""factory-boy factories: one per model of the core app.

Factories write rows directly (no service, hence no audit row): they build the world a test
starts from. A test that is about a write calls the service itself. The exception is
``AuditEventFactory``, which appends through ``audit_record`` so the hash chain stays valid.
"""

import datetime
import hashlib

import factory
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from factory.django import DjangoModelFactory

from serviceloop.core.audit import audit_record
from serviceloop.core.models import (
    Attachment,
    AuditChainHead,
    AuditEvent,
    Calendar,
    CalendarDay,
    Delivery,
    Notification,
    Organisation,
    OrganisationKind,
    ReferenceSequence,
    Team,
    User,
)
from serviceloop.core.roles import PROVIDER_ROLES, Role

# One password for every factory-made account: long enough for the validators.
PASSWORD = "correct-horse-battery-42"


class CalendarFactory(DjangoModelFactory):
    class Meta:
        model = Calendar

    name = factory.Sequence(lambda n: f"calendar-{n}")
    label = factory.LazyAttribute(lambda o: f"Calendar {o.name}")
    preset = ""
    time_zone = "Asia/Shanghai"
    hours = "09:00-12:00,13:00-18:00"


class CalendarDayFactory(DjangoModelFactory):
    class Meta:
        model = CalendarDay

    calendar = factory.SubFactory(CalendarFactory)
    date = factory.Sequence(lambda n: datetime.date(2030, 1, 1) + datetime.timedelta(days=n))
    kind = CalendarDay.Kind.HOLIDAY
    name = "Holiday"


class OrganisationFactory(DjangoModelFactory):
    """A customer organisation; ``OrganisationFactory(provider=True)`` is the provider (one per
    installation, so it is fetched when it exists)."""

    class Meta:
        model = Organisation

    class Params:
        provider = factory.Trait(
            kind=OrganisationKind.PROVIDER, name="Provider Ltd", short_name="PRV"
        )

    kind = OrganisationKind.CUSTOMER
    name = factory.Sequence(lambda n: f"Customer {n}")
    short_name = factory.Sequence(lambda n: f"C{n}")
    time_zone = "Asia/Shanghai"
    email_domain = factory.LazyAttribute(lambda o: f"{o.short_name.lower()}.example.org")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("kind") == OrganisationKind.PROVIDER:
            existing = model_class.objects.filter(kind=OrganisationKind.PROVIDER).first()
            if existing is not None:
                return existing
        return super()._create(model_class, *args, **kwargs)


def _organisation_for_role(person):
    if person.role in PROVIDER_ROLES:
        return OrganisationFactory(provider=True)
    return OrganisationFactory()


class UserFactory(DjangoModelFactory):
    """A person; the organisation follows the role (provider staff join the provider)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    role = Role.CUSTOMER_USER
    organisation = factory.LazyAttribute(_organisation_for_role)
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    language = "zh-hans"
    password = factory.django.Password(PASSWORD)
    # as person_create derives them: the read-only Django admin is for provider admins only
    is_staff = factory.LazyAttribute(lambda o: o.role == Role.PROVIDER_ADMIN)
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.PROVIDER_ADMIN)


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    organisation = factory.LazyFunction(lambda: OrganisationFactory(provider=True))
    name = factory.Sequence(lambda n: f"Team {n}")
    description = "Does things."

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = Attachment

    class Params:
        content = b"plain text content\n"

    organisation = factory.SubFactory(OrganisationFactory)
    filename = "notes.txt"
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.filename))
    mime_type = "text/plain"
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    is_internal = False
    uploaded_by = factory.SubFactory(UserFactory, role=Role.AGENT)
    created_at = factory.LazyFunction(timezone.now)


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "generic"
    subject = factory.Sequence(lambda n: f"Notification {n}")
    body = "Something happened."
    url = "/"
    created_at = factory.LazyFunction(timezone.now)


class DeliveryFactory(DjangoModelFactory):
    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    channel = "email"
    address = factory.LazyAttribute(lambda o: o.notification.recipient.email)


class ReferenceSequenceFactory(DjangoModelFactory):
    class Meta:
        model = ReferenceSequence
        django_get_or_create = ("kind", "year")

    kind = "INC"
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    last_number = 0


class AuditChainHeadFactory(DjangoModelFactory):
    """The single chain-head row (created by migration 0002); fetched, never duplicated."""

    class Meta:
        model = AuditChainHead
        django_get_or_create = ("id",)

    id = 1


class AuditEventFactory(DjangoModelFactory):
    """An audit row appended through ``audit_record``, so the chain stays verifiable."""

    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory, role=Role.PROVIDER_ADMIN)
    verb = "test.event"
    object_type = "core.organisation"
    object_id = factory.Sequence(str)
    payload = factory.LazyFunction(lambda: {"note": "made by a factory"})

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with transaction.atomic():
            return audit_record(**kwargs)
