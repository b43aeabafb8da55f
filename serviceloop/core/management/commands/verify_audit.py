"""``serviceloop verify-audit``: recompute the audit trail's hash chain."""

from django.core.management.base import BaseCommand, CommandError

from serviceloop.core.audit import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain; report the first broken row (exit 1)."

    def handle(self, *args, **options):
        report = audit_verify()
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"Audit trail intact: {report.checked} rows verified.")
            )
            return
        raise CommandError(
            f"Audit trail broken at row {report.broken_event_id}: {report.reason} "
            f"({report.checked} rows before it verified).",
            returncode=1,
        )
