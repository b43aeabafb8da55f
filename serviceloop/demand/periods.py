"""Accounting periods: a year, a quarter or a month, written ``2026``, ``2026-Q2``, ``2026-05``.

Budgets and demand records are kept per period; a period is stored as its kind and its first
day, and covers the dates ``start <= d < end`` (``end`` is the first day of the next one).
"""

import datetime
import re
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")


PERIOD_PATTERN = re.compile(r"^\s*(\d{4})(?:-(?:[Qq]([1-4])|(\d{1,2})))?\s*$")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    year: int
    number: int = 1  # 1 for a year, 1–4 for a quarter, 1–12 for a month

    def __post_init__(self):
        limit = {PeriodKind.YEAR: 1, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}.get(self.kind)
        if limit is None or not (1 <= self.number <= limit):
            raise ValueError(f"not a period: {self.kind} {self.year} {self.number}")
        if not (MIN_YEAR <= self.year <= MAX_YEAR):
            raise ValueError(f"year out of range: {self.year}")

    @property
    def start(self) -> datetime.date:
        if self.kind == PeriodKind.YEAR:
            return datetime.date(self.year, 1, 1)
        if self.kind == PeriodKind.QUARTER:
            return datetime.date(self.year, 3 * (self.number - 1) + 1, 1)
        return datetime.date(self.year, self.number, 1)

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        months = {PeriodKind.YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}[self.kind]
        index = self.start.year * 12 + self.start.month - 1 + months
        return datetime.date(index // 12, index % 12 + 1, 1)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return f"{self.year}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    def __str__(self):
        return self.label

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day < self.end

    def instants(self) -> tuple[datetime.datetime, datetime.datetime]:
        """``[start, end)`` as aware instants at local midnight (TIME_ZONE)."""
        zone = timezone.get_default_timezone()
        return (
            datetime.datetime.combine(self.start, datetime.time(), tzinfo=zone),
            datetime.datetime.combine(self.end, datetime.time(), tzinfo=zone),
        )

    @classmethod
    def parse(cls, text) -> "Period":
        """``2026`` | ``2026-Q2`` | ``2026-05``; ValueError for anything else."""
        match = PERIOD_PATTERN.match(str(text or ""))
        if not match:
            raise ValueError(f"not a period: {text!r}")
        year, quarter, month = match.groups()
        if quarter:
            return cls(PeriodKind.QUARTER, int(year), int(quarter))
        if month:
            return cls(PeriodKind.MONTH, int(year), int(month))
        return cls(PeriodKind.YEAR, int(year))

    @classmethod
    def starting(cls, kind: str, start: datetime.date) -> "Period":
        """The period of ``kind`` that begins on ``start`` (ValueError if none does)."""
        if kind == PeriodKind.YEAR and (start.month, start.day) == (1, 1):
            return cls(kind, start.year)
        if kind == PeriodKind.QUARTER and start.day == 1 and start.month % 3 == 1:
            return cls(kind, start.year, (start.month - 1) // 3 + 1)
        if kind == PeriodKind.MONTH and start.day == 1:
            return cls(kind, start.year, start.month)
        raise ValueError(f"no {kind} starts on {start}")

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> "Period":
        if kind == PeriodKind.YEAR:
            return cls(kind, day.year)
        if kind == PeriodKind.QUARTER:
            return cls(kind, day.year, (day.month - 1) // 3 + 1)
        return cls(kind, day.year, day.month)


def period_choices(years) -> list[tuple[str, str]]:
    """Every period of ``years`` as (label, label), years first, for a select box."""
    choices = []
    for year in years:
        choices.append((f"{year}", f"{year}"))
        choices.extend((f"{year}-Q{q}", f"{year}-Q{q}") for q in range(1, 5))
        choices.extend((f"{year}-{m:02d}", f"{year}-{m:02d}") for m in range(1, 13))
    return choices
