"""``serviceloop sla-recompute --since DATE``: replay stored SLA figures and report changes."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from serviceloop.desk.services.recompute import sla_recompute


def _day(text: str) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class Command(BaseCommand):
    help = "Recompute the SLA figures of tickets created since DATE from their history."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="first creation day (YYYY-MM-DD)")
        parser.add_argument("--until", help="day after the last creation day (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")

    def handle(self, *args, since, until, dry_run, **options):
        report = sla_recompute(
            since=_day(since), until=_day(until) if until else None, dry_run=dry_run
        )
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"{report.checked} tickets checked, {report.changed} {verb}.")
        for name, count in sorted(report.fields.items()):
            self.stdout.write(f"  {name}: {count}")
        for reference, changes in report.examples:
            shown = ", ".join(f"{k}: {v[0]} → {v[1]}" for k, v in changes.items())
            self.stdout.write(f"  {reference}: {shown}")
