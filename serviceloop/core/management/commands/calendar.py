"""``serviceloop calendar deadline|elapsed``: business-time answers for operators.

NAME is a stored calendar's name or a preset (``24x7``, ``cn-workdays``,
``<COUNTRY>[-<SUBDIVISION>]-workdays``). ``--stdin`` reads JSON lines and writes one
JSON line per input; a bad line gives ``{"error": ...}`` and the run goes on.
"""

import datetime
import json
import sys
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from serviceloop.core.business_time import BusinessCalendar
from serviceloop.core.calendar_presets import preset_spec
from serviceloop.core.models import Calendar


def load_engine(name: str, *, tz: str | None, hours: str | None) -> BusinessCalendar:
    """A stored calendar by name, else a preset; --tz/--hours override either."""
    stored = Calendar.objects.filter(name=name).first()
    if stored is not None and not (tz or hours):
        return stored.engine()
    if stored is not None:
        import dataclasses

        from serviceloop.core.business_time import CalendarSpec

        spec = stored.to_spec()
        if tz:
            spec = dataclasses.replace(spec, tz=tz)
        if hours:
            daily = CalendarSpec.parse_hours(hours)
            spec = dataclasses.replace(
                spec,
                weekly=tuple(daily if day else () for day in spec.weekly),
                workday_hours=daily,
            )
        return BusinessCalendar(spec)
    return BusinessCalendar(preset_spec(name, tz=tz, hours=hours))


def parse_instant(text, zone) -> datetime.datetime:
    """ISO 8601; an instant without offset is read in the calendar's time zone."""
    if not isinstance(text, str):
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    try:
        instant = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=zone)
    return instant


def parse_minutes(value) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number of minutes: {value!r}")
    try:
        minutes = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number of minutes: {value!r}") from exc
    if not minutes.is_finite() or minutes < 0:
        raise ValueError(f"minutes must be a non-negative number: {value!r}")
    return minutes


def format_minutes(minutes) -> int | str | float:
    value = Decimal(minutes)
    if value == value.to_integral_value():
        return int(value)
    return float(value) if len(str(value)) > 20 else value.normalize()


class Command(BaseCommand):
    help = "Business-time deadline and elapsed minutes for a stored calendar or a preset."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for action in ("deadline", "elapsed"):
            p = sub.add_parser(action, help=f"{action} in business time")
            p.add_argument("--calendar", required=True, help="stored calendar name or preset")
            p.add_argument("--start", help="ISO 8601 instant")
            if action == "deadline":
                p.add_argument("--minutes", help="business minutes to add")
            else:
                p.add_argument("--end", help="ISO 8601 instant")
            p.add_argument("--stdin", action="store_true", help="read JSON lines from stdin")
            p.add_argument("--tz", help="override the calendar's time zone")
            p.add_argument("--hours", help='override daily hours, e.g. "08:00-12:00,13:00-17:00"')

    def handle(self, *args, action, calendar, stdin, tz, hours, **options):
        try:
            engine = load_engine(calendar, tz=tz, hours=hours)
        except (KeyError, ValueError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            raise CommandError(f"calendar {calendar!r}: {message}") from exc
        zone = engine.tz
        if stdin:
            for line in sys.stdin:
                if not line.strip():
                    continue
                self.stdout.write(
                    json.dumps(self._answer_line(engine, zone, action, line), ensure_ascii=False)
                )
            return
        try:
            if action == "deadline":
                if options.get("start") is None or options.get("minutes") is None:
                    raise ValueError("deadline needs --start and --minutes (or --stdin)")
                result = self._deadline(engine, zone, options["start"], options["minutes"])
                self.stdout.write(result)
            else:
                if options.get("start") is None or options.get("end") is None:
                    raise ValueError("elapsed needs --start and --end (or --stdin)")
                result = self._elapsed(engine, zone, options["start"], options["end"])
                self.stdout.write(str(result))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

    def _deadline(self, engine, zone, start, minutes) -> str:
        instant = parse_instant(start, zone)
        return engine.add(instant, parse_minutes(minutes)).astimezone(zone).isoformat()

    def _elapsed(self, engine, zone, start, end):
        return format_minutes(engine.elapsed(parse_instant(start, zone), parse_instant(end, zone)))

    def _answer_line(self, engine, zone, action, line) -> dict:
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            if action == "deadline":
                if "start" not in item or "minutes" not in item:
                    raise ValueError('a line needs "start" and "minutes"')
                return {"deadline": self._deadline(engine, zone, item["start"], item["minutes"])}
            if "start" not in item or "end" not in item:
                raise ValueError('a line needs "start" and "end"')
            value = self._elapsed(engine, zone, item["start"], item["end"])
            return {"minutes": value if isinstance(value, int) else float(value)}
        except (ValueError, TypeError, OverflowError) as exc:
            return {"error": str(exc)}
