"""E-mail of the service desk: the record of every inbound message processed, the read position
in each polled mailbox, and the Message-IDs that thread a ticket's e-mail together.

Outbound notifications about a ticket carry ``<notification-<id>.<ref>@<domain>>`` as their
Message-ID and refer to the ticket's root ``<ticket-<ref>@<domain>>`` (a message never sent:
it only gives every e-mail about the ticket a common ancestor). Replies quote these ids in
``In-Reply-To``/``References``, which is how intake finds the ticket again.
"""

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.services.notifications import mail_domain
from serviceloop.desk.models.tickets import Source, Ticket

# A ticket reference as numbering.reference_allocate writes it: INC-2026-000123.
REFERENCE_PATTERN = r"[A-Z]{2,6}-\d{4}-\d{3,}"
OUR_MESSAGE_ID = re.compile(
    rf"^<(?:ticket-|notification-\d+\.)(?P<reference>{REFERENCE_PATTERN})@[^<>@\s]+>$"
)


def ticket_root_message_id(reference: str) -> str:
    """The Message-ID every e-mail about the ticket refers to: ``<ticket-<ref>@<domain>>``."""
    return f"<ticket-{reference}@{mail_domain()}>"


def reference_in_message_id(message_id: str) -> str:
    """The ticket reference inside one of our own Message-IDs, else ``""``."""
    match = OUR_MESSAGE_ID.match(message_id.strip())
    return match["reference"] if match else ""


def ticket_email_headers(ticket: Ticket) -> dict[str, str]:
    """Headers for ``notify(..., email_headers=...)`` about ``ticket``: a Message-ID per
    notification, ``In-Reply-To``/``References`` pointing at the ticket's root id (and at the
    customer's own first message when the ticket came by e-mail, so his client threads our
    answers under it), and ``Reply-To`` the desk's mailbox (setting DESK_MAILBOX) if set.
    Costs no query."""
    root = ticket_root_message_id(ticket.reference)
    headers = {
        "Message-ID": f"<notification-{{notification_id}}.{ticket.reference}@{mail_domain()}>",
        "In-Reply-To": root,
        "References": root,
    }
    # Mail intake stores the customer's Message-ID as the ticket's idempotency key.
    original = ticket.idempotency_key if ticket.source == Source.EMAIL else ""
    if original.startswith("<") and original.endswith(">") and " " not in original:
        headers["In-Reply-To"] = original
        headers["References"] = f"{root} {original}"
    if settings.DESK_MAILBOX:
        headers["Reply-To"] = settings.DESK_MAILBOX
    return headers


class MailOutcome(models.TextChoices):
    CREATED = "created", _("Ticket created")
    REPLIED = "replied", _("Added to a ticket")
    IGNORED = "ignored", _("Ignored")
    REJECTED = "rejected", _("Rejected")


class MailReason(models.TextChoices):
    """Why a message was ignored or rejected (or what was special about it)."""

    AUTO_REPLY = "auto_reply", _("Automatic reply (out of office, auto-responder)")
    BOUNCE = "bounce", _("Delivery status notification (bounce)")
    LOOP = "loop", _("Sent by this service desk itself")
    NO_SENDER = "no_sender", _("No sender address")
    UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")
    AMBIGUOUS_SENDER = "ambiguous_sender", _("Several people have this address")
    NO_ORGANISATION = "no_organisation", _("No customer organisation for the sender's domain")
    STAFF_NEW_MAIL = "staff_new_mail", _("Provider staff can only reply to tickets by e-mail")
    EMPTY = "empty", _("Empty message")
    NOT_ALLOWED = "not_allowed", _("The sender may not do this")
    UNVERIFIED_SENDER = "unverified_sender", _("Unverified sender")


class MailMessage(models.Model):
    """One inbound e-mail processed by intake, whatever became of it.

    The unique ``message_id`` makes every message count once: the row is written in the same
    transaction as the ticket or reply it produced, so a repeated poll, a mailbox that keeps
    its mail, or a second worker never processes it twice.
    """

    # The Message-ID header (``<...>``); "sha256:<hex>" when it is missing or too long.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    mailbox = models.CharField(_("mailbox"), max_length=300, blank=True)
    uid = models.PositiveBigIntegerField(_("IMAP UID"), null=True, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    sender_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender (person)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=MailOutcome.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=MailReason.choices, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_messages",
    )
    comment = models.ForeignKey(
        "desk.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sender was unknown and intake created him as an unverified (inactive) contact.
    contact_created = models.BooleanField(_("contact created"), default=False)

    class Meta:
        ordering = ["-processed_at", "-id"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [models.Index(fields=["outcome", "-processed_at"], name="mail_outcome_recent")]

    def __str__(self):
        return f"{self.message_id} → {self.outcome}"


class MailboxCursor(models.Model):
    """How far intake has read a mailbox: messages above ``last_uid`` are new even when a
    person already opened them in a mail client. Valid for one UIDVALIDITY only."""

    mailbox = models.CharField(max_length=300, unique=True)  # user@host:port/folder
    uid_validity = models.PositiveBigIntegerField()
    last_uid = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("mailbox read position")

    def __str__(self):
        return f"{self.mailbox} {self.uid_validity}:{self.last_uid}"
