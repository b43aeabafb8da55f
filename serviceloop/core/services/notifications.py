"""Notifications: the in-app centre and deliveries over outbound channels.

``notify`` renders each message in the recipient's own language, stores it, and queues
its deliveries after the transaction commits (a rolled-back change notifies nobody).
"""

from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Delivery, Notification


def mail_domain() -> str:
    """The domain of our own Message-IDs: DEFAULT_FROM_EMAIL's, else SITE_URL's host."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return (domain or urlsplit(settings.SITE_URL).hostname or "localhost").lower()


def _render(kind: str, context: dict, recipient) -> tuple[str, str]:
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        text = render_to_string(
            f"core/notifications/{kind}.txt", {**context, "recipient": recipient}
        ).strip()
    subject, _sep, body = text.partition("\n")
    return subject.strip()[:250], body.strip()


def notify(
    *,
    recipients,
    kind: str,
    context: dict | None = None,
    url: str = "",
    dedupe_key: str = "",
    email_headers: dict[str, str] | None = None,
) -> list[Notification]:
    """Create one notification per active recipient and queue its e-mail delivery.

    The template ``core/notifications/<kind>.txt`` gives the subject (first line) and the
    body, rendered in each recipient's language. With ``dedupe_key``, a recipient who already
    has a notification with that key gets nothing new, even when two workers race (the
    database's unique constraint decides). Must run inside the change's transaction.

    ``email_headers`` go into the e-mail as they are (threading: ``Message-ID``,
    ``In-Reply-To``, ``References``, ``Reply-To``); ``{notification_id}`` in a value is
    replaced by each notification's id when the e-mail is built, so a Message-ID can be
    unique per notification and stable across retried deliveries.
    """
    return notify_many(
        [
            Message(
                recipients=recipients, kind=kind, context=context or {}, url=url,
                dedupe_key=dedupe_key, email_headers=email_headers or {},
            )
        ]
    )  # fmt: skip


@dataclass
class Message:
    """What ``notify`` takes, for ``notify_many``."""

    recipients: list
    kind: str
    context: dict = field(default_factory=dict)
    url: str = ""
    dedupe_key: str = ""
    email_headers: dict = field(default_factory=dict)


def notify_many(messages: list[Message]) -> list[Notification]:
    """``notify`` for several messages of one change (a new ticket tells its requester and
    its agent): the notifications without a dedupe key are inserted in one statement and
    their deliveries in another, so the change's transaction stays short."""
    from serviceloop.core.tasks import deliver_notification

    now = timezone.now()
    plain, created = [], []
    for message in messages:
        headers = dict(message.email_headers or {})
        for name, value in headers.items():
            if "\n" in name or "\r" in name or "\n" in str(value) or "\r" in str(value):
                raise ValueError(f"an e-mail header holds a line break: {name}")
        people = {r.pk: r for r in message.recipients if r is not None and r.is_active}
        for recipient in people.values():
            subject, body = _render(message.kind, message.context, recipient)
            notification = Notification(
                recipient=recipient,
                kind=message.kind,
                subject=subject,
                body=body,
                url=message.url,
                created_at=now,
                dedupe_key=message.dedupe_key,
                email_headers=headers,
            )
            if not message.dedupe_key:
                plain.append(notification)
                continue
            key = message.dedupe_key
            if Notification.objects.filter(recipient=recipient, dedupe_key=key).exists():
                continue
            try:
                with transaction.atomic():
                    notification.save()
            except IntegrityError:
                continue  # another worker notified this recipient a moment ago
            created.append(notification)
    if plain:
        created += Notification.objects.bulk_create(plain)
    deliveries = [
        Delivery(notification=n, channel="email", address=n.recipient.email)
        for n in created
        if n.recipient.email
    ]
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        for delivery in deliveries:
            pk = delivery.notification_id
            transaction.on_commit(lambda pk=pk: deliver_notification(pk), robust=True)
    return created


def notification_mark_read(*, actor, notification: Notification | None = None) -> int:
    """Mark one notification (or, with none given, all of the actor's) as read."""
    queryset = Notification.objects.visible_to(actor).unread()
    if notification is not None:
        queryset = queryset.filter(pk=notification.pk)
    with transaction.atomic():
        count = queryset.update(read_at=timezone.now())
        if count:
            audit_record(
                actor=actor,
                verb="notification.read",
                object_type="core.notification",
                object_id=notification.pk if notification else "all",
                organisation=actor.organisation,
                payload={"count": count},
            )
    return count


def reminders_send(records, *, key, recipient, kind, context, url, verb, payload) -> int:
    """Notify ``recipient(record)`` of each record, exactly once per ``key(record)``: no
    second notification goes out for a key already used (even to another recipient, say the
    record changed owner), and the database's unique dedupe key settles a race between two
    workers. Each reminder sent appends an audit row (``verb``, ``payload(record)``; no
    actor) in the notification's transaction. ``context`` and ``url`` are functions of the
    record. Returns how many were sent. The overdue reminders of every part use it: a key
    names the record and its date, so a new date is reminded of when it passes in its turn."""
    from serviceloop.core.audit import audit_record

    sent = 0
    for record in records:
        dedupe_key = key(record)
        if Notification.objects.filter(dedupe_key=dedupe_key).exists():
            continue
        with transaction.atomic():
            created = notify(
                recipients=[recipient(record)],
                kind=kind,
                context=context(record),
                url=url(record),
                dedupe_key=dedupe_key,
            )
            if created:
                audit_record(actor=None, verb=verb, obj=record, payload=payload(record))
                sent += 1
    return sent
