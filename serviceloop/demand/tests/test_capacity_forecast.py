"""The forecast engine (pure functions): a synthetic series of known slope gives the known
crossing date within a day; flat and falling series never cross; values already beyond the
threshold say so; the window limits the fit. Also the accounting periods."""

import datetime
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceloop.demand.forecast import ForecastStatus, forecast_crossing, linear_trend
from serviceloop.demand.periods import Period, PeriodKind

UTC = datetime.UTC
START = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = datetime.timedelta(days=1)


def series(days, value_on, *, start=START, step=DAY):
    count = int(days * DAY / step)
    return [(start + i * step, value_on(i * step / DAY)) for i in range(count)]


def test_a_rising_line_of_known_slope_crosses_on_the_known_date():
    # 40 % growing 0.5 % a day: reaches 90 % after exactly 100 days.
    points = series(90, lambda d: 40 + 0.5 * d)

    forecast = forecast_crossing(points, 90, window_days=90)

    expected = START + 100 * DAY
    assert forecast.status == ForecastStatus.RISING
    assert abs(forecast.crossing_at - expected) < DAY
    assert forecast.trend.slope_per_day == pytest.approx(0.5)
    assert forecast.points == 90


def test_noise_around_the_line_keeps_the_crossing_within_a_day():
    rng = random.Random(7)
    points = series(120, lambda d: 26_000 + 70 * d + rng.uniform(-150, 150))

    forecast = forecast_crossing(points, 38_000, window_days=120)

    expected = START + datetime.timedelta(days=(38_000 - 26_000) / 70)
    assert forecast.status == ForecastStatus.RISING
    assert abs(forecast.crossing_at - expected) < DAY


def test_hourly_measurements_give_the_same_crossing():
    points = series(30, lambda d: 10 + 2 * d, step=datetime.timedelta(hours=1))

    forecast = forecast_crossing(points, 100, window_days=30)

    assert abs(forecast.crossing_at - (START + 45 * DAY)) < DAY


def test_where_lower_is_worse_a_falling_line_crosses():
    # free disk space: 500 GB shrinking 4 GB a day reaches 100 GB after 100 days
    points = series(60, lambda d: 500 - 4 * d)

    forecast = forecast_crossing(points, 100, higher_is_worse=False, window_days=60)

    assert forecast.status == ForecastStatus.RISING
    assert abs(forecast.crossing_at - (START + 100 * DAY)) < DAY


@pytest.mark.parametrize(
    ("name", "value_on", "higher_is_worse"),
    [
        ("flat", lambda d: 55.0, True),
        ("falling", lambda d: 80 - 0.3 * d, True),
        ("rising free space", lambda d: 200 + d, False),
    ],
)
def test_flat_or_improving_series_never_cross(name, value_on, higher_is_worse):
    forecast = forecast_crossing(series(90, value_on), 90 if higher_is_worse else 100,
                                 higher_is_worse=higher_is_worse)  # fmt: skip

    assert forecast.status == ForecastStatus.NOT_RISING, name
    assert forecast.crossing_at is None
    assert not forecast.crosses_within(3650, START)


def test_a_series_already_beyond_the_threshold_has_no_crossing_date():
    forecast = forecast_crossing(series(30, lambda d: 80 + d), 95)

    assert forecast.status == ForecastStatus.ALREADY_CROSSED
    assert forecast.crossing_at is None


def test_a_trend_already_past_the_threshold_counts_as_crossed():
    # the last value dips under 90 but the trend line is above it now
    points = series(30, lambda d: 60 + 1.5 * d)[:-1] + [(START + 29 * DAY, 89.0)]

    forecast = forecast_crossing(points, 90, as_of=START + 29 * DAY)

    assert forecast.status == ForecastStatus.ALREADY_CROSSED


def test_a_rise_so_slow_it_would_take_a_century_is_no_crossing():
    forecast = forecast_crossing(series(90, lambda d: 50 + 1e-6 * d), 90)

    assert forecast.status == ForecastStatus.NOT_RISING


@pytest.mark.parametrize(
    "points",
    [[], [(START, 10.0)], [(START, 10.0), (START, 11.0)]],
    ids=["none", "one", "same instant"],
)
def test_fewer_than_two_instants_is_insufficient_data(points):
    forecast = forecast_crossing(points, 90, as_of=START)

    assert forecast.status == ForecastStatus.INSUFFICIENT_DATA
    assert forecast.crossing_at is None


def test_the_window_leaves_older_measurements_out():
    # rising steeply for 60 days, then flat for the last 30
    points = series(90, lambda d: 20 + d if d < 60 else 80.0)
    as_of = points[-1][0]

    wide = forecast_crossing(points, 150, as_of=as_of, window_days=90)
    recent = forecast_crossing(points, 150, as_of=as_of, window_days=29)

    assert wide.status == ForecastStatus.RISING
    assert recent.status == ForecastStatus.NOT_RISING
    assert recent.points == 29


def test_crosses_within_counts_days_from_now():
    forecast = forecast_crossing(series(90, lambda d: 40 + 0.5 * d), 90)
    now = START + 89 * DAY  # the crossing is 11 days later

    assert forecast.crosses_within(12, now)
    assert not forecast.crosses_within(10, now)


def _reference_crossing(intercept, slope, threshold):
    """The obviously-correct answer for an exact line: solve intercept + slope·d = threshold."""
    return START + datetime.timedelta(days=(threshold - intercept) / slope)


@settings(max_examples=60, deadline=None)
@given(
    intercept=st.floats(min_value=-1000, max_value=1000),
    slope=st.floats(min_value=0.01, max_value=50),
    ahead=st.floats(min_value=1, max_value=3000),
    days=st.integers(min_value=3, max_value=200),
)
def test_any_exact_rising_line_crosses_within_a_day_of_the_reference(intercept, slope, ahead, days):
    threshold = intercept + slope * (days - 1 + ahead)
    points = series(days, lambda d: intercept + slope * d)

    forecast = forecast_crossing(points, threshold, window_days=days + 1)

    assert forecast.status == ForecastStatus.RISING
    assert abs(forecast.crossing_at - _reference_crossing(intercept, slope, threshold)) < DAY


def test_linear_trend_of_two_points_is_the_line_through_them():
    trend = linear_trend([(START, 10.0), (START + 2 * DAY, 14.0)], origin=START)

    assert trend.intercept == pytest.approx(10.0)
    assert trend.slope_per_day == pytest.approx(2.0)
    assert trend.value_at(START + 5 * DAY) == pytest.approx(20.0)


# --- Periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "kind", "start", "end"),
    [
        ("2026", PeriodKind.YEAR, datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)),
        ("2026-Q4", PeriodKind.QUARTER, datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)),
        ("2026-q2", PeriodKind.QUARTER, datetime.date(2026, 4, 1), datetime.date(2026, 7, 1)),
        ("2026-12", PeriodKind.MONTH, datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)),
        ("2026-2", PeriodKind.MONTH, datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)),
    ],
)
def test_periods_parse_to_their_first_and_next_days(label, kind, start, end):
    period = Period.parse(label)

    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert Period.parse(period.label) == period
    assert Period.starting(kind, start) == period


@pytest.mark.parametrize("label", ["", "26", "2026-Q5", "2026-13", "2026-00", "1999", "x"])
def test_malformed_periods_are_refused(label):
    with pytest.raises(ValueError):
        Period.parse(label)
