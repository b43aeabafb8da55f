"""The periodic complaint warning: once when a complaint's response is due soon, once when
its response target is breached (run by ``tasks_complaints``)."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from serviceloop.core.audit import audit_record
from serviceloop.core.services.notifications import notify
from serviceloop.relationship.models import (
    Complaint,
    ComplaintEventKind,
)
from serviceloop.relationship.models.complaints import (
    AWAITING_RESPONSE,
)
from serviceloop.relationship.services_complaints_base import (
    complaint_event,
    complaint_managers,
    complaint_url,
    staff_to_tell,
)


def complaint_response_alerts_run(*, now=None) -> dict:
    """Warn the owner (or, unowned, the complaint managers) once when a complaint awaiting
    its response reaches its warning time, and once more when its target is breached. Each
    alert is claimed by a conditional UPDATE inside the alert's transaction, so with several
    workers exactly one sends it. Returns ``{"warning": n, "breach": m}``."""
    now = now or timezone.now()
    counts = {"warning": 0, "breach": 0}
    waiting = Complaint.objects.filter(status__in=AWAITING_RESPONSE, responded_at__isnull=True)
    due_soon = waiting.filter(
        response_warned_at__isnull=True, response_warn_at__lte=now, response_due_at__gt=now
    )
    for complaint in due_soon.select_related("owner"):
        with transaction.atomic():
            claimed = Complaint.objects.filter(
                pk=complaint.pk, response_warned_at__isnull=True, status__in=AWAITING_RESPONSE
            ).update(response_warned_at=now)
            if not claimed:
                continue
            complaint_event(
                complaint,
                ComplaintEventKind.WARNING,
                actor=None,
                at=now,
                due_at=complaint.response_due_at.isoformat(),
            )
            audit_record(
                actor=None,
                verb="complaint.response_warning",
                obj=complaint,
                payload={"due_at": complaint.response_due_at},
            )
            notify(
                recipients=staff_to_tell(complaint),
                kind="complaint_response_warning",
                context={"complaint": complaint},
                url=complaint_url(complaint),
            )
        counts["warning"] += 1
    breached = waiting.filter(response_breached=False, response_due_at__lte=now)
    for complaint in breached.select_related("owner"):
        with transaction.atomic():
            claimed = Complaint.objects.filter(
                Q(pk=complaint.pk), Q(response_breached=False), Q(status__in=AWAITING_RESPONSE)
            ).update(response_breached=True)
            if not claimed:
                continue
            complaint_event(
                complaint,
                ComplaintEventKind.BREACH,
                actor=None,
                at=now,
                due_at=complaint.response_due_at.isoformat(),
            )
            audit_record(
                actor=None,
                verb="complaint.response_breached",
                obj=complaint,
                payload={"due_at": complaint.response_due_at},
            )
            notify(
                recipients=[*staff_to_tell(complaint), *complaint_managers()],
                kind="complaint_response_breached",
                context={"complaint": complaint},
                url=complaint_url(complaint),
            )
        counts["breach"] += 1
    return counts
