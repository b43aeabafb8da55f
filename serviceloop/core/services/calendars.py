"""Business calendars: creating them and editing their days."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Calendar, CalendarDay
from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability

CALENDAR_FIELDS = ("label", "preset", "time_zone", "hours", "weekly_hours", "is_active")


def _validate_calendar(calendar: Calendar) -> None:
    """Full clean, then build the engine's spec once: a bad preset, zone or hours is an error
    on the form, never a broken calendar in the database."""
    calendar.full_clean()
    if not calendar.time_zone and not calendar.preset:
        raise ValidationError({"time_zone": _("A calendar with custom hours needs a time zone.")})
    try:
        if calendar.time_zone:
            zoneinfo.ZoneInfo(calendar.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            {"time_zone": _("Unknown time zone: %s") % calendar.time_zone}
        ) from exc
    try:
        spec = calendar.to_spec()
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise ValidationError(_("This calendar cannot be built: %s") % message) from exc
    if not spec.always and not any(spec.weekly) and not spec.extra_workdays:
        raise ValidationError(_("A calendar needs some working time."))


def calendar_create(*, actor, name: str, label: str, **fields) -> Calendar:
    if actor is not None:
        require(actor, Capability.ADMINISTER)
    calendar = Calendar(name=name, label=label, **fields)
    _validate_calendar(calendar)
    with transaction.atomic():
        calendar.save()
        audit_record(
            actor=actor,
            verb="calendar.created",
            obj=calendar,
            payload={"name": name, **snapshot(calendar, CALENDAR_FIELDS)},
        )
    return calendar


def calendar_update(*, actor, calendar: Calendar, **fields) -> Calendar:
    require(actor, Capability.ADMINISTER)
    with transaction.atomic():
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
        before = snapshot(calendar, CALENDAR_FIELDS)
        for name, value in fields.items():
            if name not in CALENDAR_FIELDS:
                raise ValueError(f"not an editable field: {name}")
            setattr(calendar, name, value)
        _validate_calendar(calendar)
        changes = field_changes(calendar, before, CALENDAR_FIELDS)
        if changes:
            calendar.save()
            audit_record(actor=actor, verb="calendar.updated", obj=calendar, payload=changes)
    return calendar


def calendar_day_set(
    *, actor, calendar: Calendar, date: datetime.date, kind: str, name: str = ""
) -> CalendarDay:
    """Mark one date as a holiday or a working day, replacing what was set for it before."""
    require(actor, Capability.ADMINISTER)
    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": _("Choose holiday or working day.")})
    with transaction.atomic():
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
        day, created = CalendarDay.objects.update_or_create(
            calendar=calendar, date=date, defaults={"kind": kind, "name": name}
        )
        calendar.save(update_fields=["updated_at"])  # a new engine is built on next use
        audit_record(
            actor=actor,
            verb="calendar.day_set",
            obj=calendar,
            payload={"date": date, "kind": kind, "name": name, "created": created},
        )
    return day


def calendar_day_remove(*, actor, calendar: Calendar, date: datetime.date) -> None:
    require(actor, Capability.ADMINISTER)
    with transaction.atomic():
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
        deleted, _count = CalendarDay.objects.filter(calendar=calendar, date=date).delete()
        if deleted:
            calendar.save(update_fields=["updated_at"])
            audit_record(
                actor=actor, verb="calendar.day_removed", obj=calendar, payload={"date": date}
            )


def calendar_schedule_warn(*, today: datetime.date) -> int:
    """Tell the provider administrators, once per calendar and warning, when a calendar in
    use has no confirmed holiday schedule for this year or (from November on) the next.

    Idempotent: the notification's dedupe key is the calendar, the year and the warning.
    Returns the number of notifications created.
    """
    from serviceloop.core.models import User
    from serviceloop.core.roles import Role
    from serviceloop.core.services.notifications import notify

    years = (today.year, today.year + 1) if today.month >= 11 else (today.year,)
    admins = list(User.objects.filter(role=Role.PROVIDER_ADMIN, is_active=True))
    created = 0
    for calendar in Calendar.objects.filter(is_active=True):
        for year in years:
            if not calendar.year_warnings([year]):
                continue
            with transaction.atomic():
                created += len(
                    notify(
                        recipients=admins,
                        kind="calendar_unconfirmed",
                        context={"calendar": calendar, "year": year},
                        url=f"/calendars/{calendar.pk}/",
                        dedupe_key=f"calendar-unconfirmed:{calendar.pk}:{year}",
                    )
                )
    return created
