"""Reading inbound e-mail: headers in any charset (RFC 2047, raw UTF-8 or GBK), the body as
text (text/plain preferred; HTML sanitised with ``clean_html`` and reduced to text), quoted
history of replies, attachments, and the marks of automatic mail (RFC 3834, bounces)."""

import codecs
import datetime
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime, unquote
from html.parser import HTMLParser

from django.utils import timezone

from serviceloop.core.sanitise import clean_html
from serviceloop.desk.models import MailReason
from serviceloop.desk.models.mail import REFERENCE_PATTERN

# --- Decoding ------------------------------------------------------------------------------

# Mail labelled GB2312 or GBK routinely holds characters only GBK/GB18030 have (镕, 堃, 喆...):
# GB18030 is a superset of both and decodes them all.
GB_CHARSETS = frozenset(
    {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "euc-cn", "x-euc-cn", "csgb2312", "gb_2312-80"}
)


def _codec(charset: str | None) -> str | None:
    charset = (charset or "").strip().strip('"').lower()
    if charset in GB_CHARSETS or charset == "gb18030":
        return "gb18030"
    if charset in ("big5", "x-big5", "cp950"):
        return "big5hkscs"
    try:
        return codecs.lookup(charset).name if charset else None
    except LookupError:
        return None


def decode_text(data: bytes, charset: str | None) -> str:
    """``data`` as text: in its declared charset if that decodes it, else UTF-8, else
    GB18030 (undeclared Chinese mail), else with replacement characters."""
    codec = _codec(charset)
    for candidate in (codec, "utf-8", "gb18030"):
        if candidate:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    return data.decode(codec or "utf-8", errors="replace")


def _is_raw_8bit(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def decode_header_text(value) -> str:
    """A header value as text: RFC 2047 encoded words in any charset, or raw 8-bit bytes
    (UTF-8 or GBK, as some clients send them), unfolded."""
    if value is None:
        return ""
    value = re.sub(r"\r?\n[ \t]+", " ", str(value))
    if _is_raw_8bit(value):
        value = decode_text(value.encode("ascii", "surrogateescape"), None)
    if "=?" not in value:
        return value.strip()
    try:
        chunks = decode_header(value)
    except (ValueError, LookupError, HeaderParseError):
        return value.strip()
    return "".join(
        decode_text(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in chunks
    ).strip()


def _raw_header(message: Message, name: str) -> str | None:
    """The header's value as received (the parser keeps raw 8-bit bytes as surrogates)."""
    name = name.lower()
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _message_ids(value: str | None) -> list[str]:
    # printable ASCII only, as RFC 5322 has it: anything else cannot be one of ours anyway
    return re.findall(r"<[\x21-\x3b\x3d\x3f-\x7e]+>", value or "")


# --- HTML to text ----------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "tr", "li", "ul", "ol", "table", "pre", "dl", "dt", "dd", "blockquote"}
    | {f"h{n}" for n in range(1, 7)}
)


class _HtmlText(HTMLParser):
    """Sanitised HTML to plain text: blocks become lines, quoted blocks get "> " prefixes (so
    quoted history is recognised like in plain-text mail), links keep their address."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.pre_depth = 0
        self.links: list[str] = []

    def _break(self):
        text = "".join(self.current)
        self.current = []
        if not self.pre_depth:
            text = re.sub(r"\s+", " ", text).strip()
        if not text.strip():
            return  # an empty block adds no line (blank lines come from paragraphs)
        for line in text.split("\n"):
            self.lines.append(("> " * self.quote_depth) + line if line else "")

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._break()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag == "hr":
            self._break()
            self.lines.append("_" * 32)
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag in ("td", "th"):
            self.current.append(" ")

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href = self.links.pop()
            shown = "".join(self.current)
            if href and not href.startswith("mailto:") and href not in shown:
                self.current.append(f" <{href}>")
        if tag in _BLOCK_TAGS:
            self._break()
            if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6"):
                self.lines.append("")
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data):
        self.current.append(data)

    def text(self) -> str:
        self.close()
        self._break()
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.lines)).strip()


def html_to_text(html: str) -> str:
    """HTML mail as plain text, after ``clean_html`` has removed everything unsafe."""
    parser = _HtmlText()
    parser.feed(clean_html(html))
    return parser.text()


# --- Quoted history -------------------------------------------------------------------------

_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|原始邮件|原始郵件|原邮件|回复的原邮件)\s*-{2,}\s*$", re.I
)
_ATTRIBUTION = re.compile(
    r"^\s*(On\s.{4,300}\swrote:|在\s?.{2,200}写道[:：]|.{2,200}于\s?.{2,120}写道[:：]"
    r"|Am\s.{4,200}schrieb.{0,200}:|Le\s.{4,200}a écrit\s?:)\s*$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\s*\*?(From|发件人|寄件者)\s*\*?\s*[:：]", re.I)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|发送时间|发送日期|日期|收件人|主题)\s*\*?\s*[:：]", re.I
)
_RULE = re.compile(r"^\s*[_-]{8,}\s*$")


def strip_quoted_history(text: str) -> str:
    """The new part of a reply: cut at the first clearly marked start of quoted history
    ("On … wrote:", "在 … 写道：", "-----Original Message-----", a From:/发件人: header block
    as Outlook and Foxmail write it) and drop trailing "> " lines. Text without such a mark is
    returned whole; so is a reply that would be left empty."""
    lines = text.splitlines()
    cut = len(lines)
    for i, line in enumerate(lines):
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if _SEPARATOR.match(line) or _ATTRIBUTION.match(line):
            cut = i
        elif _ATTRIBUTION.match(joined) and not line.startswith(">"):
            cut = i  # "On Mon, 3 Aug 2026, Li Na <li@example.org>\nwrote:"
        elif _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            cut = i - 1 if i > 0 and _RULE.match(lines[i - 1]) else i
        else:
            continue
        break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    new = "\n".join(kept).strip()
    return new or text.strip()


# --- Parsing ---------------------------------------------------------------------------------

_REPLY_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|antw|tr|回复|回覆|答复|答覆|转发|轉寄|轉發)\s*(\[\d+\])?\s*[:：]\s*)+",
    re.I,
)
_SUBJECT_REFERENCE = re.compile(rf"[\[【]\s*({REFERENCE_PATTERN})\s*[\]】]")
_SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
_AUTORESPONDER_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated")


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    payload: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass
class ParsedMail:
    message_id: str  # "<...>" as sent, or "" when missing
    key: str  # what the message is known by: its Message-ID, or a digest
    sender: str  # lower-case address, "" if none
    sender_name: str
    subject: str
    sent_at: datetime.datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str  # the whole body as text
    attachments: list[MailAttachment]
    automatic: str  # a MailReason (auto-reply, bounce, loop) or ""

    @property
    def reply_text(self) -> str:
        """The body without the quoted history of earlier messages."""
        return strip_quoted_history(self.text)

    @property
    def title(self) -> str:
        """The subject without "Re:"/"回复：" prefixes and ticket references."""
        title = _SUBJECT_REFERENCE.sub(" ", self.subject)
        return re.sub(r"\s+", " ", _REPLY_PREFIX.sub("", title)).strip()

    @property
    def subject_references(self) -> list[str]:
        return _SUBJECT_REFERENCE.findall(self.subject)

    @property
    def idempotency_key(self) -> str:
        """For ``ticket_create``: the Message-ID (at most 200 characters), else a digest."""
        if self.message_id and len(self.message_id) <= 200:
            return self.message_id
        return self.key if self.key.startswith("sha256:") else _digest(self.key.encode())


def _no_nul(text: str) -> str:
    return text.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _filename(part: Message, index: int) -> str:
    name = None
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(param, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, text as bytes)
            name = decode_text(bytes(value[2], "raw-unicode-escape"), value[0])
        elif value:
            name = decode_header_text(unquote(value))
        if name:
            break
    name = re.sub(r"[\x00-\x1f\x7f]", "", (name or "").replace("\\", "/")).rpartition("/")[2]
    if not name.strip(". "):
        content_type = part.get_content_type()
        extension = ".eml" if content_type == "message/rfc822" else None
        extension = extension or mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    return name[-255:]


def _leaves(part: Message):
    """The message's parts that carry content; an attached message is one leaf."""
    if part.get_content_type() in ("message/rfc822", "message/global"):
        yield part
    elif part.is_multipart():
        for child in part.get_payload():
            yield from _leaves(child)
    else:
        yield part


def _automatic(message: Message, sender: str) -> str:
    """Why the message is one nobody should act on: a bounce or an automatic reply."""
    if message.get_content_type() == "multipart/report":  # DSN, read receipt (RFC 6522)
        return MailReason.BOUNCE
    return_path = _raw_header(message, "return-path")
    if return_path is not None and not parseaddr(return_path)[1]:
        return MailReason.BOUNCE  # null reverse-path "<>": a delivery notification
    if sender.partition("@")[0] == "mailer-daemon":
        return MailReason.BOUNCE
    auto_submitted = (_raw_header(message, "auto-submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return MailReason.AUTO_REPLY
    precedence = (_raw_header(message, "precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return MailReason.AUTO_REPLY
    for name in _AUTORESPONDER_HEADERS:
        value = _raw_header(message, name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return MailReason.AUTO_REPLY
    if _raw_header(message, "x-serviceloop-kind") is not None:
        return MailReason.LOOP  # one of our own notifications came back
    return ""


def mail_parse(raw: bytes) -> ParsedMail:
    """Read one raw message. Never raises on malformed input: what cannot be decoded is
    replaced, what is missing stays empty."""
    message = message_from_bytes(raw)  # compat32: raw header values, decoded by us
    message_ids = _message_ids(_raw_header(message, "message-id"))
    message_id = message_ids[0] if message_ids else ""
    sender_name, sender = "", ""
    addresses = getaddresses([_raw_header(message, "from") or ""])
    if addresses and addresses[0][1]:
        sender_name = _no_nul(decode_header_text(addresses[0][0]))
        sender = decode_header_text(addresses[0][1]).lower()
    try:
        sent_at = parsedate_to_datetime(_raw_header(message, "date") or "")
    except (TypeError, ValueError, IndexError):
        sent_at = None
    if sent_at is not None and timezone.is_naive(sent_at):
        sent_at = None

    plain, html, attachments = [], [], []
    for index, part in enumerate(_leaves(message), start=1):
        content_type = part.get_content_type()
        if content_type in _SIGNATURE_TYPES:
            continue
        disposition = part.get_content_disposition()
        has_name = bool(part.get_param("filename", header="content-disposition")) or bool(
            part.get_param("name")
        )
        if (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not (has_name)
        ):
            payload = part.get_payload(decode=True) or b""
            text = decode_text(payload, part.get_content_charset())
            (plain if content_type == "text/plain" else html).append(text)
            continue
        if content_type in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            try:
                payload = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            except (UnicodeError, LookupError, ValueError):
                payload = str(inner[0]).encode("utf-8", "surrogateescape")
        else:
            payload = part.get_payload(decode=True) or b""
        if payload:
            attachments.append(MailAttachment(_filename(part, index), content_type, payload))

    plain_text = "\n\n".join(t.strip() for t in plain if t.strip())
    text = plain_text or "\n\n".join(html_to_text(h) for h in html if h.strip())
    return ParsedMail(
        message_id=message_id,
        key=message_id
        if message_id and len(message_id) <= 255
        else _digest(message_id.encode() if message_id else raw),
        sender=sender,
        sender_name=sender_name,
        subject=_no_nul(decode_header_text(_raw_header(message, "subject"))),
        sent_at=sent_at,
        in_reply_to=_message_ids(_raw_header(message, "in-reply-to")),
        references=_message_ids(_raw_header(message, "references")),
        text=_no_nul(text.replace("\r\n", "\n")).strip(),
        attachments=attachments,
        automatic=_automatic(message, sender),
    )
