"""The registry of evidence functions and the helpers they share.

A function is registered for a clause number with ``@evidence_register("8.6.1")`` and gets
``today`` (the provider's local date); it returns one ``Evidence`` or None when it has
nothing to say. The areas it reads may not be installed or built yet: a function whose
imports fail (ImportError) is skipped, so the gap analysis and the clause pages work on any
subset of ServiceLoop. Evidence is read by staff only (callers check), so the queries are
not scoped to a user.
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

GOOD_FROM = 0.95  # a share at or above this reads "good"
WARN_FROM = 0.75  # … at or above this "needs attention", below it "gap"
YEAR_DAYS = 365  # "the last 12 months" of the management-system clauses


@dataclass(frozen=True)
class Evidence:
    clause: str
    label: str  # what was measured, in the active language
    value: str  # the figure as shown ("12 / 14")
    ratio: float | None = None  # 0..1 where the figure is a share
    tone: str = "info"  # "good" | "warn" | "bad" | "info"
    detail: str = ""
    url: str = ""

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else round(self.ratio * 100)

    def as_dict(self) -> dict:
        return {
            "clause": self.clause,
            "label": self.label,
            "value": self.value,
            "ratio": self.ratio,
            "percent": self.percent,
            "tone": self.tone,
            "detail": self.detail,
            "url": self.url,
        }


EvidenceFunction = Callable[[datetime.date], Evidence | None]
_REGISTRY: dict[str, list[EvidenceFunction]] = {}


def evidence_register(clause: str):
    """Decorator: ``fn(today) -> Evidence | None`` is evidence for ``clause``."""

    def decorate(function: EvidenceFunction) -> EvidenceFunction:
        functions = _REGISTRY.setdefault(clause, [])
        if function not in functions:
            functions.append(function)
        return function

    return decorate


def evidence_clauses() -> frozenset[str]:
    """The clause numbers that have at least one evidence function."""
    return frozenset(number for number, functions in _REGISTRY.items() if functions)


def evidence_for(
    numbers: Iterable[str], *, today: datetime.date | None = None
) -> dict[str, list[Evidence]]:
    """``{number: [Evidence, ...]}`` for those of ``numbers`` that have evidence today.

    Functions whose area is missing (ImportError) are skipped and logged at debug level."""
    today = today or timezone.localdate()
    found: dict[str, list[Evidence]] = {}
    for number in numbers:
        for function in _REGISTRY.get(number, ()):
            try:
                item = function(today)
            except ImportError as exc:
                log.debug("evidence for %s unavailable: %s", number, exc)
                continue
            if item is not None:
                found.setdefault(number, []).append(item)
    return found


# --- Helpers -------------------------------------------------------------------------------


def tone_for(ratio: float | None) -> str:
    if ratio is None:
        return "info"
    if ratio >= GOOD_FROM:
        return "good"
    if ratio >= WARN_FROM:
        return "warn"
    return "bad"


def list_url(name: str) -> str:
    """The address of the list page ``name``, or "" where that area has no such page."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def share(
    clause: str,
    label: str,
    part: int,
    whole: int,
    *,
    detail: str = "",
    url: str = "",
    empty: str = "",
) -> Evidence:
    """Evidence that ``part`` of ``whole`` records meet the clause's expectation; with no
    record at all it is information (``empty``, or "no records yet"), not a gap."""
    if not whole:
        return Evidence(clause, label, empty or _("no records yet"), None, "info", detail, url)
    ratio = part / whole
    percent = round(ratio * 100)
    value = _("%(part)d of %(whole)d (%(percent)d%%)") % {
        "part": part,
        "whole": whole,
        "percent": percent,
    }
    # the tone follows the percentage shown, so "95%" never reads as short of 95%
    return Evidence(clause, label, value, ratio, tone_for(percent / 100), detail, url)


def nothing_yet(clause: str, label: str, *, url: str = "") -> Evidence:
    """Information that the records the clause asks for have not been started yet."""
    return Evidence(clause, label, _("no records yet"), None, "info", "", url)


def since(today: datetime.date, days: int) -> datetime.datetime:
    """The start (midnight, in the current time zone) of the day ``days`` before ``today``."""
    start = today - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def year_before(today: datetime.date) -> datetime.date:
    """The first day of "the last 12 months" ending with ``today``."""
    return today - datetime.timedelta(days=YEAR_DAYS)


def local_date(moment: datetime.datetime | None) -> str:
    """An instant as the provider's date, ISO-formatted ("" for none)."""
    return timezone.localdate(moment).isoformat() if moment else ""
