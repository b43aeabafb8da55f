"""Polling an IMAP mailbox (stdlib ``imaplib``): new messages in UID order, each processed in
its own transaction and marked read (or deleted) on the server only after the commit."""

import contextlib
import datetime
import imaplib
import ipaddress
import logging
import re
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote as url_unquote
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.desk.intake_email.processing import MailResult, mail_process
from serviceloop.desk.models import MailboxCursor, MailOutcome

log = logging.getLogger(__name__)

# --- Polling an IMAP mailbox -------------------------------------------------------------------


class MailboxError(Exception):
    """The mailbox cannot be read (configuration, connection, login, protocol)."""


@dataclass(frozen=True)
class ImapAddress:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str
    tls: bool  # imaps:// (TLS from the start); imap:// uses STARTTLS when offered

    @property
    def key(self) -> str:
        """The mailbox's name in our records: no password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"

    @classmethod
    def parse(cls, url: str) -> "ImapAddress":
        """``imaps://user:password@host:993/INBOX`` (or ``imap://``, port 143); user and
        password percent-encoded (``desk%40example.com``)."""
        parts = urlsplit(url or "")
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise MailboxError(
                _("IMAP_URL must look like imaps://user:password@host:993/INBOX, not %(url)r.")
                % {"url": f"{parts.scheme}://{parts.hostname or ''}"}
            )
        if not parts.username or parts.password is None:
            raise MailboxError(_("IMAP_URL needs a user name and a password."))
        try:
            port = parts.port
        except ValueError as exc:
            raise MailboxError(_("IMAP_URL has an invalid port.")) from exc
        return cls(
            host=parts.hostname,
            port=port or (993 if parts.scheme == "imaps" else 143),
            user=url_unquote(parts.username),
            password=url_unquote(parts.password),
            folder=url_unquote(parts.path.lstrip("/")) or "INBOX",
            tls=parts.scheme == "imaps",
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response, what: str):
    typ, data = response
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise MailboxError(f"IMAP {what}: {typ} {detail}".strip())
    return data


def imap_connect(address: ImapAddress) -> imaplib.IMAP4:
    """A logged-in IMAP connection. The password never crosses the network unencrypted:
    imap:// to anything but a loopback address requires the server to offer STARTTLS."""
    try:
        if address.tls:
            connection = imaplib.IMAP4_SSL(
                address.host,
                address.port,
                ssl_context=ssl.create_default_context(),
                timeout=settings.IMAP_TIMEOUT,
            )
        else:
            connection = imaplib.IMAP4(address.host, address.port, timeout=settings.IMAP_TIMEOUT)
            if "STARTTLS" in connection.capabilities:
                connection.starttls(ssl.create_default_context())
            elif not _is_loopback(address.host):
                connection.shutdown()
                raise MailboxError(
                    _("%(host)s offers no STARTTLS: use imaps:// so the password is encrypted.")
                    % {"host": address.host}
                )
        connection.login(address.user, address.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            _("Cannot sign in to %(mailbox)s: %(error)s") % {"mailbox": address.key, "error": exc}
        ) from exc
    return connection


def _untagged_number(connection: imaplib.IMAP4, name: str) -> int | None:
    _typ, data = connection.response(name)
    try:
        return int(data[-1]) if data and data[-1] is not None else None
    except (TypeError, ValueError):
        return None


def _search(connection: imaplib.IMAP4, *criteria: str) -> list[int]:
    data = _ok(connection.uid("SEARCH", *criteria), "SEARCH")
    return [int(n) for n in b" ".join(d for d in data if d).split()]


_MONTHS = {
    month: number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _internal_date(meta: bytes) -> datetime.datetime | None:
    match = re.search(
        rb'INTERNALDATE "\s*(\d+)-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"', meta
    )
    if not match or match[2].decode() not in _MONTHS:
        return None
    day, _month, year, hour, minute, second, sign, tz_h, tz_m = match.groups()
    offset = datetime.timedelta(hours=int(tz_h), minutes=int(tz_m)) * (1 if sign == b"+" else -1)
    return datetime.datetime(
        int(year), _MONTHS[_month.decode()], int(day), int(hour), int(minute), int(second),
        tzinfo=datetime.timezone(offset),
    )  # fmt: skip


def _fetch(connection: imaplib.IMAP4, uid: int) -> tuple[bytes | None, datetime.datetime | None]:
    """The whole message (without setting \\Seen) and its arrival time on the server."""
    data = _ok(connection.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])"), "FETCH")
    raw, meta = None, b""
    for item in data:
        if isinstance(item, tuple):
            meta += item[0]
            raw = item[1] if raw is None else raw
        elif isinstance(item, bytes):
            meta += item
    return raw, _internal_date(meta)


@dataclass
class PollReport:
    mailbox: str
    outcomes: Counter = field(default_factory=Counter)  # MailOutcome value → count
    duplicates: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())

    def as_dict(self) -> dict:
        return {
            "mailbox": self.mailbox,
            **{o.value: self.outcomes[o.value] for o in MailOutcome},
            "duplicates": self.duplicates,
            "failed": self.failed,
        }

    def __str__(self) -> str:
        return (
            _(
                "%(mailbox)s: %(created)d new tickets, %(replied)d replies, %(ignored)d ignored, "
                "%(rejected)d rejected, %(duplicates)d already processed, %(failed)d failed."
            )
            % self.as_dict()
        )


def _cursor(address: ImapAddress, uid_validity: int, uid_next: int, now) -> MailboxCursor:
    """The mailbox's read position. On first sight (or when UIDVALIDITY changed) it starts at
    the current end: mail already read before intake was set up is left alone."""
    cursor, created = MailboxCursor.objects.get_or_create(
        mailbox=address.key[:300],
        defaults={"uid_validity": uid_validity, "last_uid": uid_next - 1, "updated_at": now},
    )
    if not created and cursor.uid_validity != uid_validity:
        cursor.uid_validity, cursor.last_uid, cursor.updated_at = uid_validity, uid_next - 1, now
        cursor.save()
    return cursor


def mailbox_poll(
    *,
    url: str | None = None,
    delete: bool | None = None,
    limit: int | None = None,
    after_message: Callable[[int, MailResult], None] | None = None,
) -> PollReport:
    """Process the mailbox's new messages (unread ones, and any above the read position) in
    UID order, each in its own transaction, then mark it read (``delete``: delete it).

    Safe to interrupt anywhere and to run twice at once: a processed message is never
    processed again (see ``mail_process``). A message whose processing fails unexpectedly is
    logged, left unread and tried again next time. ``after_message(uid, result)`` is called
    after each commit, before the message is marked. Raises ``MailboxError`` when the
    mailbox cannot be read.
    """
    address = ImapAddress.parse(url if url is not None else settings.IMAP_URL)
    delete = settings.IMAP_DELETE if delete is None else delete
    report = PollReport(mailbox=address.key)
    connection = imap_connect(address)
    try:
        _ok(connection.select(_quoted(address.folder)), f"SELECT {address.folder}")
        uid_validity = _untagged_number(connection, "UIDVALIDITY")
        uid_next = _untagged_number(connection, "UIDNEXT")
        if uid_validity is None or uid_next is None:
            raise MailboxError(_("The IMAP server reports no UIDVALIDITY/UIDNEXT."))
        cursor = _cursor(address, uid_validity, uid_next, timezone.now())
        candidates = set(_search(connection, "UNSEEN", "UNDELETED"))
        candidates |= {
            uid
            for uid in _search(connection, "UID", f"{cursor.last_uid + 1}:*", "UNDELETED")
            if uid > cursor.last_uid  # "n:*" also matches the last message when n is beyond it
        }
        for uid in sorted(candidates)[:limit]:
            raw, received_at = _fetch(connection, uid)
            if raw is None:
                continue  # expunged by someone else meanwhile
            try:
                with transaction.atomic():
                    result = mail_process(
                        raw=raw, mailbox=address.key, uid=uid, received_at=received_at
                    )
                    MailboxCursor.objects.filter(pk=cursor.pk, last_uid__lt=uid).update(
                        last_uid=uid, updated_at=timezone.now()
                    )
            except Exception:
                log.exception("mail intake: message UID %s of %s failed", uid, address.key)
                report.failed += 1
                continue
            if result.duplicate:
                report.duplicates += 1
            else:
                report.outcomes[result.record.outcome] += 1
            if after_message is not None:
                after_message(uid, result)
            flags = "(\\Seen \\Deleted)" if delete else "(\\Seen)"
            _ok(connection.uid("STORE", str(uid), "+FLAGS.SILENT", flags), "STORE")
        if delete:
            _ok(connection.expunge(), "EXPUNGE")
    except imaplib.IMAP4.error as exc:
        raise MailboxError(
            _("Reading %(mailbox)s failed: %(error)s") % {"mailbox": address.key, "error": exc}
        ) from exc
    except OSError as exc:
        raise MailboxError(
            _("Reading %(mailbox)s failed: %(error)s") % {"mailbox": address.key, "error": exc}
        ) from exc
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
    return report
