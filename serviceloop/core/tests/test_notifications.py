"""Notifications: rendered in each recipient's language, delivered after commit over real
SMTP and a signed webhook, retried on failure."""

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.urls import reverse

from serviceloop.core.channels import WebhookChannel
from serviceloop.core.models import Delivery, Notification
from serviceloop.core.roles import Role
from serviceloop.core.services.notifications import notify
from serviceloop.core.tasks import MAX_ATTEMPTS, deliver_notification
from serviceloop.core.tests.factories import DeliveryFactory, NotificationFactory, UserFactory


class Rollback(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- A real SMTP server ----------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def _smtp_settings(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "ServiceLoop <desk@provider.example>"
    settings.SITE_URL = "https://sl.example.org"


@pytest.fixture
def smtp_server(settings):
    """A local SMTP server on a free port; Django's SMTP backend points at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    _smtp_settings(settings, controller.port)
    yield mailbox
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Django's SMTP backend points at a port nobody listens on."""
    _smtp_settings(settings, free_port())


@pytest.fixture
def recipients(db):
    return {
        "zh": UserFactory(
            username="li.na", display_name="李娜", language="zh-hans", role=Role.AGENT
        ),
        "en": UserFactory(
            username="emma", display_name="Emma Clarke", language="en", role=Role.CUSTOMER_USER
        ),
    }


# --- Rendering --------------------------------------------------------------------------------


def test_notify_renders_each_notification_in_its_recipients_language(recipients):
    with transaction.atomic():
        created = notify(recipients=list(recipients.values()), kind="welcome", url="/")

    by_user = {n.recipient.username: n for n in created}
    assert by_user["li.na"].subject == "李娜，欢迎使用 ServiceLoop"
    assert "您的角色：服务台工程师" in by_user["li.na"].body
    assert by_user["emma"].subject == "Welcome to ServiceLoop, Emma Clarke"
    assert "Your role: Customer user." in by_user["emma"].body


def test_notify_skips_inactive_recipients_and_repeated_ones(recipients):
    inactive = UserFactory(is_active=False)
    zh = recipients["zh"]

    with transaction.atomic():
        created = notify(recipients=[zh, zh, inactive, None], kind="welcome")

    assert [n.recipient for n in created] == [zh]
    assert Delivery.objects.get().address == zh.email


def test_a_recipient_without_email_gets_the_notification_but_no_delivery(db):
    person = UserFactory(email="")

    with transaction.atomic():
        notify(recipients=[person], kind="welcome")

    assert Notification.objects.filter(recipient=person).count() == 1
    assert not Delivery.objects.exists()


def test_a_dedupe_key_notifies_each_recipient_once(recipients):
    for _ in range(2):
        with transaction.atomic():
            notify(recipients=[recipients["zh"]], kind="welcome", dedupe_key="welcome:1")

    assert Notification.objects.filter(dedupe_key="welcome:1").count() == 1
    assert Delivery.objects.count() == 1


# --- E-mail delivery over SMTP ------------------------------------------------------------


def test_nothing_is_delivered_before_the_transaction_commits(
    recipients, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify(recipients=[recipients["en"]], kind="welcome", url="/")
        assert smtp_server.messages == []
        assert Delivery.objects.get().status == Delivery.Status.PENDING

    assert len(callbacks) == 1
    assert len(smtp_server.messages) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None


def test_a_rolled_back_change_notifies_nobody(
    recipients, smtp_server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        notify(recipients=[recipients["en"]], kind="welcome")
        raise Rollback

    assert callbacks == []
    assert smtp_server.messages == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "who, subject, greeting, link_label",
    [
        ("zh", "李娜，欢迎使用 ServiceLoop", "李娜，您好：", "在 ServiceLoop 中打开"),
        ("en", "Welcome to ServiceLoop, Emma Clarke", "Hello Emma Clarke,", "Open in ServiceLoop"),
    ],
)
def test_the_email_has_html_and_text_parts_in_the_recipients_language(
    who, subject, greeting, link_label, recipients, smtp_server, django_capture_on_commit_callbacks
):
    recipient = recipients[who]

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(recipients=[recipient], kind="welcome", url="/profile/")

    (message,) = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == [recipient.email]
    assert message["Subject"] == subject
    assert message["To"] == recipient.email
    assert message["From"] == "ServiceLoop <desk@provider.example>"
    assert message["X-ServiceLoop-Kind"] == "welcome"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert greeting in text and subject in text
    assert "https://sl.example.org/profile/" in text
    assert greeting in html
    assert 'href="https://sl.example.org/profile/"' in html and link_label in html


def test_a_failing_smtp_server_leaves_the_delivery_pending_with_the_error(
    recipients, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(recipients=[recipients["zh"]], kind="welcome")

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.sent_at is None


def test_a_delivery_is_given_up_after_the_last_attempt(recipients, smtp_down):
    delivery = DeliveryFactory(notification=NotificationFactory(recipient=recipients["zh"]))

    for _ in range(MAX_ATTEMPTS):  # each run is what the queue's retry does
        deliver_notification(delivery.notification_id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in delivery.last_error


def test_a_retry_after_the_server_is_back_sends_once(recipients, settings, smtp_down):
    delivery = DeliveryFactory(notification=NotificationFactory(recipient=recipients["en"]))
    deliver_notification(delivery.notification_id)  # refused

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_PORT = controller.port
        deliver_notification(delivery.notification_id)
        deliver_notification(delivery.notification_id)  # already sent: nothing more
    finally:
        controller.stop()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(mailbox.messages) == 1


# --- Signed webhook ------------------------------------------------------------------------


class WebhookReceiver(http.server.BaseHTTPRequestHandler):
    status = 204
    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers, body))  # case-insensitive look-ups
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    """A local HTTP server in a thread; yields (url, received requests, handler class)."""
    handler = type("Receiver", (WebhookReceiver,), {"received": [], "status": 204})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def _signature_ok(secret: str, headers, body: bytes) -> bool:
    signed = headers["X-ServiceLoop-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-ServiceLoop-Signature"])


def test_the_webhook_channel_signs_its_body(db, webhook_server, settings):
    url, receiver = webhook_server
    settings.SITE_URL = "https://sl.example.org"
    notification = NotificationFactory(subject="服务中断 Outage", url="/incidents/1/")

    WebhookChannel(secret="s3cret").send(notification, url)

    ((headers, body),) = receiver.received
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert _signature_ok("s3cret", headers, body)
    assert not _signature_ok("another-secret", headers, body)
    payload = json.loads(body)
    assert payload["subject"] == "服务中断 Outage"
    assert payload["url"] == "https://sl.example.org/incidents/1/"


def test_a_webhook_answering_an_error_is_retried(db, webhook_server, settings):
    settings.WEBHOOK_SECRET = "s3cret"
    url, receiver = webhook_server
    receiver.status = 500
    delivery = DeliveryFactory(channel="webhook", address=url)

    deliver_notification(delivery.notification_id)

    delivery.refresh_from_db()
    assert len(receiver.received) == 1
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert "500" in delivery.last_error


def test_a_webhook_address_must_be_http(db):
    notification = NotificationFactory()

    with pytest.raises(ValueError, match="not an http"):
        WebhookChannel(secret="x").send(notification, "file:///etc/passwd")


def test_a_webhook_delivery_is_sent_through_the_queue(db, webhook_server, settings):
    settings.WEBHOOK_SECRET = "s3cret"
    url, receiver = webhook_server
    delivery = DeliveryFactory(channel="webhook", address=url)

    deliver_notification(delivery.notification_id)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert json.loads(receiver.received[0][1])["subject"] == delivery.notification.subject


def test_webhook_deliveries_are_signed_with_the_configured_secret(db, webhook_server, settings):
    url, receiver = webhook_server
    settings.WEBHOOK_SECRET = "configured-secret"
    delivery = DeliveryFactory(channel="webhook", address=url)

    deliver_notification(delivery.notification_id)

    ((headers, body),) = receiver.received
    assert _signature_ok("configured-secret", headers, body)


# --- The notification centre -------------------------------------------------------------


def test_the_notification_centre_lists_the_users_own_and_marks_them_read(people, client_for):
    mine = NotificationFactory(recipient=people.a_user, subject="Your request is solved")
    NotificationFactory(recipient=people.b_user, subject="Someone else's news")
    client = client_for(people.a_user)

    page = client.get(reverse("notification_list")).content.decode()
    client.post(reverse("notification_mark_all_read"))

    assert "Your request is solved" in page and "Someone else" not in page
    assert 'data-testid="unread-count">1<' in page
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()


def test_opening_a_notification_follows_only_a_local_link(people, client_for):
    local = NotificationFactory(recipient=people.a_user, url="/profile/")
    foreign = NotificationFactory(recipient=people.a_user, url="https://evil.example/")
    client = client_for(people.a_user)

    assert client.post(reverse("notification_open", args=[local.pk])).url == "/profile/"
    assert client.post(reverse("notification_open", args=[foreign.pk])).url == reverse(
        "notification_list"
    )


def test_without_a_secret_no_webhook_is_sent_unsigned(db, webhook_server, settings):
    settings.WEBHOOK_SECRET = ""
    url, receiver = webhook_server
    delivery = DeliveryFactory(channel="webhook", address=url)

    with pytest.raises(RuntimeError):
        deliver_notification.call_local(delivery.notification_id)

    delivery.refresh_from_db()
    assert receiver.received == []
    assert delivery.status == Delivery.Status.PENDING
    assert "WEBHOOK_SECRET" in delivery.last_error
