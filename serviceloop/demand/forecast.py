"""The capacity forecast: a least-squares linear trend of a measured series over a window,
and the instant the trend line reaches a threshold.

Pure functions over ``(instant, value)`` pairs (aware datetimes, numbers or Decimals): no
database and no clock. The slope is in units per day. Outcomes:

- ``rising``: the trend moves towards the threshold and will reach it at ``crossing_at``;
- ``not_rising``: flat, or moving away from the threshold (no crossing), or so slowly that
  it would take more than ``HORIZON_DAYS``;
- ``already_crossed``: the newest value in the window is at or beyond the threshold, or the
  trend line already is (a crossing date would lie in the past);
- ``insufficient_data``: fewer than two measurements at different instants in the window.

"Beyond" depends on the direction: for a resource where higher is worse (CPU %, storage
used) a value at or above the threshold is beyond it; where lower is worse (free space)
at or below.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

DAY_SECONDS = 86_400.0
DEFAULT_WINDOW_DAYS = 90
HORIZON_DAYS = 36_500  # a crossing further away than a century is no crossing


class ForecastStatus(StrEnum):
    RISING = "rising"
    NOT_RISING = "not_rising"
    ALREADY_CROSSED = "already_crossed"
    INSUFFICIENT_DATA = "insufficient_data"


def is_beyond(value, threshold, *, higher_is_worse: bool = True) -> bool:
    """Whether ``value`` has reached ``threshold`` on the bad side."""
    return value >= threshold if higher_is_worse else value <= threshold


@dataclass(frozen=True)
class Trend:
    """``value(t) = intercept + slope_per_day × days since origin``."""

    origin: datetime.datetime
    intercept: float
    slope_per_day: float

    def value_at(self, instant: datetime.datetime) -> float:
        days = (instant - self.origin).total_seconds() / DAY_SECONDS
        return self.intercept + self.slope_per_day * days


@dataclass(frozen=True)
class Forecast:
    status: ForecastStatus
    threshold: float
    points: int
    trend: Trend | None = None
    crossing_at: datetime.datetime | None = None
    window_start: datetime.datetime | None = None
    as_of: datetime.datetime | None = None

    def days_to_crossing(self, now: datetime.datetime) -> float | None:
        if self.crossing_at is None:
            return None
        return (self.crossing_at - now).total_seconds() / DAY_SECONDS

    def crosses_within(self, days: int, now: datetime.datetime) -> bool:
        """Rising and reaching the threshold no later than ``days`` after ``now``."""
        left = self.days_to_crossing(now)
        return self.status == ForecastStatus.RISING and left is not None and left <= days


def linear_trend(
    points: Iterable[tuple[datetime.datetime, float]], *, origin: datetime.datetime | None = None
) -> Trend | None:
    """The least-squares line through ``points`` (x in days since ``origin``, default the
    newest point); None with fewer than two distinct instants."""
    pairs = [(instant, float(value)) for instant, value in points]
    if len(pairs) < 2:
        return None
    origin = origin or max(instant for instant, _ in pairs)
    xs = [(instant - origin).total_seconds() / DAY_SECONDS for instant, _ in pairs]
    ys = [value for _, value in pairs]
    n = len(pairs)
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    # Centred sums keep the arithmetic stable when x is large (far from the origin).
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    if sxx <= 1e-12:
        return None
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    return Trend(origin=origin, intercept=mean_y - slope * mean_x, slope_per_day=slope)


def forecast_crossing(
    points: Iterable[tuple[datetime.datetime, float]],
    threshold,
    *,
    higher_is_worse: bool = True,
    as_of: datetime.datetime | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Forecast:
    """Fit the trend of the points in ``(as_of − window_days, as_of]`` and say when it
    reaches ``threshold`` (see the module docstring for the outcomes). ``as_of`` defaults
    to the newest point."""
    threshold = float(threshold)
    series = sorted((instant, float(value)) for instant, value in points)
    if as_of is None:
        if not series:
            return Forecast(ForecastStatus.INSUFFICIENT_DATA, threshold, 0)
        as_of = series[-1][0]
    window_start = as_of - datetime.timedelta(days=window_days)
    series = [(instant, value) for instant, value in series if window_start < instant <= as_of]
    common = {"threshold": threshold, "points": len(series), "window_start": window_start}
    trend = linear_trend(series, origin=as_of)
    if trend is None:
        return Forecast(ForecastStatus.INSUFFICIENT_DATA, as_of=as_of, **common)
    sign = 1.0 if higher_is_worse else -1.0
    if is_beyond(series[-1][1], threshold, higher_is_worse=higher_is_worse):
        return Forecast(ForecastStatus.ALREADY_CROSSED, trend=trend, as_of=as_of, **common)
    towards = sign * trend.slope_per_day
    if towards <= 0:
        return Forecast(ForecastStatus.NOT_RISING, trend=trend, as_of=as_of, **common)
    days = (threshold - trend.intercept) / trend.slope_per_day
    if days <= 0:
        return Forecast(ForecastStatus.ALREADY_CROSSED, trend=trend, as_of=as_of, **common)
    if days > HORIZON_DAYS:
        return Forecast(ForecastStatus.NOT_RISING, trend=trend, as_of=as_of, **common)
    return Forecast(
        ForecastStatus.RISING,
        trend=trend,
        crossing_at=as_of + datetime.timedelta(days=days),
        as_of=as_of,
        **common,
    )
