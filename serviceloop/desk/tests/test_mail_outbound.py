"""Outbound ticket e-mail, captured by a real SMTP server (aiosmtpd): the ticket reference in
the subject, a stable Message-ID per notification, In-Reply-To/References pointing at the
ticket's thread, Reply-To the desk's mailbox; and a customer's answer to such an e-mail,
sent back through a real IMAP server, lands on the same ticket."""

import email.policy
import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from django.db import transaction

from serviceloop.core.models import Notification
from serviceloop.core.services.notifications import mail_domain, notify
from serviceloop.desk.intake_email import mailbox_poll
from serviceloop.desk.models import Comment, MailOutcome, Ticket
from serviceloop.desk.services.tickets import ticket_comment, ticket_create
from serviceloop.desk.tests import mailserver

# the real servers' fixtures
dovecot = mailserver.dovecot
imap_mailbox = mailserver.imap_mailbox
smtp_sink = mailserver.smtp_sink

DESK = "desk@provider.example"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.DEFAULT_FROM_EMAIL = f"ServiceLoop <{DESK}>"
    settings.DESK_MAILBOX = f"Service desk <{DESK}>"
    settings.SITE_URL = "https://sl.example.org"


def _notification_id(message, reference: str) -> int:
    match = re.fullmatch(
        rf"<notification-(\d+)\.{reference}@provider\.example>", message["Message-ID"]
    )
    assert match, message["Message-ID"]
    return int(match[1])


def test_ticket_e_mails_carry_the_reference_and_thread_headers(
    people, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ticket = ticket_create(
            actor=people.agent,
            organisation=people.customer_a,
            requester=people.a_user,
            title="VPN is down",
        )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_comment(actor=people.agent, ticket=ticket, body="Please restart the client.")

    created, replied = smtp_sink.to(people.a_user.email)
    root = f"<ticket-{ticket.reference}@provider.example>"
    for message, kind in ((created, "ticket_created"), (replied, "ticket_reply")):
        # (a long encoded subject is folded onto a continuation line: unfolded, it starts
        # with a space, which mail clients drop)
        assert message["Subject"].strip().startswith(f"[{ticket.reference}] ")
        notification = Notification.objects.get(pk=_notification_id(message, ticket.reference))
        assert (notification.kind, notification.recipient) == (kind, people.a_user)
        assert message["In-Reply-To"] == root
        assert message["References"] == root
        assert message["Reply-To"] == f"Service desk <{DESK}>"
        assert message["Auto-Submitted"] == "auto-generated"
    assert created["Message-ID"] != replied["Message-ID"]


def test_the_customers_mail_and_our_answers_form_one_thread(
    people, imap_mailbox, smtp_sink, django_capture_on_commit_callbacks
):
    customer_id = make_msgid(domain="customer.example")
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = people.a_user.email, DESK, "打印机坏了"
    first["Message-ID"], first["Date"] = customer_id, formatdate()
    first.set_content("三楼的打印机无法打印。")
    imap_mailbox.append(first.as_bytes(policy=email.policy.SMTP))

    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll()

    ticket = Ticket.objects.get()
    (ack,) = smtp_sink.to(people.a_user.email)
    root = f"<ticket-{ticket.reference}@provider.example>"
    assert ack["Subject"].strip().startswith(f"[{ticket.reference}] ")
    assert ack["In-Reply-To"] == customer_id  # his client shows our answer under his mail
    assert ack["References"].split() == [root, customer_id]
    _notification_id(ack, ticket.reference)

    # The customer answers the acknowledgement from his mail client.
    answer = EmailMessage()
    answer["From"], answer["To"] = people.a_user.email, ack["Reply-To"]
    answer["Subject"] = "Re: " + ack["Subject"].split("] ", 1)[1]  # reference dropped
    answer["Message-ID"], answer["Date"] = make_msgid(domain="customer.example"), formatdate()
    answer["In-Reply-To"] = ack["Message-ID"]
    answer["References"] = f"{ack['References']} {ack['Message-ID']}"
    answer.set_content("型号是 HP M404。\n\n在 2026年8月3日 ServiceLoop 写道：\n> 我们已收到")
    imap_mailbox.append(answer.as_bytes(policy=email.policy.SMTP))

    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_poll()

    assert report.outcomes == {MailOutcome.REPLIED: 1}
    assert Comment.objects.get(ticket=ticket).body == "型号是 HP M404。"
    assert Ticket.objects.count() == 1


def test_the_message_id_domain_falls_back_to_the_site_address(settings):
    settings.DEFAULT_FROM_EMAIL = "serviceloop"
    settings.SITE_URL = "https://Desk.Example.COM:8443/"
    assert mail_domain() == "desk.example.com"


def test_without_a_desk_mailbox_there_is_no_reply_to(
    people, smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.DESK_MAILBOX = ""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ticket_create(
            actor=people.agent, organisation=people.customer_a, requester=people.a_user, title="X"
        )

    (message,) = smtp_sink.to(people.a_user.email)
    assert message["Reply-To"] is None
    assert message["In-Reply-To"].startswith("<ticket-INC-")


def test_every_notification_e_mail_has_a_stable_message_id_and_no_header_injection(
    people, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (notification,) = notify(recipients=[people.a_user], kind="welcome")

    (message,) = smtp_sink.to(people.a_user.email)
    assert message["Message-ID"] == f"<notification-{notification.pk}@provider.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    with pytest.raises(ValueError, match="line break"), transaction.atomic():
        notify(
            recipients=[people.a_user],
            kind="welcome",
            email_headers={"References": "<a@b>\r\nBcc: victim@example.org"},
        )
    assert Notification.objects.count() == 1
