"""Template filters of the service desk."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from serviceloop.desk.lifecycle import Status

register = template.Library()

# Why a history row assigned or unassigned the ticket (``payload["reason"]``).
ASSIGNMENT_REASONS = {
    "sla breach": gettext_lazy("SLA breach escalation."),
    "not cleared": gettext_lazy(
        "Taken from an agent who is not cleared for this confidential ticket."
    ),
    "not qualified": gettext_lazy(
        "Taken from an agent the assignment checks refuse for the ticket's new category."
    ),
}
# What a breach's reassignment came to (``payload["escalation"]`` of the SLA row).
ESCALATION_OUTCOMES = {
    "lead": gettext_lazy("Reassigned to the team lead."),
    "agent": gettext_lazy("The team lead may not take it: reassigned to the next agent in turn."),
    "lead_notified": gettext_lazy(
        "Not reassigned: no agent of the team may take it; the team lead was told."
    ),
}


@register.filter
def status_label(value: str) -> str:
    """A status code from the history (``in_progress``) as the user reads it."""
    try:
        return Status(value).label
    except ValueError:
        return value


@register.filter
def event_notes(event) -> list[str]:
    """The staff's lines under a history row: why an assignment was made or undone, the
    warnings of the assignment checks (as they were given, in the language of the moment),
    and what a breach's reassignment came to with the refusals behind it."""
    payload = event.payload or {}
    notes = []
    reason = ASSIGNMENT_REASONS.get(payload.get("reason"))
    if reason:
        notes.append(str(reason))
    outcome = ESCALATION_OUTCOMES.get(payload.get("escalation"))
    if outcome:
        notes.append(str(outcome))
    notes += [str(text) for text in payload.get("refused") or ()]
    notes += [str(text) for text in payload.get("warnings") or ()]
    return notes


@register.filter
def business_duration(seconds) -> str:
    """Business seconds as hours and minutes ("2 h 05 min"), for SLA figures."""
    from django.utils.translation import gettext as _

    try:
        minutes = int(seconds) // 60
    except (TypeError, ValueError):
        return ""
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@register.simple_tag
def sla_badge(ticket) -> str:
    """The ticket's SLA state as a badge: breached, paused, due (counted down by sla.js) or met.

    Written in Python rather than as an included template: the queue shows one per row."""
    if not ticket.sla_version_id:
        return ""
    if ticket.resolution_breached or ticket.response_breached:
        return format_html(
            '<span class="badge text-bg-danger" title="{}">{}</span>',
            gettext("SLA breached"),
            gettext("breached"),
        )
    if ticket.sla_paused:
        return format_html('<span class="badge text-bg-secondary">{}</span>', gettext("paused"))
    if ticket.resolution_due_at:
        due = timezone.localtime(ticket.resolution_due_at)
        return format_html(
            '<span class="badge text-bg-light sl-due" data-due="{}" title="{} {}">{}</span>',
            due.isoformat(),
            gettext("Resolution due"),
            due.strftime("%Y-%m-%d %H:%M"),
            due.strftime("%m-%d %H:%M"),
        )
    if ticket.resolution_met_at:
        return format_html('<span class="badge text-bg-success">{}</span>', gettext("met"))
    return ""


@register.simple_tag
def queue_row(ticket) -> str:
    """One row of the agent queue (checkbox, reference, title, customer, priority, status,
    agent, SLA badge, created), written in Python like ``sla_badge``: a page shows 50 and the
    template language costs several times more per row than the query that fetched it."""
    organisation = ticket.organisation
    major = (
        format_html('<span class="badge text-bg-danger">{}</span> ', gettext("major"))
        if ticket.is_major
        else ""
    )
    return format_html(
        "<tr>"
        '<td><input class="form-check-input" type="checkbox" name="tickets" value="{ref}"'
        ' form="bulk" aria-label="{ref}"></td>'
        '<td class="sl-mono"><a href="{url}">{ref}</a></td>'
        "<td>{major}{title}</td>"
        "<td>{customer}</td>"
        '<td><span class="badge sl-{priority_class}">{priority}</span></td>'
        "<td>{status}</td>"
        "<td>{agent}</td>"
        "<td>{sla}</td>"
        '<td class="small text-muted">{created}</td>'
        "</tr>\n",
        ref=ticket.reference,
        url=reverse("ticket_detail", args=[ticket.reference]),
        major=major,
        title=ticket.title,
        customer=organisation.short_name or organisation.name,
        priority_class=ticket.priority.lower(),
        priority=ticket.priority,
        status=ticket.get_status_display(),
        agent=ticket.assignee or "—",
        sla=sla_badge(ticket),
        created=timezone.localtime(ticket.created_at).strftime("%Y-%m-%d %H:%M"),
    )
