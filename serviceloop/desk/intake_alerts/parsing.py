"""Reading monitoring alert bodies: Prometheus Alertmanager (version 4), Zabbix and the generic
JSON webhook, each into a list of ``AlertNotice``; and the severity mapping to impact and
urgency.

A parser reads the whole body before anything is written: a malformed body raises
``MalformedAlert`` naming the field and the reason, and nothing is created. The formats and
the severity mapping are documented in ``docs/intake.md``.
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.desk.models import AlertState, Impact, Urgency

MAX_BODY_BYTES = 1024 * 1024  # larger bodies are refused with 413
MAX_ALERTS = 1000  # per body

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
