"""Mail intake against a real IMAP server (Dovecot, started by the tests): new tickets from
known contacts, replies threaded by headers and by subject, each message processed exactly
once (polled twice, interrupted half-way), automatic mail ignored, unknown senders under both
policies, Chinese charsets, HTML mail and attachments."""

import base64
import datetime
import email.policy
import io
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from serviceloop.core.models import Attachment, AuditEvent, Delivery, Notification, User
from serviceloop.desk.intake_email import MailboxError, mailbox_poll
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Comment, MailMessage, MailOutcome, MailReason, Source, Ticket
from serviceloop.desk.models.mail import ticket_root_message_id
from serviceloop.desk.services.tickets import ticket_comment, ticket_create, ticket_transition
from serviceloop.desk.tasks import fetch_mail
from serviceloop.desk.tests import mailserver

# These tests read messages: in English, whatever the default language.
pytestmark = pytest.mark.usefixtures("english")

# the real IMAP server's fixtures
dovecot = mailserver.dovecot
imap_mailbox = mailserver.imap_mailbox

DESK = "desk@provider.example"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.DEFAULT_FROM_EMAIL = f"ServiceLoop <{DESK}>"
    settings.SERVER_EMAIL = settings.DEFAULT_FROM_EMAIL
    settings.DESK_MAILBOX = f"Service desk <{DESK}>"
    settings.MAIL_UNKNOWN_SENDERS = "reject"
    settings.MAIL_UNKNOWN_SENDERS_ORGANISATION = ""


def compose(
    *,
    sender="a.user@example.org",
    subject="Printer on floor 3 is jammed",
    body="The printer shows error E-52 since this morning.",
    html=None,
    message_id=None,
    headers=None,
    attachments=(),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, payload, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire


def message_id_of(raw: bytes) -> str:
    return next(
        line.split(b":", 1)[1].strip().decode()
        for line in raw.split(b"\r\n")
        if line.lower().startswith(b"message-id:")
    )


# --- New tickets ---------------------------------------------------------------------------


def test_mail_from_a_known_contact_opens_a_ticket_and_is_marked_read(people, imap_mailbox):
    raw = compose(subject="Fwd: 打印机卡纸 Printer jammed")
    uid = imap_mailbox.append(raw)

    report = mailbox_poll()

    assert report.outcomes == {MailOutcome.CREATED: 1}
    ticket = Ticket.objects.get()
    assert ticket.title == "打印机卡纸 Printer jammed"
    assert ticket.description == "The printer shows error E-52 since this morning."
    assert (ticket.requester, ticket.organisation) == (people.a_user, people.customer_a)
    assert (ticket.source, ticket.idempotency_key) == (Source.EMAIL, message_id_of(raw))
    record = MailMessage.objects.get()
    assert (record.message_id, record.outcome, record.ticket, record.sender_person) == (
        message_id_of(raw),
        MailOutcome.CREATED,
        ticket,
        people.a_user,
    )
    assert record.uid == uid and record.mailbox.endswith(f"/{imap_mailbox.name}")
    created = AuditEvent.objects.get(verb="ticket.created")
    assert created.actor == people.a_user and created.payload["source"] == "email"
    assert "\\Seen" in imap_mailbox.flags()[uid]
    # the requester's acknowledgement is queued (its headers are checked in test_mail_outbound)
    assert Notification.objects.filter(recipient=people.a_user, kind="ticket_created").exists()


# --- Replies -------------------------------------------------------------------------------


def test_a_reply_is_threaded_by_its_headers_and_resumes_a_ticket_waiting_for_the_customer(
    people, imap_mailbox
):
    ticket = ticket_create(
        actor=people.agent,
        organisation=people.customer_a,
        requester=people.a_user,
        title="VPN is down",
    )
    ticket_transition(actor=people.agent, ticket=ticket, target=Status.WAITING_CUSTOMER)
    notification_id = f"<notification-77.{ticket.reference}@provider.example>"
    imap_mailbox.append(
        compose(
            subject="Re: something unrelated",  # no reference in the subject: headers decide
            body="It works again after the restart.\n\nOn Mon, 3 Aug 2026, ServiceLoop <desk@provider.example> wrote:\n> We need more details.\n> Thanks",
            headers={"In-Reply-To": notification_id, "References": notification_id},
        )
    )

    report = mailbox_poll()

    assert report.outcomes == {MailOutcome.REPLIED: 1}
    comment = Comment.objects.get(ticket=ticket, author=people.a_user)
    assert comment.body == "It works again after the restart."  # quoted history stripped
    assert (comment.is_public, comment.source) == (True, Source.EMAIL)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert Ticket.objects.count() == 1
    assert MailMessage.objects.get().comment == comment


def test_a_reply_is_threaded_by_the_reference_in_its_subject(people, imap_mailbox):
    ticket = ticket_create(
        actor=people.agent,
        organisation=people.customer_a,
        requester=people.a_user,
        title="Mailbox full",
    )
    imap_mailbox.append(
        compose(
            subject=f"回复：[{ticket.reference}] Mailbox full",
            body="已经清理了，谢谢。\n\n------------------ 原始邮件 ------------------\n发件人: ServiceLoop\n发送时间: 2026年8月3日\n主题: Mailbox full",
        )
    )

    mailbox_poll()

    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.body) == (people.a_user, "已经清理了，谢谢。")
    assert Ticket.objects.count() == 1


def test_the_root_id_of_a_ticket_threads_too_and_agents_reply_by_mail(people, imap_mailbox):
    ticket = ticket_create(
        actor=people.agent,
        organisation=people.customer_a,
        requester=people.a_user,
        title="Slow network",
    )
    imap_mailbox.append(
        compose(
            sender=f"Agent <{people.agent.email}>",
            subject="Re: Slow network",
            body="We replaced the switch; please check.",
            headers={"References": ticket_root_message_id(ticket.reference)},
        )
    )

    mailbox_poll()

    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.is_public) == (people.agent, True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None  # a provider's public reply


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(people, imap_mailbox):
    old = ticket_create(
        actor=people.agent, organisation=people.customer_a, requester=people.a_user, title="Old"
    )
    ticket_transition(actor=people.agent, ticket=old, target=Status.CANCELLED, note="Duplicate")
    imap_mailbox.append(compose(subject=f"Re: [{old.reference}] Old", body="It is back."))

    mailbox_poll()

    new = Ticket.objects.exclude(pk=old.pk).get()
    assert new.title == "Old"
    assert old.reference in new.description and "It is back." in new.description
    assert not Comment.objects.filter(ticket=old, author=people.a_user).exists()


def test_someone_who_may_not_act_on_the_ticket_gets_his_own_ticket(people, imap_mailbox):
    ticket = ticket_create(
        actor=people.agent,
        organisation=people.customer_a,
        requester=people.a_user,
        title="Laptop broken",
    )
    imap_mailbox.append(
        compose(sender=people.b_user.email, subject=f"Re: [{ticket.reference}] Laptop broken")
    )

    mailbox_poll()

    assert not Comment.objects.filter(ticket=ticket).exists()
    theirs = Ticket.objects.get(requester=people.b_user)
    assert theirs.organisation == people.customer_b


# --- Exactly once ----------------------------------------------------------------------------


def test_a_mailbox_polled_twice_creates_each_ticket_once(people, imap_mailbox, transactional_db):
    raws = [compose(subject=f"Request {n}") for n in range(3)]
    for raw in raws:
        imap_mailbox.append(raw)

    first = mailbox_poll()
    # The mailbox keeps its mail, and someone marks it unread again in his mail client.
    connection = imap_mailbox.server.client()
    connection.select(imap_mailbox.name)
    connection.uid("STORE", "1:*", "-FLAGS", "(\\Seen)")
    connection.logout()
    second = mailbox_poll()

    assert first.outcomes == {MailOutcome.CREATED: 3}
    assert (second.processed, second.duplicates) == (0, 3)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        "Request 0",
        "Request 1",
        "Request 2",
    ]
    assert MailMessage.objects.count() == 3
    assert all("\\Seen" in flags for flags in imap_mailbox.flags().values())
    assert mailbox_poll().processed == 0  # nothing new: nothing fetched


def test_a_poll_interrupted_half_way_and_run_again_creates_no_duplicates(
    people, imap_mailbox, transactional_db
):
    raws = [compose(subject=f"Incident {n}") for n in range(4)]
    uids = [imap_mailbox.append(raw) for raw in raws]
    seen = []

    def drop_connection_after_the_second(uid, result):
        seen.append(uid)
        if len(seen) == 2:  # committed, not yet marked read: the server drops us now
            imap_mailbox.server.kick()

    with pytest.raises(MailboxError):
        mailbox_poll(after_message=drop_connection_after_the_second)

    assert Ticket.objects.count() == 2
    flags = imap_mailbox.flags()
    assert "\\Seen" in flags[uids[0]] and "\\Seen" not in flags[uids[1]]

    again = mailbox_poll()

    assert (again.outcomes, again.duplicates) == ({MailOutcome.CREATED: 2}, 1)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        f"Incident {n}" for n in range(4)
    ]
    assert sorted(MailMessage.objects.values_list("message_id", flat=True)) == sorted(
        message_id_of(raw) for raw in raws
    )
    assert all("\\Seen" in f for f in imap_mailbox.flags().values())


def test_mail_read_by_a_person_before_the_poll_is_still_processed(people, imap_mailbox):
    imap_mailbox.append(compose(subject="First"))
    mailbox_poll()  # the read position now exists
    imap_mailbox.append(compose(subject="Opened in a mail client first"), seen=True)

    report = mailbox_poll()

    assert report.outcomes == {MailOutcome.CREATED: 1}
    assert Ticket.objects.filter(title="Opened in a mail client first").exists()


def test_mail_read_before_intake_was_set_up_is_left_alone(people, imap_mailbox):
    imap_mailbox.append(compose(subject="Old, already handled by hand"), seen=True)
    imap_mailbox.append(compose(subject="Old but unread"))

    mailbox_poll()

    assert list(Ticket.objects.values_list("title", flat=True)) == ["Old but unread"]


def test_a_new_ticket_starts_when_the_mail_arrived_not_when_it_was_polled(people, imap_mailbox):
    arrived = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=3)
    imap_mailbox.append(compose(subject="Sent while the poller was down"), arrived_at=arrived)

    mailbox_poll()

    ticket = Ticket.objects.get()
    assert ticket.created_at == arrived
    assert MailMessage.objects.get().received_at == arrived


def test_with_imap_delete_processed_mail_is_removed(people, imap_mailbox, settings):
    settings.IMAP_DELETE = True
    imap_mailbox.append(compose())
    imap_mailbox.append(compose(headers={"Auto-Submitted": "auto-replied"}))

    report = mailbox_poll()

    assert report.processed == 2
    assert imap_mailbox.flags() == {}
    assert Ticket.objects.count() == 1


# --- Automatic mail ----------------------------------------------------------------------------


BOUNCE = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r
To: desk@provider.example\r
Subject: Undelivered Mail Returned to Sender\r
Message-ID: <bounce-1@mx.customer.example>\r
Return-Path: <>\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r
\r
--b1\r
Content-Type: text/plain\r
\r
Your message could not be delivered.\r
--b1\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.customer.example\r
\r
Final-Recipient: rfc822; gone@customer.example\r
Action: failed\r
Status: 5.1.1\r
--b1--\r
"""


def test_auto_replies_and_bounces_are_ignored(people, imap_mailbox):
    automatic = [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=x@example.org"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Return-Path": "<>"},
    ]
    for headers in automatic:
        imap_mailbox.append(compose(subject="Out of office: 休假中", headers=headers))
    imap_mailbox.append(BOUNCE)
    imap_mailbox.append(compose(sender="MAILER-DAEMON@customer.example", subject="failure"))
    imap_mailbox.append(compose(headers={"Auto-Submitted": "no"}))  # a person wrote this one

    report = mailbox_poll()

    assert report.outcomes == {MailOutcome.IGNORED: 10, MailOutcome.CREATED: 1}
    reasons = dict(
        MailMessage.objects.filter(outcome=MailOutcome.IGNORED)
        .values_list("reason")
        .annotate(n=Count("id"))
    )
    assert reasons == {MailReason.AUTO_REPLY: 7, MailReason.BOUNCE: 3}
    assert Ticket.objects.count() == 1
    assert AuditEvent.objects.filter(verb="mail.ignored").count() == 10
    assert all("\\Seen" in f for f in imap_mailbox.flags().values())


def test_our_own_notifications_coming_back_are_ignored(people, imap_mailbox):
    imap_mailbox.append(compose(sender=f"ServiceLoop <{DESK}>", subject="[INC-2026-000001] x"))
    imap_mailbox.append(
        compose(
            sender="someone@customer.example",
            message_id="<notification-5.INC-2026-000001@provider.example>",
        )
    )

    mailbox_poll()

    assert set(MailMessage.objects.values_list("outcome", "reason")) == {
        (MailOutcome.IGNORED, MailReason.LOOP)
    }
    assert not Ticket.objects.exists()


# --- Unknown senders -----------------------------------------------------------------------------


def test_unknown_senders_are_rejected_and_sent_nothing(
    people, imap_mailbox, django_capture_on_commit_callbacks, mailoutbox
):
    imap_mailbox.append(compose(sender="stranger@nowhere.example", subject="Help"))

    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_poll()

    assert report.outcomes == {MailOutcome.REJECTED: 1}
    record = MailMessage.objects.get()
    assert (record.reason, record.sender, record.ticket) == (
        MailReason.UNKNOWN_SENDER,
        "stranger@nowhere.example",
        None,
    )
    assert not Ticket.objects.exists() and not User.objects.filter(email__contains="stranger")
    assert not Notification.objects.exists() and mailoutbox == []
    assert AuditEvent.objects.get(verb="mail.rejected").payload["sender"] == (
        "stranger@nowhere.example"
    )


def test_unknown_senders_become_unverified_contacts_of_their_domains_customer(
    people, imap_mailbox, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.MAIL_UNKNOWN_SENDERS = "create"
    # customer A's e-mail domain is ca.example.org (see the people fixture)
    imap_mailbox.append(compose(sender="王芳 <wang.fang@ca.example.org>", subject="新电脑申请"))
    imap_mailbox.append(compose(sender="wang.fang@ca.example.org", subject="Another one"))
    imap_mailbox.append(compose(sender="x@unrelated.example", subject="No customer"))

    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll()

    contact = User.objects.get(email="wang.fang@ca.example.org")
    assert (contact.organisation, contact.role, contact.is_active) == (
        people.customer_a,
        "customer_user",
        False,
    )
    assert contact.display_name == "王芳" and not contact.has_usable_password()
    tickets = Ticket.objects.filter(requester=contact).order_by("id")
    assert [t.title for t in tickets] == ["新电脑申请", "Another one"]  # one contact, reused
    outcomes = list(MailMessage.objects.order_by("id").values_list("outcome", "reason"))
    assert outcomes == [
        (MailOutcome.CREATED, MailReason.UNVERIFIED_SENDER),
        (MailOutcome.CREATED, MailReason.UNVERIFIED_SENDER),
        (MailOutcome.REJECTED, MailReason.NO_ORGANISATION),
    ]
    assert MailMessage.objects.filter(contact_created=True).count() == 1
    # nothing is e-mailed to an address nobody has verified
    assert not Delivery.objects.filter(address=contact.email).exists() and mailoutbox == []


def test_unknown_senders_can_go_to_a_fallback_customer(people, imap_mailbox, settings):
    settings.MAIL_UNKNOWN_SENDERS = "create"
    settings.MAIL_UNKNOWN_SENDERS_ORGANISATION = people.customer_b.short_name
    imap_mailbox.append(compose(sender="citizen@mail.example", subject="Street light out"))

    mailbox_poll()

    ticket = Ticket.objects.get()
    assert ticket.organisation == people.customer_b
    assert ticket.requester.email == "citizen@mail.example"


def test_staff_cannot_open_tickets_by_mail(people, imap_mailbox):
    imap_mailbox.append(compose(sender=people.agent.email, subject="Internal thing"))

    mailbox_poll()

    assert not Ticket.objects.exists()
    assert MailMessage.objects.get().reason == MailReason.STAFF_NEW_MAIL


# --- Content -------------------------------------------------------------------------------


def _b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode()


def test_gbk_encoded_chinese_mail_is_decoded(people, imap_mailbox):
    # Labelled GB2312 but holding 镕 and 喆, which only GBK has: real clients do this.
    subject = "关于朱镕基路网络中断的报告"
    body = "您好，陶喆路机房的交换机从早上开始无法连接。\r\n谢谢！"
    attachment_name = "故障截图.txt"
    raw = (
        f"From: =?GBK?B?{_b64('张三', 'gbk')}?= <a.user@example.org>\r\n"
        f"To: {DESK}\r\n"
        f"Subject: =?GB2312?B?{_b64(subject, 'gbk')}?=\r\n"
        "Message-ID: <gbk-1@customer.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="gbk"\r\n\r\n'
        "--gbk\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{_b64(body, 'gbk')}\r\n"
        "--gbk\r\n"
        "Content-Type: text/plain; charset=gbk\r\n"
        f"Content-Disposition: attachment; filename*=gbk''{''.join(f'%{b:02X}' for b in attachment_name.encode('gbk'))}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{_b64('日志：镕', 'gbk')}\r\n"
        "--gbk--\r\n"
    ).encode("ascii")
    imap_mailbox.append(raw)

    mailbox_poll()

    ticket = Ticket.objects.get()
    assert ticket.title == subject
    assert ticket.description == body.replace("\r\n", "\n")
    attachment = Attachment.objects.get()
    assert attachment.filename == attachment_name
    assert attachment.file.read().decode("gbk") == "日志：镕"


def test_an_html_only_mail_is_sanitised_and_reduced_to_text(people, imap_mailbox):
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Hello,</p><p>The <b>portal</b> returns <i>500</i> on "
        '<a href="https://portal.example/login" onclick="steal()">the login page</a>.</p>'
        "<ul><li>since 09:00</li><li>all users</li></ul>"
        "<img src=x onerror=alert(1)>"
        "</body></html>"
    )
    imap_mailbox.append(compose(body=None, html=html, subject="Portal down"))

    mailbox_poll()

    description = Ticket.objects.get().description
    assert description == (
        "Hello,\n\nThe portal returns 500 on the login page <https://portal.example/login>.\n\n"
        "- since 09:00\n- all users"
    )
    for unsafe in ("alert", "steal", "color:red", "<"):
        assert unsafe not in description.replace("<https://portal.example/login>", "")


def test_an_html_reply_loses_its_quoted_history(people, imap_mailbox):
    ticket = ticket_create(
        actor=people.agent, organisation=people.customer_a, requester=people.a_user, title="Disk"
    )
    ticket_comment(actor=people.agent, ticket=ticket, body="Which disk?")
    html = (
        "<div>The <b>D:</b> drive.</div>"
        '<div class="gmail_quote"><div>On Tue, 4 Aug 2026 ServiceLoop wrote:</div>'
        "<blockquote>Which disk?</blockquote></div>"
    )
    imap_mailbox.append(compose(body=None, html=html, subject=f"Re: [{ticket.reference}] Disk"))

    mailbox_poll()

    assert Comment.objects.get(author=people.a_user).body == "The D: drive."


def test_attachments_are_kept_and_too_large_ones_noted(people, imap_mailbox, settings):
    settings.ATTACHMENT_MAX_BYTES = 2000
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    imap_mailbox.append(
        compose(
            subject="Screen flickers",
            attachments=[
                ("screen.png", png, "image/png"),
                ("dump.bin", b"\x01" * 5000, "application/octet-stream"),
            ],
        )
    )

    mailbox_poll()

    ticket = Ticket.objects.get()
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.mime_type, attachment.size) == (
        "screen.png",
        "image/png",
        len(png),
    )
    assert (attachment.target, attachment.uploaded_by) == (ticket, people.a_user)
    assert "dump.bin" in ticket.description and "4.9" in ticket.description


def test_a_reply_with_only_an_attachment_is_kept_as_a_reply(people, imap_mailbox):
    ticket = ticket_create(
        actor=people.agent, organisation=people.customer_a, requester=people.a_user, title="Log"
    )
    imap_mailbox.append(
        compose(
            subject=f"Re: [{ticket.reference}] Log",
            body="",
            attachments=[("app.log", b"ERROR disk full\n", "text/plain")],
        )
    )

    mailbox_poll()

    comment = Comment.objects.get(author=people.a_user)
    assert "app.log" in comment.body
    assert Attachment.objects.get().target == ticket


# --- Entry points --------------------------------------------------------------------------


def test_the_periodic_task_and_the_command_poll_the_configured_mailbox(
    people, imap_mailbox, settings
):
    imap_mailbox.append(compose(subject="From the task"))
    result = fetch_mail.call_local()
    assert result["created"] == 1

    imap_mailbox.append(compose(subject="From the command"))
    out = io.StringIO()
    call_command("fetch_mail", verbosity=2, stdout=out)
    assert "1 new tickets" in out.getvalue() and "created INC-" in out.getvalue()
    assert Ticket.objects.count() == 2

    settings.IMAP_URL = ""
    assert fetch_mail.call_local() is None
    with pytest.raises(CommandError, match="IMAP_URL is not set"):
        call_command("fetch_mail")


def test_a_wrong_password_or_url_is_a_clear_error(people, imap_mailbox):
    wrong = imap_mailbox.url.replace("desk-test-password", "wrong")
    with pytest.raises(CommandError, match="Cannot sign in"):
        call_command("fetch_mail", url=wrong)
    with pytest.raises(CommandError, match="IMAP_URL must look like"):
        call_command("fetch_mail", url="https://example.org/")
    assert not MailMessage.objects.exists()
