"""Screens for business calendars."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.core.forms import (
    CalendarDayForm,
    CalendarEditForm,
    CalendarForm,
    DeadlineCheckForm,
)
from serviceloop.core.models import Calendar
from serviceloop.core.permissions import get_calendar_for, require, user_can
from serviceloop.core.roles import Capability
from serviceloop.core.services import calendars as services
from serviceloop.core.views.helpers import apply_service_errors

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


@login_required
def calendar_list(request):
    calendars = Calendar.objects.visible_to(request.user)
    return render(
        request,
        "core/calendar_list.html",
        {"calendars": calendars, "can_edit": user_can(request.user, Capability.ADMINISTER)},
    )


@login_required
def calendar_detail(request, pk):
    calendar = get_calendar_for(request.user, pk)
    engine = calendar.engine()
    spec = engine.spec
    zone = engine.tz
    this_year = timezone.now().astimezone(zone).year
    check = DeadlineCheckForm(request.GET or None)
    deadline = None
    with timezone.override(zone):  # the start is wall-clock time in the calendar's zone
        if request.GET and check.is_valid():
            start = check.cleaned_data["start"]
            deadline = engine.add(start.astimezone(zone), check.cleaned_data["minutes"])
            deadline = deadline.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    years = (this_year, this_year + 1)
    context = {
        "calendar": calendar,
        "spec": spec,
        "weekly": [(WEEKDAYS[day], spec.weekly[day]) for day in range(7)],
        "holidays": sorted(d for d in spec.holidays if d.year in years),
        "extra_workdays": sorted(d for d in spec.extra_workdays if d.year in years),
        "years": years,
        "warnings": calendar.year_warnings(years),
        "days": calendar.days.all(),
        "day_form": CalendarDayForm(),
        "check_form": check,
        "deadline": deadline,
        "can_edit": user_can(request.user, Capability.ADMINISTER),
    }
    return render(request, "core/calendar_detail.html", context)


@login_required
def calendar_create(request):
    require(request.user, Capability.ADMINISTER)
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            calendar = services.calendar_create(
                actor=request.user, name=fields.pop("name"), label=fields.pop("label"), **fields
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Calendar created."))
            return redirect("calendar_detail", pk=calendar.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("New calendar")})


@login_required
def calendar_edit(request, pk):
    calendar = get_calendar_for(request.user, pk, write=True)
    form = CalendarEditForm(request.POST or None, instance=Calendar.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_update(actor=request.user, calendar=calendar, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("calendar_detail", pk=calendar.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("Edit %s") % calendar})


@login_required
@require_POST
def calendar_day_add(request, pk):
    calendar = get_calendar_for(request.user, pk, write=True)
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        services.calendar_day_set(actor=request.user, calendar=calendar, **form.cleaned_data)
        messages.success(request, _("Day saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("calendar_detail", pk=calendar.pk)


@login_required
@require_POST
def calendar_day_remove(request, pk, date):
    calendar = get_calendar_for(request.user, pk, write=True)
    try:
        day = datetime.date.fromisoformat(date)
    except ValueError:
        messages.error(request, _("Not a date: %s") % date)
    else:
        services.calendar_day_remove(actor=request.user, calendar=calendar, date=day)
        messages.success(request, _("Day removed."))
    return redirect("calendar_detail", pk=calendar.pk)
