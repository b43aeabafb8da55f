"""Writes of information security management (clause 8.7.3): the risk register, the controls
list (with the starter list), and confidential security incidents.

A security incident hides its desk ticket: recording one marks the ticket confidential and
names on it the people named on the incident (the desk then shows it only to the security
team and to them). The regulator notification deadline is ``SECURITY_NOTIFY_HOURS`` after
detection when personal data is involved; the team is reminded once, ``REMINDER_LEAD``
before it falls due (or at once when that moment has passed).
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.controls_starter import STARTER_CONTROLS
from serviceloop.assurance.lifecycle import (
    INCIDENT_MOVES,
    RISK_MOVES,
    IncidentStatus,
    move_for,
)
from serviceloop.assurance.models import (
    ControlStatus,
    IncidentClassification,
    RiskTreatment,
    SecurityControl,
    SecurityIncident,
    SecurityRisk,
    risk_level_for,
)
from serviceloop.assurance.permissions import (
    can_edit_owned,
    can_manage,
    can_work_security_incidents,
    is_staff,
)
from serviceloop.assurance.record_writes import aware, bump, lock, plain, text
from serviceloop.assurance.reminders import remind_once
from serviceloop.core.audit import audit_record
from serviceloop.core.models import OrganisationKind, Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import notify
from serviceloop.desk.models import Ticket

RISK_REFERENCE_KIND = "ISR"
INCIDENT_REFERENCE_KIND = "SEC"
REMINDER_LEAD = datetime.timedelta(hours=12)
RISK_FIELDS = (
    "title",
    "configuration_item",
    "asset",
    "threat",
    "vulnerability",
    "likelihood",
    "impact",
    "treatment",
    "treatment_plan",
    "owner",
    "review_on",
)
CONTROL_FIELDS = ("title", "description", "status", "justification", "owner", "evidence_links")


def _staff_person(person, field, errors, *, required=True):
    if person is None:
        if required:
            errors[field] = _("Choose a person.")
        return None
    if not person.is_active or not is_staff(person):
        errors[field] = _("Choose an active member of the provider's staff.")
        return None
    return person


def _one_to_five(value, field, errors):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        errors[field] = _("Give a value from 1 to 5.")
        return None
    return number


def _snapshot(record, fields) -> dict:
    values = {}
    for name in fields:
        attribute = f"{name}_id" if hasattr(record, f"{name}_id") else name
        values[name] = getattr(record, attribute)
    return plain(values)


# --- Risk register -----------------------------------------------------------------------------


def _risk_fields(fields: dict, errors: dict) -> dict:
    cleaned = {}
    for name in ("title",):
        if name in fields:
            cleaned[name] = text(fields[name], name, errors, required=True, limit=200)
    for name in ("threat", "vulnerability"):
        if name in fields:
            cleaned[name] = text(fields[name], name, errors, required=True)
    if "asset" in fields:
        cleaned["asset"] = text(fields["asset"], "asset", errors, limit=200)
    if "treatment_plan" in fields:
        cleaned["treatment_plan"] = text(fields["treatment_plan"], "treatment_plan", errors)
    if "configuration_item" in fields:
        cleaned["configuration_item"] = fields["configuration_item"]
    for name in ("likelihood", "impact"):
        if name in fields:
            cleaned[name] = _one_to_five(fields[name], name, errors)
    if "treatment" in fields:
        if fields["treatment"] not in RiskTreatment.values:
            errors["treatment"] = _("Choose accept, mitigate, transfer or avoid.")
        cleaned["treatment"] = fields["treatment"]
    if "owner" in fields:
        cleaned["owner"] = _staff_person(fields["owner"], "owner", errors)
    if "review_on" in fields:
        day = fields["review_on"]
        if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
            errors["review_on"] = _("Give a date.")
        cleaned["review_on"] = day
    return cleaned


def _check_risk(risk, errors):
    if not risk.asset and risk.configuration_item_id is None:
        errors["asset"] = _("Name the asset at risk or choose its configuration item.")
    if risk.treatment == RiskTreatment.ACCEPT and not risk.treatment_plan:
        errors["treatment_plan"] = _("Say why the risk is acceptable.")


def risk_create(*, actor, controls=(), now=None, **fields) -> SecurityRisk:
    """Add a risk to the register; its score (likelihood × impact) and level follow."""
    if not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    required = set(RISK_FIELDS) - {"configuration_item", "asset", "treatment_plan"}
    for name in sorted(required - set(fields)):
        errors[name] = _("This field is required.")
    cleaned = _risk_fields(fields, errors)
    risk = SecurityRisk(**cleaned)
    if not errors:
        _check_risk(risk, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        risk.reference = reference_allocate(
            kind=RISK_REFERENCE_KIND, year=timezone.localtime(now).year
        )
        risk.score = risk.likelihood * risk.impact
        risk.level = risk_level_for(risk.score)
        risk.created_by, risk.created_at, risk.updated_at = actor, now, now
        risk.save()
        risk.controls.set(controls)
        audit_record(
            actor=actor,
            verb="security_risk.created",
            obj=risk,
            payload={
                **_snapshot(risk, RISK_FIELDS),
                "score": risk.score,
                "level": risk.level,
                "controls": sorted(c.pk for c in controls),
            },
        )
    return risk


def risk_update(
    *, actor, risk, expected_version=None, controls=None, now=None, **fields
) -> SecurityRisk:
    """Change a risk (managers or its owner): score and level follow likelihood and impact."""
    if not can_edit_owned(actor, risk):
        raise PermissionDenied
    unknown = set(fields) - set(RISK_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    errors = {}
    cleaned = _risk_fields(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        risk = lock(risk, expected_version)
        before = {**_snapshot(risk, RISK_FIELDS), "score": risk.score, "level": risk.level}
        for name, value in cleaned.items():
            setattr(risk, name, value)
        _check_risk(risk, errors)
        if errors:
            raise ValidationError(errors)
        risk.score = risk.likelihood * risk.impact
        risk.level = risk_level_for(risk.score)
        after = {**_snapshot(risk, RISK_FIELDS), "score": risk.score, "level": risk.level}
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if controls is not None:
            old = sorted(risk.controls.values_list("pk", flat=True))
            new = sorted(c.pk for c in controls)
            if old != new:
                risk.controls.set(controls)
                changes["controls"] = [old, new]
        if not changes:
            return risk
        risk.updated_at = now
        bump(risk)
        risk.save()
        audit_record(actor=actor, verb="security_risk.updated", obj=risk, payload=changes)
    return risk


def risk_transition(
    *, actor, risk, target: str, note: str = "", expected_version=None, now=None
) -> SecurityRisk:
    if not can_edit_owned(actor, risk):
        raise PermissionDenied
    now = now or timezone.now()
    move = move_for(RISK_MOVES, risk.status, target)
    errors = {}
    note = text(note, "note", errors, required=bool(move and move.needs == "note"))
    if move is None:
        errors["status"] = _("The risk cannot move to that status.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        risk = lock(risk, expected_version)
        old = risk.status
        risk.status = target
        risk.status_note = note or risk.status_note
        risk.updated_at = now
        bump(risk)
        risk.save()
        audit_record(
            actor=actor,
            verb=f"security_risk.{target}",
            obj=risk,
            payload={"status": [old, target], "note": note},
        )
    return risk


# --- Controls ----------------------------------------------------------------------------------


def _clean_links(links, errors) -> list[str]:
    if isinstance(links, str):
        links = links.splitlines()
    cleaned = []
    for link in links or []:
        link = (link or "").strip()
        if not link:
            continue
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500:
            errors["evidence_links"] = _("%(link)s is not a web address (http or https).") % {
                "link": link[:80]
            }
            continue
        cleaned.append(link)
    if len(cleaned) > 50:
        errors["evidence_links"] = _("Keep at most 50 links.")
    return cleaned


def _control_fields(fields: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = text(fields["title"], "title", errors, required=True, limit=200)
    if "description" in fields:
        cleaned["description"] = text(fields["description"], "description", errors)
    if "status" in fields:
        if fields["status"] not in ControlStatus.values:
            errors["status"] = _("Choose an implementation status.")
        cleaned["status"] = fields["status"]
    if "justification" in fields:
        cleaned["justification"] = text(fields["justification"], "justification", errors)
    if "owner" in fields:
        cleaned["owner"] = _staff_person(fields["owner"], "owner", errors, required=False)
    if "evidence_links" in fields:
        cleaned["evidence_links"] = _clean_links(fields["evidence_links"], errors)
    return cleaned


def _check_control(control, errors):
    if control.status == ControlStatus.NOT_APPLICABLE and not control.justification:
        errors["justification"] = _("Say why the control does not apply.")


def control_create(*, actor, code: str, now=None, **fields) -> SecurityControl:
    """Add a control to the list (managers)."""
    if not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    code = text(code, "code", errors, required=True, limit=20).upper()
    if code and SecurityControl.objects.filter(code=code).exists():
        errors["code"] = _("A control with this code exists.")
    fields.setdefault("status", ControlStatus.NOT_STARTED)
    cleaned = _control_fields(fields, errors)
    if "title" not in fields:
        errors["title"] = _("This field is required.")
    control = SecurityControl(code=code, updated_at=now, **cleaned)
    _check_control(control, errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            control.save()
            audit_record(
                actor=actor,
                verb="security_control.created",
                obj=control,
                payload={"code": code, **_snapshot(control, CONTROL_FIELDS)},
            )
    except IntegrityError as exc:
        raise ValidationError({"code": _("A control with this code exists.")}) from exc
    return control


def control_update(*, actor, control, expected_version=None, now=None, **fields) -> SecurityControl:
    """Change a control's text, implementation status (not applicable needs a justification),
    owner and evidence links (managers or its owner)."""
    if not can_edit_owned(actor, control):
        raise PermissionDenied
    unknown = set(fields) - set(CONTROL_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    errors = {}
    cleaned = _control_fields(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        control = lock(control, expected_version)
        before = _snapshot(control, CONTROL_FIELDS)
        for name, value in cleaned.items():
            setattr(control, name, value)
        _check_control(control, errors)
        if errors:
            raise ValidationError(errors)
        after = _snapshot(control, CONTROL_FIELDS)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if not changes:
            return control
        control.updated_at = now
        bump(control)
        control.save()
        audit_record(actor=actor, verb="security_control.updated", obj=control, payload=changes)
    return control


def controls_seed(*, actor=None, now=None) -> int:
    """Add the starter controls that are missing (by code); idempotent. Returns the number
    added. ``actor`` None: the demo or an installation step; else a manager."""
    if actor is not None and not can_manage(actor):
        raise PermissionDenied
    now = now or timezone.now()
    existing = set(SecurityControl.objects.values_list("code", flat=True))
    added = []
    with transaction.atomic():
        for code, title, description in STARTER_CONTROLS:
            if code in existing:
                continue
            SecurityControl.objects.create(
                code=code, title=title, description=description, updated_at=now
            )
            added.append(code)
        if added:
            audit_record(
                actor=actor,
                verb="security_control.seeded",
                object_type=SecurityControl._meta.label_lower,
                object_id="starter",
                payload={"codes": added},
            )
    return len(added)


# --- Security incidents ------------------------------------------------------------------------


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
        before = _snapshot(incident, (*INCIDENT_FIELDS, "notify_due_at"))
        for name, value in cleaned.items():
            setattr(incident, name, value)
        incident.notify_due_at = _notify_due(incident.detected_at, incident.personal_data)
        after = _snapshot(incident, (*INCIDENT_FIELDS, "notify_due_at"))
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if not changes:
            return incident
        if "summary" in changes:
            changes["summary"] = "changed"  # the text stays on the confidential record
        incident.updated_at = now
        bump(incident)
        incident.save()
        audit_record(actor=actor, verb="security_incident.updated", obj=incident, payload=changes)
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
        incident.updated_at = now
        bump(incident)
        incident.save()
        audit_record(
            actor=actor,
            verb="security_incident.viewers",
            obj=incident,
            payload={"viewers": [old, new]},
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
        incident.updated_at = now
        bump(incident)
        incident.save()
        audit_record(
            actor=actor,
            verb="security_incident.notified",
            obj=incident,
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
    move = move_for(INCIDENT_MOVES, incident.status, target)
    errors = {}
    note = text(note, "note", errors, required=bool(move and move.needs == "note"))
    if move is None:
        errors["status"] = _("The incident cannot move to that status.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = lock(incident, expected_version)
        old = incident.status
        incident.status = target
        incident.status_note = note or incident.status_note
        incident.closed_at = now if target == IncidentStatus.CLOSED else None
        incident.updated_at = now
        bump(incident)
        incident.save()
        audit_record(
            actor=actor,
            verb=f"security_incident.{target}",
            obj=incident,
            payload={"status": [old, target]},
        )
    return incident


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
