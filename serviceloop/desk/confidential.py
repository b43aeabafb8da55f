"""Keeping confidential tickets (security incidents) to the people cleared for them, outside
the ticket's own pages: who is told about one, and which audit rows hide their details.

Who is cleared is decided in one place, ``models.tickets.confidential_cleared`` (the security
team and the people named on the ticket); these helpers only ask it.

**Notifications** (``ticket_notify``): about a confidential ticket only cleared people are
told. The one exception is its requester, for the messages meant for him (``public=True``:
the receipt, a public reply, a status change with its note, a resolution): he raised it and
is owed an answer, but he is not cleared, so his message carries the reference and never
the title, and no link (the ticket's page is a 404 for him). Internal messages (notes, SLA
alerts, assignments, approvals) go to cleared people only.

**References in other records' history** (``events_without_hidden_references``): a
problem's, a change's or a release's history names the incidents linked to it; a confidential
one the reader is not cleared for reads "(confidential)" there.

**Audit rows** (``audit_rows_hidden``): registered with core's collector point
``core.audit_redaction.AUDIT_HIDDEN``: the rows about confidential tickets a reader is not
cleared for show neither the ticket's reference and title nor their changes.
"""

import copy

from django.utils.translation import gettext_lazy as _

from serviceloop.core.audit_redaction import REDACTED, rows_about
from serviceloop.core.services.notifications import Message, notify_many
from serviceloop.desk.models import Ticket
from serviceloop.desk.models.mail import ticket_email_headers
from serviceloop.desk.models.tickets import confidential_cleared

# What an uncleared requester reads in place of the title (in his own language).
HIDDEN_TITLE = _("confidential ticket")


def ticket_cleared(ticket: Ticket, user) -> bool:
    """Whether ``user`` is cleared for ``ticket`` (always, when it is not confidential)."""
    if not ticket.confidential:
        return True
    if user is None or not user.is_active:
        return False
    return Ticket.objects.filter(pk=ticket.pk).filter(confidential_cleared(user)).exists()


def notification_audience(ticket: Ticket, people, *, public: bool = False):
    """``(cleared, requester_only)``: who among ``people`` may be told about ``ticket`` in
    full, and (for a confidential ticket and a ``public`` message) the requester told
    without the title. Not confidential: everyone, nobody apart. One query per person only
    for a confidential ticket (security incidents: few tickets, few people)."""
    unique = list({p.pk: p for p in people if p is not None}.values())
    if not ticket.confidential:
        return unique, []
    cleared, apart = [], []
    for person in unique:
        if ticket_cleared(ticket, person):
            cleared.append(person)
        elif public and person.pk == ticket.requester_id:
            apart.append(person)
    return cleared, apart


def ticket_without_title(ticket: Ticket) -> Ticket:
    """An in-memory copy of the ticket whose title reads "confidential ticket" (never saved)."""
    hidden = copy.copy(ticket)
    hidden.title = HIDDEN_TITLE
    hidden.description = ""
    return hidden


def ticket_notify(
    *,
    ticket: Ticket,
    recipients,
    kind: str,
    context: dict | None = None,
    public: bool = False,
    dedupe_key: str = "",
) -> list:
    """``core.services.notifications.notify`` about ``ticket``, to those of ``recipients`` who
    may be told (see the module docstring): the cleared get the message as it is, with its
    link; an uncleared requester of a public message gets it without the title and the link.
    Must run inside the change's transaction, like ``notify``."""
    return notify_many(
        ticket_messages(
            ticket=ticket, recipients=recipients, kind=kind, context=context, public=public,
            dedupe_key=dedupe_key,
        )
    )  # fmt: skip


def ticket_messages(
    *,
    ticket: Ticket,
    recipients,
    kind: str,
    context: dict | None = None,
    public: bool = False,
    dedupe_key: str = "",
) -> list[Message]:
    """The messages ``ticket_notify`` sends, for a change that sends several at once
    (``notify_many``)."""
    context = dict(context or {})
    headers = ticket_email_headers(ticket)
    cleared, apart = notification_audience(ticket, recipients, public=public)
    messages = []
    if cleared:
        messages.append(
            Message(
                recipients=cleared, kind=kind, context={**context, "ticket": ticket},
                url=f"/desk/tickets/{ticket.reference}/", dedupe_key=dedupe_key,
                email_headers=headers,
            )
        )  # fmt: skip
    if apart:
        messages.append(
            Message(
                recipients=apart, kind=kind,
                context={**context, "ticket": ticket_without_title(ticket)}, url="",
                dedupe_key=dedupe_key, email_headers=headers,
            )
        )  # fmt: skip
    return messages


def audit_rows_hidden(*, user, events) -> set[int]:
    """The ids of the audit rows among ``events`` about confidential tickets ``user`` is not
    cleared for (the collector of ``core.audit_redaction.AUDIT_HIDDEN``). One query, only
    when the rows include tickets."""
    about = rows_about(events, Ticket._meta.label_lower)
    if not about:
        return set()
    hidden = (
        Ticket.objects.filter(pk__in=list(about), confidential=True)
        .exclude(confidential_cleared(user))
        .values_list("pk", flat=True)
    )
    return {event.pk for pk in hidden for event in about[pk]}


def references_hidden_from(user, references) -> set[str]:
    """Of the ticket ``references``, those of confidential tickets ``user`` is not cleared
    for. One query (none when there is no reference)."""
    references = {r for r in references if r}
    if not references:
        return set()
    return set(
        Ticket.objects.filter(reference__in=references, confidential=True)
        .exclude(confidential_cleared(user))
        .values_list("reference", flat=True)
    )


def events_without_hidden_references(user, events) -> list:
    """History rows (``payload["incidents"]``: references linked; ``to_value``: a reference
    unlinked) as a list, the references of confidential tickets ``user`` is not cleared for
    read "(confidential)". In memory only; one query for the whole list."""
    events = list(events)
    named = set()
    for event in events:
        named.update(event.payload.get("incidents") or [])
        named.add(event.to_value)
    hidden = references_hidden_from(user, named)
    if not hidden:
        return events
    for event in events:
        if event.payload.get("incidents"):
            event.payload = {
                **event.payload,
                "incidents": [
                    str(REDACTED) if r in hidden else r for r in event.payload["incidents"]
                ],
            }
        if event.to_value in hidden:
            event.to_value = str(REDACTED)
    return events
