"""``serviceloop createadmin``: a provider administrator, asked for interactively or by options."""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.core.roles import Role
from serviceloop.core.services.organisations import organisation_create, person_create


class Command(BaseCommand):
    help = "Create a provider administrator (and the provider organisation if there is none)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=False)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--organisation", default="", help="Provider name, when none exists yet."
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input."
        )

    def handle(self, *args, username, email, organisation, password_stdin, **options):
        username = username or input("User name: ").strip()
        if password_stdin:
            password = sys.stdin.readline().strip()
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The passwords differ.")
        provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
        try:
            if provider is None:
                provider = organisation_create(
                    actor=None,
                    kind=OrganisationKind.PROVIDER,
                    name=organisation or "Service provider",
                )
            person = person_create(
                actor=None,
                organisation=provider,
                username=username,
                role=Role.PROVIDER_ADMIN,
                password=password,
                email=email,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Administrator {person.username} created at {provider}.")
        )
