"""``serviceloop fetch-mail``: read the desk's IMAP mailbox once into tickets and replies."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from serviceloop.desk.intake_email import MailboxError, mailbox_poll


class Command(BaseCommand):
    help = (
        "Poll the service desk's IMAP mailbox (IMAP_URL) once: new mail becomes tickets or "
        "replies, each message exactly once. The queue does the same every MAIL_POLL_MINUTES."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="IMAP URL to read instead of IMAP_URL")
        parser.add_argument(
            "--delete",
            action="store_true",
            default=None,
            help="delete processed mail (default: IMAP_DELETE; otherwise mark it read)",
        )
        parser.add_argument("--limit", type=int, help="process at most this many messages")

    def handle(self, *args, url, delete, limit, verbosity, **options):
        if not (url or settings.IMAP_URL):
            raise CommandError("IMAP_URL is not set: e.g. imaps://user:password@host:993/INBOX")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")

        def show(uid, result):
            if verbosity < 2:
                return
            record = result.record
            what = "already processed" if result.duplicate else record.outcome
            ticket = f" {record.ticket.reference}" if record.ticket_id else ""
            reason = f" ({record.reason})" if record.reason else ""
            self.stdout.write(f"  UID {uid}: {record.message_id} → {what}{ticket}{reason}")

        try:
            report = mailbox_poll(url=url, delete=delete, limit=limit, after_message=show)
        except MailboxError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(report))
        if report.failed:
            raise CommandError(
                f"{report.failed} message(s) failed and stay unread; see the log for the reason."
            )
