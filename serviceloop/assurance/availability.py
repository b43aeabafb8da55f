"""Availability arithmetic: agreed service time, downtime, availability, MTBF and MTRS for any
period, exact to the second. Pure Python over the business-time engine (no database).

Definitions (every quantity in whole seconds, instants floored to the second as the engine does):

agreed service time
    The working seconds of the service-hours calendar in the period ``[start, end)``
    (``BusinessCalendar.elapsed_seconds``); every second of the period when the service has no
    calendar (24×7).
downtime
    The union of the outages that count as downtime, each clipped to the period (an ongoing
    outage runs until ``now``), overlapping or touching intervals merged first so that no second
    is counted twice, then intersected with the service hours: the sum of the calendar's
    working seconds over the merged intervals.
excluded (planned) time
    Service-hours seconds covered by outages that do not count (announced planned maintenance,
    see ``Outage.counts_as_downtime``) and by no counted outage: reported, never subtracted.
availability
    ``(agreed - downtime) / agreed`` as an exact fraction; ``percent`` is that × 100 rounded
    *down* to three decimals (a report never shows 99.9 % for 99.8996 %). None when the period
    holds no agreed service time.
breaks
    The merged downtime intervals that touch service hours (two overlapping outages are one
    break; an outage entirely outside service hours is none).
MTBF / MTRS
    ITIL's "mean time between failures" = uptime / breaks = ``(agreed - downtime) / breaks`` and
    "mean time to restore service" = ``downtime / breaks``, in seconds rounded half to even;
    None without a break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from serviceloop.core.business_time import BusinessCalendar, CalendarSpec

__all__ = [
    "ALWAYS",
    "AvailabilityResult",
    "Span",
    "availability_compute",
    "merge_spans",
    "percent_of",
]

# 24×7: the agreed service time of a service without a service-hours calendar.
ALWAYS = BusinessCalendar(CalendarSpec(tz="UTC", weekly=((),) * 7, always=True))

PERCENT_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Span:
    """An outage as the arithmetic sees it: ``end`` None while it lasts."""

    start: datetime
    end: datetime | None
    counted: bool = True


@dataclass(frozen=True)
class AvailabilityResult:
    start: datetime
    end: datetime
    agreed_seconds: int
    downtime_seconds: int
    excluded_seconds: int
    breaks: int
    ratio: Fraction | None

    @property
    def uptime_seconds(self) -> int:
        return self.agreed_seconds - self.downtime_seconds

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.ratio)

    @property
    def mtbf_seconds(self) -> int | None:
        return round(Fraction(self.uptime_seconds, self.breaks)) if self.breaks else None

    @property
    def mtrs_seconds(self) -> int | None:
        return round(Fraction(self.downtime_seconds, self.breaks)) if self.breaks else None

    def meets(self, target: Decimal | None) -> bool | None:
        """Whether the exact availability reaches ``target`` (percent); None without either."""
        if target is None or self.ratio is None:
            return None
        return self.ratio * 100 >= Fraction(target)


def percent_of(ratio: Fraction | None) -> Decimal | None:
    """``ratio`` × 100 rounded down to three decimals."""
    if ratio is None:
        return None
    exact = Decimal(ratio.numerator * 100) / Decimal(ratio.denominator)
    return exact.quantize(PERCENT_PLACES, rounding=ROUND_DOWN)


def _seconds(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: pass an aware datetime")
    return int(instant.timestamp() // 1)


def merge_spans(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged ``[start, end)`` epoch-second intervals; overlapping or touching ones
    become one; empty ones are dropped."""
    merged: list[list[int]] = []
    for a, b in sorted(i for i in intervals if i[0] < i[1]):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def availability_compute(
    *,
    calendar: BusinessCalendar | None,
    start: datetime,
    end: datetime,
    outages: Iterable[Span],
    now: datetime,
) -> AvailabilityResult:
    """The availability of one service (or one customer's view of it) over ``[start, end)``.

    ``calendar`` is the service-hours calendar (None: 24×7); ``outages`` the outages that may
    overlap the period, each marked ``counted`` or not; an outage without an end lasts until
    ``now``. All instants must be aware. See the module docstring for the definitions.
    """
    calendar = calendar or ALWAYS
    p0, p1 = _seconds(start), _seconds(end)
    if p1 <= p0:
        raise ValueError("the period must end after it starts")
    until = _seconds(now)
    counted, every = [], []
    for span in outages:
        a = max(_seconds(span.start), p0)
        b = min(_seconds(span.end) if span.end is not None else until, p1)
        if a >= b:
            continue
        every.append((a, b))
        if span.counted:
            counted.append((a, b))

    def working(a: int, b: int) -> int:
        return calendar.elapsed_seconds(_instant(a), _instant(b))

    down = [working(a, b) for a, b in merge_spans(counted)]
    downtime = sum(down)
    excluded = sum(working(a, b) for a, b in merge_spans(every)) - downtime
    agreed = working(p0, p1)
    return AvailabilityResult(
        start=start,
        end=end,
        agreed_seconds=agreed,
        downtime_seconds=downtime,
        excluded_seconds=excluded,
        breaks=sum(1 for seconds in down if seconds > 0),
        ratio=Fraction(agreed - downtime, agreed) if agreed else None,
    )


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
