"""The ``serviceloop`` command: one CLI for operators, wrapping Django's management commands.

``serviceloop serve`` starts the web server and the queue; any other Django management
command is passed through (``serviceloop check --deploy``, ``serviceloop shell``...).
"""

import os
import sys

COMMANDS = {
    "serve": "Migrate if needed, then run the web server with the embedded queue consumer.",
    "worker": "Run the queue consumer only (Huey), for scale-out deployments.",
    "demo": "Load the demo organisation, its customers and people (idempotent).",
    "createadmin": "Create a provider administrator account.",
    "migrate": "Create or update the database tables.",
    "verify-audit": "Recompute the audit trail's hash chain and report the first broken row.",
    "calendar": "Business-time calculations: calendar deadline | calendar elapsed.",
    "sla-recompute": "Recompute stored SLA figures from ticket history: --since DATE [--dry-run].",
    "fetch-mail": "Poll the desk's IMAP mailbox once: new mail becomes tickets or replies.",
    "intake-token": "Monitoring intake tokens: create | list | revoke.",
    "search-reindex": "Rebuild the ticket full-text search index.",
}


def _help() -> str:
    lines = [
        "usage: serviceloop <command> [options]",
        "",
        "ServiceLoop: service management for ISO/IEC 20000-1.",
        "",
        "commands:",
    ]
    lines += [f"  {name:<14} {text}" for name, text in COMMANDS.items()]
    lines += [
        "",
        "Any other Django management command is passed through, e.g. 'serviceloop check --deploy'.",
        "Run 'serviceloop <command> --help' for a command's options.",
        "Configuration comes from environment variables (see README): SERVICELOOP_DATA_DIR,",
        "SERVICELOOP_DEBUG, SECRET_KEY, DATABASE_URL, REDIS_URL, EMAIL_URL, ALLOWED_HOSTS, TIME_ZONE.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_help())
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serviceloop.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"serviceloop: cannot start: {exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    command = argv[0].replace("-", "_") if argv[0] in COMMANDS else argv[0]
    execute_from_command_line(["serviceloop", command, *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
