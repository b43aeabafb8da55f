"""Named reads of change and release management: the KPI queries, the lists, the CAB's
pending votes, the calendar, and the customers' view of planned changes.

Periods are half-open ``[start, end)`` of aware instants (UTC in the database).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from serviceloop.desk.models import Kind, Ticket, TicketConfigurationItem
from serviceloop.portfolio.models import Service
from serviceloop.transition.lifecycle import CALENDAR_CHANGE_STATUSES, ChangeStatus
from serviceloop.transition.models import (
    CabVote,
    ChangeOutcome,
    ChangeRequest,
    ChangeType,
    Release,
)

# --- KPIs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator``; ``value`` is None when there is nothing to count."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else round(self.value * 100, 1)


def change_success_rate(start: datetime.datetime, end: datetime.datetime) -> Ratio:
    """Changes whose implementation ended in ``[start, end)`` (``actual_end``): successful
    ones over all that ended implemented, failed or backed out.

    Successful: the outcome is "implemented" and the post-implementation review, if there
    is one, did not find it unsuccessful. The outcome is kept as the change moves on to
    review and closure, so reviewed and closed changes count too. One aggregate query.
    """
    ended = Q(
        outcome__in=[ChangeOutcome.IMPLEMENTED, ChangeOutcome.FAILED, ChangeOutcome.BACKED_OUT],
        actual_end__gte=start,
        actual_end__lt=end,
    )
    successful = Q(outcome=ChangeOutcome.IMPLEMENTED) & ~Q(review_success=False)
    counts = ChangeRequest.objects.filter(ended).aggregate(
        total=Count("pk"), successful=Count("pk", filter=successful)
    )
    return Ratio(counts["successful"], counts["total"])


def emergency_change_ratio(start: datetime.datetime, end: datetime.datetime) -> Ratio:
    """Emergency changes over all changes submitted in ``[start, end)`` (``submitted_at``;
    drafts never submitted do not count, cancelled ones that were submitted do). One
    aggregate query."""
    counts = ChangeRequest.objects.filter(submitted_at__gte=start, submitted_at__lt=end).aggregate(
        total=Count("pk"),
        emergency=Count("pk", filter=Q(change_type=ChangeType.EMERGENCY)),
    )
    return Ratio(counts["emergency"], counts["total"])


# --- Lists ---------------------------------------------------------------------------------


def changes_for_list(
    user, *, status="", change_type="", risk_level="", owner=None, q="", open_only=False
):
    """The change list: visible to ``user``, filtered, with the people and the number of
    incidents caused in the same query."""
    changes = (
        ChangeRequest.objects.visible_to(user)
        .select_related("requester", "owner", "implementer")
        .annotate(incident_count=Count("incident_links", distinct=True))
    )
    if status:
        changes = changes.filter(status=status)
    if open_only:
        changes = changes.exclude(status__in=[ChangeStatus.CLOSED, ChangeStatus.CANCELLED])
    if change_type:
        changes = changes.filter(change_type=change_type)
    if risk_level:
        changes = changes.filter(risk_level=risk_level)
    if owner is not None:
        changes = changes.filter(owner=owner)
    q = (q or "").strip()
    if q:
        changes = changes.filter(Q(title__icontains=q) | Q(reference__iexact=q))
    return changes.order_by("-created_at", "-id")


def changes_awaiting_vote(user):
    """Changes waiting for the CAB on which ``user`` holds a seat and has not voted yet in
    the current round."""
    voted = CabVote.objects.filter(change=OuterRef("pk"), round=OuterRef("cab_round"), voter=user)
    return (
        ChangeRequest.objects.visible_to(user)
        .filter(status=ChangeStatus.AWAITING_CAB, cab_members=user)
        .filter(~Exists(voted))
        .select_related("requester", "owner")
        .order_by("planned_start", "id")
    )


def calendar_changes(user, start: datetime.datetime, end: datetime.datetime):
    """The changes whose planned window overlaps ``[start, end)`` and that are approved or
    further along (not cancelled or rejected), with what the conflict check needs."""
    return (
        ChangeRequest.objects.visible_to(user)
        .filter(status__in=CALENDAR_CHANGE_STATUSES)
        .overlapping(start, end)
        .select_related("owner")
        .prefetch_related("configuration_items", "services", "affected_customers")
        .order_by("planned_start", "id")
    )


def planned_changes_for_customer(user, *, now=None):
    """A customer's read-only view: the scheduled or running changes affecting his
    organisation (from the impact recorded at submission) that have not ended yet."""
    now = now or timezone.now()
    if not user.is_authenticated or user.organisation_id is None:
        return ChangeRequest.objects.none()
    return (
        ChangeRequest.objects.filter(
            status__in=[ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING],
            affected_customers=user.organisation_id,
            planned_end__gt=now,
        )
        .prefetch_related("services")
        .order_by("planned_start", "id")
    )


def releases_for_list(user, *, status="", q=""):
    releases = (
        Release.objects.visible_to(user)
        .select_related("owner")
        .annotate(
            change_count=Count("changes", distinct=True),
            incident_count=Count("incident_links", distinct=True),
        )
    )
    if status:
        releases = releases.filter(status=status)
    q = (q or "").strip()
    if q:
        releases = releases.filter(Q(name__icontains=q) | Q(reference__iexact=q))
    return releases.order_by("-created_at", "-id")


# --- Early-life support --------------------------------------------------------------------


def els_incidents(release: Release, *, now=None, user=None):
    """Incidents raised during the release's early-life support (from the production
    deployment to ``els_end``, or now while it runs) on one of its portfolio services (the
    ticket's service is the service's code or name, any case, never a part of it: see
    ``TicketQuerySet.naming_services``); tagged or not. With ``user``, only the incidents he
    may see (a confidential one he is not cleared for is left out)."""
    if release.actual_deploy_at is None:
        return Ticket.objects.none()
    now = now or timezone.now()
    until = min(release.els_end, now) if release.els_end else now
    tickets = Ticket.objects.all() if user is None else Ticket.objects.visible_to(user)
    return (
        tickets.filter(
            kind=Kind.INCIDENT, created_at__gte=release.actual_deploy_at, created_at__lt=until
        )
        .naming_services(release.services.only("code", "name"))
        .select_related("organisation")
        .order_by("created_at", "id")
    )


# How long after its implementation ended an incident is still suspected of coming from a
# change (the change page offers such incidents for linking).
SUSPECT_AFTER = datetime.timedelta(days=7)


def incidents_suspected(change: ChangeRequest, user, *, limit: int = 10) -> list[Ticket]:
    """Incidents the change may have caused, to offer for linking on its page: raised from
    the start of its implementation until ``SUSPECT_AFTER`` past its end, naming one of the
    services of its impact snapshot (code or name, see ``TicketQuerySet.naming_services``)
    or concerning one of its items or the items of its impact; not linked yet; only those
    ``user`` may see. Oldest first, at most ``limit``."""
    if change.actual_start is None:
        return []
    snapshot = change.impact_snapshot or {}
    service_ids = {s["id"] for s in snapshot.get("services", [])}
    service_ids |= set(change.services.values_list("pk", flat=True))
    item_ids = {i["id"] for i in snapshot.get("items", [])}
    item_ids |= set(change.configuration_items.values_list("pk", flat=True))
    incidents = Ticket.objects.visible_to(user).filter(
        kind=Kind.INCIDENT, created_at__gte=change.actual_start
    )
    if change.actual_end is not None:
        incidents = incidents.filter(created_at__lt=change.actual_end + SUSPECT_AFTER)
    named = incidents.naming_services(Service.objects.filter(pk__in=service_ids))
    concerned = TicketConfigurationItem.objects.filter(item_id__in=item_ids)
    return list(
        incidents.filter(Q(pk__in=named.values("pk")) | Q(pk__in=concerned.values("ticket_id")))
        .exclude(change_cause_links__change=change)
        .select_related("organisation")
        .order_by("created_at", "id")[:limit]
    )


def incident_transition_records(incident: Ticket) -> dict:
    """The other side of the links: the changes that caused the incident and the releases it
    is tagged to."""
    return {
        "changes": list(
            ChangeRequest.objects.filter(incident_links__incident=incident)
            .select_related("owner")
            .order_by("-created_at")
        ),
        "releases": list(
            Release.objects.filter(incident_links__incident=incident).order_by("-created_at")
        ),
    }
