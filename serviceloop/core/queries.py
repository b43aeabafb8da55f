"""Named read queries of the core app."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Organisation, Team, User


def organisations_for_list(user):
    return (
        Organisation.objects.visible_to(user)
        .select_related("calendar")
        .annotate(people_count=Count("people", distinct=True))
    )


def people_for_list(user, *, search: str = "", organisation_id=None):
    people = User.objects.visible_to(user).select_related("organisation")
    if organisation_id:
        people = people.filter(organisation_id=organisation_id)
    if search:
        people = people.filter(
            Q(username__icontains=search)
            | Q(display_name__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    # The provider's staff first ("provider" sorts after "customer"), then each customer.
    return people.order_by("-organisation__kind", "organisation__name", "username")


def teams_for_list(user):
    return (
        Team.objects.visible_to(user)
        .select_related("organisation", "lead")
        .annotate(member_count=Count("members", distinct=True))
    )


def audit_events_filtered(
    user,
    *,
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """The audit rows the user may read, newest first; dates are whole days in TIME_ZONE."""
    events = AuditEvent.objects.visible_to(user).select_related("organisation")
    if object_type:
        events = events.filter(object_type__icontains=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(
            occurred_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
        )
    if date_to:
        end = datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        events = events.filter(occurred_at__lt=end)
    return events.order_by("-id")
