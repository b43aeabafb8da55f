"""``serviceloop demo``: load the demo organisation (idempotent)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from serviceloop.core.demo import PEOPLE, demo_load


class Command(BaseCommand):
    help = "Load the demo provider, its customers, people of every role and calendars."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        passwords = demo_load(write=lambda line: self.stdout.write(f"  + {line}"))
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
