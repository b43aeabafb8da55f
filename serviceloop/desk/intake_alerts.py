"""Monitoring alerts in, incidents out: the three body formats and the rules that apply them.

Parsers (``parse_alertmanager``, ``parse_zabbix``, ``parse_generic``) read a whole body
before anything is written: a malformed body raises ``MalformedAlert`` naming the field and
the reason, and nothing is created. Each parsed ``AlertNotice`` then goes through
``alert_receive``, one transaction per alert:

- no open alert of that fingerprint and the alert fires: raise an incident (linked as
  "related" to the incident of the previous occurrence, if any);
- an open alert fires again: count it; an internal note only when something changed
  (severity, title, description, labels, annotations, a new start, firing again);
- it resolves: resolve the incident (token setting ``on_resolved=resolve``, the default)
  or only note it (``annotate``); a resolved alert we have no open row for is ignored.

One open row per organisation and fingerprint is a database constraint, so concurrent
senders of the same alert raise one incident. Every ticket write goes through the desk's
services, as the monitoring account (``intake_account``), with source ``monitoring``.
The formats and the severity mapping are documented in ``docs/intake.md``.
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.roles import Role
from serviceloop.core.services.organisations import person_create
from serviceloop.desk.lifecycle import OPEN_STATUSES, Status
from serviceloop.desk.models import (
    AlertState,
    Impact,
    IntakeToken,
    Kind,
    LinkKind,
    MonitoredAlert,
    OnResolved,
    Source,
    Urgency,
)
from serviceloop.desk.services.relations import ticket_link
from serviceloop.desk.services.tickets import ticket_comment, ticket_create, ticket_transition

MAX_BODY_BYTES = 1024 * 1024  # larger bodies are refused with 413
MAX_ALERTS = 1000  # per body
MONITORING_USERNAME = "serviceloop-monitoring"

# Normalised severity levels → (impact, urgency); the priority then comes from the matrix
# (default matrix: disaster P1, critical P1, high P2, average P3, warning P3, info P4).
SEVERITY_IMPACT_URGENCY = {
    "disaster": (Impact.EXTENSIVE, Urgency.CRITICAL),
    "critical": (Impact.SIGNIFICANT, Urgency.CRITICAL),
    "high": (Impact.SIGNIFICANT, Urgency.HIGH),
    "average": (Impact.MODERATE, Urgency.HIGH),
    "warning": (Impact.MODERATE, Urgency.MEDIUM),
    "info": (Impact.MINOR, Urgency.LOW),
}
SEVERITY_ALIASES = {
    "disaster": "disaster",
    "emergency": "disaster",
    "fatal": "disaster",
    "critical": "critical",
    "crit": "critical",
    "page": "critical",
    "p1": "critical",
    "high": "high",
    "error": "high",
    "major": "high",
    "p2": "high",
    "average": "average",
    "p3": "average",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
    "minor": "warning",
    "p4": "warning",
    "info": "info",
    "information": "info",
    "informational": "info",
    "notice": "info",
    "low": "info",
    "none": "info",
    "debug": "info",
    "not classified": "info",
    "p5": "info",
}
DEFAULT_SEVERITY = "warning"
# Zabbix {EVENT.NSEVERITY}: 0 not classified … 5 disaster.
ZABBIX_NUMERIC_SEVERITY = ("info", "info", "warning", "average", "high", "disaster")

ZABBIX_DATE = re.compile(r"^\d{4}\.\d{2}\.\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
FIRING_WORDS = {"firing": "firing", "problem": "firing", "1": "firing"}
RESOLVED_WORDS = {"resolved": "resolved", "ok": "resolved", "recovery": "resolved", "0": "resolved"}


def severity_level(value) -> str:
    """The normalised level of a sender's severity (name or Zabbix number); unknown or
    missing severities count as ``warning``."""
    if isinstance(value, bool) or value is None:
        return DEFAULT_SEVERITY
    if isinstance(value, int) and 0 <= value < len(ZABBIX_NUMERIC_SEVERITY):
        return ZABBIX_NUMERIC_SEVERITY[value]
    text = str(value).strip().lower()
    if text.isdigit() and int(text) < len(ZABBIX_NUMERIC_SEVERITY):
        return ZABBIX_NUMERIC_SEVERITY[int(text)]
    return SEVERITY_ALIASES.get(text, DEFAULT_SEVERITY)


class MalformedAlert(ValueError):
    """The body cannot be read as alerts; the message says where and why."""


@dataclass(frozen=True)
class AlertNotice:
    """One alert of a body, in the shape the rules need (whatever the sender)."""

    fingerprint: str  # namespaced by source; at most 300 characters
    state: str  # AlertState
    title: str = ""
    description: str = ""
    severity: str = DEFAULT_SEVERITY
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    service: str = ""


# --- Reading bodies ----------------------------------------------------------------------


def _load_json(body: bytes):
    if not body.strip():
        raise MalformedAlert(_("The body is empty; send a JSON document."))
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedAlert(_("The body is not valid JSON: %(error)s") % {"error": exc}) from exc


def _text(obj: dict, key: str, where: str, *, required=False, max_length=None) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise MalformedAlert(_("%(field)s is missing.") % {"field": f"{where}{key}"})
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedAlert(_("%(field)s must be a string.") % {"field": f"{where}{key}"})
    text = str(value).strip()
    if required and not text:
        raise MalformedAlert(_("%(field)s is missing.") % {"field": f"{where}{key}"})
    if max_length is not None and len(text) > max_length:
        raise MalformedAlert(
            _("%(field)s is longer than %(max)d characters.")
            % {"field": f"{where}{key}", "max": max_length}
        )
    return text


def _string_map(obj: dict, key: str, where: str, *, required=False) -> dict[str, str]:
    """An object of names to scalar values (numbers and booleans become strings)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise MalformedAlert(_("%(field)s is missing.") % {"field": f"{where}{key}"})
        return {}
    if not isinstance(value, dict):
        raise MalformedAlert(_("%(field)s must be an object.") % {"field": f"{where}{key}"})
    result = {}
    for name, item in value.items():
        if isinstance(item, dict | list):
            raise MalformedAlert(
                _("%(field)s must map names to strings.") % {"field": f"{where}{key}.{name}"}
            )
        if item is None:
            result[str(name)] = ""
        elif isinstance(item, bool):
            result[str(name)] = "true" if item else "false"
        else:
            result[str(name)] = str(item)
    return result


def _instant(value, where: str) -> datetime.datetime | None:
    """An RFC 3339 instant (or Unix seconds); Go's zero time means "not set"."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
        except (OverflowError, ValueError, OSError) as exc:
            raise MalformedAlert(_("%(field)s is not a valid time.") % {"field": where}) from exc
    if not isinstance(value, str):
        raise MalformedAlert(_("%(field)s is not a valid time.") % {"field": where})
    text = value.strip()
    if ZABBIX_DATE.match(text):  # {EVENT.DATE} {EVENT.TIME}: 2026.11.20 10:00:00
        text = text[:10].replace(".", "-") + text[10:]
    try:
        instant = datetime.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise MalformedAlert(
            _("%(field)s is not an RFC 3339 time: %(value)s") % {"field": where, "value": value}
        ) from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.get_current_timezone())
    if instant.year <= 1:
        return None
    return instant


def _state(value, where: str) -> str:
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if text in FIRING_WORDS:
        return AlertState.FIRING
    if text in RESOLVED_WORDS:
        return AlertState.RESOLVED
    raise MalformedAlert(
        _('%(field)s must be "firing" or "resolved", not %(value)s.')
        % {"field": where, "value": json.dumps(value, ensure_ascii=False)}
    )


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _details(lines: list[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in lines if value)


def _labels_text(labels: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _objects(doc, key: str) -> list:
    items = doc.get(key)
    if not isinstance(items, list):
        raise MalformedAlert(_("%(field)s must be a list.") % {"field": key})
    if len(items) > MAX_ALERTS:
        raise MalformedAlert(_("At most %(max)d alerts per body.") % {"max": MAX_ALERTS})
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedAlert(_("%(field)s must be an object.") % {"field": f"{key}[{index}]"})
    return items


def parse_alertmanager(body: bytes) -> list[AlertNotice]:
    """Prometheus Alertmanager's webhook body, version 4 (``alerts`` of ``status``,
    ``labels``, ``annotations``, ``startsAt``, ``endsAt``, ``fingerprint``)."""
    doc = _load_json(body)
    if not isinstance(doc, dict):
        raise MalformedAlert(_("The body must be a JSON object (Alertmanager webhook, version 4)."))
    version = doc.get("version")
    if version is not None and str(version) != "4":
        raise MalformedAlert(
            _("Unsupported Alertmanager payload version %(version)s; version 4 is read.")
            % {"version": json.dumps(version)}
        )
    notices = []
    for index, raw in enumerate(_objects(doc, "alerts")):
        where = f"alerts[{index}]."
        state = _state(raw.get("status"), f"{where}status")
        labels = _string_map(raw, "labels", where, required=True)
        annotations = _string_map(raw, "annotations", where)
        fingerprint = _text(raw, "fingerprint", where, max_length=200)
        if not fingerprint:
            if not labels:
                raise MalformedAlert(
                    _("%(field)s is missing and there are no labels to derive it from.")
                    % {"field": f"{where}fingerprint"}
                )
            # Alertmanager before 0.19 sent none: the label set identifies the alert.
            canonical = json.dumps(labels, sort_keys=True, ensure_ascii=False)
            fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        starts_at = _instant(raw.get("startsAt"), f"{where}startsAt")
        ends_at = _instant(raw.get("endsAt"), f"{where}endsAt")
        generator = _text(raw, "generatorURL", where)
        name = labels.get("alertname") or _("Alert")
        summary = annotations.get("summary") or annotations.get("title") or ""
        target = labels.get("instance") or labels.get("job") or ""
        title = f"{name}: {summary}" if summary else (f"{name} ({target})" if target else name)
        text = annotations.get("description") or annotations.get("message") or ""
        description = "\n\n".join(
            part
            for part in (
                text,
                _details(
                    [
                        (_("Labels"), _labels_text(labels)),
                        (_("Started"), starts_at.isoformat() if starts_at else ""),
                        (_("Source"), generator),
                        (_("Runbook"), annotations.get("runbook_url", "")),
                    ]
                ),
            )
            if part
        )
        notices.append(
            AlertNotice(
                fingerprint=f"alertmanager:{fingerprint}",
                state=state,
                title=_shorten(title),
                description=description,
                severity=severity_level(labels.get("severity")),
                labels=labels,
                annotations=annotations,
                starts_at=starts_at,
                ends_at=ends_at,
                service=_shorten(labels.get("service", ""), 120),
            )
        )
    return notices


def _zabbix_tags(doc: dict) -> dict[str, str]:
    tags = doc.get("tags")
    if tags is None or tags == "":
        return {}
    if isinstance(tags, dict):
        return _string_map(doc, "tags", "")
    if isinstance(tags, list):  # Zabbix's {EVENT.TAGSJSON}: [{"tag": ..., "value": ...}]
        result = {}
        for index, item in enumerate(tags):
            if not isinstance(item, dict) or not isinstance(item.get("tag"), str):
                raise MalformedAlert(
                    _("%(field)s must be an object with a tag and a value.")
                    % {"field": f"tags[{index}]"}
                )
            result[item["tag"]] = str(item.get("value", ""))
        return result
    raise MalformedAlert(_("%(field)s must be an object or a list.") % {"field": "tags"})


def parse_zabbix(body: bytes) -> list[AlertNotice]:
    """One Zabbix event as sent by the ServiceLoop webhook media type (see docs/intake.md):
    ``event_id``, ``trigger_id``, ``severity``, ``status`` (PROBLEM/RESOLVED), ``host``,
    ``name``; optional ``message``, ``url``, ``event_time``, ``tags``. The trigger on its
    host identifies the alert: a new problem of the same trigger after recovery is a new
    occurrence."""
    doc = _load_json(body)
    if not isinstance(doc, dict):
        raise MalformedAlert(_("The body must be a JSON object (one Zabbix event)."))
    event_id = _text(doc, "event_id", "", required=True, max_length=64)
    trigger_id = _text(doc, "trigger_id", "", required=True, max_length=64)
    state = _state(doc.get("status"), "status")
    host = _text(doc, "host", "", required=True, max_length=200)
    name = _text(doc, "name", "", required=True, max_length=1000)
    severity_raw = doc.get("severity")
    if isinstance(severity_raw, dict | list):
        raise MalformedAlert(_("%(field)s must be a string.") % {"field": "severity"})
    message = _text(doc, "message", "")
    url = _text(doc, "url", "")
    event_time = _instant(doc.get("event_time"), "event_time")
    tags = _zabbix_tags(doc)
    severity = severity_level(severity_raw)
    labels = {"host": host, "trigger_id": trigger_id, "event_id": event_id, **tags}
    description = "\n\n".join(
        part
        for part in (
            message,
            _details(
                [
                    (_("Host"), host),
                    (_("Zabbix severity"), str(severity_raw or "")),
                    (_("Zabbix event"), event_id),
                    (_("Zabbix trigger"), trigger_id),
                    (_("Tags"), _labels_text(tags)),
                    (_("Started"), event_time.isoformat() if event_time else ""),
                    (_("Source"), url),
                ]
            ),
        )
        if part
    )
    return [
        AlertNotice(
            fingerprint=f"zabbix:{host}:{trigger_id}",
            state=state,
            title=_shorten(f"{host}: {name}"),
            description=description,
            severity=severity,
            labels=labels,
            annotations={"message": message} if message else {},
            starts_at=event_time if state == AlertState.FIRING else None,
            ends_at=event_time if state == AlertState.RESOLVED else None,
            service=_shorten(tags.get("service", ""), 120),
        )
    ]


def _generic_notice(raw: dict, where: str) -> AlertNotice:
    source = _text(raw, "source", where, max_length=60) or "generic"
    fingerprint = _text(raw, "fingerprint", where, required=True, max_length=200)
    state = _state(raw.get("status"), f"{where}status")
    title = _text(raw, "title", where, required=state == AlertState.FIRING)
    description = _text(raw, "description", where)
    severity_raw = raw.get("severity")
    if isinstance(severity_raw, dict | list):
        raise MalformedAlert(_("%(field)s must be a string.") % {"field": f"{where}severity"})
    labels = _string_map(raw, "labels", where)
    url = _text(raw, "url", where)
    starts_at = _instant(raw.get("starts_at"), f"{where}starts_at")
    ends_at = _instant(raw.get("ends_at"), f"{where}ends_at")
    service = _text(raw, "service", where, max_length=120) or labels.get("service", "")
    details = _details(
        [(_("Sender"), source), (_("Labels"), _labels_text(labels)), (_("Source"), url)]
    )
    return AlertNotice(
        fingerprint=f"generic:{source}:{fingerprint}",
        state=state,
        title=_shorten(title),
        description="\n\n".join(part for part in (description, details) if part),
        severity=severity_level(severity_raw),
        labels=labels,
        annotations={"description": description} if description else {},
        starts_at=starts_at,
        ends_at=ends_at,
        service=_shorten(service, 120),
    )


def parse_generic(body: bytes) -> list[AlertNotice]:
    """The generic JSON webhook: one alert object, a list of them, or ``{"alerts": [...]}``
    (``source``, ``fingerprint``, ``status``, ``title``, ``description``, ``severity``,
    ``labels``; see docs/intake.md)."""
    doc = _load_json(body)
    if isinstance(doc, list):
        items, prefix = _objects({"alerts": doc}, "alerts"), "[{}]."
    elif isinstance(doc, dict) and "alerts" in doc:
        items, prefix = _objects(doc, "alerts"), "alerts[{}]."
    elif isinstance(doc, dict):
        items, prefix = [doc], ""
    else:
        raise MalformedAlert(_("The body must be a JSON object or a list of objects."))
    return [_generic_notice(raw, prefix.format(index)) for index, raw in enumerate(items)]


PARSERS = {
    "alertmanager": parse_alertmanager,
    "zabbix": parse_zabbix,
    "generic": parse_generic,
}


# --- Applying alerts ---------------------------------------------------------------------


@dataclass(frozen=True)
class AlertOutcome:
    fingerprint: str
    state: str
    outcome: str  # created | updated | repeated | resolved | annotated | ignored
    ticket: str | None = None  # the incident's reference


def intake_account() -> User:
    """The provider account the intake writes as (an agent that cannot sign in), created
    on first use. Audit rows and ticket history name it as the actor."""
    account = User.objects.filter(username=MONITORING_USERNAME).first()
    if account is not None:
        return account
    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    if provider is None:
        raise ValidationError(
            _("There is no provider organisation to hold the monitoring account.")
        )
    try:
        with transaction.atomic():
            return person_create(
                actor=None,
                organisation=provider,
                username=MONITORING_USERNAME,
                role=Role.AGENT,
                display_name="监控 Monitoring",
            )
    except (IntegrityError, ValidationError):
        # Created meanwhile by a concurrent delivery (its unique check or constraint fired).
        account = User.objects.filter(username=MONITORING_USERNAME).first()
        if account is None:
            raise
        return account


def _when(instant) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M:%S %Z") if instant else ""


def _changes(alert: MonitoredAlert, notice: AlertNotice) -> list[str]:
    """What a firing notice changes on an open alert, as lines for the internal note."""
    lines = []
    if alert.state == AlertState.RESOLVED:
        lines.append(_("The alert is firing again."))
    if notice.starts_at and alert.starts_at and notice.starts_at != alert.starts_at:
        lines.append(_("It started again at %(time)s.") % {"time": _when(notice.starts_at)})
    if notice.severity != alert.severity:
        lines.append(
            _("Severity: %(old)s → %(new)s.") % {"old": alert.severity, "new": notice.severity}
        )
    if notice.title != alert.title:
        lines.append(_("Title: %(title)s") % {"title": notice.title})
    for name, label in (("labels", _("Labels")), ("annotations", _("Annotations"))):
        old, new = getattr(alert, name), getattr(notice, name)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if changed:
            shown = ", ".join(f"{k}={new.get(k, '∅')}" for k in changed)
            lines.append(f"{label}: {shown}")
    return lines


def _open_alert(organisation_id, fingerprint):
    return (
        MonitoredAlert.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(organisation_id=organisation_id, fingerprint=fingerprint, closed_at__isnull=True)
        .first()
    )


def _audit(account, verb, alert, token, notice, **extra):
    audit_record(
        actor=account,
        verb=verb,
        obj=alert,
        payload={
            "fingerprint": alert.fingerprint,
            "state": notice.state,
            "token": token.name,
            "ticket": alert.ticket.reference if alert.ticket_id else None,
            **extra,
        },
    )


def alert_receive(*, token: IntakeToken, notice: AlertNotice, now=None) -> AlertOutcome:
    """Apply one alert notice for ``token``'s organisation (see the module's rules).

    One transaction. Idempotent for repeats: the same firing notice twice raises one
    incident and changes nothing the second time but the counter and last-seen time.
    Raises ``ValidationError``/``PermissionDenied`` when the token's settings cannot raise
    an incident (e.g. its requester left the organisation).
    """
    now = now or timezone.now()
    account = intake_account()
    organisation = token.organisation
    with transaction.atomic():
        alert = _open_alert(organisation.pk, notice.fingerprint)
        if alert is not None and alert.ticket.status not in OPEN_STATUSES:
            # People resolved, closed or cancelled the incident: this occurrence is over.
            alert.closed_at = now
            alert.save(update_fields=["closed_at"])
            alert = None
        if alert is None:
            if notice.state == AlertState.RESOLVED:
                return AlertOutcome(notice.fingerprint, notice.state, "ignored")
            previous = (
                MonitoredAlert.objects.filter(
                    organisation=organisation, fingerprint=notice.fingerprint
                )
                .exclude(closed_at__isnull=True)
                .select_related("ticket")
                .order_by("-first_seen_at", "-id")
                .first()
            )
            try:
                with transaction.atomic():
                    alert = MonitoredAlert.objects.create(
                        organisation=organisation,
                        token=token,
                        source=token.source,
                        fingerprint=notice.fingerprint,
                        previous=previous,
                        state=AlertState.FIRING,
                        severity=notice.severity,
                        title=notice.title,
                        description=notice.description,
                        labels=notice.labels,
                        annotations=notice.annotations,
                        starts_at=notice.starts_at,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
            except IntegrityError:
                # A concurrent sender opened it first (the unique constraint waited for
                # its commit): this notice is a repeat of that alert.
                alert = _open_alert(organisation.pk, notice.fingerprint)
                if alert is None:
                    raise
            else:
                impact, urgency = SEVERITY_IMPACT_URGENCY[notice.severity]
                alert.ticket = ticket_create(
                    actor=account,
                    organisation=organisation,
                    requester=token.requester,
                    title=notice.title,
                    description=notice.description,
                    kind=Kind.INCIDENT,
                    service=notice.service,
                    category=token.category,
                    impact=impact,
                    urgency=urgency,
                    source=Source.MONITORING,
                    team=token.team,
                    idempotency_key=f"alert:{alert.pk}",
                    now=now,
                )
                alert.save(update_fields=["ticket"])
                linked = None
                if previous is not None and previous.ticket_id:
                    ticket_link(
                        actor=account,
                        source=alert.ticket,
                        target=previous.ticket,
                        kind=LinkKind.RELATED,
                        now=now,
                    )
                    linked = previous.ticket.reference
                _audit(account, "intake.alert_opened", alert, token, notice, previous=linked)
                return AlertOutcome(
                    notice.fingerprint, notice.state, "created", alert.ticket.reference
                )

        alert.received_count += 1
        alert.last_seen_at = now
        alert.token = token
        outcome = "repeated"
        if notice.state == AlertState.FIRING:
            lines = _changes(alert, notice)
            if lines:
                for name in ("severity", "title", "description", "labels", "annotations"):
                    setattr(alert, name, getattr(notice, name))
                alert.starts_at = notice.starts_at or alert.starts_at
                alert.state, alert.ends_at = AlertState.FIRING, None
                note = _("Monitoring update (%(count)d notifications so far):") % {
                    "count": alert.received_count
                }
                ticket_comment(
                    actor=account,
                    ticket=alert.ticket,
                    body="\n".join([note, *lines]),
                    public=False,
                    source=Source.MONITORING,
                    now=now,
                )
                outcome = "updated"
        elif alert.state != AlertState.RESOLVED:
            alert.state, alert.ends_at = AlertState.RESOLVED, notice.ends_at or now
            ended = _when(alert.ends_at)
            if token.on_resolved == OnResolved.RESOLVE:
                ticket_transition(
                    actor=account,
                    ticket=alert.ticket,
                    target=Status.RESOLVED,
                    note=_("Resolved by monitoring: the alert stopped firing at %(time)s.")
                    % {"time": ended},
                    now=now,
                )
                alert.closed_at = now
                outcome = "resolved"
            else:
                ticket_comment(
                    actor=account,
                    ticket=alert.ticket,
                    body=_(
                        "The alert stopped firing at %(time)s. The incident stays open "
                        "until an agent resolves it."
                    )
                    % {"time": ended},
                    public=False,
                    source=Source.MONITORING,
                    now=now,
                )
                outcome = "annotated"
        alert.save()
        if outcome != "repeated":
            _audit(
                account, f"intake.alert_{outcome}", alert, token, notice, count=alert.received_count
            )
        return AlertOutcome(notice.fingerprint, notice.state, outcome, alert.ticket.reference)


def intake_receive(*, token: IntakeToken, notices: list[AlertNotice], now=None):
    """Apply every notice of one body in order; returns their outcomes."""
    return [alert_receive(token=token, notice=notice, now=now) for notice in notices]
