"""Conflict detection for the change calendar.

Two kinds of conflict, both about a planned window ``[start, end)``:

- **change**: another change holding a calendar slot (scheduled or being implemented) whose
  window overlaps, and which touches the same configuration item, an item directly related
  to one of ours (a ``CiRelation`` of any kind, either direction), or the same service;
- **blackout**: a blackout period overlapping the window, for every customer or for a
  customer the change affects (its impact snapshot's customers, or the live impact while the
  change has none yet).

The same pairwise rule serves one change's page (``change_conflicts``) and a whole calendar
(``calendar_conflicts``); both read the relations of the subjects' items in one query.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from serviceloop.portfolio.models import CiRelation
from serviceloop.transition.lifecycle import BOOKED_CHANGE_STATUSES, ChangeStatus
from serviceloop.transition.models import BlackoutPeriod, ChangeRequest

SAME, RELATED, SERVICE = "same_item", "related_item", "same_service"


@dataclass(frozen=True)
class Conflict:
    kind: str  # "change" or "blackout"
    start: datetime.datetime
    end: datetime.datetime
    title: str
    reference: str = ""  # the other change
    blackout_id: int | None = None
    customer: str = ""  # the blackout's customer; "" for every customer
    reason: str = ""  # SAME, RELATED or SERVICE for a change conflict
    items: tuple[str, ...] = ()  # the items (or services) the two changes share or relate

    def message(self) -> str:
        if self.kind == "blackout":
            if self.customer:
                return _("Inside the blackout period “%(reason)s” of %(customer)s.") % {
                    "reason": self.title,
                    "customer": self.customer,
                }
            return _("Inside the blackout period “%(reason)s” (every customer).") % {
                "reason": self.title
            }
        what = ", ".join(self.items)
        if self.reason == SAME:
            text = _("%(ref)s changes the same item at the same time: %(items)s.")
        elif self.reason == RELATED:
            text = _("%(ref)s changes a directly related item at the same time: %(items)s.")
        else:
            text = _("%(ref)s changes the same service at the same time: %(items)s.")
        return text % {"ref": self.reference, "items": what}

    def as_dict(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data["items"] = list(self.items)
        data["message"] = self.message()
        return data


@dataclass
class _Slot:
    """What the rule needs to know of one change."""

    pk: int
    reference: str
    title: str
    start: datetime.datetime
    end: datetime.datetime
    items: dict[int, str] = field(default_factory=dict)  # id → reference
    services: dict[int, str] = field(default_factory=dict)  # id → name
    customer_ids: set[int] = field(default_factory=set)


def _slot(change: ChangeRequest, start=None, end=None, customer_ids=None) -> _Slot:
    """Needs ``configuration_items``, ``services`` and ``affected_customers`` (prefetched
    for many changes)."""
    return _Slot(
        pk=change.pk,
        reference=change.reference,
        title=change.title,
        start=start or change.planned_start,
        end=end or change.planned_end,
        items={ci.pk: ci.reference for ci in change.configuration_items.all()},
        services={s.pk: s.name for s in change.services.all()},
        customer_ids=set(customer_ids)
        if customer_ids is not None
        else {c.pk for c in change.affected_customers.all()},
    )


def _neighbours(item_ids) -> dict[int, set[int]]:
    """Each item → the items directly related to it (either direction, any kind)."""
    neighbours: dict[int, set[int]] = {}
    if not item_ids:
        return neighbours
    rows = CiRelation.objects.filter(
        Q(source_id__in=item_ids) | Q(target_id__in=item_ids)
    ).values_list("source_id", "target_id")
    for source, target in rows:
        neighbours.setdefault(source, set()).add(target)
        neighbours.setdefault(target, set()).add(source)
    return neighbours


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def _between(subject: _Slot, other: _Slot, neighbours) -> Conflict | None:
    if other.pk == subject.pk or not _overlaps(subject.start, subject.end, other.start, other.end):
        return None
    shared = sorted(other.items[pk] for pk in set(subject.items) & set(other.items))
    reason = SAME
    if not shared:
        related = set()
        for pk in subject.items:
            related |= neighbours.get(pk, set()) & set(other.items)
        shared = sorted(other.items[pk] for pk in related)
        reason = RELATED
    if not shared:
        shared = sorted(other.services[pk] for pk in set(subject.services) & set(other.services))
        reason = SERVICE
    if not shared:
        return None
    return Conflict(
        kind="change",
        start=other.start,
        end=other.end,
        title=other.title,
        reference=other.reference,
        reason=reason,
        items=tuple(shared),
    )


def _blackout(subject: _Slot, blackout: BlackoutPeriod) -> Conflict | None:
    if not _overlaps(subject.start, subject.end, blackout.start, blackout.end):
        return None
    if (
        blackout.organisation_id is not None
        and blackout.organisation_id not in subject.customer_ids
    ):
        return None
    organisation = blackout.organisation
    return Conflict(
        kind="blackout",
        start=blackout.start,
        end=blackout.end,
        title=blackout.reason,
        blackout_id=blackout.pk,
        customer=(organisation.short_name or organisation.name) if organisation else "",
    )


def _conflicts_of(subjects: list[_Slot], others: list[_Slot], blackouts) -> dict[int, list]:
    item_ids = {pk for slot in subjects for pk in slot.items}
    neighbours = _neighbours(item_ids)
    found: dict[int, list[Conflict]] = {}
    for subject in subjects:
        conflicts = []
        for other in others:
            conflict = _between(subject, other, neighbours)
            if conflict:
                conflicts.append(conflict)
        for blackout in blackouts:
            conflict = _blackout(subject, blackout)
            if conflict:
                conflicts.append(conflict)
        conflicts.sort(key=lambda c: (c.start, c.kind, c.reference))
        found[subject.pk] = conflicts
    return found


def _prefetched(queryset):
    return queryset.prefetch_related("configuration_items", "services", "affected_customers")


def change_conflicts(
    change: ChangeRequest, start=None, end=None, *, customer_ids=None
) -> list[Conflict]:
    """The conflicts of ``change`` in ``[start, end)`` (default: its planned window); empty
    without a window. ``customer_ids``: the customers it affects (default: its snapshot's,
    or the live impact when it has no snapshot yet)."""
    start = start or change.planned_start
    end = end or change.planned_end
    if start is None or end is None:
        return []
    if customer_ids is None and not change.impact_snapshot and change.pk:
        from serviceloop.transition.change_impact import impact_snapshot

        view = impact_snapshot(
            change.configuration_items.values_list("pk", flat=True),
            change.services.values_list("pk", flat=True),
        )
        customer_ids = view.customer_ids
    subject = _slot(change, start, end, customer_ids)
    others = [
        _slot(other)
        for other in _prefetched(
            ChangeRequest.objects.booked().overlapping(start, end).exclude(pk=change.pk)
        )
    ]
    blackouts = list(
        BlackoutPeriod.objects.filter(start__lt=end, end__gt=start).select_related("organisation")
    )
    return _conflicts_of([subject], others, blackouts)[subject.pk]


CONFLICT_SUBJECT_STATUSES = BOOKED_CHANGE_STATUSES | {ChangeStatus.APPROVED}


def calendar_conflicts(changes, start, end) -> dict[int, list[Conflict]]:
    """The conflicts of each change shown in a calendar page ``[start, end)`` (those approved,
    scheduled or being implemented; prefetch their items, services and customers). Three
    queries whatever the number of changes: the booked changes of the period, the blackout
    periods, the relations of the subjects' items."""
    subjects = [
        _slot(change)
        for change in changes
        if change.status in CONFLICT_SUBJECT_STATUSES
        and change.planned_start
        and change.planned_end
    ]
    if not subjects:
        return {}
    others = [
        _slot(other)
        for other in _prefetched(ChangeRequest.objects.booked().overlapping(start, end))
    ]
    blackouts = list(
        BlackoutPeriod.objects.filter(start__lt=end, end__gt=start).select_related("organisation")
    )
    return _conflicts_of(subjects, others, blackouts)
