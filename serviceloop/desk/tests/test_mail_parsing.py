"""Reading inbound mail (no server needed): charsets, quoted history as real clients mark it,
HTML reduction, attachments' names, automatic-mail marks, and message identity."""

import base64
import threading

import pytest
from django.db import connection

from serviceloop.desk.intake_email import (
    decode_header_text,
    html_to_text,
    mail_parse,
    mail_process,
    strip_quoted_history,
)
from serviceloop.desk.models import MailMessage, MailReason, Ticket


def _b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode()


@pytest.mark.parametrize(
    "raw, expected",
    [
        (f"=?GB2312?B?{_b64('报告镕', 'gbk')}?=", "报告镕"),  # GBK-only character under GB2312
        (f"=?gbk?Q?{''.join(f'={b:02X}' for b in '网络'.encode('gbk'))}?=", "网络"),
        (f"=?GB18030?B?{_b64('𠀀字', 'gb18030')}?=", "𠀀字"),
        (
            f"=?utf-8?B?{_b64('回复：', 'utf-8')}?= =?utf-8?B?{_b64('故障', 'utf-8')}?=",
            "回复：故障",
        ),
        ("Re: =?utf-8?q?caf=C3=A9?= time", "Re: café time"),
        ("plain\r\n folded", "plain folded"),
        ("=?unknown-charset?B?5pWF6Zqc?=", "故障"),  # undeclared: UTF-8 tried
        ("=?utf-8?B?not base64!!?=", "=?utf-8?B?not base64!!?="),
    ],
)
def test_headers_are_decoded_in_any_charset(raw, expected):
    assert decode_header_text(raw) == expected


def test_raw_8bit_headers_in_utf8_or_gbk_are_decoded():
    for charset in ("utf-8", "gbk"):
        raw = b"From: a@example.org\r\nSubject: " + "服务器宕机".encode(charset)
        raw += b"\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n"
        assert mail_parse(raw).subject == "服务器宕机"


@pytest.mark.parametrize(
    "text, expected",
    [
        # Gmail / Thunderbird attribution, also wrapped over two lines
        (
            "Fixed now.\n\nOn Tue, Aug 4, 2026 at 9:00 AM ServiceLoop <d@x> wrote:\n> old",
            "Fixed now.",
        ),
        (
            "Fixed now.\n\nOn Tue, Aug 4, 2026 at 9:00 AM ServiceLoop\n<d@x> wrote:\n> old",
            "Fixed now.",
        ),
        # Chinese clients (QQ Mail, NetEase, Apple Mail zh)
        ("好的\n\n在 2026年8月4日 09:00，ServiceLoop 写道：\n> 旧内容", "好的"),
        ("好的\n\nServiceLoop <d@x> 于2026年8月4日周二 09:00写道：\n> 旧内容", "好的"),
        ("收到\n------------------ 原始邮件 ------------------\n发件人: x", "收到"),
        # Outlook
        ("Thanks\n\n-----Original Message-----\nFrom: Desk\nSent: Monday", "Thanks"),
        (
            "Thanks\n________________________________\nFrom: Desk <d@x>\nSent: Monday\nTo: me",
            "Thanks",
        ),
        ("谢谢\n\n发件人: 服务台 <d@x>\n发送时间: 2026年8月4日 9:00\n收件人: 我", "谢谢"),
        # trailing quote without attribution
        ("Yes.\n\n> Is it fixed?\n> \n", "Yes."),
        # nothing clearly marked: kept whole, inline quotes too
        (
            "> Is it fixed?\nYes.\n> And the printer?\nNo.",
            "> Is it fixed?\nYes.\n> And the printer?\nNo.",
        ),
        (
            "From: the logs I see errors.\nPlease check.",
            "From: the logs I see errors.\nPlease check.",
        ),
        # a reply that is only quoted history stays as it is rather than empty
        ("On Tue ServiceLoop wrote:\n> only old", "On Tue ServiceLoop wrote:\n> only old"),
    ],
)
def test_quoted_history_is_stripped_where_clearly_marked(text, expected):
    assert strip_quoted_history(text) == expected


def test_html_is_sanitised_then_reduced_to_text():
    html = (
        "<div>Line one<br>line two</div><script>evil()</script>"
        "<table><tr><td>CPU</td><td>99%</td></tr></table>"
        "<pre>  keep   spacing</pre><p>&lt;tag&gt; &amp; 中文</p>"
        '<a href="javascript:alert(1)">bad link</a>'
    )
    assert html_to_text(html) == (
        "Line one\nline two\nCPU 99%\n  keep   spacing\n<tag> & 中文\n\nbad link"
    )


def test_attachment_names_in_rfc2231_and_encoded_words_are_decoded():
    def part(disposition: str) -> bytes:
        return (
            b"--b\r\nContent-Type: application/pdf\r\n" + disposition.encode() + b"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        )

    raw = (
        b'From: a@example.org\r\nMessage-ID: <a@b>\r\nContent-Type: multipart/mixed; boundary="b"'
        b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        + part("Content-Disposition: attachment; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf")
        + part(f'Content-Disposition: attachment; filename="=?GBK?B?{_b64("合同", "gbk")}?=.pdf"')
        + part('Content-Disposition: attachment; filename="../../etc/passwd"')
        + part("Content-Disposition: attachment")
        + b"--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nxx\r\n--b--\r\n"
    )
    mail = mail_parse(raw)
    assert mail.text == "see attached"
    assert [a.filename for a in mail.attachments] == [
        "报告.pdf",
        "合同.pdf",
        "passwd",
        "attachment-5.pdf",
    ]
    assert mail.attachments[0].payload == b"%PDF-"


@pytest.mark.parametrize(
    "headers, reason",
    [
        ("Auto-Submitted: auto-replied", MailReason.AUTO_REPLY),
        ("Auto-Submitted: no", ""),
        ("Precedence: Bulk", MailReason.AUTO_REPLY),
        ("Precedence: first-class", ""),
        ("X-Autoreply: yes", MailReason.AUTO_REPLY),
        ("X-Autorespond: on", MailReason.AUTO_REPLY),
        ("Return-Path: <>", MailReason.BOUNCE),
        ("Return-Path: <someone@example.org>", ""),
        ("X-ServiceLoop-Kind: ticket_reply", MailReason.LOOP),
    ],
)
def test_automatic_mail_is_recognised(headers, reason):
    raw = f"From: a@example.org\r\nMessage-ID: <m@x>\r\n{headers}\r\n\r\nHello\r\n".encode()
    assert mail_parse(raw).automatic == reason


def test_a_message_without_message_id_is_known_by_its_digest():
    raw = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    first, again = mail_parse(raw), mail_parse(raw)
    assert first.message_id == "" and first.key.startswith("sha256:")
    assert first.key == again.key != mail_parse(raw + b"more\r\n").key
    long_id = "<" + "x" * 300 + "@example.org>"
    long = mail_parse(f"From: a@example.org\r\nMessage-ID: {long_id}\r\n\r\nb\r\n".encode())
    assert long.message_id == long_id and len(long.key) == 71 and len(long.idempotency_key) == 71


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        "From: 李 <li@例子.测试>\r\nMessage-ID: <id-é@x>\r\n\r\nbody".encode(),
        b"From: a.user@example.org\r\nSubject: nul\x00 here\r\nContent-Type: text/plain;"
        b" charset=no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64\x00",
        b"From: a.user@example.org\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
        b"Content-Type: message/rfc822\r\n\r\nSubject: \xff\xfe\r\n\r\nbody\xff\r\n",
    ],
)
def test_malformed_mail_is_recorded_never_a_crash(people, raw):
    result = mail_process(raw=raw)

    assert MailMessage.objects.get() == result.record
    assert result.record.outcome in ("created", "rejected")


def test_processing_the_same_message_twice_does_it_once(people):
    raw = b"From: a.user@example.org\r\nSubject: Twice\r\nMessage-ID: <twice@x>\r\n\r\nb\r\n"
    first = mail_process(raw=raw)
    second = mail_process(raw=raw)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.record == first.record
    assert Ticket.objects.count() == 1 and MailMessage.objects.count() == 1


@pytest.mark.postgres
def test_two_workers_processing_the_same_message_at_once_create_one_ticket(
    people, transactional_db
):
    raw = b"From: a.user@example.org\r\nSubject: Race\r\nMessage-ID: <race@x>\r\n\r\nb\r\n"
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(mail_process(raw=raw))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    assert Ticket.objects.count() == 1 and MailMessage.objects.count() == 1
