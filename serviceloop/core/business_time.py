"""Business-time engine: working-time arithmetic over a weekly schedule with holidays.

A :class:`CalendarSpec` says *when* work happens (local wall-clock hours per weekday, holidays,
make-up workdays, a time zone); a :class:`BusinessCalendar` answers questions about it:

- ``add(start, minutes)``: the instant at which ``minutes`` of working time have passed after
  ``start`` (an SLA deadline);
- ``elapsed(start, end)``: the working minutes between two instants (an SLA clock);
- ``is_working(instant)`` and ``next_working(instant)``;
- ``add_seconds`` and ``elapsed_seconds``: the same in whole seconds.

Pure Python (``zoneinfo``, ``bisect``), no Django; a calendar may be shared between threads.

Rules
-----
Instants
    Arguments must be *aware* datetimes (a naive one raises ``ValueError``); results are aware
    datetimes in the calendar's time zone. Precision is one second: sub-second parts of inputs are
    dropped (floored) and results are whole seconds.
Working intervals
    Half-open, ``[start, end)``: with 09:00-12:00 the calendar works at 11:59:59, not at 12:00:00.
    An end of ``time(0, 0)`` means 24:00. Touching intervals (``09:00-12:00,12:00-13:00``, or a
    24:00 end followed by a 00:00 start the next day) are one continuous stretch.
Holidays and make-up workdays
    A date in ``holidays`` has no working time, even if it is also in ``extra_workdays``. A date in
    ``extra_workdays`` works ``workday_hours`` (Monday's hours when empty), whatever its weekday.
A deadline at the end of an interval stays there
    ``add(start, m)`` with ``m > 0`` is the *earliest* instant at which ``m`` working minutes have
    passed: when they run out exactly at the end of an interval, the result is that end, not the
    start of the next one. With 09:00-12:00,13:00-18:00, ``add(Mon 09:00, 180)`` is Mon 12:00 and
    ``add(Mon 09:00, 480)`` is Mon 18:00 (not Tue 09:00).
Zero minutes
    ``add(start, 0)`` is ``start`` when ``start`` is working time, otherwise the next working
    instant (``next_working(start)``): ``add(Mon 12:00, 0)`` is Mon 13:00. A deadline may sit at
    the end of an interval; a clock started there starts at the next interval.
Minutes
    ``int``, ``float``, ``Decimal`` or ``Fraction``, turned into seconds by ``round(minutes * 60)``
    (half to even). Negative, NaN or infinite minutes raise ``ValueError``.
Elapsed
    An ``int`` when the working time is whole minutes, otherwise the working seconds divided by 60
    as a ``Decimal`` (28 significant digits, enough to round-trip through ``add``). When
    ``end < start`` the result is negative, ``elapsed(a, b) == -elapsed(b, a)``, so
    ``elapsed(now, deadline)`` is the working time left (negative once overdue). For every ``s``
    and every ``m >= 0``, ``elapsed(s, add(s, m)) == m`` (to the second).
Time zones and DST
    Wall-clock hours become UTC instants through ``zoneinfo``, date by date: 09:00-17:00 is eight
    wall-clock hours on every date, and an interval spanning a transition has its true length
    (00:00-24:00 lasts 23 hours on a spring-forward day, 25 on a fall-back day). A wall time
    resolves to *the first instant at which the local clock reads that time or later*: an
    ambiguous time (fall-back fold) is its first occurrence (``fold=0``), a time that does not
    exist (spring-forward gap) is the instant of the jump. In Europe/London on the spring-forward
    day 01:00-03:00 lasts one hour (01:00 GMT to 03:00 BST) and 01:00-02:00 is empty; on the
    fall-back day 01:00-01:30 covers only the first pass (BST) and 01:00-02:00 lasts two hours.
24x7
    With ``always=True`` every instant is working time and ``add`` is plain arithmetic.
Range
    Instants in the local years ``MIN_YEAR``-``MAX_YEAR`` (1970-2200); outside them, or when
    ``add`` needs working time past the end of 2200, ``ValueError``. A calendar without any working
    time raises ``ValueError`` from ``add`` and ``next_working``; its ``elapsed`` is 0.

Performance
-----------
Working intervals are built lazily, a block of local years at a time, as sorted UTC epoch-second
lists (starts, ends, cumulative working seconds at each end); every query is two bisections, with
no loop over days or minutes. A calendar builds only the years it is asked about (and those
between the two instants of one query); blocks that meet are merged, so no query crosses blocks.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal
from fractions import Fraction
from itertools import accumulate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["MAX_YEAR", "MIN_YEAR", "BusinessCalendar", "CalendarSpec"]

MIN_YEAR = 1970
MAX_YEAR = 2200

Hours = tuple[tuple[time, time], ...]

_MIDNIGHT = time(0, 0)
_DAY_SECONDS = 86_400
_ONE_DAY = timedelta(days=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SIXTY = Decimal(60)
# A fixed context so results do not depend on the caller's thread-local decimal context.
_MINUTES_CONTEXT = Context(prec=28)
_CLOCK = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_HOURS_RE = re.compile(rf"{_CLOCK}\s*[-\u2013]\s*{_CLOCK}")


def _day_seconds(hours: Hours) -> tuple[tuple[int, int], ...]:
    """Hours as (start, end) seconds after local midnight; an end of 00:00 becomes 86400."""
    return tuple(
        (
            s.hour * 3600 + s.minute * 60 + s.second,
            _DAY_SECONDS if e == _MIDNIGHT else e.hour * 3600 + e.minute * 60 + e.second,
        )
        for s, e in hours
    )


def _check_hours(hours: object, label: str) -> Hours:
    """Validate one day's intervals and return them as a tuple of (time, time) tuples."""
    if isinstance(hours, str | bytes) or not isinstance(hours, Iterable):
        raise ValueError(f"{label}: expected a sequence of (start, end) times, got {hours!r}")
    result = []
    for item in hours:
        try:
            start, end = item
        except (TypeError, ValueError):
            raise ValueError(f"{label}: expected a (start, end) pair, got {item!r}") from None
        for value in (start, end):
            if not isinstance(value, time):
                raise ValueError(f"{label}: {value!r} is not a datetime.time")
            if value.tzinfo is not None or value.microsecond:
                raise ValueError(
                    f"{label}: {value} must be a plain wall-clock time in whole seconds"
                )
        result.append((start, end))
    previous_end = 0
    for (start_s, end_s), (start, end) in zip(_day_seconds(tuple(result)), result, strict=True):
        if start_s >= end_s:
            raise ValueError(
                f"{label}: interval {start:%H:%M:%S}-{end:%H:%M:%S} ends before it starts"
            )
        if start_s < previous_end:
            raise ValueError(
                f"{label}: intervals must be sorted and must not overlap "
                f"({start:%H:%M:%S} starts before the previous interval ends)"
            )
        previous_end = end_s
    return tuple(result)


def _parse_clock(hour: str, minute: str, second: str | None, *, allow_24: bool) -> time:
    h, m, s = int(hour), int(minute), int(second or 0)
    if allow_24 and (h, m, s) == (24, 0, 0):
        return _MIDNIGHT
    if h > 23 or m > 59 or s > 59:
        raise ValueError
    return time(h, m, s)


@dataclass(frozen=True)
class CalendarSpec:
    """What counts as working time: weekly wall-clock hours in a zone, holidays, make-up days.

    ``weekly`` has 7 entries, Monday=0 .. Sunday=6, each a sorted tuple of non-overlapping
    ``(start, end)`` local wall-clock intervals; ``end == time(0, 0)`` means 24:00. Intervals
    cannot cross midnight: split 22:00-02:00 into 22:00-24:00 on one day and 00:00-02:00 on the
    next. ``holidays`` are local dates without working time; ``extra_workdays`` are local dates
    worked with ``workday_hours`` (Monday's hours when empty) whatever the weekday; a date in both
    is a holiday. ``always=True`` makes every instant working time (other fields are ignored).

    ``year_notes`` (``(year, message)`` pairs) and ``holiday_years`` (the inclusive range of years
    the holiday data covers, or None) only feed :meth:`BusinessCalendar.warnings`; presets fill
    them. Lists and sets are accepted and stored as tuples and frozensets. Invalid values raise
    ValueError.
    """

    tz: str
    weekly: tuple[Hours, ...]
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    workday_hours: Hours = ()
    always: bool = False
    year_notes: tuple[tuple[int, str], ...] = ()
    holiday_years: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str) or not self.tz:
            raise ValueError(f"tz must be an IANA time zone name, got {self.tz!r}")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.tz!r}") from None
        weekly = self.weekly
        if isinstance(weekly, str | bytes) or not isinstance(weekly, Iterable):
            raise ValueError("weekly must be 7 entries of working hours, Monday first")
        weekly = tuple(weekly)
        if len(weekly) != 7:
            raise ValueError(f"weekly must have 7 entries (Monday..Sunday), got {len(weekly)}")
        day_names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        weekly = tuple(_check_hours(h, f"weekly[{day_names[i]}]") for i, h in enumerate(weekly))
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "workday_hours", _check_hours(self.workday_hours, "workday_hours"))
        for name in ("holidays", "extra_workdays"):
            days = frozenset(getattr(self, name))
            for day in days:
                if not isinstance(day, date) or isinstance(day, datetime):
                    raise ValueError(f"{name} must hold datetime.date values, got {day!r}")
            object.__setattr__(self, name, days)
        object.__setattr__(self, "always", bool(self.always))
        notes = tuple((int(year), str(message)) for year, message in self.year_notes)
        object.__setattr__(self, "year_notes", notes)
        if self.holiday_years is not None:
            first, last = (int(y) for y in self.holiday_years)
            if first > last:
                raise ValueError(f"holiday_years must be (first, last), got {self.holiday_years!r}")
            object.__setattr__(self, "holiday_years", (first, last))

    @classmethod
    def parse_hours(cls, text: str) -> Hours:
        """Parse ``"09:00-12:00,13:00-18:00"`` into ((09:00, 12:00), (13:00, 18:00)).

        Times are ``H:MM`` or ``HH:MM[:SS]``; ``24:00`` is accepted as an end (stored as 00:00).
        Intervals must be sorted and must not overlap. Blank text means no working hours.
        Raises ValueError naming the offending part.
        """
        if not isinstance(text, str):
            raise ValueError(f"working hours must be text like '09:00-18:00', got {text!r}")
        if not text.strip():
            return ()
        intervals = []
        for part in text.split(","):
            match = _HOURS_RE.fullmatch(part.strip())
            if match is None:
                raise ValueError(
                    f"bad working hours {part.strip()!r} in {text!r}: expected HH:MM-HH:MM, "
                    "for example '09:00-12:00,13:00-18:00'"
                )
            groups = match.groups()
            try:
                start = _parse_clock(*groups[:3], allow_24=False)
                end = _parse_clock(*groups[3:], allow_24=True)
            except ValueError:
                raise ValueError(
                    f"bad working hours {part.strip()!r} in {text!r}: not a valid time of day"
                ) from None
            intervals.append((start, end))
        return _check_hours(intervals, f"working hours {text!r}")


class _Segment:
    """Working intervals of consecutive local years [first_year, last_year] as UTC epoch seconds.

    ``cends[i]`` is the working seconds from ``lo`` to ``ends[i]``. Never mutated once built.
    """

    __slots__ = ("cends", "ends", "first_year", "hi", "last_year", "lo", "starts")

    def __init__(self, first_year, last_year, lo, hi, starts, ends):
        self.first_year = first_year
        self.last_year = last_year
        self.lo = lo  # first instant of first_year
        self.hi = hi  # first instant after last_year
        self.starts = starts
        self.ends = ends
        self.cends = list(accumulate(e - s for s, e in zip(starts, ends, strict=True)))


_NO_SEGMENT = _Segment(0, -1, 0, 0, [], [])


def _epoch_seconds(instant: datetime) -> int:
    if not isinstance(instant, datetime):
        raise TypeError(f"expected an aware datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"naive datetime {instant.isoformat()} has no time zone: pass an aware datetime"
        )
    return math.floor(instant.timestamp())


def _minutes_to_seconds(minutes: int | float | Decimal | Fraction) -> int:
    if type(minutes) is int:
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        return minutes * 60
    if isinstance(minutes, bool) or not isinstance(minutes, int | float | Decimal | Fraction):
        raise TypeError(f"minutes must be a number, got {type(minutes).__name__}")
    finite = minutes.is_finite() if isinstance(minutes, Decimal) else math.isfinite(minutes)
    if not finite:
        raise ValueError(f"minutes must be a finite number, got {minutes}")
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}")
    return round(minutes * 60)


def _seconds_to_minutes(seconds: int) -> int | Decimal:
    whole, rest = divmod(seconds, 60)
    if rest == 0:
        return whole
    return _MINUTES_CONTEXT.divide(Decimal(seconds), _SIXTY)


class BusinessCalendar:
    """Working-time arithmetic for one :class:`CalendarSpec` (see the module docstring for rules).

    Build one per spec and reuse it: intervals are computed lazily per year and kept.
    """

    def __init__(self, spec: CalendarSpec):
        if not isinstance(spec, CalendarSpec):
            raise TypeError(f"expected a CalendarSpec, got {type(spec).__name__}")
        self.spec = spec
        self.tz = ZoneInfo(spec.tz)
        self._always = spec.always
        self._weekly = tuple(_day_seconds(hours) for hours in spec.weekly)
        self._extra = _day_seconds(spec.workday_hours or spec.weekly[0])
        recurring = any(self._weekly)
        extra_work = bool(spec.extra_workdays - spec.holidays) and bool(self._extra)
        self._has_work = spec.always or recurring or extra_work
        # Without weekly hours, working time ends with the last make-up workday.
        self._last_work_year = (
            None if recurring or not extra_work else max(d.year for d in spec.extra_workdays)
        )
        self._segments: list[_Segment] = []
        self._hot = _NO_SEGMENT  # the segment used last: nearly every query hits it
        self._year_starts: dict[int, int] = {}
        self._lock = threading.Lock()
        self._range = (self._year_start(MIN_YEAR), self._year_start(MAX_YEAR + 1))

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.spec.tz}{' 24x7' if self._always else ''}>"

    # -- public API ----------------------------------------------------------------------------

    def add(self, start: datetime, minutes: int | float | Decimal | Fraction) -> datetime:
        """The instant after ``start`` at which ``minutes`` working minutes have passed.

        Returns an aware datetime in the calendar's time zone, whole seconds. ``minutes == 0`` gives
        ``start`` if it is working time, else the next working instant; a deadline that runs out at
        the end of an interval stays at that end. ValueError for naive ``start``, negative minutes,
        a calendar without working time, or a result past the end of ``MAX_YEAR``.
        """
        return self._datetime(self._add(_epoch_seconds(start), _minutes_to_seconds(minutes)))

    def add_seconds(self, start: datetime, seconds: int) -> datetime:
        """Like :meth:`add` with a whole number of working seconds."""
        if type(seconds) is not int or seconds < 0:
            raise ValueError(f"seconds must be a non-negative int, got {seconds!r}")
        return self._datetime(self._add(_epoch_seconds(start), seconds))

    def elapsed(self, start: datetime, end: datetime) -> int | Decimal:
        """Working minutes between two instants: int when whole, else exact seconds/60 as Decimal.

        Negative when ``end`` is before ``start`` (``elapsed(a, b) == -elapsed(b, a)``).
        """
        return _seconds_to_minutes(self._elapsed(_epoch_seconds(start), _epoch_seconds(end)))

    def elapsed_seconds(self, start: datetime, end: datetime) -> int:
        """Working seconds between two instants; negative when ``end`` is before ``start``."""
        return self._elapsed(_epoch_seconds(start), _epoch_seconds(end))

    def is_working(self, instant: datetime) -> bool:
        """Whether ``instant`` (to the second) falls inside a working interval."""
        t = _epoch_seconds(instant)
        if self._always:
            return True
        seg = self._hot
        if not seg.lo <= t < seg.hi:
            seg = self._segment(t, t)
        i = bisect_right(seg.starts, t) - 1
        return i >= 0 and t < seg.ends[i]

    def next_working(self, instant: datetime) -> datetime:
        """``instant`` (to the second) if it is working time, else the next working instant."""
        return self._datetime(self._add(_epoch_seconds(instant), 0))

    def warnings(self, years: Iterable[int] | None = None) -> list[str]:
        """Caveats about the calendar's data, e.g. years whose holidays are only estimated.

        Without ``years``: every note the spec carries. With ``years``: the notes for those years,
        plus a warning for each year outside the range the holiday data covers.
        """
        notes = self.spec.year_notes
        if years is None:
            return [message for _, message in notes]
        result = []
        covered = self.spec.holiday_years
        for year in sorted(set(years)):
            result.extend(message for y, message in notes if y == year)
            if covered is not None and not covered[0] <= year <= covered[1]:
                result.append(
                    f"no holiday data for {year} (known for {covered[0]}-{covered[1]}): "
                    "only the weekly hours apply"
                )
        return result

    # -- arithmetic on epoch seconds -------------------------------------------------------------

    def _add(self, t: int, need: int) -> int:
        if self._always:
            self._check_range(t)
            self._check_range(t + need)
            return t + need
        if not self._has_work:
            raise ValueError("the calendar has no working time at all")
        seg = self._hot
        if not seg.lo <= t < seg.hi:
            seg = self._segment(t, t)
        while True:
            starts, ends, cends = seg.starts, seg.ends, seg.cends
            i = bisect_right(starts, t) - 1
            if need == 0:
                if i >= 0 and t < ends[i]:
                    return t
                if i + 1 < len(starts):
                    return starts[i + 1]
            else:
                if i < 0:
                    done = 0
                elif t < ends[i]:
                    done = cends[i] - (ends[i] - t)
                else:
                    done = cends[i]
                target = done + need
                j = bisect_left(cends, target)
                if j < len(cends):
                    return ends[j] - (cends[j] - target)
            seg = self._extend_forward(seg)

    def _elapsed(self, t0: int, t1: int) -> int:
        if t1 < t0:
            return -self._elapsed(t1, t0)
        if self._always:
            return t1 - t0
        seg = self._hot
        if not (seg.lo <= t0 and t1 < seg.hi):
            seg = self._segment(t0, t1)
        return self._done(seg, t1) - self._done(seg, t0)

    @staticmethod
    def _done(seg: _Segment, t: int) -> int:
        """Working seconds from the start of ``seg`` to ``t``."""
        i = bisect_right(seg.starts, t) - 1
        if i < 0:
            return 0
        end = seg.ends[i]
        return seg.cends[i] - (end - t) if t < end else seg.cends[i]

    def _datetime(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, self.tz)

    # -- lazy year blocks ------------------------------------------------------------------------

    def _check_range(self, t: int) -> None:
        if not self._range[0] <= t < self._range[1]:
            raise ValueError(
                f"instant {t} (epoch seconds) is outside the supported years {MIN_YEAR}-{MAX_YEAR}"
            )

    def _year_start(self, year: int) -> int:
        """First instant of local ``year`` (its 00:00 on 1 January, resolved as wall times are)."""
        start = self._year_starts.get(year)
        if start is None:
            start = self._year_starts[year] = self._resolve(date(year, 1, 1), 0)
        return start

    def _year_of(self, t: int) -> int:
        self._check_range(t)
        year = datetime.fromtimestamp(t, self.tz).year
        # The wall-clock year can differ from the block year only inside a fold at New Year.
        while year > MIN_YEAR and t < self._year_start(year):
            year -= 1
        while year < MAX_YEAR and t >= self._year_start(year + 1):
            year += 1
        return year

    def _segment(self, t0: int, t1: int) -> _Segment:
        """A segment holding both instants (t0 <= t1), building and merging years as needed."""
        for seg in self._segments:
            if seg.lo <= t0 and t1 < seg.hi:
                self._hot = seg
                return seg
        return self._ensure(self._year_of(t0), self._year_of(t1))

    def _extend_forward(self, seg: _Segment) -> _Segment:
        last = seg.last_year
        if last >= MAX_YEAR or (self._last_work_year is not None and last >= self._last_work_year):
            raise ValueError(
                f"not enough working time in the calendar before the end of {last}"
                if last < MAX_YEAR
                else f"not enough working time before the end of the supported range ({MAX_YEAR})"
            )
        span = last - seg.first_year + 1
        return self._ensure(seg.first_year, min(MAX_YEAR, last + min(span, 10)))

    def _ensure(self, first_year: int, last_year: int) -> _Segment:
        with self._lock:
            for seg in self._segments:
                if seg.first_year <= first_year and last_year <= seg.last_year:
                    self._hot = seg
                    return seg
            keep, merge = [], []
            for seg in self._segments:
                if seg.last_year + 1 < first_year or seg.first_year > last_year + 1:
                    keep.append(seg)
                else:
                    merge.append(seg)
                    first_year = min(first_year, seg.first_year)
                    last_year = max(last_year, seg.last_year)
            pieces = []
            year = first_year
            for seg in merge:  # already in chronological order
                if seg.first_year > year:
                    pieces.append(self._build_years(year, seg.first_year - 1))
                pieces.append((seg.starts, seg.ends))
                year = seg.last_year + 1
            if year <= last_year:
                pieces.append(self._build_years(year, last_year))
            starts: list[int] = []
            ends: list[int] = []
            for piece_starts, piece_ends in pieces:
                if starts and piece_starts and piece_starts[0] <= ends[-1]:
                    # A stretch running through midnight at a block boundary stays one interval.
                    ends[-1] = max(ends[-1], piece_ends[0])
                    starts.extend(piece_starts[1:])
                    ends.extend(piece_ends[1:])
                else:
                    starts.extend(piece_starts)
                    ends.extend(piece_ends)
            new = _Segment(
                first_year,
                last_year,
                self._year_start(first_year),
                self._year_start(last_year + 1),
                starts,
                ends,
            )
            self._segments = sorted([*keep, new], key=lambda s: s.first_year)
            self._hot = new
            return new

    def _build_years(self, first_year: int, last_year: int) -> tuple[list[int], list[int]]:
        """Merged working intervals (UTC epoch seconds) of local years first_year..last_year."""
        holidays = self.spec.holidays
        extra = self.spec.extra_workdays
        weekly = self._weekly
        starts: list[int] = []
        ends: list[int] = []
        day = date(first_year, 1, 1)
        stop = date(last_year + 1, 1, 1)
        weekday = day.weekday()
        while day < stop:
            if day in holidays:
                hours = ()
            elif day in extra:
                hours = self._extra
            else:
                hours = weekly[weekday]
            for start_s, end_s in hours:
                a = self._resolve(day, start_s)
                b = self._resolve(day, end_s)
                if a >= b:
                    continue  # swallowed by a DST gap
                if ends and a <= ends[-1]:
                    ends[-1] = max(ends[-1], b)
                else:
                    starts.append(a)
                    ends.append(b)
            day += _ONE_DAY
            weekday = (weekday + 1) % 7
        return starts, ends

    def _resolve(self, day: date, seconds: int) -> int:
        """Epoch seconds of local wall time ``seconds`` after midnight of ``day`` (86400 = 24:00).

        The first instant at which the local clock reads that time or later: fold=0 for an
        ambiguous time, the instant of the jump for a time inside a DST gap.
        """
        if seconds == _DAY_SECONDS:
            day += _ONE_DAY
            seconds = 0
        hour, rest = divmod(seconds, 3600)
        minute, second = divmod(rest, 60)
        tz = self.tz
        local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
        wall = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS + seconds  # as if it were UTC
        before = int(local.utcoffset().total_seconds())  # fold=0
        after = int(local.replace(fold=1).utcoffset().total_seconds())
        if before >= after:
            # Unambiguous (equal offsets) or a fold, where fold=0 is the first occurrence.
            return wall - before
        # A gap: fold=0 applies the offset from before the jump, which lands after the jump, and
        # fold=1 the one from after it, which lands before it. Bisect for the jump in between.
        lo, hi = wall - after, wall - before
        naive = local.replace(tzinfo=None)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
                hi = mid
            else:
                lo = mid
        return hi
