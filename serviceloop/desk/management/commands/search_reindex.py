"""``serviceloop search-reindex``: rebuild the ticket search index and report the counts."""

from django.core.management.base import BaseCommand, CommandError

from serviceloop.desk.search import REINDEX_BATCH, search_reindex


class Command(BaseCommand):
    help = (
        "Rebuild every ticket's search document (jieba tokens) in batches, after re-installing "
        "the database's full-text index (SQLite FTS5 table and triggers, or PostgreSQL column "
        "and GIN index)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=REINDEX_BATCH,
            help=f"tickets per transaction (default {REINDEX_BATCH})",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        verbosity = options.get("verbosity", 1)

        def progress(report):
            if verbosity >= 2 or (verbosity >= 1 and report.batches % 20 == 0):
                self.stdout.write(f"  {report.tickets} tickets indexed ({report.seconds:.1f} s)")

        report = search_reindex(batch_size=batch_size, progress=progress)
        rate = report.tickets / report.seconds if report.seconds else 0
        self.stdout.write(
            f"Indexed {report.tickets} tickets in {report.batches} batches "
            f"of up to {batch_size} in {report.seconds:.1f} s ({rate:.0f} tickets/s)."
        )
