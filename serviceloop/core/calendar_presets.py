"""Named business-calendar presets, built as :class:`CalendarSpec` values.

Names (case-insensitive):

``24x7``
    Every instant is working time (UTC unless ``tz=`` is given).
``cn-workdays``
    China: Monday-Friday 09:00-12:00 and 13:00-18:00, Asia/Shanghai, statutory holidays off and
    weekend make-up workdays (调休) worked. Years published by the State Council come from
    ``chinese_calendar`` (see :func:`confirmed_years`); other years of the covered range fall back
    to ``holidays.CN`` (estimated dates, no make-up workdays) and carry a warning.
``<COUNTRY>[-<SUBDIVISION>]-workdays``
    e.g. ``GB-workdays``, ``US-CA-workdays``, ``DE-BY-workdays``: 09:00-18:00 on the country's
    working days (Monday-Friday, or the weekend that ``holidays`` knows for the country, e.g. IL
    works Sunday-Thursday), in the country's main time zone (or the subdivision's, for the few large
    multi-zone countries listed in ``_SUBDIVISION_ZONES``), with the public holidays and the weekend
    make-up workdays that ``holidays`` knows. The country code is ISO 3166-1 alpha-2.

``tz=`` replaces the time zone and ``hours=`` (``"09:00-12:00,13:00-18:00"``) the daily hours of
every working day, make-up workdays included.

Holiday data covers the local years ``FIRST_YEAR`` .. current year + 2 (``holiday_years`` on the
spec); outside that range only the weekly hours apply, and ``BusinessCalendar.warnings(years)``
says so. Specs are cached per name, options and current year.
"""

from __future__ import annotations

import functools
import re
from datetime import date, time, timedelta
from importlib import resources

import chinese_calendar
import holidays

from serviceloop.core.business_time import MAX_YEAR, MIN_YEAR, BusinessCalendar, CalendarSpec

__all__ = [
    "FIRST_YEAR",
    "UnknownPresetError",
    "confirmed_years",
    "country_preset_names",
    "preset_calendar",
    "preset_names",
    "preset_spec",
    "year_warnings",
]

PRESET_24X7 = "24x7"
PRESET_CHINA = "cn-workdays"
FIRST_YEAR = 2004  # the first year chinese_calendar publishes
YEARS_AHEAD = 2

_CHINA_HOURS = "09:00-12:00,13:00-18:00"
_COUNTRY_HOURS = "09:00-18:00"
_FULL_DAY = ((time(0, 0), time(0, 0)),)
_COUNTRY_NAME = re.compile(r"([A-Za-z]{2})(?:-(.+?))?-workdays", re.IGNORECASE)

# Countries spanning several zones: the zone most of the population and business keeps.
# Every other country takes the first zone tzdata's zone.tab lists for it.
_COUNTRY_ZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "FM": "Pacific/Pohnpei",
    "GL": "America/Nuuk",
    "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty",
    "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti",
    "PG": "Pacific/Port_Moresby",
    "PS": "Asia/Hebron",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}

_US_CENTRAL = "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI"
_US_MOUNTAIN = "CO MT NM UT WY"
_US_PACIFIC = "CA NV OR WA"
# Subdivisions whose zone differs from the country's main zone.
_SUBDIVISION_ZONES = {
    **{("US", s): "America/Chicago" for s in _US_CENTRAL.split()},
    **{("US", s): "America/Denver" for s in _US_MOUNTAIN.split()},
    **{("US", s): "America/Los_Angeles" for s in _US_PACIFIC.split()},
    ("US", "AZ"): "America/Phoenix",
    ("US", "ID"): "America/Boise",
    ("US", "AK"): "America/Anchorage",
    ("US", "HI"): "Pacific/Honolulu",
    ("US", "AS"): "Pacific/Pago_Pago",
    ("US", "GU"): "Pacific/Guam",
    ("US", "MP"): "Pacific/Saipan",
    ("US", "PR"): "America/Puerto_Rico",
    ("US", "VI"): "America/St_Thomas",
    ("CA", "AB"): "America/Edmonton",
    ("CA", "BC"): "America/Vancouver",
    ("CA", "MB"): "America/Winnipeg",
    ("CA", "NB"): "America/Moncton",
    ("CA", "NL"): "America/St_Johns",
    ("CA", "NS"): "America/Halifax",
    ("CA", "NT"): "America/Edmonton",
    ("CA", "NU"): "America/Iqaluit",
    ("CA", "PE"): "America/Halifax",
    ("CA", "SK"): "America/Regina",
    ("CA", "YT"): "America/Whitehorse",
    ("AU", "NT"): "Australia/Darwin",
    ("AU", "QLD"): "Australia/Brisbane",
    ("AU", "SA"): "Australia/Adelaide",
    ("AU", "TAS"): "Australia/Hobart",
    ("AU", "VIC"): "Australia/Melbourne",
    ("AU", "WA"): "Australia/Perth",
    ("BR", "AC"): "America/Rio_Branco",
    ("BR", "AM"): "America/Manaus",
    ("BR", "MS"): "America/Campo_Grande",
    ("BR", "MT"): "America/Cuiaba",
    ("BR", "RO"): "America/Porto_Velho",
    ("BR", "RR"): "America/Boa_Vista",
    ("CL", "MA"): "America/Punta_Arenas",
    ("ES", "CN"): "Atlantic/Canary",
    ("NZ", "CIT"): "Pacific/Chatham",
    ("PT", "20"): "Atlantic/Azores",
    ("PT", "30"): "Atlantic/Madeira",
}


class UnknownPresetError(KeyError, ValueError):
    """An unknown preset, country or subdivision name (both a KeyError and a ValueError)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown calendar preset"


def preset_names() -> list[str]:
    """The fixed preset names; ``<COUNTRY>[-<SUBDIVISION>]-workdays`` are generated on demand."""
    return [PRESET_24X7, PRESET_CHINA]


def country_preset_names() -> list[str]:
    """Every ``<COUNTRY>[-<SUBDIVISION>]-workdays`` name that ``holidays`` supports, sorted."""
    names = []
    for country, subdivisions in sorted(_supported_countries().items()):
        names.append(f"{country}-workdays")
        names.extend(f"{country}-{subdivision}-workdays" for subdivision in subdivisions)
    return names


def preset_spec(name: str, *, tz: str | None = None, hours: str | None = None) -> CalendarSpec:
    """The :class:`CalendarSpec` of preset ``name``, optionally with another zone or daily hours.

    Blank ``tz`` or ``hours`` mean no override. Raises :class:`UnknownPresetError` (a KeyError and
    a ValueError) for an unknown name, country or subdivision, and ValueError for a bad ``tz`` or
    ``hours``.
    """
    key = _canonical(name)
    if isinstance(tz, str):
        tz = tz.strip() or None
    if isinstance(hours, str) and not hours.strip():
        hours = None
    if key.endswith("-workdays") and key != PRESET_CHINA:
        _country_and_subdivision(key, shown=name)  # a clear error naming what the caller wrote
    return _preset_spec(key, tz, hours, date.today().year)


def preset_calendar(
    name: str, *, tz: str | None = None, hours: str | None = None
) -> BusinessCalendar:
    """A shared :class:`BusinessCalendar` for ``preset_spec(name, tz=tz, hours=hours)``.

    Calendars keep the years they have built, so reusing one saves the build on every call.
    """
    return _calendar_for(preset_spec(name, tz=tz, hours=hours))


@functools.lru_cache(maxsize=64)
def _calendar_for(spec: CalendarSpec) -> BusinessCalendar:
    return BusinessCalendar(spec)


def confirmed_years(name: str) -> set[int]:
    """Years whose holidays for preset ``name`` come from published data, not estimates.

    ``cn-workdays``: the years ``chinese_calendar`` knows (the State Council publishes the next
    year's schedule around November). ``24x7``: every year. Country presets: the covered range,
    as ``holidays`` computes them from each country's rules.
    """
    key = _canonical(name)
    current = date.today().year
    if key == PRESET_24X7:
        return set(range(MIN_YEAR, MAX_YEAR + 1))
    if key == PRESET_CHINA:
        return set(_chinese_calendar_years())
    _country_and_subdivision(key, shown=name)  # validates the name
    return set(range(FIRST_YEAR, current + YEARS_AHEAD + 1))


def year_warnings(name: str, years) -> list[str]:
    """Warnings for the given years of preset ``name``, e.g. for the coming year in a check."""
    return preset_calendar(name).warnings(years)


# -- implementation ----------------------------------------------------------------------------


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise UnknownPresetError(f"calendar preset name must be text, got {name!r}")
    key = name.strip().lower()
    if key in (PRESET_24X7, PRESET_CHINA) or key.endswith("-workdays"):
        return key
    raise _unknown(name)


def _unknown(name: str) -> UnknownPresetError:
    return UnknownPresetError(
        f"unknown calendar preset {name!r}: use {PRESET_24X7!r}, {PRESET_CHINA!r} or "
        "'<COUNTRY>[-<SUBDIVISION>]-workdays' such as 'GB-workdays' or 'US-CA-workdays'"
    )


@functools.lru_cache(maxsize=64)
def _preset_spec(key: str, tz: str | None, hours: str | None, current_year: int) -> CalendarSpec:
    if key == PRESET_24X7:
        if hours is not None:
            raise ValueError("the 24x7 preset has no working hours to override")
        return CalendarSpec(tz=tz or "UTC", weekly=(_FULL_DAY,) * 7, always=True)
    years = range(FIRST_YEAR, current_year + YEARS_AHEAD + 1)
    if key == PRESET_CHINA:
        return _china_spec(tz, hours, years)
    if key.endswith("-workdays"):
        return _country_spec(key, tz, hours, years)
    raise _unknown(key)


def _china_spec(tz: str | None, hours: str | None, years: range) -> CalendarSpec:
    day_hours = CalendarSpec.parse_hours(hours if hours is not None else _CHINA_HOURS)
    known = set(_chinese_calendar_years())
    days_off: set[date] = set()
    make_up: set[date] = set()
    notes = []
    for year in years:
        if year in known:
            day = date(year, 1, 1)
            while day.year == year:
                working = chinese_calendar.is_workday(day)
                if day.weekday() < 5 and not working:
                    days_off.add(day)
                elif day.weekday() >= 5 and working:
                    make_up.add(day)
                day += timedelta(days=1)
        else:
            estimated = holidays.CN(years=year, categories=("public",))
            days_off.update(day for day in estimated if day.weekday() < 5)
            notes.append(
                (year, f"no confirmed schedule for {year}: estimated holidays, no make-up workdays")
            )
    return CalendarSpec(
        tz=tz or "Asia/Shanghai",
        weekly=(day_hours,) * 5 + ((), ()),
        holidays=frozenset(days_off),
        extra_workdays=frozenset(make_up),
        workday_hours=day_hours,
        year_notes=tuple(notes),
        holiday_years=(years[0], years[-1]),
    )


def _country_spec(key: str, tz: str | None, hours: str | None, years: range) -> CalendarSpec:
    country, subdivision = _country_and_subdivision(key)
    day_hours = CalendarSpec.parse_hours(hours if hours is not None else _COUNTRY_HOURS)
    public = holidays.country_holidays(
        country, subdiv=subdivision, years=years, categories=("public",)
    )
    weekend = set(public.weekend)
    make_up = {
        day for day in getattr(public, "weekend_workdays", ()) if years[0] <= day.year <= years[-1]
    }
    zone = tz or _SUBDIVISION_ZONES.get((country, subdivision)) or _country_zone(country)
    return CalendarSpec(
        tz=zone,
        weekly=tuple(() if weekday in weekend else day_hours for weekday in range(7)),
        holidays=frozenset(public),
        extra_workdays=frozenset(make_up),
        workday_hours=day_hours if hours is not None else (),
        holiday_years=(years[0], years[-1]),
    )


def _country_and_subdivision(key: str, shown: str | None = None) -> tuple[str, str | None]:
    shown = key if shown is None else shown
    match = _COUNTRY_NAME.fullmatch(key)
    if match is None:
        raise _unknown(shown)
    country = match[1].upper()
    supported = _supported_countries()
    if country not in supported:
        raise UnknownPresetError(
            f"unknown calendar preset {shown!r}: no public holidays known for country {country!r}"
        )
    if match[2] is None:
        return country, None
    by_lower = {subdivision.lower(): subdivision for subdivision in supported[country]}
    subdivision = by_lower.get(match[2].strip().lower())
    if subdivision is None:
        choices = ", ".join(supported[country]) or "none"
        raise UnknownPresetError(
            f"unknown calendar preset {shown!r}: {country} has no subdivision {match[2]!r} "
            f"(known: {choices})"
        )
    return country, subdivision


@functools.cache
def _supported_countries() -> dict[str, list[str]]:
    """ISO alpha-2 country codes ``holidays`` supports, with their subdivision codes."""
    return {
        code: list(subdivisions)
        for code, subdivisions in holidays.list_supported_countries().items()
        if len(code) == 2
    }


@functools.cache
def _chinese_calendar_years() -> tuple[int, ...]:
    """The years chinese_calendar has data for (it raises NotImplementedError for the others)."""
    years = []
    for year in range(FIRST_YEAR - 10, date.today().year + 10):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.append(year)
    return tuple(years)


def _country_zone(country: str) -> str:
    zone = _COUNTRY_ZONES.get(country) or _zone_tab().get(country)
    if zone is None:
        raise ValueError(f"no time zone known for country {country!r}: pass tz=")
    return zone


@functools.cache
def _zone_tab() -> dict[str, str]:
    """Country code -> the first zone tzdata's zone.tab lists for it."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        with open("/usr/share/zoneinfo/zone.tab", encoding="utf-8") as tab:
            text = tab.read()
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        zones.setdefault(fields[0], fields[2])
    return zones
