"""``serviceloop serve``: the embedded default in one process group.

Applies pending migrations, collects static files for production, starts one Huey
consumer process beside the web server (unless --no-worker) and serves with gunicorn.
"""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication


class EmbeddedServer(BaseApplication):
    def __init__(self, application, options):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


class Command(BaseCommand):
    help = "Run ServiceLoop: migrate if needed, start the queue consumer and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SERVICELOOP_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("SERVICELOOP_PORT", "8000"))
        )
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the queue consumer."
        )

    def handle(self, *args, host, port, workers, no_worker, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("Updating the database…")
            call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        connection.close()

        consumer = None
        if not no_worker and not settings.HUEY.get("immediate"):
            consumer = subprocess.Popen([sys.executable, "-m", "serviceloop.cli", "worker"])  # noqa: S603

        from django.core.wsgi import get_wsgi_application

        from serviceloop.core.segmentation import segmenter

        segmenter()  # load jieba once here: the forked web workers share it

        self.stdout.write(f"ServiceLoop on http://{host}:{port}/ (data: {settings.DATA_DIR})")
        try:
            EmbeddedServer(
                get_wsgi_application(),
                {
                    "bind": f"{host}:{port}",
                    "workers": workers,
                    "worker_class": "gthread",
                    "threads": 4,
                    "accesslog": "-",
                    "timeout": 60,
                },
            ).run()
        finally:
            if consumer is not None and consumer.poll() is None:
                consumer.send_signal(signal.SIGTERM)
                try:
                    consumer.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    consumer.kill()
