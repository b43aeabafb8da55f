"""Business-time engine and presets: hand-made tables, DST cases, properties against a reference.

Pure unit tests (no database). Expected values in the tables are worked out by hand from the
published schedules (China: State Council notices as shipped by ``chinese_calendar``) and the
zones' transition dates, never from the engine.
"""

from __future__ import annotations

import functools
import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceloop.core.business_time import MAX_YEAR, MIN_YEAR, BusinessCalendar, CalendarSpec
from serviceloop.core.calendar_presets import (
    FIRST_YEAR,
    UnknownPresetError,
    confirmed_years,
    country_preset_names,
    preset_names,
    preset_spec,
    year_warnings,
)
from serviceloop.core.tests.business_time_reference import ReferenceCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

NINE_TO_FIVE = ((time(9), time(17)),)
EVERY_DAY_9_17 = (NINE_TO_FIVE,) * 7
WEEKDAYS_9_17 = (NINE_TO_FIVE,) * 5 + ((), ())


def sh(text: str) -> datetime:
    """A wall-clock time in Shanghai, e.g. sh("2025-01-24 17:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(hours: str, tz: str = "Europe/London") -> BusinessCalendar:
    return BusinessCalendar(CalendarSpec(tz, (CalendarSpec.parse_hours(hours),) * 7))


@functools.cache
def china() -> BusinessCalendar:
    return BusinessCalendar(preset_spec("cn-workdays"))


# -- China working days (cn-workdays: Mon-Fri 09:00-12:00, 13:00-18:00, 480 minutes a day) --------

CHINA_ADD = [
    # start, minutes, expected deadline (Shanghai wall clock)
    ("2025-01-24 17:00", 120, "2025-01-26 10:00"),  # Fri -> Sun 26 Jan is a make-up workday
    ("2025-01-27 17:30", 60, "2025-02-05 09:30"),  # Spring Festival 28 Jan - 4 Feb is off
    ("2025-02-07 18:00", 1, "2025-02-08 09:01"),  # Sat 8 Feb is a make-up workday
    ("2025-02-08 17:00", 120, "2025-02-10 10:00"),  # Sun 9 Feb is an ordinary weekend day
    ("2025-03-03 11:30", 60, "2025-03-03 13:30"),  # runs through the lunch break
    ("2025-03-03 12:15", 30, "2025-03-03 13:30"),  # starts in the lunch break
    ("2025-03-03 09:00", 180, "2025-03-03 12:00"),  # ends at the end of the morning: stays there
    ("2025-03-03 09:00", 480, "2025-03-03 18:00"),  # a full day ends at 18:00, not 09:00 next day
    ("2025-03-03 13:00", 300, "2025-03-03 18:00"),
    ("2025-03-03 09:00", 540, "2025-03-04 10:00"),
    ("2025-03-03 10:00", 0, "2025-03-03 10:00"),  # zero minutes in working time: unchanged
    ("2025-03-03 12:00", 0, "2025-03-03 13:00"),  # zero minutes outside: next working instant
    ("2025-03-03 18:00", 0, "2025-03-04 09:00"),
    ("2025-03-08 10:00", 0, "2025-03-10 09:00"),  # Saturday
    ("2025-03-04 07:00", 10, "2025-03-04 09:10"),  # before hours
    ("2025-03-04 19:00", 10, "2025-03-05 09:10"),  # after hours
    ("2025-03-07 17:00", 120, "2025-03-10 10:00"),  # an ordinary weekend
    ("2025-03-03 11:59:30", 1, "2025-03-03 13:00:30"),  # seconds carry over lunch
    ("2024-12-31 17:30", 60, "2025-01-02 09:30"),  # year end: 1 Jan 2025 is off
    ("2025-12-31 17:00", 120, "2026-01-04 10:00"),  # 1-3 Jan 2026 off, Sun 4 Jan worked
    ("2024-02-09 17:00", 120, "2024-02-18 10:00"),  # 2024 Spring Festival 10-17 Feb, Sun 18 worked
    ("2024-09-30 17:00", 120, "2024-10-08 10:00"),  # 2024 National Day 1-7 Oct
    ("2024-10-11 17:00", 120, "2024-10-12 10:00"),  # Sat 12 Oct 2024 worked
    ("2025-04-30 09:00", 960, "2025-05-06 18:00"),  # Labour Day 1-5 May 2025; ends at day end
    ("2026-02-13 17:00", 120, "2026-02-14 10:00"),  # Sat 14 Feb 2026 worked
    ("2026-02-14 17:00", 120, "2026-02-24 10:00"),  # 2026 Spring Festival 15-23 Feb
    ("2026-02-27 17:00", 120, "2026-02-28 10:00"),  # Sat 28 Feb 2026 worked
    ("2026-09-30 16:00", 600, "2026-10-08 18:00"),  # National Day 1-7 Oct 2026
    ("2026-10-09 17:00", 120, "2026-10-10 10:00"),  # Sat 10 Oct 2026 worked
]


@pytest.mark.parametrize(("start", "minutes", "expected"), CHINA_ADD)
def test_china_add(start, minutes, expected):
    result = china().add(sh(start), minutes)
    assert result == sh(expected)
    assert result.tzinfo is SHANGHAI


CHINA_ELAPSED = [
    ("2025-01-24 17:00", "2025-01-26 10:00", 120),
    ("2025-01-27 09:00", "2025-02-05 09:00", 480),  # only Mon 27 Jan is worked
    ("2025-03-03 11:00", "2025-03-03 14:00", 120),  # lunch does not count
    ("2025-03-03 00:00", "2025-03-04 00:00", 480),
    ("2025-03-08 00:00", "2025-03-10 00:00", 0),  # weekend
    ("2025-03-03 09:00", "2025-03-03 09:00:30", Decimal("0.5")),
    ("2025-03-03 09:00", "2025-03-03 09:00:20", Decimal("0.3333333333333333333333333333")),
    ("2025-01-26 10:00", "2025-01-24 17:00", -120),  # end before start: negative
    # 2025: 261 weekdays - 18 weekday holidays + 5 make-up days = 248 days, plus Tue 31 Dec 2024
    ("2024-12-31 00:00", "2026-01-01 00:00", 249 * 480),
]


@pytest.mark.parametrize(("start", "end", "expected"), CHINA_ELAPSED)
def test_china_elapsed(start, end, expected):
    result = china().elapsed(sh(start), sh(end))
    assert result == expected
    assert type(result) is type(expected)


CHINA_WORKING = [
    ("2025-01-26 10:00", True),  # Sunday make-up workday
    ("2025-02-08 10:00", True),  # Saturday make-up workday
    *((f"2025-01-{day} 10:00", False) for day in (28, 29, 30, 31)),
    *((f"2025-02-0{day} 10:00", False) for day in (1, 2, 3, 4)),
    ("2025-02-05 10:00", True),
    ("2025-03-03 08:59:59", False),
    ("2025-03-03 09:00", True),
    ("2025-03-03 11:59:59", True),
    ("2025-03-03 12:00", False),  # intervals are half-open
    ("2025-03-03 12:59:59", False),
    ("2025-03-03 13:00", True),
    ("2025-03-03 17:59:59", True),
    ("2025-03-03 18:00", False),
    *((f"2026-{md} 10:00", True) for md in ("01-04", "02-14", "02-28", "05-09", "09-20", "10-10")),
    ("2026-01-01 10:00", False),
    ("2026-10-01 10:00", False),
    ("2024-10-07 10:00", False),  # a Monday inside the 2024 National Day break
]


@pytest.mark.parametrize(("instant", "expected"), CHINA_WORKING)
def test_china_is_working(instant, expected):
    assert china().is_working(sh(instant)) is expected


def test_next_working():
    cal = china()
    assert cal.next_working(sh("2025-03-08 10:00")) == sh("2025-03-10 09:00")
    assert cal.next_working(sh("2025-03-03 12:30")) == sh("2025-03-03 13:00")
    assert cal.next_working(sh("2025-03-03 10:15")) == sh("2025-03-03 10:15")
    assert cal.next_working(sh("2025-01-27 18:00")) == sh("2025-02-05 09:00")


def test_results_are_in_the_calendar_zone_whatever_the_input_zone():
    result = china().add(utc(2025, 3, 3, 1), 60)  # 09:00 in Shanghai
    assert result.tzinfo is SHANGHAI
    assert result == sh("2025-03-03 10:00")


def test_fractional_minutes_are_rounded_to_seconds():
    cal = china()
    start = sh("2025-03-03 09:00")
    assert cal.add(start, 0.5) == sh("2025-03-03 09:00:30")
    assert cal.add(start, Decimal("1.25")) == sh("2025-03-03 09:01:15")
    assert cal.add(start, Fraction(1, 60)) == sh("2025-03-03 09:00:01")
    assert cal.add(start, 0.1) == sh("2025-03-03 09:00:06")
    assert cal.add(start, Decimal(1) / 120) == sh("2025-03-03 09:00:00")  # 0.5 s, half to even
    # elapsed's Decimal round-trips through add
    end = sh("2025-03-03 09:00:20")
    assert cal.add(start, cal.elapsed(start, end)) == end


def test_sub_second_inputs_are_floored():
    cal = china()
    assert cal.add(sh("2025-03-03 09:00:00.900000"), 1) == sh("2025-03-03 09:01")
    assert cal.is_working(sh("2025-03-03 17:59:59.999999")) is True
    assert cal.elapsed(sh("2025-03-03 09:00:00.5"), sh("2025-03-03 09:01:00.2")) == 1


def test_add_seconds_and_elapsed_seconds():
    cal = china()
    assert cal.add_seconds(sh("2025-03-03 11:59:59"), 2) == sh("2025-03-03 13:00:01")
    assert cal.elapsed_seconds(sh("2025-03-03 11:59:59"), sh("2025-03-03 13:00:01")) == 2
    assert cal.elapsed_seconds(sh("2025-03-03 13:00:01"), sh("2025-03-03 11:59:59")) == -2
    with pytest.raises(ValueError, match="non-negative"):
        cal.add_seconds(sh("2025-03-03 09:00"), -1)


# -- rejected input -------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    cal = china()
    naive = datetime(2025, 3, 3, 9)
    aware = sh("2025-03-03 09:00")
    for call in (
        lambda: cal.add(naive, 1),
        lambda: cal.elapsed(naive, aware),
        lambda: cal.elapsed(aware, naive),
        lambda: cal.is_working(naive),
        lambda: cal.next_working(naive),
    ):
        with pytest.raises(ValueError, match="naive datetime"):
            call()
    with pytest.raises(TypeError):
        cal.add(date(2025, 3, 3), 1)


@pytest.mark.parametrize("minutes", [-1, -0.5, Decimal("-0.01"), float("nan"), float("inf")])
def test_bad_minutes_raise_value_error(minutes):
    with pytest.raises(ValueError, match="minutes"):
        china().add(sh("2025-03-03 09:00"), minutes)


@pytest.mark.parametrize("minutes", [True, "10", None])
def test_non_numbers_raise_type_error(minutes):
    with pytest.raises(TypeError):
        china().add(sh("2025-03-03 09:00"), minutes)


def test_calendar_without_working_time():
    cal = BusinessCalendar(CalendarSpec("UTC", ((),) * 7))
    with pytest.raises(ValueError, match="no working time"):
        cal.add(utc(2025, 1, 1), 1)
    with pytest.raises(ValueError, match="no working time"):
        cal.next_working(utc(2025, 1, 1))
    assert cal.elapsed(utc(2025, 1, 1), utc(2026, 1, 1)) == 0
    assert cal.is_working(utc(2025, 1, 1)) is False


def test_calendar_with_only_make_up_days_runs_out():
    spec = CalendarSpec(
        "UTC",
        ((),) * 7,
        extra_workdays=frozenset({date(2025, 3, 8)}),
        workday_hours=NINE_TO_FIVE,
    )
    cal = BusinessCalendar(spec)
    assert cal.add(utc(2025, 1, 1), 60) == utc(2025, 3, 8, 10)
    assert cal.add(utc(2024, 12, 20), 480) == utc(2025, 3, 8, 17)
    with pytest.raises(ValueError, match="not enough working time"):
        cal.add(utc(2025, 3, 8, 16, 30), 60)


def test_holiday_wins_over_extra_workday_and_extra_workdays_use_workday_hours():
    day = date(2025, 3, 8)  # a Saturday
    both = CalendarSpec(
        "UTC", WEEKDAYS_9_17, holidays=frozenset({day}), extra_workdays=frozenset({day})
    )
    assert BusinessCalendar(both).is_working(utc(2025, 3, 8, 10)) is False
    mondays_hours = CalendarSpec("UTC", WEEKDAYS_9_17, extra_workdays=frozenset({day}))
    assert BusinessCalendar(mondays_hours).elapsed(utc(2025, 3, 8), utc(2025, 3, 9)) == 480
    own_hours = CalendarSpec(
        "UTC",
        WEEKDAYS_9_17,
        extra_workdays=frozenset({day}),
        workday_hours=((time(10), time(12)),),
    )
    assert BusinessCalendar(own_hours).elapsed(utc(2025, 3, 8), utc(2025, 3, 9)) == 120


def test_supported_range():
    cal = BusinessCalendar(CalendarSpec("Asia/Shanghai", EVERY_DAY_9_17))
    assert cal.add(datetime(MIN_YEAR, 1, 1, tzinfo=SHANGHAI), 60) == datetime(
        1970, 1, 1, 10, tzinfo=SHANGHAI
    )
    assert cal.add(datetime(MAX_YEAR, 12, 31, 16, tzinfo=SHANGHAI), 60) == datetime(
        MAX_YEAR, 12, 31, 17, tzinfo=SHANGHAI
    )
    with pytest.raises(ValueError, match="supported range"):
        cal.add(datetime(MAX_YEAR, 12, 31, 16, tzinfo=SHANGHAI), 61)
    with pytest.raises(ValueError, match="outside the supported years"):
        cal.is_working(datetime(1969, 12, 31, 23, tzinfo=SHANGHAI))
    with pytest.raises(ValueError, match="outside the supported years"):
        cal.is_working(datetime(MAX_YEAR + 1, 1, 1, tzinfo=SHANGHAI))


def test_whole_range_elapsed_counts_every_weekday():
    cal = BusinessCalendar(CalendarSpec("UTC", WEEKDAYS_9_17))
    first, stop = date(MIN_YEAR, 1, 1), date(MAX_YEAR + 1, 1, 1)
    days = (stop - first).days
    weeks, rest = divmod(days, 7)
    weekdays = weeks * 5 + sum((first.weekday() + i) % 7 < 5 for i in range(rest))
    start, end = utc(MIN_YEAR, 1, 1), utc(MAX_YEAR + 1, 1, 1) - timedelta(seconds=1)
    assert cal.elapsed(start, end) == weekdays * 480


def test_years_are_built_lazily_and_merged():
    # White-box: the engine promises to build only the years it is asked about.
    cal = BusinessCalendar(CalendarSpec("UTC", WEEKDAYS_9_17))
    cal.is_working(utc(2030, 6, 1))
    cal.is_working(utc(2100, 6, 1))
    assert [(s.first_year, s.last_year) for s in cal._segments] == [(2030, 2030), (2100, 2100)]
    assert cal.elapsed(utc(2030, 6, 2), utc(2032, 6, 2)) == cal.elapsed(
        utc(2030, 6, 2), utc(2031, 6, 2)
    ) + cal.elapsed(utc(2031, 6, 2), utc(2032, 6, 2))
    assert [(s.first_year, s.last_year) for s in cal._segments] == [(2030, 2032), (2100, 2100)]
    cal.add(utc(2032, 12, 31, 16), 120)  # runs into 2033
    assert cal._segments[0].last_year >= 2033


def test_concurrent_first_use_gives_the_same_answers():
    spec = CalendarSpec("Europe/London", WEEKDAYS_9_17)
    instants = [utc(year, 3, 30, 12) for year in range(2000, 2040, 3)]
    expected = [BusinessCalendar(spec).add(t, 1000) for t in instants]
    shared = BusinessCalendar(spec)
    results: dict[int, list[datetime]] = {}

    def work(n: int) -> None:
        order = instants[n:] + instants[:n]
        found = {t: shared.add(t, 1000) for t in order}
        results[n] = [found[t] for t in instants]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r == expected for r in results.values())


# -- Europe/London and America/New_York DST -------------------------------------------------------
# 2025 London: 30 Mar 01:00 GMT -> 02:00 BST (01:00Z); 26 Oct 02:00 BST -> 01:00 GMT (01:00Z).
# 2025 New York: 9 Mar 02:00 EST -> 03:00 EDT (07:00Z); 2 Nov 02:00 EDT -> 01:00 EST (06:00Z).

LONDON_ELAPSED_OVER_A_DAY = [
    # hours every day, local date, working minutes on that date
    ("09:00-17:00", date(2025, 3, 30), 480),
    ("09:00-17:00", date(2025, 10, 26), 480),
    ("00:00-24:00", date(2025, 3, 30), 23 * 60),
    ("00:00-24:00", date(2025, 10, 26), 25 * 60),
    ("00:00-03:00", date(2025, 3, 30), 120),  # 00:00 GMT -> 03:00 BST
    ("00:00-03:00", date(2025, 10, 26), 240),  # 00:00 BST -> 03:00 GMT
    ("01:00-03:00", date(2025, 3, 30), 60),  # 01:00 GMT (the jump) -> 03:00 BST
    ("01:00-02:00", date(2025, 3, 30), 0),  # entirely inside the gap
    ("01:00-02:00", date(2025, 10, 26), 120),  # 01:00 BST -> 02:00 GMT
    ("01:00-01:30", date(2025, 10, 26), 30),  # first 01:00-01:30 (BST) only
    ("01:30-03:00", date(2025, 3, 30), 60),  # 01:30 does not exist: starts at the jump
    ("01:30-03:00", date(2025, 10, 26), 150),  # 01:30 BST -> 03:00 GMT
    ("00:00-01:30,01:30-24:00", date(2025, 3, 30), 23 * 60),  # touching at a missing time
    ("00:00-24:00", date(2025, 6, 1), 24 * 60),
]


@pytest.mark.parametrize(("hours", "day", "expected"), LONDON_ELAPSED_OVER_A_DAY)
def test_london_dst_day_lengths(hours, day, expected):
    cal = every_day(hours)
    start = datetime.combine(day, time(0), tzinfo=LONDON)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)
    assert cal.elapsed(start, end) == expected


LONDON_ADD = [
    # hours every day, start (UTC), minutes, expected (UTC)
    ("09:00-17:00", utc(2025, 3, 30, 8), 480, utc(2025, 3, 30, 16)),  # 09:00-17:00 BST
    ("09:00-17:00", utc(2025, 3, 29, 16, 30), 60, utc(2025, 3, 30, 8, 30)),  # Sat GMT -> Sun BST
    ("09:00-17:00", utc(2025, 10, 25, 15, 30), 60, utc(2025, 10, 26, 9, 30)),  # BST -> GMT
    ("00:00-03:00", utc(2025, 3, 30, 0), 120, utc(2025, 3, 30, 2)),  # ends 03:00 BST
    ("00:00-03:00", utc(2025, 3, 30, 0), 121, utc(2025, 3, 30, 23, 1)),  # 31 Mar 00:01 BST
    ("00:00-03:00", utc(2025, 10, 25, 23), 240, utc(2025, 10, 26, 3)),  # 00:00 BST -> 03:00 GMT
    ("01:00-02:00", utc(2025, 3, 29, 1, 30), 60, utc(2025, 3, 31, 0, 30)),  # 30 Mar has none
    ("01:00-02:00", utc(2025, 10, 26, 0), 90, utc(2025, 10, 26, 1, 30)),  # into the second 01:xx
    ("01:30-04:00", utc(2025, 3, 30, 0, 30), 0, utc(2025, 3, 30, 1)),  # starts at the jump
]


@pytest.mark.parametrize(("hours", "start", "minutes", "expected"), LONDON_ADD)
def test_london_dst_add(hours, start, minutes, expected):
    result = every_day(hours).add(start, minutes)
    assert result.astimezone(UTC) == expected
    assert result.tzinfo is LONDON


def test_london_fold_results_carry_the_right_fold():
    cal = every_day("00:00-24:00")
    midnight = datetime(2025, 10, 26, tzinfo=LONDON)  # 00:00 BST
    first = cal.add(midnight, 90)
    second = cal.add(midnight, 150)
    assert (first.hour, first.minute, first.fold, first.utcoffset()) == (
        1,
        30,
        0,
        timedelta(hours=1),
    )
    assert (second.hour, second.minute, second.fold, second.utcoffset()) == (1, 30, 1, timedelta(0))
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)


def test_london_fold_working_only_on_first_pass():
    cal = every_day("01:00-01:30")
    assert cal.is_working(utc(2025, 10, 26, 0, 15)) is True  # 01:15 BST
    assert cal.is_working(utc(2025, 10, 26, 1, 15)) is False  # 01:15 GMT, the second 01:15
    assert cal.next_working(utc(2025, 10, 26, 1, 15)) == utc(2025, 10, 27, 1)


NEW_YORK_CASES = [
    # weekly, start, minutes, expected (UTC)
    (WEEKDAYS_9_17, utc(2025, 3, 7, 21), 120, utc(2025, 3, 10, 14)),  # Fri 16:00 EST -> Mon EDT
    (WEEKDAYS_9_17, utc(2025, 10, 31, 20), 120, utc(2025, 11, 3, 15)),  # Fri EDT -> Mon EST
    (EVERY_DAY_9_17, utc(2025, 3, 9, 13), 480, utc(2025, 3, 9, 21)),  # 09:00-17:00 EDT
    (EVERY_DAY_9_17, utc(2025, 11, 2, 14), 480, utc(2025, 11, 2, 22)),  # 09:00-17:00 EST
]


@pytest.mark.parametrize(("weekly", "start", "minutes", "expected"), NEW_YORK_CASES)
def test_new_york_dst_add(weekly, start, minutes, expected):
    cal = BusinessCalendar(CalendarSpec("America/New_York", weekly))
    assert cal.add(start, minutes).astimezone(UTC) == expected


def test_new_york_dst_elapsed():
    weekdays = BusinessCalendar(CalendarSpec("America/New_York", WEEKDAYS_9_17))
    friday = datetime(2025, 3, 7, 9, tzinfo=NEW_YORK)
    monday = datetime(2025, 3, 10, 17, tzinfo=NEW_YORK)
    assert weekdays.elapsed(friday, monday) == 960
    whole = every_day("00:00-24:00", "America/New_York")
    for day, minutes in ((date(2025, 3, 9), 1380), (date(2025, 11, 2), 1500)):
        start = datetime.combine(day, time(0), tzinfo=NEW_YORK)
        assert whole.elapsed(start, start + timedelta(days=1)) == minutes
    assert (
        every_day("02:00-03:00", "America/New_York").elapsed(
            datetime(2025, 3, 9, tzinfo=NEW_YORK), datetime(2025, 3, 10, tzinfo=NEW_YORK)
        )
        == 0
    )
    assert (
        every_day("01:00-02:00", "America/New_York").elapsed(
            datetime(2025, 11, 2, tzinfo=NEW_YORK), datetime(2025, 11, 3, tzinfo=NEW_YORK)
        )
        == 120
    )


def test_always_is_plain_arithmetic_across_dst():
    cal = BusinessCalendar(preset_spec("24x7", tz="America/New_York"))
    start = datetime(2025, 3, 9, 1, 30, tzinfo=NEW_YORK)  # EST
    result = cal.add(start, 60)
    assert result.astimezone(UTC) == utc(2025, 3, 9, 7, 30)
    assert (result.hour, result.minute) == (3, 30)  # EDT
    assert cal.add(start, 0) == start
    assert cal.elapsed(start, result) == 60
    assert cal.is_working(start) is True


# -- parsing and validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-12:00,13:00-18:00", ((time(9), time(12)), (time(13), time(18)))),
        (" 9:00 - 17:30 ", ((time(9), time(17, 30)),)),
        ("00:00-24:00", ((time(0), time(0)),)),
        ("22:00-24:00", ((time(22), time(0)),)),
        ("08:00:30-12:00:15", ((time(8, 0, 30), time(12, 0, 15)),)),
        ("09:00-12:00,12:00-13:00", ((time(9), time(12)), (time(12), time(13)))),
        ("", ()),
    ],
)
def test_parse_hours(text, expected):
    assert CalendarSpec.parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-17", "expected HH:MM-HH:MM"),
        ("09:00-12:00;13:00-18:00", "expected HH:MM-HH:MM"),
        ("09:00", "expected HH:MM-HH:MM"),
        ("25:00-26:00", "not a valid time"),
        ("09:60-10:00", "not a valid time"),
        ("24:00-24:00", "not a valid time"),
        ("12:00-09:00", "ends before it starts"),
        ("09:00-09:00", "ends before it starts"),
        ("13:00-18:00,09:00-12:00", "sorted"),
        ("09:00-13:00,12:00-18:00", "overlap"),
        ("22:00-02:00", "ends before it starts"),
    ],
)
def test_parse_hours_rejects_bad_text(text, message):
    with pytest.raises(ValueError, match=message):
        CalendarSpec.parse_hours(text)


def test_spec_validation():
    with pytest.raises(ValueError, match="7 entries"):
        CalendarSpec("UTC", (NINE_TO_FIVE,) * 6)
    with pytest.raises(ValueError, match="unknown time zone"):
        CalendarSpec("Mars/Olympus", EVERY_DAY_9_17)
    with pytest.raises(ValueError, match="Tuesday"):
        CalendarSpec("UTC", ((), ((time(10), time(9)),), (), (), (), (), ()))
    with pytest.raises(ValueError, match="datetime.date"):
        CalendarSpec("UTC", EVERY_DAY_9_17, holidays=frozenset({datetime(2025, 1, 1)}))
    with pytest.raises(ValueError, match="whole seconds"):
        CalendarSpec("UTC", (((time(9, 0, 0, 5), time(10)),),) + ((),) * 6)
    spec = CalendarSpec("UTC", [list(NINE_TO_FIVE)] * 7, holidays={date(2025, 1, 1)})
    assert spec.weekly == EVERY_DAY_9_17
    assert spec.holidays == frozenset({date(2025, 1, 1)})
    hash(spec)


# -- presets --------------------------------------------------------------------------------------


def test_preset_names():
    assert preset_names() == ["24x7", "cn-workdays"]
    names = country_preset_names()
    assert {"GB-workdays", "US-CA-workdays", "DE-BY-workdays"} <= set(names)


def test_cn_workdays_spec():
    spec = preset_spec("CN-Workdays")
    assert spec.tz == "Asia/Shanghai"
    assert spec.weekly[5] == spec.weekly[6] == ()
    assert {date(2025, 1, 26), date(2025, 2, 8)} <= spec.extra_workdays
    assert {date(2025, 1, 28) + timedelta(days=i) for i in range(8)} - spec.holidays == {
        date(2025, 2, 1),
        date(2025, 2, 2),  # the weekend inside the break is off anyway
    }
    make_up_2026 = {d for d in spec.extra_workdays if d.year == 2026}
    assert make_up_2026 == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert {2024, 2025, 2026} <= confirmed_years("cn-workdays")


def test_cn_workdays_warns_for_years_without_a_published_schedule():
    spec = preset_spec("cn-workdays")
    cal = BusinessCalendar(spec)
    first, last = spec.holiday_years
    assert first == FIRST_YEAR and last == date.today().year + 2
    unconfirmed = [y for y in range(first, last + 1) if y not in confirmed_years("cn-workdays")]
    assert unconfirmed, "the last covered year is never published yet"
    for year in unconfirmed:
        message = f"no confirmed schedule for {year}: estimated holidays, no make-up workdays"
        assert message in cal.warnings()
        assert cal.warnings([year]) == [message]
        assert year_warnings("cn-workdays", [year]) == [message]
        assert not any(d.year == year for d in spec.extra_workdays)
        national_day = date(year, 10, 1)  # estimated from holidays.CN
        if national_day.weekday() < 5:
            assert national_day in spec.holidays
    assert cal.warnings([2025]) == []
    assert "no holiday data for 2100" in cal.warnings([2100])[0]


def test_cn_workdays_hours_and_zone_overrides():
    spec = preset_spec("cn-workdays", hours="08:30-17:30", tz="Asia/Hong_Kong")
    cal = BusinessCalendar(spec)
    hk = ZoneInfo("Asia/Hong_Kong")
    assert cal.is_working(datetime(2025, 1, 26, 8, 45, tzinfo=hk)) is True  # make-up day too
    assert cal.is_working(datetime(2025, 3, 3, 12, 30, tzinfo=hk)) is True  # no lunch break
    assert cal.is_working(datetime(2025, 3, 3, 17, 45, tzinfo=hk)) is False


def test_24x7_preset():
    spec = preset_spec("24x7")
    assert spec.always and spec.tz == "UTC"
    with pytest.raises(ValueError, match="no working hours"):
        preset_spec("24x7", hours="09:00-17:00")


@pytest.mark.parametrize(
    ("name", "tz", "day_off", "day_on"),
    [
        ("GB-workdays", "Europe/London", date(2025, 12, 25), date(2025, 12, 24)),
        ("gb-eng-workdays", "Europe/London", date(2025, 8, 25), date(2025, 8, 26)),
        ("US-CA-workdays", "America/Los_Angeles", date(2025, 3, 31), date(2025, 4, 1)),
        ("US-workdays", "America/New_York", date(2025, 7, 4), date(2025, 7, 3)),
        ("DE-BY-workdays", "Europe/Berlin", date(2025, 1, 6), date(2025, 1, 7)),
        ("DE-workdays", "Europe/Berlin", date(2025, 10, 3), date(2025, 1, 6)),
        ("AU-workdays", "Australia/Sydney", date(2025, 4, 25), date(2025, 4, 24)),  # ANZAC Day
        ("FR-workdays", "Europe/Paris", date(2025, 7, 14), date(2025, 7, 15)),
        ("RU-workdays", "Europe/Moscow", date(2025, 1, 8), date(2025, 11, 1)),  # Sat worked
        ("IL-workdays", "Asia/Jerusalem", date(2025, 3, 7), date(2025, 3, 9)),  # Fri off, Sun on
    ],
)
def test_country_presets(name, tz, day_off, day_on):
    spec = preset_spec(name)
    assert spec.tz == tz
    cal = BusinessCalendar(spec)
    zone = ZoneInfo(tz)
    assert cal.is_working(datetime.combine(day_off, time(10), tzinfo=zone)) is False
    assert cal.is_working(datetime.combine(day_on, time(10), tzinfo=zone)) is True
    assert cal.is_working(datetime.combine(day_on, time(18), tzinfo=zone)) is False


def test_country_preset_overrides():
    spec = preset_spec("GB-workdays", tz="Europe/Dublin", hours="08:00-16:00")
    assert spec.tz == "Europe/Dublin"
    assert spec.weekly[0] == ((time(8), time(16)),)
    assert spec.weekly[6] == ()
    assert preset_spec("GB-workdays", tz=" ", hours="") == preset_spec("GB-workdays")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nonsense", "unknown calendar preset 'nonsense'"),
        ("XX-workdays", "no public holidays known for country 'XX'"),
        ("US-ZZ-workdays", "US has no subdivision"),
        ("USA-workdays", "unknown calendar preset"),
    ],
)
def test_unknown_presets(name, message):
    with pytest.raises(KeyError, match=message):
        preset_spec(name)
    with pytest.raises(ValueError, match=message):
        preset_spec(name)
    with pytest.raises(UnknownPresetError):
        preset_spec(name)


def test_bad_preset_options():
    with pytest.raises(ValueError, match="expected HH:MM-HH:MM"):
        preset_spec("cn-workdays", hours="nine to six")
    with pytest.raises(ValueError, match="unknown time zone"):
        preset_spec("GB-workdays", tz="Europe/Nowhere")


# -- properties against the slow reference --------------------------------------------------------

ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Sao_Paulo",  # DST at midnight until 2019
    "America/Havana",  # DST at midnight
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Shanghai",
)
HALF_HOURS = [m * 1800 for m in range(49)]


@functools.cache
def transition_days(tz: str, year: int) -> tuple[date, ...]:
    """Local dates around which the zone's UTC offset changes in ``year``."""
    zone = ZoneInfo(tz)
    days = []
    previous = None
    day = date(year, 1, 1)
    while day.year == year:
        offset = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).astimezone(zone).utcoffset()
        if previous is not None and offset != previous:
            days.extend((day - timedelta(days=1), day))
        previous = offset
        day += timedelta(days=1)
    return tuple(days)


def clock(seconds: int) -> time:
    return time(0) if seconds == 86_400 else time(seconds // 3600, seconds // 60 % 60, seconds % 60)


@st.composite
def day_hours(draw, whole_minutes: bool = False):
    count = draw(st.integers(0, 3))
    points = st.sampled_from(HALF_HOURS) | st.integers(0, 1440).map(lambda m: m * 60)
    if not whole_minutes:
        points = points | st.integers(0, 86_400)
    bounds = sorted(draw(st.lists(points, min_size=2 * count, max_size=2 * count, unique=True)))
    pairs = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    if pairs and draw(st.booleans()):
        # split one interval into two that touch
        i = draw(st.integers(0, len(pairs) - 1))
        a, b = pairs[i]
        middle = (a + b) // 2 // 60 * 60 if whole_minutes else (a + b) // 2
        if a < middle < b:
            pairs[i : i + 1] = [(a, middle), (middle, b)]
    return tuple((clock(a), clock(b)) for a, b in pairs)


def week_seconds(spec: CalendarSpec) -> int:
    return sum(
        (86_400 if e == time(0) else e.hour * 3600 + e.minute * 60 + e.second)
        - (s.hour * 3600 + s.minute * 60 + s.second)
        for day in spec.weekly
        for s, e in day
    )


@st.composite
def calendars(draw, whole_minutes: bool = False, years=(1971, 2060)):
    """A random spec and a local date around which its holidays and instants cluster."""
    tz = draw(st.sampled_from(ZONES))
    weekly = [draw(day_hours(whole_minutes)) for _ in range(7)]
    if not any(weekly):
        weekly[draw(st.integers(0, 6))] = NINE_TO_FIVE
    year = draw(st.integers(*years))
    special = [date(year, 1, 1), date(year, 12, 31), *transition_days(tz, year)]
    anchor = draw(st.sampled_from(special) | st.dates(date(year, 1, 1), date(year, 12, 31)))
    near = st.dates(anchor - timedelta(days=12), anchor + timedelta(days=12))
    spec = CalendarSpec(
        tz=tz,
        weekly=tuple(weekly),
        holidays=draw(st.frozensets(near, max_size=8)),
        extra_workdays=draw(st.frozensets(near, max_size=4)),
        workday_hours=draw(st.just(()) | day_hours(whole_minutes)),
        always=draw(st.integers(0, 14)) == 0,
    )
    return spec, anchor


def draw_instant(data, spec: CalendarSpec, anchor: date, ref: ReferenceCalendar, span_days=10):
    """Epoch seconds near ``anchor``: anywhere, on a half hour, or exactly on an interval edge."""
    base = int(datetime.combine(anchor, time(0), tzinfo=UTC).timestamp())
    lo, hi = base - 3 * 86_400, base + span_days * 86_400
    anywhere = st.integers(lo, hi)
    half_hour = st.integers(lo // 1800, hi // 1800).map(lambda k: k * 1800)
    edges = [
        t
        for offset in range(-2, span_days)
        for interval in ref.day_intervals(anchor + timedelta(days=offset))
        for t in interval
    ]
    choices = anywhere | half_hour
    if edges:
        choices = choices | st.sampled_from(edges)
    return data.draw(choices)


def draw_seconds(data, spec: CalendarSpec) -> tuple[int | float | Decimal, int]:
    """Minutes to add (int, float or Decimal) and the whole seconds they stand for."""
    cap = max(60, 3 * week_seconds(spec))
    kind = data.draw(st.sampled_from(["int", "int", "decimal", "float"]))
    if kind == "int":
        minutes = data.draw(st.integers(0, cap // 60) | st.just(0))
        return minutes, minutes * 60
    seconds = data.draw(st.integers(0, cap))
    if kind == "decimal":
        return Decimal(seconds) / Decimal(60), seconds
    return seconds / 60, seconds


def at(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_against_reference(data, whole_minutes=False):
    spec, anchor = data.draw(calendars(whole_minutes))
    cal, ref = BusinessCalendar(spec), ReferenceCalendar(spec)
    t0 = draw_instant(data, spec, anchor, ref)
    t1 = draw_instant(data, spec, anchor, ref)
    minutes, seconds = draw_seconds(data, spec)

    deadline = cal.add(at(t0), minutes)
    assert deadline.tzinfo is cal.tz
    assert int(deadline.timestamp()) == ref.scan_add(t0, seconds)
    assert cal.elapsed_seconds(at(t0), at(t1)) == ref.scan_elapsed(t0, t1)
    assert cal.is_working(at(t0)) is ref.is_working(t0)
    assert cal.is_working(at(t1)) is ref.is_working(t1)
    assert int(cal.next_working(at(t1)).timestamp()) == ref.scan_next_working(t1)
    return cal, ref, t0, t1, seconds


@PROPERTY
@given(st.data())
def test_engine_agrees_with_reference(data):
    check_against_reference(data)


@PROPERTY
@given(st.data())
def test_add_and_elapsed_round_trip(data):
    spec, anchor = data.draw(calendars())
    cal, ref = BusinessCalendar(spec), ReferenceCalendar(spec)
    start = at(draw_instant(data, spec, anchor, ref))
    end = at(draw_instant(data, spec, anchor, ref))
    minutes, seconds = draw_seconds(data, spec)

    deadline = cal.add(start, minutes)
    assert cal.elapsed_seconds(start, deadline) == seconds
    assert round(cal.elapsed(start, deadline) * 60) == seconds
    assert cal.elapsed(end, start) == -cal.elapsed(start, end)
    worked = cal.elapsed_seconds(start, end)
    if worked > 0:
        # the earliest instant with that much working time: `end` itself when the second before
        # it is working, otherwise the end of the last interval before it
        back = cal.add_seconds(start, worked)
        assert back <= end
        assert cal.elapsed_seconds(back, end) == 0
        assert (back == end) is cal.is_working(end - timedelta(seconds=1))
    if cal.is_working(start):
        assert cal.add(start, 0) == start
    # monotonic in both arguments
    assert cal.add(start, minutes) <= cal.add(start, seconds / 60 + 1)
    later = max(start, end)
    assert cal.add(later, minutes) >= deadline


def check_walk(data):
    spec, anchor = data.draw(calendars(whole_minutes=True))
    cal, ref = BusinessCalendar(spec), ReferenceCalendar(spec)
    t0 = draw_instant(data, spec, anchor, ref, span_days=3)
    t1 = data.draw(st.integers(t0 - 86_400, t0 + 2 * 86_400))
    seconds = data.draw(st.integers(0, min(4 * 3600, max(60, week_seconds(spec) // 2))))
    walked = ref.walk_add(t0, seconds)
    assert walked == ref.scan_add(t0, seconds)
    assert walked == int(cal.add_seconds(at(t0), seconds).timestamp())
    counted = ref.walk_elapsed(t0, t1)
    assert counted == ref.scan_elapsed(t0, t1) == cal.elapsed_seconds(at(t0), at(t1))


@settings(PROPERTY, max_examples=25)
@given(st.data())
def test_scan_and_walking_references_agree_with_the_engine(data):
    check_walk(data)


@settings(PROPERTY, max_examples=15)
@given(st.data())
def test_one_calendar_answers_queries_in_any_order_across_years(data):
    spec, _ = data.draw(calendars(years=(1975, 2190)))
    cal, ref = BusinessCalendar(spec), ReferenceCalendar(spec)
    years = data.draw(st.lists(st.integers(1971, 2195), min_size=2, max_size=4))
    instants = [
        int(datetime(y, 1, 1, tzinfo=UTC).timestamp()) + data.draw(st.integers(-86_400, 86_400))
        for y in years
    ]
    for t in instants:
        assert cal.is_working(at(t)) is ref.is_working(t)
        assert int(cal.next_working(at(t)).timestamp()) == ref.scan_next_working(t)
        assert int(cal.add_seconds(at(t), 3600).timestamp()) == ref.scan_add(t, 3600)
    a = instants[0]
    b = a + data.draw(st.integers(0, 400 * 86_400))
    c = b + data.draw(st.integers(0, 400 * 86_400))
    assert cal.elapsed_seconds(at(a), at(c)) == cal.elapsed_seconds(
        at(a), at(b)
    ) + cal.elapsed_seconds(at(b), at(c))
    near = a + data.draw(st.integers(0, 5 * 86_400))
    assert cal.elapsed_seconds(at(a), at(near)) == ref.scan_elapsed(a, near)


@pytest.mark.slow
@settings(PROPERTY, max_examples=1500)
@given(st.data())
def test_engine_agrees_with_reference_exhaustive(data):
    check_against_reference(data)


@pytest.mark.slow
@settings(PROPERTY, max_examples=300)
@given(st.data())
def test_walking_reference_exhaustive(data):
    check_walk(data)
