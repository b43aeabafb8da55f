"""The audit trail screen: filterable by object, actor and date; CSV export."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render

from serviceloop.core.audit_redaction import audit_events_redact
from serviceloop.core.forms import AuditFilterForm
from serviceloop.core.models import AuditEvent
from serviceloop.core.permissions import get_audit_event_for, require
from serviceloop.core.queries import audit_events_filtered
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import paginate


class _Echo:
    def write(self, value):
        return value


@login_required
def audit_list(request):
    require(request.user, Capability.READ_AUDIT_TRAIL)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be read shows its error and no rows, never the whole trail.
        events = AuditEvent.objects.none()
    else:
        events = audit_events_filtered(request.user, **(form.cleaned_data if form.is_bound else {}))
    if request.GET.get("format") == "csv":
        return _csv(request.user, events)
    page = paginate(request, events)
    # rows about confidential records the reader may not see: title and changes hidden
    page.object_list = audit_events_redact(request.user, page.object_list)
    return render(request, "core/audit_list.html", {"form": form, "events": page})


@login_required
def audit_detail(request, pk):
    event = get_audit_event_for(request.user, pk)
    audit_events_redact(request.user, [event])
    return render(request, "core/audit_detail.html", {"event": event})


def _chunks(events, size: int = 2000):
    """The rows in chunks (one redaction query per chunk, not per row)."""
    chunk = []
    for event in events.iterator(chunk_size=size):
        chunk.append(event)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv(user, events):
    writer = csv.writer(_Echo())
    header = [
        "id",
        "occurred_at",
        "actor",
        "organisation",
        "object_type",
        "object_id",
        "verb",
        "payload",
        "request_id",
        "ip_address",
        "hash",
    ]

    def rows():
        yield "\ufeff"  # so spreadsheet programs read UTF-8 Chinese text correctly
        yield writer.writerow(header)
        for chunk in _chunks(events):
            for event in audit_events_redact(user, chunk):
                yield writer.writerow(
                    [
                        event.pk,
                        event.occurred_at.isoformat(),
                        event.actor_label,
                        event.organisation.name if event.organisation else "",
                        event.object_type,
                        event.object_id,
                        event.verb,
                        event.payload,
                        event.request_id,
                        event.ip_address or "",
                        event.hash,
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
