"""The pieces every release service is built from: lock the row (checked against the
version the caller read), check the declared move, write the history row. Callers hold the
transaction."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from serviceloop.transition.lifecycle import ReleaseStatus, release_transition_for
from serviceloop.transition.models import Release, ReleaseEvent
from serviceloop.transition.validation import check_version, json_ready


def release_event(release, kind, *, actor, at, from_value="", to_value="", **payload):
    """A history row of ``release`` (``payload`` made JSON-ready; values cut to 120 characters)."""
    return ReleaseEvent.objects.create(
        release=release,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_value=str(from_value or "")[:120],
        to_value=str(to_value or "")[:120],
        payload=json_ready(payload),
    )


def release_locked(release: Release, expected_version=None) -> Release:
    """The release's row, locked for the rest of the transaction (``stale`` when it is no
    longer ``expected_version``, when given)."""
    current = Release.objects.select_for_update(of=("self",)).get(pk=release.pk)
    check_version(current, expected_version)
    return current


def release_declared(release: Release, target: str, role: str):
    """The declared move of ``release`` to ``target`` for ``role``; ValidationError naming
    both statuses when there is none."""
    move = release_transition_for(release.status, target, role)
    if move is None:
        labels = dict(ReleaseStatus.choices)
        raise ValidationError(
            {
                "status": _("A release cannot go from “%(from)s” to “%(to)s”.")
                % {
                    "from": labels.get(release.status, release.status),
                    "to": labels.get(target, target),
                }
            }
        )
    return move
