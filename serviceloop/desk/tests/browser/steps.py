"""Steps agents and customers take in the desk's screens, shared by the journeys."""

import datetime
import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from serviceloop.core.tests.browser.steps import open_nav, translated

LANGUAGE = "zh-hans"  # the demo people read Chinese (except agent2 and mdu.manager)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))  # no DST in China


def tr(text: str, language: str = LANGUAGE) -> str:
    return translated(text, language)


def shown(instant: datetime.datetime, seconds: bool = True) -> str:
    """An instant as the desk's pages show it (TIME_ZONE Asia/Shanghai)."""
    return instant.astimezone(SHANGHAI).strftime(
        "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    )


# --- Finding things ------------------------------------------------------------------------
def open_queue(page: Page, view: str) -> Locator:
    """The desk's queue in one of its views (mine, team, unassigned, breaching, open, all),
    reached through the main navigation and the view's tab; returns the queue table."""
    open_nav(page, "desk_queue")
    page.locator(f"[data-queue={view}]").click()
    expect(page.locator(f"[data-queue={view}]")).to_have_class(re.compile(r"\bactive\b"))
    return page.get_by_test_id("queue")


def queue_row(page: Page, reference: str) -> Locator:
    return (
        page.get_by_test_id("queue")
        .locator("tbody tr")
        .filter(has=page.locator(f"a:text-is('{reference}')"))
    )


def ticket_status(page: Page) -> Locator:
    return page.get_by_test_id("ticket-status")


def sla_value(page: Page, term: str) -> Locator:
    """The value the SLA panel shows for ``term`` (an English msgid, shown translated)."""
    panel = page.get_by_test_id("sla-panel")
    return panel.locator(f"dt:text-is('{tr(term)}') + dd")


def flash(page: Page) -> Locator:
    return page.locator(".sl-messages .alert")


# --- Acting on a ticket --------------------------------------------------------------------
def move(page: Page, target: str, note: str = "") -> None:
    """Press the status button of ``target`` (``data-move``); a move that needs a note opens
    its box first."""
    button = page.locator(f"button[data-move={target}]")
    if note:
        button.locator("xpath=ancestor::details[1]/summary").click()
        button.locator("xpath=ancestor::form[1]").locator("textarea[name=note]").fill(note)
    button.click()
    expect(flash(page).first).to_be_visible()


def reply(page: Page, text: str, internal: bool = False) -> None:
    form = page.locator("form[action$='/comment/']")
    form.locator("textarea[name=body]").fill(text)
    internal_box = form.locator("input[name=internal]")
    if internal_box.count():
        internal_box.set_checked(internal)
    page.get_by_test_id("send-reply").click()
    expect(flash(page).filter(has_text=tr("Sent."))).to_be_visible()


def open_notification(page: Page, subject_part: str) -> None:
    """Open the notification centre and follow the notification whose subject has
    ``subject_part`` (what an approver does after the e-mail or the bell)."""
    page.goto("/notifications/")
    page.locator("form.list-group-item", has_text=subject_part).first.locator("button").click()
    page.wait_for_load_state()


# --- E-mail --------------------------------------------------------------------------------
def mails_to(outbox, address: str, reference: str) -> list:
    """The e-mails about ``reference`` sent to ``address``, oldest first."""
    return [m for m in outbox if address in m.to and reference in m.subject]


def path_of(url: str) -> str:
    """A link from an e-mail (absolute, on SITE_URL) as a path on the live server."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def customer_reply_mail(*, sender: str, answering, body: str) -> bytes:
    """The raw RFC 822 reply a customer's mail client sends to one of our e-mails
    (``answering``: a django EmailMessage from the outbox): "Re:" subject, threading headers
    and the quoted original under an attribution line."""
    original = answering.message()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = original["From"]
    message["Subject"] = f"回复：{answering.subject}"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    message["In-Reply-To"] = original["Message-ID"]
    message["References"] = " ".join(
        filter(None, [original.get("References", ""), original["Message-ID"]])
    )
    quoted = "\n".join(f"> {line}" for line in answering.body.splitlines())
    when = timezone.localtime().strftime("%Y年%m月%d日 %H:%M")
    message.set_content(f"{body}\n\n在 {when}，ServiceLoop 写道：\n{quoted}\n")
    return message.as_bytes()
