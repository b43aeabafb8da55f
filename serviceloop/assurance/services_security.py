"""Writes of information security incidents (clause 8.7.3): recording a desk ticket as a
confidential security incident, its details, the people cleared to see it, the regulator
notification and its reminders, and its lifecycle. (The risk register and the controls:
``services_security_register``.)

A security incident hides its desk ticket: recording one marks the ticket confidential and
names on it the people named on the incident (the desk then shows it only to the security
team and to them). The regulator notification deadline is ``SECURITY_NOTIFY_HOURS`` after
detection when personal data is involved; the team is reminded once, ``REMINDER_LEAD``
before it falls due (or at once when that moment has passed).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.lifecycle import INCIDENT_MOVES, IncidentStatus
from serviceloop.assurance.models import IncidentClassification, SecurityIncident
from serviceloop.assurance.permissions import can_work_security_incidents, is_staff
from serviceloop.assurance.record_writes import (
    aware,
    changes_between,
    keep_status_note,
    lock,
    record_move,
    save_audited,
    snapshot,
    text,
)
from serviceloop.assurance.reminders import remind_once
from serviceloop.core.audit import audit_record
from serviceloop.core.models import OrganisationKind, Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import notify
from serviceloop.desk.models import Ticket
from serviceloop.desk.services.ticket_assignment import ticket_unassign_uncleared

INCIDENT_REFERENCE_KIND = "SEC"
REMINDER_LEAD = datetime.timedelta(hours=12)


def security_team_members() -> list[User]:
    """The active members of the team named by ``SECURITY_TEAM`` (none without one)."""
    if not settings.SECURITY_TEAM:
        return []
    team = Team.objects.filter(
        name=settings.SECURITY_TEAM,
        is_active=True,
        organisation__kind=OrganisationKind.PROVIDER,
    ).first()
    if team is None:
        return []
    return list(team.members.filter(is_active=True))


def _notify_due(detected_at, personal_data):
    if not personal_data or detected_at is None:
        return None
    return detected_at + datetime.timedelta(hours=settings.SECURITY_NOTIFY_HOURS)


def _clean_viewers(viewers, errors) -> list[User]:
    viewers = list(viewers or [])
    strangers = [v for v in viewers if not v.is_active or not is_staff(v)]
    if strangers:
        errors["viewers"] = _("Only active provider staff can be cleared: %(names)s.") % {
            "names": ", ".join(str(v) for v in strangers)
        }
    return viewers


def _sync_ticket(incident: SecurityIncident, actor) -> None:
    """The ticket is confidential and names the incident's people (inside the transaction)."""
    ticket = incident.ticket
    viewers = sorted(incident.viewers.values_list("pk", flat=True))
    before = sorted(ticket.confidential_viewers.values_list("pk", flat=True))
    was = Ticket.objects.filter(pk=ticket.pk).values_list("confidential", flat=True).get()
    if was and before == viewers:
        return
    Ticket.objects.filter(pk=ticket.pk).update(confidential=True)
    ticket.confidential_viewers.set(viewers)
    audit_record(
        actor=actor,
        verb="ticket.confidential",
        obj=ticket,
        payload={
            "security_incident": incident.reference,
            "confidential": [was, True],
            "viewers": [before, viewers],
        },
    )
    # an agent not cleared for it any more loses the ticket (desk: history + audit row)
    ticket_unassign_uncleared(actor=actor, ticket=ticket)


def security_incident_create(
    *,
    actor,
    ticket: Ticket,
    classification: str,
    detected_at=None,
    personal_data: bool = False,
    summary: str = "",
    viewers=(),
    now=None,
) -> SecurityIncident:
    """Record a ticket as a confidential security incident. The ticket becomes confidential
    at once; the people named (provider staff) and the actor, unless he is in the security
    team, are cleared to see both. With personal data, the regulator notification falls due
    ``SECURITY_NOTIFY_HOURS`` after detection."""
    if not can_work_security_incidents(actor):
        raise PermissionDenied
    if not Ticket.objects.visible_to(actor).filter(pk=ticket.pk).exists():
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    if classification not in IncidentClassification.values:
        errors["classification"] = _("Choose a classification.")
    detected_at = aware(detected_at or ticket.created_at, "detected_at", errors)
    if detected_at is not None and detected_at > now + datetime.timedelta(minutes=5):
        errors["detected_at"] = _("An incident is detected before it is recorded.")
    summary = text(summary, "summary", errors)
    viewers = _clean_viewers(viewers, errors)
    if SecurityIncident.objects.filter(ticket=ticket).exists():
        errors["ticket"] = _("This ticket is already a security incident.")
    if errors:
        raise ValidationError(errors)
    team = {u.pk for u in security_team_members()}
    if actor.pk not in team and actor not in viewers:
        viewers.append(actor)
    try:
        with transaction.atomic():
            incident = SecurityIncident.objects.create(
                reference=reference_allocate(
                    kind=INCIDENT_REFERENCE_KIND, year=timezone.localtime(now).year
                ),
                ticket=ticket,
                classification=classification,
                detected_at=detected_at,
                personal_data=bool(personal_data),
                notify_due_at=_notify_due(detected_at, personal_data),
                summary=summary,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            incident.viewers.set(viewers)
            audit_record(
                actor=actor,
                verb="security_incident.created",
                obj=incident,
                payload={
                    "ticket": ticket.reference,
                    "classification": classification,
                    "detected_at": detected_at,
                    "personal_data": bool(personal_data),
                    "notify_due_at": incident.notify_due_at,
                    "viewers": sorted(v.pk for v in viewers),
                },
            )
            _sync_ticket(incident, actor)
            recipients = [p for p in [*security_team_members(), *viewers] if p != actor]
            notify(
                recipients=recipients,
                kind="security_incident_recorded",
                context={"incident": incident},
                url=reverse("security_incident_detail", args=[incident.reference]),
            )
    except IntegrityError as exc:
        raise ValidationError({"ticket": _("This ticket is already a security incident.")}) from exc
    return incident


INCIDENT_FIELDS = ("classification", "summary", "detected_at", "personal_data")


def security_incident_update(
    *, actor, incident, expected_version=None, now=None, **fields
) -> SecurityIncident:
    """Change the classification, summary, detection time or personal-data flag; the
    notification deadline follows the last two."""
    if not can_work_security_incidents(actor):
        raise PermissionDenied
    unknown = set(fields) - set(INCIDENT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    errors = {}
    cleaned = {}
    if "classification" in fields:
        if fields["classification"] not in IncidentClassification.values:
            errors["classification"] = _("Choose a classification.")
        cleaned["classification"] = fields["classification"]
    if "summary" in fields:
        cleaned["summary"] = text(fields["summary"], "summary", errors)
    if "detected_at" in fields:
        cleaned["detected_at"] = aware(fields["detected_at"], "detected_at", errors)
    if "personal_data" in fields:
        cleaned["personal_data"] = bool(fields["personal_data"])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = lock(incident, expected_version)
        before = snapshot(incident, (*INCIDENT_FIELDS, "notify_due_at"))
        for name, value in cleaned.items():
            setattr(incident, name, value)
        incident.notify_due_at = _notify_due(incident.detected_at, incident.personal_data)
        changes = changes_between(before, snapshot(incident, (*INCIDENT_FIELDS, "notify_due_at")))
        if not changes:
            return incident
        if "summary" in changes:
            changes["summary"] = "changed"  # the text stays on the confidential record
        save_audited(
            incident, actor=actor, verb="security_incident.updated", payload=changes, now=now
        )
    return incident


def security_incident_viewers_set(
    *, actor, incident, viewers, expected_version=None, now=None
) -> SecurityIncident:
    """Name the people (besides the security team) cleared to see the incident and its
    ticket."""
    if not can_work_security_incidents(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    viewers = _clean_viewers(viewers, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = lock(incident, expected_version)
        old = sorted(incident.viewers.values_list("pk", flat=True))
        new = sorted(v.pk for v in viewers)
        if old == new:
            return incident
        incident.viewers.set(viewers)
        save_audited(
            incident,
            actor=actor,
            verb="security_incident.viewers",
            payload={"viewers": [old, new]},
            now=now,
        )
        _sync_ticket(incident, actor)
    return incident


def security_incident_notified(
    *, actor, incident, notified_at=None, reference: str = "", expected_version=None, now=None
) -> SecurityIncident:
    """Record that (and when) the regulator was notified, with its case reference."""
    if not can_work_security_incidents(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    notified_at = aware(notified_at or now, "notified_at", errors)
    reference = text(reference, "notification_reference", errors, limit=120)
    if not incident.personal_data:
        errors["notified_at"] = _("Only a breach of personal data is notified to the regulator.")
    elif notified_at is not None and notified_at > now + datetime.timedelta(minutes=5):
        errors["notified_at"] = _("Record the notification once it is sent.")
    elif notified_at is not None and notified_at < incident.detected_at:
        errors["notified_at"] = _("The notification follows the detection.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = lock(incident, expected_version)
        old = incident.notified_at
        incident.notified_at, incident.notification_reference = notified_at, reference
        save_audited(
            incident,
            actor=actor,
            verb="security_incident.notified",
            now=now,
            payload={
                "notified_at": [old, notified_at],
                "reference": reference,
                "late": bool(incident.notify_due_at and notified_at > incident.notify_due_at),
            },
        )
    return incident


def security_incident_transition(
    *, actor, incident, target: str, note: str = "", expected_version=None, now=None
) -> SecurityIncident:
    if not can_work_security_incidents(actor):
        raise PermissionDenied
    now = now or timezone.now()

    def apply(incident, note):
        keep_status_note(incident, note)
        incident.closed_at = now if target == IncidentStatus.CLOSED else None

    return record_move(
        actor=actor,
        record=incident,
        moves=INCIDENT_MOVES,
        target=target,
        note=note,
        expected_version=expected_version,
        refused=_("The incident cannot move to that status."),
        verb="security_incident",
        apply=apply,
        now=now,
        audit_note=False,  # the note stays on the confidential record
    )


def security_notify_remind(now=None) -> int:
    """Remind the security team and the people named, once per incident and deadline, that a
    personal-data breach must be notified to the regulator: ``REMINDER_LEAD`` before the
    deadline (or at once when later). Returns the number of reminders sent."""
    now = now or timezone.now()
    sent = 0
    pending = (
        SecurityIncident.objects.filter(
            personal_data=True,
            notified_at__isnull=True,
            notify_due_at__isnull=False,
            notify_due_at__lte=now + REMINDER_LEAD,
        )
        .select_related("ticket")
        .prefetch_related("viewers")
        .order_by("pk")
    )
    team = security_team_members()
    for incident in pending:

        def send(incident=incident):
            people = [*team, *(v for v in incident.viewers.all() if is_staff(v))]
            created = notify(
                recipients=people,
                kind="security_notify_due",
                context={"incident": incident, "overdue": incident.notify_due_at < now},
                url=reverse("security_incident_detail", args=[incident.reference]),
            )
            audit_record(
                actor=None,
                verb="security_incident.notify_reminded",
                obj=incident,
                payload={"notify_due_at": incident.notify_due_at, "recipients": len(created)},
            )
            return len(created)

        if remind_once(
            kind="security_notify_due",
            obj=incident,
            due=incident.notify_due_at.isoformat(),
            send=send,
        ):
            sent += 1
    return sent
