"""E-mail intake: inbound messages become tickets or replies, each exactly once.

``mail_parse`` (parsing.py) reads a raw message; ``mail_process`` (processing.py) turns it
into a ticket or a reply, or records why not; ``mailbox_poll`` (imap.py) reads an IMAP
mailbox and feeds it message by message. See docs/email.md.

Exactly once: every processed message leaves a ``MailMessage`` row, unique on its Message-ID,
written in the same transaction as the ticket or reply it produced. The message is marked
read (or deleted) on the server only after that commit; a poll killed in between finds the
row the next time and only marks the message.
"""

from serviceloop.desk.intake_email.imap import (
    ImapAddress,
    MailboxError,
    PollReport,
    imap_connect,
    mailbox_poll,
)
from serviceloop.desk.intake_email.parsing import (
    ParsedMail,
    decode_header_text,
    html_to_text,
    mail_parse,
    strip_quoted_history,
)
from serviceloop.desk.intake_email.processing import MailResult, mail_process

__all__ = [
    "ImapAddress",
    "MailResult",
    "MailboxError",
    "ParsedMail",
    "PollReport",
    "decode_header_text",
    "html_to_text",
    "imap_connect",
    "mail_parse",
    "mail_process",
    "mailbox_poll",
    "strip_quoted_history",
]
