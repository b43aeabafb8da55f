"""What KPIs count: the record sets (``SOURCES``) and the registered functions (``EXTERNALS``).

A *record set* names a model, the instant that puts a record in a period, the fields a JSON
filter may use, the slice dimensions (name -> field path) and *flags*: named conditions that
a plain field lookup cannot say (``{"reopened": true}`` is "a status change out of Resolved
or Closed back to an open status exists"). Flags are correlated ``EXISTS`` / ``COUNT``
subqueries, so a KPI over them stays one aggregate query with no join and no ``DISTINCT``.

A *registered function* (``external_register``) computes a KPI the filter language cannot
say (two record sets, an arithmetic over intervals): ``f(start, end, slice) -> (value,
numerator, denominator)``, optionally with a grouped ``breakdown`` and the ``records`` behind
a figure. A shipped KPI may name a function another part registers later (``EXPECTED``):
until it is registered the KPI is "not available", never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

LOOKUPS = {"exact", "in", "isnull", "gt", "gte", "lt", "lte", "ne"}
SLICE_DIMENSIONS = ("organisation", "service", "priority", "team", "kind")
# Slice values that are primary keys (parsed as integers from a URL).
INTEGER_SLICES = frozenset({"organisation", "team"})


@dataclass(frozen=True)
class RecordSection:
    """Records behind a figure: a labelled queryset (a KPI over two record sets has two)."""

    label: str
    queryset: QuerySet


def part_of(part: str, denominator, numerator):
    """The records of one ``part`` of a ratio: "numerator" (``denominator`` filtered by the
    ``numerator`` condition), "rest" (the others), anything else the whole ``denominator``."""
    if part == "numerator":
        return denominator.filter(numerator)
    if part == "rest":
        return denominator.exclude(numerator)
    return denominator


@dataclass(frozen=True)
class RecordSet:
    """A named set of records a KPI counts (see the module docstring)."""

    key: str
    label: str
    model: Callable  # () -> model class (imported lazily)
    date_field: str
    fields: frozenset
    slices: dict = field(default_factory=dict)
    base: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)  # name -> () -> boolean expression

    def queryset(self) -> QuerySet:
        return self.model()._default_manager.filter(**self.base)


SOURCES: dict[str, RecordSet] = {}


def source_register(record_set: RecordSet) -> None:
    SOURCES[record_set.key] = record_set


def _ticket():
    from serviceloop.desk.models import Ticket

    return Ticket


def _problem():
    from serviceloop.desk.models import Problem

    return Problem


def _complaint():
    from serviceloop.relationship.models import Complaint

    return Complaint


def _change():
    from serviceloop.transition.models import ChangeRequest

    return ChangeRequest


def _outage():
    from serviceloop.assurance.models import Outage

    return Outage


# --- Ticket flags ----------------------------------------------------------------------------


def reopened_flag():
    """A status change from Resolved or Closed back to an open status exists."""
    from serviceloop.desk.models import TicketEvent

    return Exists(TicketEvent.objects.filter(_reopen_event(), ticket=OuterRef("pk")))


def _reopen_event() -> Q:
    from serviceloop.desk.lifecycle import OPEN_STATUSES, Status
    from serviceloop.desk.models import EventKind

    return Q(
        kind=EventKind.STATUS,
        from_value__in=[Status.RESOLVED, Status.CLOSED],
        to_value__in=sorted(OPEN_STATUSES),
    )


def first_contact_flag():
    """Resolved at first contact: resolved, never reopened, and the provider answered the
    customer at most once up to the resolution (``TicketEvent.provider_response``: replies and
    status changes with a note to the customer). The resolution note itself counts: a ticket
    resolved with its first public response qualifies; one reply then a resolution does not;
    a ticket resolved by the system with no response at all does.

    One correlated subquery reads the ticket's events once: a reopening scores 2, an answer
    up to the resolution 1; the ticket qualifies when the score is at most 1."""
    from serviceloop.desk.models import TicketEvent

    score = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(
            score=Sum(
                Case(
                    When(_reopen_event(), then=Value(2)),
                    When(
                        Q(provider_response=True, at__lte=OuterRef("resolved_at")),
                        then=Value(1),
                    ),
                    default=Value(0),
                )
            )
        )
        .values("score")
    )
    return Q(resolved_at__isnull=False) & Q(LessThanOrEqual(Coalesce(Subquery(score), Value(0)), 1))


def complete_flag():
    """A closed ticket's record is complete: category, service and resolution text filled
    in, and a post-incident review when it is a major incident."""
    from serviceloop.desk.models import PostIncidentReview

    reviewed = Exists(PostIncidentReview.objects.filter(ticket=OuterRef("pk")))
    return (
        Q(category__isnull=False)
        & ~Q(service="")
        & ~Q(resolution="")
        & (Q(is_major=False) | Q(reviewed))
    )


TICKET_FIELDS = frozenset(
    {
        "kind", "status", "priority", "service", "team", "organisation", "source", "is_major",
        "category", "created_at", "first_response_at", "resolved_at", "closed_at", "csat_score",
        "csat_at", "response_due_at", "resolution_due_at", "response_met_at",
        "resolution_met_at", "response_breached", "resolution_breached", "sla_version",
        "events", "paused_seconds", "resolution",
    }
)  # fmt: skip
TICKET_SLICES = {d: d for d in SLICE_DIMENSIONS}
TICKET_FLAGS = {
    "reopened": reopened_flag,
    "first_contact": first_contact_flag,
    "complete": complete_flag,
}

for _key, _label, _date in (
    ("desk.tickets", _("Tickets created"), "created_at"),
    ("desk.tickets.responded", _("Tickets first responded"), "first_response_at"),
    ("desk.tickets.resolved", _("Tickets resolved"), "resolved_at"),
    ("desk.tickets.closed", _("Tickets closed"), "closed_at"),
    ("desk.tickets.rated", _("Tickets rated"), "csat_at"),
):
    source_register(
        RecordSet(_key, _label, _ticket, _date, TICKET_FIELDS, TICKET_SLICES, flags=TICKET_FLAGS)
    )
source_register(
    RecordSet(
        "desk.problems.closed",
        _("Problems closed"),
        _problem,
        "closed_at",
        frozenset({"status", "service", "category", "root_cause", "created_at", "closed_at"}),
        {"service": "service"},
    )
)
source_register(
    RecordSet(
        "relationship.complaints",
        _("Complaints received"),
        _complaint,
        "received_at",
        frozenset({"organisation", "service", "status", "severity", "channel", "received_at"}),
        {"organisation": "organisation"},
    )
)
source_register(
    RecordSet(
        "transition.changes",
        _("Changes implemented"),
        _change,
        "actual_end",
        frozenset({"outcome", "change_type", "status", "review_success", "actual_end"}),
    )
)
# Outages: ``availability_pct`` reads them overlapping the period (not by ``start``) and
# slices them by customer and service (see ``availability_kpis``); other kinds count the
# outages that started in the period.
source_register(
    RecordSet(
        "assurance.outages",
        _("Outages"),
        _outage,
        "start",
        frozenset({"kind", "source", "service", "all_customers", "start", "end"}),
        {"service": "service__code"},
    )
)
AVAILABILITY_SOURCE = "assurance.outages"
AVAILABILITY_SLICES = ("organisation", "service")


# --- Registered functions --------------------------------------------------------------------


@dataclass(frozen=True)
class External:
    """A registered KPI function; see the module docstring.

    ``evaluate(start, end, slice) -> (value, numerator, denominator)``;
    ``breakdown(start, end, by) -> [(key, label, value, numerator, denominator)]``;
    ``records(start, end, slice, part) -> [RecordSection]`` (``part``: numerator,
    denominator or rest)."""

    name: str
    evaluate: Callable
    slices: tuple = ()
    breakdown: Callable | None = None
    records: Callable | None = None


EXTERNALS: dict[str, External] = {}

# Registered by other parts of the product (until they are, these KPIs are "not available").
EXPECTED = frozenset(
    {"evaluation.audit_findings_closed_on_time", "improvement.corrective_actions_effective"}
)


def external_register(name: str, *, slices=(), breakdown=None, records=None):
    """Decorator: register ``f(start, end, slice) -> (value, numerator, denominator)`` under
    ``name`` (``"app.what"``). ``slices``: the dimensions its ``slice`` argument accepts."""

    def wrap(function):
        EXTERNALS[name] = External(name, function, tuple(slices), breakdown, records)
        return function

    return wrap


def external_known(name: str) -> bool:
    """Registered now, or expected from another part (see ``EXPECTED``)."""
    return name in EXTERNALS or name in EXPECTED
