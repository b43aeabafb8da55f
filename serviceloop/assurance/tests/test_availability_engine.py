"""Availability arithmetic against an independent, obviously-correct reference.

The reference never touches the business-time engine: it steps through the period one second
(or, for the property test, one minute) at a time, decides "service hours?" from
``chinese_calendar.is_workday`` and the wall clock in Asia/Shanghai (09:00–12:00, 13:00–18:00),
and "down?" by testing every outage. Results must match to the second.
"""

import datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceloop.assurance.availability import Span, availability_compute, merge_spans, percent_of
from serviceloop.core.business_time import BusinessCalendar
from serviceloop.core.calendar_presets import preset_spec

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar(preset_spec("cn-workdays"))
HOURS = ((9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600))


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def epoch(instant: datetime.datetime) -> int:
    return int(instant.timestamp())


class Reference:
    """Brute force: one step per second (or per ``step`` seconds on a step-aligned grid)."""

    def __init__(self, *, always=False):
        self.always = always
        self.workdays = {}

    def service_time(self, t: int) -> bool:
        if self.always:
            return True
        local = datetime.datetime.fromtimestamp(t, SHANGHAI)
        day = local.date()
        if day not in self.workdays:
            self.workdays[day] = chinese_calendar.is_workday(day)
        if not self.workdays[day]:
            return False
        second = local.hour * 3600 + local.minute * 60 + local.second
        return any(a <= second < b for a, b in HOURS)

    def compute(self, start, end, outages, now, step=1):
        p0, p1, until = epoch(start), epoch(end), epoch(now)
        spans = [(epoch(s.start), epoch(s.end) if s.end else until, s.counted) for s in outages]
        agreed = down = excluded = breaks = 0
        in_run = run_touches = False
        for t in range(p0, p1, step):
            service = self.service_time(t)
            counted = any(a <= t < b for a, b, c in spans if c)
            anything = any(a <= t < b for a, b, _c in spans)
            agreed += step * service
            down += step * (service and counted)
            excluded += step * (service and anything and not counted)
            if counted:
                run_touches = run_touches or service
                in_run = True
            elif in_run:
                breaks += run_touches
                in_run = run_touches = False
        breaks += in_run and run_touches
        return {"agreed": agreed, "down": down, "excluded": excluded, "breaks": breaks}


def compute(start, end, outages, now=None, calendar=CN):
    result = availability_compute(
        calendar=calendar, start=start, end=end, outages=outages, now=now or end
    )
    return {
        "agreed": result.agreed_seconds,
        "down": result.downtime_seconds,
        "excluded": result.excluded_seconds,
        "breaks": result.breaks,
    }, result


# --- Hand-made cases, second by second -----------------------------------------------------


def test_overlapping_outages_across_the_lunch_break_are_counted_once():
    start, end = at("2025-09-23 00:00"), at("2025-09-25 00:00")  # Tuesday and Wednesday
    outages = [
        Span(at("2025-09-23 11:30:17"), at("2025-09-23 13:20:05")),
        Span(at("2025-09-23 11:50:00"), at("2025-09-23 14:00:59")),
        Span(at("2025-09-23 13:59:59"), at("2025-09-23 14:00:30")),  # inside the second one
    ]

    mine, result = compute(start, end, outages)

    assert mine == Reference().compute(start, end, outages, end)
    # 11:30:17-12:00 (1,783 s) and 13:00-14:00:59 (3,659 s); lunch is not service time
    assert mine == {"agreed": 2 * 8 * 3600, "down": 5442, "excluded": 0, "breaks": 1}
    assert result.ratio == Fraction(57600 - 5442, 57600)
    assert result.percent == percent_of(result.ratio)
    assert result.mtrs_seconds == 5442 and result.mtbf_seconds == 57600 - 5442


def test_an_outage_over_the_evening_counts_only_service_hours_on_both_days():
    start, end = at("2025-09-25 00:00"), at("2025-09-27 00:00")  # Thursday and Friday
    outages = [Span(at("2025-09-25 17:45:30"), at("2025-09-26 09:10:10"))]

    mine, result = compute(start, end, outages)

    assert mine == Reference().compute(start, end, outages, end)
    assert mine["down"] == 14 * 60 + 30 + 10 * 60 + 10
    assert mine["breaks"] == 1


def test_national_day_holidays_and_make_up_workdays():
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October are workdays.
    start, end = at("2025-09-27 00:00"), at("2025-10-13 00:00")
    outages = [
        Span(at("2025-09-27 10:00"), at("2025-09-28 09:30:01")),  # Sat off, Sun worked
        Span(at("2025-09-30 17:00"), at("2025-10-09 09:30")),  # across the holiday week
        Span(at("2025-10-11 11:59:59"), at("2025-10-11 13:00:01")),  # make-up Saturday lunch
        Span(at("2025-10-12 10:00"), at("2025-10-12 11:00")),  # Sunday off: no break
    ]

    mine, result = compute(start, end, outages)

    assert mine == Reference().compute(start, end, outages, end)
    assert mine["down"] == (30 * 60 + 1) + (60 * 60 + 30 * 60) + (1 + 1)
    # Sep 28, 29, 30, Oct 9, 10, 11 worked: six days of eight hours
    assert mine["agreed"] == 6 * 8 * 3600
    assert mine["breaks"] == 3


def test_touching_outages_are_one_break_and_an_outage_outside_service_hours_none():
    start, end = at("2025-09-22 00:00"), at("2025-09-23 00:00")  # Monday
    outages = [
        Span(at("2025-09-22 09:00"), at("2025-09-22 09:10")),
        Span(at("2025-09-22 09:10"), at("2025-09-22 09:20")),
        Span(at("2025-09-22 19:00"), at("2025-09-22 23:00")),
        Span(at("2025-09-22 12:10"), at("2025-09-22 12:50")),  # in the lunch break
    ]

    mine, _ = compute(start, end, outages)

    assert mine == Reference().compute(start, end, outages, end)
    assert mine == {"agreed": 8 * 3600, "down": 1200, "excluded": 0, "breaks": 1}


def test_outages_are_clipped_to_the_period_and_an_ongoing_one_runs_until_now():
    start, end = at("2025-09-22 10:00"), at("2025-09-23 10:00")
    now = at("2025-09-23 09:30:15")
    outages = [
        Span(at("2025-09-19 10:00"), at("2025-09-22 10:30")),  # began before the period
        Span(at("2025-09-23 09:15"), None),  # still going on
    ]

    mine, _ = compute(start, end, outages, now=now)

    assert mine == Reference().compute(start, end, outages, now)
    assert mine["down"] == 1800 + 915


def test_excluded_planned_maintenance_is_reported_but_not_downtime():
    start, end = at("2025-09-22 00:00"), at("2025-09-23 00:00")
    outages = [
        Span(at("2025-09-22 10:00"), at("2025-09-22 11:00"), counted=False),
        Span(at("2025-09-22 10:30"), at("2025-09-22 10:45")),  # unplanned, inside it
        Span(at("2025-09-22 16:00"), at("2025-09-22 16:20"), counted=False),
    ]

    mine, _ = compute(start, end, outages)

    assert mine == Reference().compute(start, end, outages, end)
    assert mine["down"] == 900
    assert mine["excluded"] == 3600 - 900 + 1200


def test_without_service_hours_every_second_is_agreed_service_time():
    start, end = at("2025-10-01 00:00"), at("2025-10-02 00:00")  # a holiday
    outages = [
        Span(at("2025-10-01 01:00:00"), at("2025-10-01 02:30:00")),
        Span(at("2025-10-01 02:00:00"), at("2025-10-01 03:00:07")),
    ]

    mine, result = compute(start, end, outages, calendar=None)

    assert mine == Reference(always=True).compute(start, end, outages, end)
    assert mine == {"agreed": 86400, "down": 2 * 3600 + 7, "excluded": 0, "breaks": 1}
    assert result.percent == percent_of(Fraction(86400 - 7207, 86400))


def test_a_period_without_service_time_has_no_availability():
    start, end = at("2025-10-02 00:00"), at("2025-10-04 00:00")

    _, result = compute(start, end, [Span(at("2025-10-02 10:00"), at("2025-10-02 11:00"))])

    assert result.agreed_seconds == 0 and result.ratio is None and result.percent is None
    assert result.meets(99) is None


def test_fractions_of_a_second_are_dropped_like_the_engine_does():
    start, end = at("2025-09-22 00:00"), at("2025-09-23 00:00")
    outage = Span(at("2025-09-22 10:00:00.900"), at("2025-09-22 10:00:10.100"))

    mine, _ = compute(start, end, [outage])

    assert mine["down"] == 10


def test_percent_rounds_down_and_meets_compares_the_exact_value():
    ratio = Fraction(999_995, 1_000_000)  # 99.9995 %

    assert percent_of(ratio) == Decimal("99.999")  # never shown as 100.000
    assert percent_of(Fraction(2, 3)) == Decimal("66.666")
    start, end = at("2025-10-01 00:00"), at("2025-10-02 00:00")
    _, result = compute(start, end, [Span(start, at("2025-10-01 00:00:01"))], calendar=None)
    assert result.meets(100) is False and result.meets("99.998") is True


def test_the_period_must_end_after_it_starts_and_instants_be_aware():
    with pytest.raises(ValueError):
        compute(at("2025-10-02 00:00"), at("2025-10-01 00:00"), [])
    with pytest.raises(ValueError):
        compute(datetime.datetime(2025, 10, 1), at("2025-10-02 00:00"), [])


def test_merge_spans_merges_overlapping_and_touching_intervals():
    assert merge_spans([(5, 9), (1, 3), (3, 4), (8, 12), (20, 20), (15, 16)]) == [
        (1, 4),
        (5, 12),
        (15, 16),
    ]


# --- Random outages, minute by minute --------------------------------------------------------

WINDOW_START = at("2025-09-29 08:00")  # Monday before National Day
WINDOW_MINUTES = 4 * 24 * 60  # to Friday 08:00 (holidays from Wednesday)
offsets = st.integers(min_value=-120, max_value=WINDOW_MINUTES + 120)


@st.composite
def outage_lists(draw):
    spans = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        a = draw(offsets)
        length = draw(st.integers(min_value=1, max_value=36 * 60))
        ongoing = draw(st.booleans()) and draw(st.booleans())
        counted = draw(st.booleans()) or draw(st.booleans())
        start = WINDOW_START + datetime.timedelta(minutes=a)
        end = None if ongoing else start + datetime.timedelta(minutes=length)
        spans.append(Span(start, end, counted))
    return spans


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    outages=outage_lists(),
    first=st.integers(min_value=0, max_value=WINDOW_MINUTES // 2),
    length=st.integers(min_value=1, max_value=WINDOW_MINUTES // 2),
    now_offset=st.integers(min_value=0, max_value=WINDOW_MINUTES + 240),
)
def test_random_outages_match_the_minute_by_minute_reference(outages, first, length, now_offset):
    start = WINDOW_START + datetime.timedelta(minutes=first)
    end = start + datetime.timedelta(minutes=length)
    now = WINDOW_START + datetime.timedelta(minutes=now_offset)

    mine, result = compute(start, end, outages, now=now)

    assert mine == Reference().compute(start, end, outages, now, step=60)
    if result.agreed_seconds:
        assert result.ratio == Fraction(mine["agreed"] - mine["down"], mine["agreed"])
