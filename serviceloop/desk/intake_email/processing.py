"""Turning one inbound e-mail into a ticket or a public reply, or recording why not.

What a message becomes: an automatic message (bounce, auto-reply, our own mail coming back) is
ignored; a reply from someone who may act on the ticket it answers becomes his public reply;
other mail from a known contact (an active customer person with that address) opens a ticket;
mail from an unknown address is rejected or, with MAIL_UNKNOWN_SENDERS=create, opens a ticket
for a new unverified contact. Every message leaves one ``MailMessage`` row, unique on its
Message-ID, in the same transaction as what it produced.
"""

import hashlib
import re
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, User
from serviceloop.core.roles import Role
from serviceloop.core.services.attachments import attachment_add
from serviceloop.core.services.organisations import person_create
from serviceloop.desk.intake_email.parsing import MailAttachment, ParsedMail, mail_parse
from serviceloop.desk.lifecycle import FINAL_STATUSES
from serviceloop.desk.models import MailMessage, MailOutcome, MailReason, Source, Ticket
from serviceloop.desk.models.mail import reference_in_message_id
from serviceloop.desk.permissions import ticket_role
from serviceloop.desk.services.tickets import ticket_comment, ticket_create

INTAKE_ACTOR = "mail-intake"  # the audit trail's actor label for what intake decides alone

# --- Turning a message into a ticket or a reply ------------------------------------------------


@dataclass
class MailResult:
    record: MailMessage
    duplicate: bool = False  # processed before: nothing was done this time


def _our_addresses() -> set[str]:
    addresses = (settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL, settings.DESK_MAILBOX)
    return {parseaddr(a)[1].lower() for a in addresses if a and parseaddr(a)[1]}


def _thread_ticket(mail: ParsedMail) -> Ticket | None:
    """The ticket the message answers: named by one of our Message-IDs in In-Reply-To or
    References, by an earlier processed message it answers, or by [INC-…] in the subject."""
    ids = [*mail.in_reply_to, *reversed(mail.references)]
    for message_id in ids:
        reference = reference_in_message_id(message_id)
        ticket = Ticket.objects.filter(reference=reference).first() if reference else None
        if ticket is not None:
            return ticket
    if ids:
        known = dict(
            MailMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
                "message_id", "ticket_id"
            )
        )
        for message_id in ids:
            if message_id in known:
                return Ticket.objects.get(pk=known[message_id])
    for reference in mail.subject_references:
        ticket = Ticket.objects.filter(reference=reference).first()
        if ticket is not None:
            return ticket
    return None


def _unverified_contact(address: str) -> User | None:
    """A contact intake created earlier for this address and nobody has verified yet."""
    created = MailMessage.objects.filter(contact_created=True).values("sender_person")
    return (
        User.objects.filter(email__iexact=address, is_active=False, pk__in=created)
        .select_related("organisation")
        .first()
    )


def _organisation_for_unknown(address: str) -> Organisation | None:
    """The active customer whose e-mail domain is the address's (or a parent of it), else
    the fallback MAIL_UNKNOWN_SENDERS_ORGANISATION."""
    customers = Organisation.objects.customers().filter(is_active=True)
    labels = address.rpartition("@")[2].split(".")
    for start in range(len(labels) - 1):
        matches = list(customers.filter(email_domain__iexact=".".join(labels[start:]))[:2])
        if len(matches) == 1:
            return matches[0]
    fallback = settings.MAIL_UNKNOWN_SENDERS_ORGANISATION
    if fallback:
        return customers.filter(Q(short_name=fallback) | Q(name=fallback)).first()
    return None


def _contact_create(mail: ParsedMail) -> User | None:
    """An unverified contact for an unknown sender: an inactive customer user without a
    password. Nothing is e-mailed to an inactive person, so a forged sender receives nothing
    until an administrator activates (verifies) the contact."""
    organisation = _organisation_for_unknown(mail.sender)
    if organisation is None:
        return None
    username = re.sub(r"[^\w.@+-]", "_", mail.sender)[:140]
    if User.objects.filter(username=username).exists():
        username = f"{username[:130]}.{hashlib.sha256(mail.key.encode()).hexdigest()[:8]}"
    return person_create(
        actor=None,
        organisation=organisation,
        username=username,
        role=Role.CUSTOMER_USER,
        email=mail.sender,
        display_name=(mail.sender_name or mail.sender)[:150],
        is_active=False,
    )


def _attachment_notes(mail: ParsedMail) -> tuple[list[MailAttachment], list[str]]:
    """The attachments to keep, and a line for each one too large to keep."""
    kept, notes = [], []
    for attachment in mail.attachments:
        if attachment.size > settings.ATTACHMENT_MAX_BYTES:
            notes.append(
                _("Attachment “%(name)s” (%(size)s) was not kept: the limit is %(limit)s.")
                % {
                    "name": attachment.filename,
                    "size": filesizeformat(attachment.size),
                    "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                }
            )
        else:
            kept.append(attachment)
    return kept, notes


def _attach(person: User, ticket: Ticket, attachments: list[MailAttachment]) -> None:
    for attachment in attachments:
        attachment_add(
            actor=person,
            organisation=ticket.organisation,
            uploaded_file=ContentFile(attachment.payload, name=attachment.filename),
            target=ticket,
        )


def _reply(record, mail, person, ticket, *, now) -> None:
    kept, notes = _attachment_notes(mail)
    body = "\n\n".join(filter(None, [mail.reply_text, *notes]))
    if not body and kept:
        body = _("Sent attachments: %(names)s") % {"names": ", ".join(a.filename for a in kept)}
    if not body:
        record.outcome, record.reason, record.ticket = MailOutcome.IGNORED, MailReason.EMPTY, ticket
        return
    record.comment = ticket_comment(
        actor=person, ticket=ticket, body=body, public=True, source=Source.EMAIL, now=now
    )
    _attach(person, ticket, kept)
    record.outcome, record.ticket = MailOutcome.REPLIED, ticket


def _new_ticket(record, mail, person, *, follow_up: Ticket | None, created_at) -> None:
    kept, notes = _attachment_notes(mail)
    if follow_up is not None:
        notes.insert(
            0,
            _("Follow-up to %(reference)s, which is closed.") % {"reference": follow_up.reference},
        )
    if not (mail.title or mail.text or kept):
        record.outcome, record.reason = MailOutcome.REJECTED, MailReason.EMPTY
        return
    ticket = ticket_create(
        actor=person,
        organisation=person.organisation,
        requester=person,
        title=mail.title or _("(no subject)"),
        description="\n\n".join(filter(None, [mail.text, *notes])),
        source=Source.EMAIL,
        idempotency_key=mail.idempotency_key,
        now=created_at,
    )
    _attach(person, ticket, kept)
    record.outcome, record.ticket = MailOutcome.CREATED, ticket


def _decide(record: MailMessage, mail: ParsedMail, *, now, created_at) -> None:
    """Fill in ``record`` (outcome, reason, ticket...) and do what the message asks."""
    if mail.automatic:
        record.outcome, record.reason = MailOutcome.IGNORED, mail.automatic
        return
    if mail.sender in _our_addresses() or reference_in_message_id(mail.message_id):
        record.outcome, record.reason = MailOutcome.IGNORED, MailReason.LOOP
        return
    try:
        validate_email(mail.sender)
    except ValidationError:
        record.outcome, record.reason = MailOutcome.REJECTED, MailReason.NO_SENDER
        return
    people = list(
        User.objects.filter(email__iexact=mail.sender, is_active=True).select_related(
            "organisation"
        )[:2]
    )
    if len(people) > 1:
        record.outcome, record.reason = MailOutcome.REJECTED, MailReason.AMBIGUOUS_SENDER
        return
    create_unknown = settings.MAIL_UNKNOWN_SENDERS == "create"
    person = people[0] if people else (_unverified_contact(mail.sender) if create_unknown else None)

    follow_up = None
    ticket = _thread_ticket(mail)
    if person is not None and ticket is not None:
        record.sender_person = person
        if ticket_role(person, ticket) is not None:
            if ticket.status not in FINAL_STATUSES:
                _reply(record, mail, person, ticket, now=now)
                return
            follow_up = ticket  # a reply to a closed ticket opens a new one
        elif person.is_provider_staff:  # read-only staff: may not reply
            record.outcome, record.reason = MailOutcome.REJECTED, MailReason.NOT_ALLOWED
            record.ticket = ticket
            return
    if person is None:
        if not create_unknown:
            record.outcome, record.reason = MailOutcome.REJECTED, MailReason.UNKNOWN_SENDER
            return
        person = _contact_create(mail)
        if person is None:
            record.outcome, record.reason = MailOutcome.REJECTED, MailReason.NO_ORGANISATION
            return
        record.contact_created = True
    record.sender_person = person
    if person.role not in (Role.CUSTOMER_MANAGER, Role.CUSTOMER_USER):
        record.outcome, record.reason = MailOutcome.REJECTED, MailReason.STAFF_NEW_MAIL
        return
    if not person.is_active:
        record.reason = MailReason.UNVERIFIED_SENDER
    _new_ticket(record, mail, person, follow_up=follow_up, created_at=created_at)


def mail_process(
    *, raw: bytes, mailbox: str = "", uid: int | None = None, received_at=None, now=None
) -> MailResult:
    """Turn one inbound message into a ticket or a public reply, or record why not.

    Idempotent by Message-ID (a digest of the message when it has none): a message processed
    before returns its first record with ``duplicate=True`` and does nothing, even when two
    workers race (the unique row decides; the loser's work is rolled back). One transaction:
    the record, the ticket or reply, attachments and audit rows commit together. A new ticket
    starts at ``received_at`` (the mailbox's arrival time) when given, else now.
    """
    now = now or timezone.now()
    created_at = min(received_at, now) if received_at else now
    mail = mail_parse(raw)
    existing = MailMessage.objects.filter(message_id=mail.key).first()
    if existing is not None:
        return MailResult(existing, duplicate=True)
    try:
        with transaction.atomic():
            record = MailMessage.objects.create(  # claims the Message-ID first
                message_id=mail.key,
                mailbox=mailbox[:300],
                uid=uid,
                sender=mail.sender[:254],
                subject=mail.subject[:250],
                received_at=received_at or mail.sent_at,
                processed_at=now,
                outcome=MailOutcome.IGNORED,
            )
            with translation.override(settings.LANGUAGE_CODE):
                try:
                    with transaction.atomic():
                        _decide(record, mail, now=now, created_at=created_at)
                except (ValidationError, PermissionDenied) as exc:
                    record.outcome, record.reason = MailOutcome.REJECTED, MailReason.NOT_ALLOWED
                    record.detail = "; ".join(getattr(exc, "messages", None) or [str(exc)])
                    record.ticket = record.comment = None
                    if record.contact_created:  # rolled back with the rest
                        record.sender_person, record.contact_created = None, False
            record.save()
            if record.outcome in (MailOutcome.IGNORED, MailOutcome.REJECTED):
                audit_record(
                    actor=INTAKE_ACTOR,
                    verb=f"mail.{record.outcome}",
                    obj=record,
                    organisation=record.sender_person.organisation
                    if record.sender_person
                    else None,
                    payload={
                        "message_id": record.message_id,
                        "sender": record.sender,
                        "subject": record.subject,
                        "reason": record.reason,
                        "detail": record.detail,
                    },
                )
    except IntegrityError:
        existing = MailMessage.objects.filter(message_id=mail.key).first()
        if existing is not None:
            return MailResult(existing, duplicate=True)
        raise
    return MailResult(record)
