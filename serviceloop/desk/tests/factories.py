"""factory-boy factories: one per model of the desk app's ticket and SLA core.

Like the core factories they write rows directly (no service, no audit row, no SLA replay):
they build the world a test starts from. A test about a write calls the service itself;
``TicketFactory`` tickets carry no SLA version unless given one, so their stored clock
fields stay empty and consistent.
"""

import datetime
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import (
    CalendarFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    Category,
    Comment,
    EventKind,
    Impact,
    Kind,
    LinkKind,
    Priority,
    PriorityMatrix,
    SlaAlert,
    SlaPolicy,
    SlaPolicyVersion,
    Source,
    Ticket,
    TicketEvent,
    TicketLink,
    Urgency,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(text: str) -> datetime.datetime:
    """``"2026-09-28 09:00"`` as an aware instant in Asia/Shanghai (the calendar's zone)."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# Minutes per priority, as a published policy stores them (P3 has an update cadence).
STANDARD_TARGETS = {
    "P1": {"response": 30, "resolution": 240},
    "P2": {"response": 60, "resolution": 480},
    "P3": {"response": 240, "resolution": 1440, "update": 240},
    "P4": {"response": 480, "resolution": 2400},
}


class CnWorkdaysCalendarFactory(CalendarFactory):
    """The ``cn-workdays`` preset calendar (Mon-Fri 09-12, 13-18 Asia/Shanghai, China's
    statutory holidays and make-up workdays); fetched when it exists."""

    class Meta:
        django_get_or_create = ("name",)

    name = "cn-workdays"
    label = "China working days"
    preset = "cn-workdays"
    time_zone = ""
    hours = ""


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    default_team = None
    is_active = True


class PriorityMatrixFactory(DjangoModelFactory):
    class Meta:
        model = PriorityMatrix

    matrix = factory.LazyFunction(
        lambda: [
            ["P1", "P1", "P2", "P3"],
            ["P1", "P2", "P3", "P3"],
            ["P2", "P3", "P3", "P4"],
            ["P3", "P3", "P4", "P4"],
        ]
    )


class SlaPolicyFactory(DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA policy {n}")
    rank = 100
    organisation = None
    service = ""
    kinds = factory.LazyFunction(list)
    priorities = factory.LazyFunction(list)
    is_active = True


class SlaPolicyVersionFactory(DjangoModelFactory):
    """A published version; ``number`` follows the policy's newest version."""

    class Meta:
        model = SlaPolicyVersion

    policy = factory.SubFactory(SlaPolicyFactory)
    number = factory.LazyAttribute(
        lambda o: (
            (o.policy.versions.order_by("-number").values_list("number", flat=True).first() or 0)
            + 1
        )
    )
    calendar = factory.SubFactory(CnWorkdaysCalendarFactory)
    targets = factory.LazyFunction(lambda: {p: dict(t) for p, t in STANDARD_TARGETS.items()})
    warn_percent = 75
    escalation = "notify"
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=400))
    published_by = None


class TicketFactory(DjangoModelFactory):
    """A ticket row of a customer organisation, raised by one of its users."""

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"INC-2000-{n + 1:06d}")
    kind = Kind.INCIDENT
    organisation = factory.SubFactory(OrganisationFactory)
    requester = factory.SubFactory(
        UserFactory, role=Role.CUSTOMER_USER, organisation=factory.SelfAttribute("..organisation")
    )
    title = factory.Sequence(lambda n: f"Printer {n} is jammed")
    description = "It makes a noise."
    service = ""
    category = None
    impact = Impact.MINOR
    urgency = Urgency.MEDIUM
    priority = Priority.P4
    status = Status.NEW
    team = None
    assignee = None
    source = Source.AGENT
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def watchers(self, create, extracted, **kwargs):
        if create and extracted:
            self.watchers.set(extracted)


class TicketEventFactory(DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    at = factory.LazyAttribute(lambda o: o.ticket.created_at)
    actor = None
    kind = EventKind.CREATED
    from_value = ""
    to_value = Status.NEW
    provider_response = False
    payload = factory.LazyFunction(dict)


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SelfAttribute("ticket.requester")
    body = factory.Sequence(lambda n: f"Comment {n}")
    is_public = True
    created_at = factory.LazyFunction(timezone.now)
    source = Source.AGENT


class TicketLinkFactory(DjangoModelFactory):
    class Meta:
        model = TicketLink

    source = factory.SubFactory(TicketFactory)
    target = factory.SubFactory(
        TicketFactory, organisation=factory.SelfAttribute("..source.organisation")
    )
    kind = LinkKind.RELATED
    created_at = factory.LazyFunction(timezone.now)


class SlaAlertFactory(DjangoModelFactory):
    class Meta:
        model = SlaAlert

    ticket = factory.SubFactory(TicketFactory)
    target = "resolution"
    threshold = "warning"
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=1))
    created_at = factory.LazyFunction(timezone.now)


__all__ = [
    "SHANGHAI",
    "STANDARD_TARGETS",
    "CategoryFactory",
    "CnWorkdaysCalendarFactory",
    "CommentFactory",
    "PriorityMatrixFactory",
    "SlaAlertFactory",
    "SlaPolicyFactory",
    "SlaPolicyVersionFactory",
    "TeamFactory",
    "TicketEventFactory",
    "TicketFactory",
    "TicketLinkFactory",
    "shanghai",
]
