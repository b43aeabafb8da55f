"""Business-time calendars: the hours an SLA clock runs in.

A calendar is either built on a named preset (``24x7``, ``cn-workdays``,
``<COUNTRY>[-<SUBDIVISION>]-workdays``) or custom weekly hours, plus days edited by hand
(a holiday added, a make-up workday added). The engine lives in ``core.business_time``.
"""

import dataclasses
import threading

from django.db import models
from django.utils.translation import gettext_lazy as _

_engine_cache: dict[tuple[int, object], object] = {}
_engine_lock = threading.Lock()


class CalendarQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Calendars are reference data: every signed-in user may read them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class Calendar(models.Model):
    name = models.SlugField(_("name"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=120)
    preset = models.CharField(
        _("preset"),
        max_length=64,
        blank=True,
        help_text=_("24x7, cn-workdays or COUNTRY[-SUBDIVISION]-workdays; empty for custom hours."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Empty for a preset: the preset's own zone (e.g. Europe/London for GB)."),
    )
    hours = models.CharField(
        _("daily hours"),
        max_length=200,
        blank=True,
        help_text=_("Working intervals of a working day, e.g. 09:00-12:00,13:00-18:00."),
    )
    weekly_hours = models.JSONField(
        _("weekly hours"),
        default=dict,
        blank=True,
        help_text=_(
            'Custom calendars: weekday (0 = Monday) to intervals, e.g. {"0": "09:00-18:00"}.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CalendarQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.label or self.name

    def to_spec(self):
        """The engine's CalendarSpec for this calendar, days edited by hand applied last."""
        from serviceloop.core.business_time import CalendarSpec
        from serviceloop.core.calendar_presets import preset_spec

        if self.preset:
            spec = preset_spec(self.preset, tz=self.time_zone or None, hours=self.hours or None)
        else:
            default = CalendarSpec.parse_hours(self.hours) if self.hours else ()
            weekly = tuple(
                CalendarSpec.parse_hours(self.weekly_hours[str(day)])
                if self.weekly_hours.get(str(day))
                else (default if day < 5 and not self.weekly_hours else ())
                for day in range(7)
            )
            spec = CalendarSpec(tz=self.time_zone, weekly=weekly, workday_hours=default)
        holidays = set(spec.holidays)
        workdays = set(spec.extra_workdays)
        for day in self.days.all() if self.pk else ():  # an unsaved calendar has no days
            if day.kind == CalendarDay.Kind.HOLIDAY:
                holidays.add(day.date)
                workdays.discard(day.date)
            else:
                workdays.add(day.date)
                holidays.discard(day.date)
        return dataclasses.replace(
            spec, holidays=frozenset(holidays), extra_workdays=frozenset(workdays)
        )

    def year_warnings(self, years) -> list[str]:
        """Translated caveats for ``years``: holidays only estimated, or no holiday data."""
        spec = self.engine().spec
        estimated = {year for year, _note in spec.year_notes}
        covered = spec.holiday_years
        messages = []
        for year in sorted(set(years)):
            if year in estimated:
                messages.append(
                    _(
                        "No confirmed holiday schedule for %(year)s yet: holidays are estimated "
                        "and there are no make-up workdays. Add the official days by hand once "
                        "they are published."
                    )
                    % {"year": year}
                )
            elif covered is not None and not covered[0] <= year <= covered[1]:
                messages.append(
                    _("No holiday data for %(year)s: only the weekly hours apply.") % {"year": year}
                )
        return messages

    def engine(self):
        """A BusinessCalendar for this calendar, cached per process until the calendar changes."""
        from serviceloop.core.business_time import BusinessCalendar

        key = (self.pk, self.updated_at)
        with _engine_lock:
            cached = _engine_cache.get(key)
        if cached is None:
            cached = BusinessCalendar(self.to_spec())
            with _engine_lock:
                _engine_cache[key] = cached
        return cached


class CalendarDay(models.Model):
    """A day edited by hand: an extra holiday, or an extra working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no working time)")
        WORKDAY = "workday", _("Working day")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"
