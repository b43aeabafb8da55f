"""Outbound notification channels.

A channel turns a stored notification into a message somewhere else. E-mail is built in;
the generic signed webhook is the base later channels (WeCom, DingTalk, Feishu robots)
build on. ``send`` raises on failure so the queue retries the delivery.
"""

import hashlib
import hmac
import json
import time
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from serviceloop.core.models import Notification
from serviceloop.core.services.notifications import mail_domain


class Channel(Protocol):
    name: str

    def send(self, notification: Notification, address: str) -> None: ...


class EmailChannel:
    """HTML + plain-text e-mail in the recipient's language."""

    name = "email"

    def headers(self, notification: Notification) -> dict[str, str]:
        """The notification's own headers (``{notification_id}`` filled in), a Message-ID
        stable per notification (a retried delivery repeats it, so the recipient's server
        can drop the copy), and the RFC 3834 marks of an automatic message, which keep
        auto-responders (out-of-office replies) from answering it."""
        headers = {
            "Message-ID": f"<notification-{{notification_id}}@{mail_domain()}>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            **(notification.email_headers or {}),
            "X-ServiceLoop-Kind": notification.kind,
        }
        return {
            name: str(value).replace("{notification_id}", str(notification.pk))
            for name, value in headers.items()
            if value
        }

    def send(self, notification: Notification, address: str) -> None:
        recipient = notification.recipient
        context = {
            "notification": notification,
            "recipient": recipient,
            "link": f"{settings.SITE_URL}{notification.url}" if notification.url else "",
        }
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            text = render_to_string("core/email/notification.txt", context)
            html = render_to_string("core/email/notification.html", context)
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers=self.headers(notification),
        )
        message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)


class WebhookChannel:
    """POST a JSON body signed with HMAC-SHA256 (header X-ServiceLoop-Signature)."""

    name = "webhook"

    def __init__(self, secret: str | None = None, timeout: float = 10.0):
        self._secret = secret
        self.timeout = timeout

    @property
    def secret(self) -> str:
        """The signing key: given, or WEBHOOK_SECRET from the settings at send time."""
        return self._secret if self._secret is not None else settings.WEBHOOK_SECRET

    def payload(self, notification: Notification) -> bytes:
        return json.dumps(
            {
                "kind": notification.kind,
                "subject": notification.subject,
                "body": notification.body,
                "url": f"{settings.SITE_URL}{notification.url}" if notification.url else "",
                "created_at": notification.created_at.isoformat(),
            },
            ensure_ascii=False,
        ).encode()

    def send(self, notification: Notification, address: str) -> None:
        if not address.startswith(("https://", "http://")):
            raise ValueError(f"not an http(s) address: {address}")
        if not self.secret:
            raise ValueError("WEBHOOK_SECRET is not set: webhooks are never sent unsigned")
        body = self.payload(notification)
        timestamp = str(int(time.time()))
        signature = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            address,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-ServiceLoop-Timestamp": timestamp,
                "X-ServiceLoop-Signature": f"sha256={signature}",
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"webhook answered {response.status}")


CHANNELS: dict[str, Channel] = {
    "email": EmailChannel(),
    "webhook": WebhookChannel(),
}
