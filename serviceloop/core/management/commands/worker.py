"""``serviceloop worker``: the Huey consumer, alone (any number of hosts with Redis)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the queue consumer (Huey): notifications, periodic checks, reports."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None, help="Number of worker threads.")

    def handle(self, *args, workers, **options):
        extra = ["--workers", str(workers)] if workers else []
        call_command("run_huey", *extra)
