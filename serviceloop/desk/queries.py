"""Named reads of the service desk: the agent queues, with keyset pagination."""

import base64
import datetime
import json
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from serviceloop.desk.confidential import events_without_hidden_references
from serviceloop.desk.lifecycle import OPEN_STATUSES
from serviceloop.desk.models import Ticket

PAGE_SIZE = 50
BREACHING_WINDOW = datetime.timedelta(hours=4)

# sort name → (field, descending); the id breaks ties so the order is total.
SORT_KEYS = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "due": ("resolution_due_at", False),
}


# What a queue row shows (desk/_queue_rows.html and the sla_badge tag), and nothing more: a
# ticket has some 45 columns and each joined person 18, so fetching whole rows for 50 lines
# cost more in the driver and in building instances than the query itself.
QUEUE_ROW_FIELDS = (
    "reference",
    "is_major",
    "title",
    "priority",
    "status",
    "created_at",
    "sla_version_id",
    "response_breached",
    "resolution_breached",
    "sla_paused",
    "resolution_due_at",
    "resolution_met_at",
    "organisation__short_name",
    "organisation__name",
    "assignee__display_name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


@dataclass
class QueuePage:
    tickets: list
    next_cursor: str | None
    has_previous: bool


def queue_tickets(user, *, view="mine", priority="", status="", organisation=None, q="", now=None):
    """The tickets of one queue view, visible to ``user``, unordered."""
    now = now or timezone.now()
    tickets = Ticket.objects.visible_to(user)
    if view == "mine":
        tickets = tickets.filter(assignee=user, status__in=OPEN_STATUSES)
    elif view == "team":
        tickets = tickets.filter(team__members=user, status__in=OPEN_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif view == "breaching":
        tickets = tickets.breaching_before(now + BREACHING_WINDOW)
    elif view == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if priority:
        tickets = tickets.filter(priority=priority)
    if status:
        tickets = tickets.filter(status=status)
    if organisation is not None:
        tickets = tickets.filter(organisation=organisation)
    if q:
        tickets = tickets.filter(Q(title__icontains=q) | Q(reference__iexact=q.strip()))
    return tickets


def _encode(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value, pk = values
        return (datetime.datetime.fromisoformat(value) if value else None), int(pk)
    except (ValueError, TypeError):
        return None


def keyset_page(tickets, *, sort="newest", cursor="", size=PAGE_SIZE) -> QueuePage:
    """One page after ``cursor`` in a total order (sort field, id): no OFFSET, so page 50 costs
    what page 1 does. Tickets without a due time sort last under "due"."""
    field, descending = SORT_KEYS.get(sort, SORT_KEYS["newest"])
    after = _decode(cursor) if cursor else None
    if after is not None:
        value, pk = after
        if value is None:  # inside the NULLs at the end (due sort only)
            tickets = tickets.filter(**{f"{field}__isnull": True, "pk__gt": pk})
        elif descending:
            # "field <= v AND (field < v OR id < pk)": the first term bounds the index scan,
            # so a deep page starts where the cursor is instead of filtering its way there.
            tickets = tickets.filter(
                Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
            )
        else:
            tickets = tickets.filter(
                (Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gt=pk)))
                | Q(**{f"{field}__isnull": True})
            )
    ordering = [f"-{field}", "-pk"] if descending else [F(field).asc(nulls_last=True), "pk"]
    rows = list(
        tickets.select_related("organisation", "assignee")
        .only(*QUEUE_ROW_FIELDS)
        .order_by(*ordering)[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        value = getattr(last, field)
        next_cursor = _encode([value.isoformat() if value else None, last.pk])
    return QueuePage(tickets=rows, next_cursor=next_cursor, has_previous=bool(cursor))


def ticket_timeline(ticket, *, include_internal: bool, reader=None):
    """The ticket's history for its page: events with their comments, oldest first. With
    ``reader``, a linked confidential ticket he is not cleared for reads "(confidential)"."""
    events = ticket.events.select_related("actor").order_by("at", "id")
    if reader is not None:
        events = events_without_hidden_references(reader, events)
    comments = {c.pk: c for c in ticket.comments.select_related("author")}
    timeline = []
    for event in events:
        comment = comments.get(event.payload.get("comment")) if event.payload else None
        if comment is not None and not comment.is_public and not include_internal:
            continue
        if event.kind == "note" and not include_internal:
            continue
        timeline.append((event, comment))
    return timeline
