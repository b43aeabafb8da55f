"""Linking a change to the incidents it caused (a failed change and its consequences).

The link is recorded on the change (``ChangeIncident``) and shown on both sides: the change
page lists its incidents, the incident's page in this app (``incident_changes``) and the API
list the changes that caused it. Each link writes a history row on the change, one on each
incident (so the desk's history shows it), and one audit row.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.desk.models import EventKind, Kind, Ticket, TicketEvent
from serviceloop.transition.change_moves import actor_role, event, locked
from serviceloop.transition.lifecycle import RAN_CHANGE_STATUSES
from serviceloop.transition.models import ChangeEventKind, ChangeIncident, ChangeRequest
from serviceloop.transition.validation import bump


def change_link_incidents(*, actor, change: ChangeRequest, incidents, now=None) -> list[Ticket]:
    """Record that the change caused ``incidents``; returns the newly linked ones (nothing is
    written when all were linked). Only incidents, and only for a change that ran."""
    now = now or timezone.now()
    actor_role(actor)
    incidents = list({t.pk: t for t in incidents}.values())
    not_incidents = sorted(t.reference for t in incidents if t.kind != Kind.INCIDENT)
    if not_incidents:
        raise ValidationError(
            {
                "incidents": _("Only incidents can be linked to a change: %(refs)s.")
                % {"refs": ", ".join(not_incidents)}
            }
        )
    with transaction.atomic():
        change = locked(change)
        if change.status not in RAN_CHANGE_STATUSES:
            raise ValidationError(
                {"incidents": _("Only a change that has been implemented can cause incidents.")}
            )
        already = set(
            ChangeIncident.objects.filter(change=change, incident__in=incidents).values_list(
                "incident_id", flat=True
            )
        )
        new = [t for t in incidents if t.pk not in already]
        if not new:
            return []
        ChangeIncident.objects.bulk_create(
            ChangeIncident(change=change, incident=t, linked_at=now, linked_by=actor) for t in new
        )
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket=t,
                kind=EventKind.FIELDS,
                actor=actor,
                at=now,
                to_value=change.reference,
                payload={"changes": {"caused_by_change": ["", change.reference]}},
            )
            for t in new
        )
        references = sorted(t.reference for t in new)
        event(change, ChangeEventKind.LINKED, actor=actor, at=now, incidents=references)
        bump(change, now)
        audit_record(
            actor=actor,
            verb="change.incidents_linked",
            obj=change,
            payload={"incidents": references},
        )
    return new


def change_unlink_incident(*, actor, change: ChangeRequest, incident: Ticket, now=None) -> bool:
    """Remove a wrongly made link; False when the incident was not linked."""
    now = now or timezone.now()
    actor_role(actor)
    with transaction.atomic():
        change = locked(change)
        deleted, _rows = ChangeIncident.objects.filter(change=change, incident=incident).delete()
        if not deleted:
            return False
        TicketEvent.objects.create(
            ticket=incident,
            kind=EventKind.FIELDS,
            actor=actor,
            at=now,
            from_value=change.reference,
            payload={"changes": {"caused_by_change": [change.reference, ""]}},
        )
        event(change, ChangeEventKind.UNLINKED, actor=actor, at=now, to_value=incident.reference)
        bump(change, now)
        audit_record(
            actor=actor,
            verb="change.incident_unlinked",
            obj=change,
            payload={"incident": incident.reference},
        )
    return True
