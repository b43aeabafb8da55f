"""``serviceloop intake-token create|list|revoke``: the bearer tokens of the monitoring intake.

``create --source alertmanager|zabbix|generic --name NAME --organisation NAME_OR_ID
[--requester USERNAME] [--category NAME] [--team NAME] [--on-resolved resolve|annotate]``
prints the token once; ``list`` shows every token without its secret; ``revoke NAME``
makes its sender get 401 from then on.
"""

import contextlib
import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from serviceloop.core.models import Organisation, Team, User
from serviceloop.desk.models import Category, IntakeSource, IntakeToken, OnResolved
from serviceloop.desk.services.intake_tokens import intake_token_create, intake_token_revoke


def find_organisation(text: str) -> Organisation:
    """An organisation by id, UUID, name or short name (case-insensitive)."""
    query = Q(name__iexact=text) | Q(short_name__iexact=text)
    if text.isdigit():
        query |= Q(pk=int(text))
    with contextlib.suppress(ValueError):
        query |= Q(uuid=uuid.UUID(text))
    matches = list(Organisation.objects.filter(query)[:2])
    if len(matches) != 1:
        raise CommandError(
            f"no organisation called {text!r}" if not matches else f"{text!r} is ambiguous"
        )
    return matches[0]


def _one(model, label: str, **lookup):
    try:
        return model.objects.get(**lookup)
    except model.DoesNotExist as exc:
        raise CommandError(f"no {label} {next(iter(lookup.values()))!r}") from exc


class Command(BaseCommand):
    help = "Create, list or revoke the bearer tokens monitoring systems send alerts with."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (once)")
        create.add_argument("--source", required=True, choices=IntakeSource.values)
        create.add_argument("--name", required=True, help="a unique name, e.g. prometheus-prod")
        create.add_argument(
            "--organisation", required=True, help="the customer: id, UUID, name or short name"
        )
        create.add_argument(
            "--requester", help="username (default: the organisation's first customer manager)"
        )
        create.add_argument("--category", help="category name for the incidents")
        create.add_argument("--team", help="team name the incidents are routed to")
        create.add_argument("--on-resolved", choices=OnResolved.values, default=OnResolved.RESOLVE)
        sub.add_parser("list", help="list the tokens (never their secrets)")
        revoke = sub.add_parser("revoke", help="revoke a token by name")
        revoke.add_argument("name")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, source, name, organisation, requester, category, team, **options):
        organisation = find_organisation(organisation)
        person = _one(User, "person", username=requester) if requester else None
        kwargs = {
            "category": _one(Category, "category", name=category) if category else None,
            "team": _one(Team, "team", name=team) if team else None,
        }
        try:
            token, secret = intake_token_create(
                actor=None,
                source=source,
                name=name,
                organisation=organisation,
                requester=person,
                on_resolved=options["on_resolved"],
                **kwargs,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Created intake token {token.name!r} ({token.source}) for {organisation}; "
            f"incidents are raised for {token.requester.username}."
        )
        self.stdout.write(f"Token (shown once, store it now): {secret}")
        self.stdout.write(
            f"POST to /api/v1/intake/{token.source} with the header: Authorization: Bearer {secret}"
        )

    def _list(self, **options):
        tokens = IntakeToken.objects.select_related("organisation", "requester").order_by("name")
        if not tokens:
            self.stdout.write("No intake tokens.")
            return
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.name}\t{token.source}\t{token.organisation}\t"
                f"{token.requester.username}\t{token.token_prefix}…\t{state}\tlast used {used}"
            )

    def _revoke(self, *, name, **options):
        token = _one(IntakeToken, "intake token", name=name)
        if token.revoked_at is not None:
            self.stdout.write(f"{name!r} was already revoked on {token.revoked_at:%Y-%m-%d}.")
            return
        intake_token_revoke(actor=None, token=token)
        self.stdout.write(f"Revoked {name!r}: its sender now gets 401.")
