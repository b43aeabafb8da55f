"""``serviceloop demo``: load the demo organisation (idempotent)."""

import importlib

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

from serviceloop.core.demo import PEOPLE, demo_load


class Command(BaseCommand):
    help = "Load the demo provider, its customers, people of every role and calendars."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        write = lambda line: self.stdout.write(f"  + {line}")  # noqa: E731
        passwords = demo_load(write=write)
        # Each area adds its own demo records: <app>/demo.py with ``demo_records(write)``.
        for config in apps.get_app_configs():
            if config.name.startswith("serviceloop.") and config.label != "core":
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                module.demo_records(write=write)
        if not passwords:
            self.stdout.write("Demo data already loaded; nothing to add.")
            return
        self.stdout.write(
            self.style.SUCCESS("\nDemo accounts (passwords are shown only this once):")
        )
        roles = {p.username: p for p in PEOPLE}
        for username, password in passwords.items():
            person = roles.get(username)
            role = person.role.label if person else ""
            self.stdout.write(f"  {username:<14} {password:<16} {role}")
