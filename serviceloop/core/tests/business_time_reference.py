"""Slow, obviously-correct business time, to check ``serviceloop.core.business_time`` against.

Nothing here is shared with the engine but :class:`CalendarSpec`. Instants are UTC epoch seconds.

- :meth:`ReferenceCalendar.day_intervals` lists one local date's working intervals. Each wall
  time is resolved *by definition*, "the first instant at which the local clock reads that time
  or later": try every UTC offset the zone uses around it, keep the earliest instant whose clock
  shows exactly that time, and when none does (a DST gap) walk the clock forward minute by minute.
- ``walk_*`` answer by walking the clock forward one second at a time, in whole-minute steps
  where no boundary can fall inside the minute, asking ``is_working`` at every step. This is the
  reference the benchmark measures. It needs whole-minute hours.
- ``scan_*`` answer the same questions by scanning every interval of every day in order (no sums
  kept, no bisection): much faster than walking, used by the property tests on random calendars.

Assumes, as every zone since 1970 does, that transitions fall on whole minutes and that each UTC
offset stays in force for at least two hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from serviceloop.core.business_time import MAX_YEAR, CalendarSpec

_EPOCH = datetime(1970, 1, 1)
_ONE_DAY = timedelta(days=1)


class ReferenceCalendar:
    def __init__(self, spec: CalendarSpec):
        self.spec = spec
        self.tz = ZoneInfo(spec.tz)
        self._days: dict[date, list[tuple[int, int]]] = {}

    # -- the definition of working time ----------------------------------------------------------

    def wall(self, t: int) -> datetime:
        """What the local clock shows at instant ``t``."""
        return datetime.fromtimestamp(t, self.tz).replace(tzinfo=None)

    def offset(self, t: int) -> int:
        return int(datetime.fromtimestamp(t, self.tz).utcoffset().total_seconds())

    def first_reach(self, wall: datetime) -> int:
        """The first instant at which the local clock reads ``wall`` or later."""
        w = int((wall - _EPOCH).total_seconds())
        # Every offset in force from 14 hours before to 12 hours after (offsets span -12h..+14h).
        offsets = {self.offset(w - 14 * 3600 + k * 7200) for k in range(14)}
        exact = [w - o for o in offsets if self.wall(w - o) == wall]
        if exact:
            return min(exact)
        # The clock skips ``wall``: find the first minute that shows something later.
        t = min(w - o for o in offsets) // 60 * 60
        while self.wall(t) < wall:
            t += 60
        return t

    def day_hours(self, day: date) -> tuple[tuple[time, time], ...]:
        spec = self.spec
        if day in spec.holidays:
            return ()
        if day in spec.extra_workdays:
            return spec.workday_hours or spec.weekly[0]
        return spec.weekly[day.weekday()]

    def day_intervals(self, day: date) -> list[tuple[int, int]]:
        """UTC [start, end) working intervals of local date ``day``, empty ones left out."""
        if day not in self._days:
            intervals = []
            for start, end in self.day_hours(day):
                end_day = day + _ONE_DAY if end == time(0, 0) else day
                a = self.first_reach(datetime.combine(day, start))
                b = self.first_reach(datetime.combine(end_day, end))
                if a < b:
                    intervals.append((a, b))
            self._days[day] = intervals
        return self._days[day]

    def local_date(self, t: int) -> date:
        return self.wall(t).date()

    def is_working(self, t: int) -> bool:
        if self.spec.always:
            return True
        d = self.local_date(t)
        return any(
            a <= t < b
            for day in (d - _ONE_DAY, d, d + _ONE_DAY)
            for a, b in self.day_intervals(day)
        )

    # -- walking the clock -----------------------------------------------------------------------

    @cached_property
    def _whole_minutes(self) -> bool:
        times = [
            t for day in (*self.spec.weekly, self.spec.workday_hours) for pair in day for t in pair
        ]
        return all(t.second == 0 for t in times)

    def walk_add(self, t: int, seconds: int) -> int:
        """Walk until ``seconds`` working seconds have passed (0: to the next working instant)."""
        assert self._whole_minutes, "the walking reference needs whole-minute hours"
        if seconds == 0:
            while not self.is_working(t):
                t += 60 if t % 60 == 0 else 1
            return t
        remaining = seconds
        while remaining:
            working = self.is_working(t)
            step = 60 if t % 60 == 0 and (not working or remaining >= 60) else 1
            if working:
                remaining -= step
            t += step
        return t

    def walk_elapsed(self, t0: int, t1: int) -> int:
        """Working seconds in [t0, t1), counted by walking; negative when t1 < t0."""
        assert self._whole_minutes, "the walking reference needs whole-minute hours"
        if t1 < t0:
            return -self.walk_elapsed(t1, t0)
        total, t = 0, t0
        while t < t1:
            step = 60 if t % 60 == 0 and t + 60 <= t1 else 1
            if self.is_working(t):
                total += step
            t += step
        return total

    # -- scanning the intervals ------------------------------------------------------------------

    def scan_add(self, t: int, seconds: int) -> int:
        if self.spec.always:
            return t + seconds
        remaining = seconds
        day = self.local_date(t) - _ONE_DAY
        while day.year <= MAX_YEAR:
            for a, b in self.day_intervals(day):
                if b <= t:
                    continue
                start = max(a, t)
                if seconds == 0:
                    return start
                if remaining <= b - start:
                    return start + remaining
                remaining -= b - start
            day += _ONE_DAY
        raise ValueError("not enough working time")

    def scan_elapsed(self, t0: int, t1: int) -> int:
        if t1 < t0:
            return -self.scan_elapsed(t1, t0)
        if self.spec.always:
            return t1 - t0
        total = 0
        day, last = self.local_date(t0) - _ONE_DAY, self.local_date(t1) + _ONE_DAY
        while day <= last:
            for a, b in self.day_intervals(day):
                total += max(0, min(b, t1) - max(a, t0))
            day += _ONE_DAY
        return total

    def scan_next_working(self, t: int) -> int:
        return self.scan_add(t, 0)
