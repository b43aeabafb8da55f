"""The change calendar: a month or week grid of the changes with a planned window (approved
onwards), the blackout periods, and the conflicts between them. Days are the user's local
days (the active time zone)."""

import calendar as pycalendar
import datetime
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from serviceloop.transition import queries
from serviceloop.transition.conflicts import calendar_conflicts
from serviceloop.transition.forms import CalendarForm
from serviceloop.transition.models import BlackoutPeriod
from serviceloop.transition.permissions import staff_only


@dataclass
class Day:
    date: datetime.date
    in_period: bool
    is_today: bool
    changes: list = field(default_factory=list)
    blackouts: list = field(default_factory=list)


def _period(view: str, day: datetime.date) -> tuple[datetime.date, datetime.date, datetime.date]:
    """(first day shown, day after the last shown, anchor of the previous/next links)."""
    if view == "week":
        first = day - datetime.timedelta(days=day.weekday())
        return first, first + datetime.timedelta(days=7), first
    month_first = day.replace(day=1)
    month_last = month_first.replace(day=pycalendar.monthrange(day.year, day.month)[1])
    first = month_first - datetime.timedelta(days=month_first.weekday())
    after = month_last + datetime.timedelta(days=7 - month_last.weekday())
    return first, after, month_first


def _shift(view: str, anchor: datetime.date, step: int) -> datetime.date:
    if view == "week":
        return anchor + datetime.timedelta(days=7 * step)
    month = anchor.month - 1 + step
    return datetime.date(anchor.year + month // 12, month % 12 + 1, 1)


@login_required
def change_calendar(request):
    staff_only(request.user)
    form = CalendarForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "month"
    today = timezone.localdate()
    anchor_day = data.get("date") or today
    first, after, anchor = _period(view, anchor_day)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(after, datetime.time.min, tzinfo=zone)

    changes = list(queries.calendar_changes(request.user, start, end))
    conflicts = calendar_conflicts(changes, start, end)
    blackouts = list(
        BlackoutPeriod.objects.visible_to(request.user)
        .filter(start__lt=end, end__gt=start)
        .select_related("organisation")
    )
    for change in changes:
        change.conflicts = conflicts.get(change.pk, [])

    days = []
    day = first
    while day < after:
        day_start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
        day_end = day_start + datetime.timedelta(days=1)
        days.append(
            Day(
                date=day,
                in_period=view == "week" or day.month == anchor.month,
                is_today=day == today,
                changes=[
                    c for c in changes if c.planned_start < day_end and c.planned_end > day_start
                ],
                blackouts=[b for b in blackouts if b.start < day_end and b.end > day_start],
            )
        )
        day += datetime.timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    context = {
        "view": view,
        "anchor": anchor,
        # the Month/Week switch keeps this day in view (today, or the day asked for)
        "focus": anchor_day,
        "weeks": weeks,
        "changes": changes,
        "blackouts": blackouts,
        "conflicted": [c for c in changes if c.conflicts],
        "previous": _shift(view, anchor, -1),
        "next": _shift(view, anchor, 1),
        "today": today,
        "weekday_names": [d.date for d in days[:7]],
    }
    return render(request, "transition/change_calendar.html", context)
