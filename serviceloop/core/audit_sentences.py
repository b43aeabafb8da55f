"""Audit rows as sentences a person reads ("Li Wei approved version 2 of document DOC-2026-0001
Information security policy"), in the active language, with the object linked when the
reader may open it. The home page's "Latest changes" box shows them.

A row's ``verb`` is ``<thing>.<action>`` (``risk.status_changed``). Its sentence is, in order:
a phrase for the whole verb that needs figures of the row's payload (used only when the
payload has them), a phrase for its action (``created``, ``approved``, …), and for an action
nobody phrased, a readable form of the verb itself. The object is named by its kind (the
model's verbose name) and the title it had when the row was written.

Rows about confidential records are redacted first (``audit_redaction``): their title and
payload are gone, so their sentence names neither, and they link to nothing.

Links: core knows no other app, so a row's object is linked by the project's convention —
the model's queryset has ``visible_to(user)`` and a URL named ``<model>_detail`` of the same
app takes the object's ``reference``, ``pk``, ``code`` or ``number`` — and only when the
object is among those ``visible_to`` returns. An app whose pages do not follow the convention
answers through the collector point ``AUDIT_LINKS`` (``core.hooks``). One query per kind of
object on the page, never one per row.
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.audit_redaction import audit_events_redact
from serviceloop.core.hooks import collect

# Collector: ``function(*, user, events: list[AuditEvent]) -> iterable of (event id, url)``,
# the address of each row's object that ``user`` may open (rows already redacted are left out).
AUDIT_LINKS = "core.audit.links"

# Core's own pages that do not follow the naming convention.
PAGE_NAMES = {"core.user": "person_detail"}

# The fields a detail URL may take, in the order they are tried.
URL_FIELDS = ("reference", "pk", "code", "number")

# Phrases of whole verbs that need figures of the payload (every %(name)s but actor and
# object is a payload key; a row whose payload lacks one falls back to its action's phrase).
VERB_PHRASES = {
    "document.version_created": gettext_lazy("%(actor)s drafted version %(version)s of %(object)s"),
    "document.version_reviewed": gettext_lazy(
        "%(actor)s reviewed version %(version)s of %(object)s"
    ),
    "document.version_approved": gettext_lazy(
        "%(actor)s approved version %(version)s of %(object)s"
    ),
    "document.version_effective": gettext_lazy("Version %(version)s of %(object)s came into force"),
}

# Phrases of the action (the verb's last part).
ACTION_PHRASES = {
    "created": gettext_lazy("%(actor)s created %(object)s"),
    "updated": gettext_lazy("%(actor)s updated %(object)s"),
    "deleted": gettext_lazy("%(actor)s deleted %(object)s"),
    "approved": gettext_lazy("%(actor)s approved %(object)s"),
    "reviewed": gettext_lazy("%(actor)s reviewed %(object)s"),
    "status_changed": gettext_lazy("%(actor)s changed the status of %(object)s"),
    "closed": gettext_lazy("%(actor)s closed %(object)s"),
    "raised": gettext_lazy("%(actor)s raised %(object)s"),
    "proposed": gettext_lazy("%(actor)s proposed %(object)s"),
    "assigned": gettext_lazy("%(actor)s assigned %(object)s"),
    "replied": gettext_lazy("%(actor)s replied on %(object)s"),
    "merged": gettext_lazy("%(actor)s merged %(object)s"),
    "published": gettext_lazy("%(actor)s published %(object)s"),
    "imported": gettext_lazy("%(actor)s imported %(object)s"),
    "acknowledged": gettext_lazy("%(actor)s acknowledged %(object)s"),
    "communicated": gettext_lazy("%(actor)s recorded a communication of %(object)s"),
    "analysed": gettext_lazy("%(actor)s recorded the root cause of %(object)s"),
    "contained": gettext_lazy("%(actor)s recorded the containment of %(object)s"),
    "verified": gettext_lazy("%(actor)s verified %(object)s"),
    "achieved": gettext_lazy("%(actor)s marked %(object)s as achieved"),
    "tested": gettext_lazy("%(actor)s tested %(object)s"),
    "invoked": gettext_lazy("%(actor)s invoked %(object)s"),
    "scheduled": gettext_lazy("%(actor)s scheduled %(object)s"),
    "completed": gettext_lazy("%(actor)s completed %(object)s"),
    "generated": gettext_lazy("%(actor)s generated %(object)s"),
    "sent": gettext_lazy("%(actor)s sent %(object)s"),
    "held": gettext_lazy("%(actor)s recorded that %(object)s was held"),
    "progress": gettext_lazy("%(actor)s reported progress on %(object)s"),
    "retired": gettext_lazy("%(actor)s marked %(object)s as no longer current"),
    "reinstated": gettext_lazy("%(actor)s marked %(object)s as current again"),
    "draft_created": gettext_lazy("%(actor)s started a new draft of %(object)s"),
    "draft_discarded": gettext_lazy("%(actor)s discarded the draft of %(object)s"),
    "benefit_measured": gettext_lazy("%(actor)s recorded the measured benefit of %(object)s"),
}

# Actions phrased by how they end (``article_created``, ``due_reminded``).
ENDING_PHRASES = {
    "_created": ACTION_PHRASES["created"],
    "_updated": ACTION_PHRASES["updated"],
    "_approved": ACTION_PHRASES["approved"],
    "_reviewed": ACTION_PHRASES["reviewed"],
    "_reminded": gettext_lazy("%(actor)s sent a reminder about %(object)s"),
}

STATUS_PHRASE = gettext_lazy("%(actor)s moved %(object)s to “%(status)s”")
UNKNOWN_PHRASE = gettext_lazy("%(actor)s: %(action)s — %(object)s")

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass
class AuditLine:
    event: object  # the AuditEvent, redacted for the reader where it must be
    sentence: SafeString  # escaped HTML: the object is a link when the reader may open it
    url: str = ""  # the object's page, "" when there is none the reader may open


def audit_lines(user, events) -> list[AuditLine]:
    """The rows (redacted for ``user``) as sentences in the active language, each with the
    address of its object when ``user`` may open it."""
    events = audit_events_redact(user, events)
    links = _links(user, [e for e in events if not e.redacted])
    return [_line(event, links.get(event.pk, "")) for event in events]


# --- Sentences -----------------------------------------------------------------------------


def _model(event):
    try:
        return apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return None


def _actor(event) -> str:
    if event.actor_id and event.actor is not None:
        return str(event.actor)
    if event.actor_label and event.actor_label != "system":
        return event.actor_label
    return _("ServiceLoop")


def _object_html(event, model, url: str) -> SafeString:
    name = event.object_repr or (f"#{event.object_id}" if event.object_id else "")
    named = (
        format_html('<a href="{}">{}</a>', url, name) if url and name else conditional_escape(name)
    )
    kind = str(model._meta.verbose_name) if model is not None else ""
    if kind and name:
        return format_html("{} {}", kind, named)
    return conditional_escape(kind) if kind else named


def _status_label(event, model) -> str:
    """The label of the status a status change moved to, "" when it cannot be read."""
    payload = event.payload or {}
    target = payload.get("to")
    if target is None and isinstance(payload.get("status"), list) and payload["status"]:
        target = payload["status"][-1]
    if model is None or not isinstance(target, str):
        return ""
    try:
        choices = dict(model._meta.get_field("status").flatchoices)
    except FieldDoesNotExist:
        return ""
    label = choices.get(target)
    return str(label) if label is not None else ""


def _phrase(event, model) -> tuple[str, dict]:
    """The translated phrase of the row and the payload figures it names."""
    verb = event.verb or ""
    action = verb.rsplit(".", 1)[-1]
    payload = event.payload or {}
    phrase = VERB_PHRASES.get(verb)
    if phrase is not None:
        wanted = set(PLACEHOLDER.findall(str(phrase))) - {"actor", "object"}
        if all(payload.get(key) not in (None, "") for key in wanted):
            return str(phrase), {key: payload[key] for key in wanted}
    status = _status_label(event, model) if action == "status_changed" else ""
    if status:
        return str(STATUS_PHRASE), {"status": status}
    if action in ACTION_PHRASES:
        return str(ACTION_PHRASES[action]), {}
    for ending, ending_phrase in ENDING_PHRASES.items():
        if action.endswith(ending):
            return str(ending_phrase), {}
    readable = verb.replace(".", " ").replace("_", " ").strip() or "?"
    return str(UNKNOWN_PHRASE), {"action": readable}


def _line(event, url: str) -> AuditLine:
    model = _model(event)
    phrase, figures = _phrase(event, model)
    values = {key: conditional_escape(str(value)) for key, value in figures.items()}
    values["actor"] = conditional_escape(_actor(event))
    values["object"] = _object_html(event, model, url)
    # the phrase is a translation (plain text): escape it, then put in the escaped parts
    sentence = mark_safe(conditional_escape(phrase) % values)  # noqa: S308 - all parts escaped
    return AuditLine(event, sentence, url)


# --- Links ---------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _detail_url(model, obj) -> str:
    """The object's page by the project's convention, "" when there is none (the URL must
    be served by a view of the model's own app)."""
    app = model._meta.app_config.name
    names = (
        PAGE_NAMES.get(model._meta.label_lower, ""),
        f"{_snake(model.__name__)}_detail",
        f"{model._meta.model_name}_detail",
    )
    for url_name in dict.fromkeys(name for name in names if name):
        for field in URL_FIELDS:
            value = getattr(obj, field, None)
            if value in (None, ""):
                continue
            try:
                url = reverse(url_name, kwargs={field: value})
            except NoReverseMatch:
                continue
            try:
                module = getattr(resolve(url).func, "__module__", "") or ""
            except Resolver404:
                continue
            if module.startswith(f"{app}."):
                return url
            break  # a page of the same name in another app is not this object's
    return ""


def _links(user, events) -> dict[int, str]:
    """``{event id: url}`` of the rows whose object ``user`` may open."""
    by_type: dict[str, dict[str, list[int]]] = {}
    for event in events:
        if str(event.object_id).isdigit():
            by_type.setdefault(event.object_type, {}).setdefault(str(event.object_id), []).append(
                event.pk
            )
    links: dict[int, str] = {}
    for object_type, rows in by_type.items():
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        manager = model._default_manager
        if not hasattr(manager, "visible_to"):
            continue  # no rule says who may see it: link nothing
        for obj in manager.visible_to(user).filter(pk__in=[int(pk) for pk in rows]):
            url = _detail_url(model, obj)
            if url:
                for event_id in rows.get(str(obj.pk), ()):
                    links[event_id] = url
    for event_id, url in collect(AUDIT_LINKS, user=user, events=events):
        links[event_id] = url
    return links
