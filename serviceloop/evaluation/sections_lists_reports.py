"""The list sections of a service report's snapshot: major incidents, changes, complaints,
open problems and improvement actions, read from the owning apps' models.

Each row shows a record as it stood at the end of the period: an instant at or after the
period's end is left out (a major incident resolved after the period reads "open at the end
of the period"), so a past period builds the same rows whenever it is built.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext as _

from serviceloop.evaluation import figures_reports as f

LIST_LIMIT = 100  # rows per list shown in the document; the totals count them all


def _entitled(organisation):
    from serviceloop.portfolio.models import Service

    return list(Service.objects.filter(customers=organisation).only("code", "name"))


def _naming(field: str, services) -> Q:
    """``field`` names one of ``services`` (code or name, any case)."""
    rule = Q(pk__in=[])
    for service in services:
        for name in {service.code, service.name}:
            if name:
                rule |= Q(**{f"{field}__iexact": name})
    return rule


def _tickets_in_scope(scope):
    from serviceloop.desk.models import Ticket

    tickets = Ticket.objects.all()
    if scope.organisation is not None:
        tickets = tickets.filter(organisation=scope.organisation)
    if scope.service is not None:
        tickets = tickets.filter(service__in=scope.aliases)
    return tickets


# --- Major incidents -----------------------------------------------------------------------


def major_incidents_section(build) -> dict:
    from serviceloop.desk.models import PostIncidentReview

    start, end = build.period.start, build.period.end
    tickets = (
        _tickets_in_scope(build.scope)
        .filter(is_major=True, created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "reference")
    )
    reviewed = dict(
        PostIncidentReview.objects.filter(ticket__in=tickets.values("pk")).values_list(
            "ticket_id", "reviewed_at"
        )
    )
    rows = []
    for ticket in tickets.only(
        "pk", "reference", "title", "priority", "created_at", "resolved_at", "service"
    ):
        resolved = ticket.resolved_at if ticket.resolved_at and ticket.resolved_at < end else None
        review_at = reviewed.get(ticket.pk)
        rows.append(
            {
                "reference": ticket.reference,
                "title": ticket.title,
                "service": ticket.service,
                "priority": ticket.priority,
                "created": build.local(ticket.created_at),
                "resolved": build.local(resolved),
                "hours": round((resolved - ticket.created_at).total_seconds() / 3600, 2)
                if resolved
                else None,
                "reviewed": bool(review_at and review_at < end),
            }
        )
    return {"count": len(rows), "rows": rows}


# --- Changes -------------------------------------------------------------------------------


def changes_section(build) -> dict:
    from serviceloop.transition.models import ChangeOutcome, ChangeRequest, ChangeType

    scope = build.scope
    start, end = build.period.start, build.period.end
    changes = ChangeRequest.objects.filter(
        outcome__in=[ChangeOutcome.IMPLEMENTED, ChangeOutcome.FAILED, ChangeOutcome.BACKED_OUT],
        actual_end__gte=start,
        actual_end__lt=end,
    )
    if scope.service is not None:
        changes = changes.filter(services=scope.service)
    if scope.organisation is not None:
        entitled = [s.pk for s in _entitled(scope.organisation)]
        changes = changes.filter(
            Q(affected_customers=scope.organisation) | Q(services__in=entitled)
        )
    ids = changes.values("pk").distinct()
    rows = []
    outcomes, types = dict(ChangeOutcome.choices), dict(ChangeType.choices)
    for change in ChangeRequest.objects.filter(pk__in=ids).order_by("actual_end", "reference"):
        successful = (
            change.outcome == ChangeOutcome.IMPLEMENTED and change.review_success is not False
        )
        rows.append(
            {
                "reference": change.reference,
                "title": change.title,
                "type": change.change_type,
                "type_label": str(types.get(change.change_type, change.change_type)),
                "outcome": change.outcome,
                "outcome_label": str(outcomes.get(change.outcome, change.outcome)),
                "ended": build.local(change.actual_end),
                "successful": successful,
            }
        )  # fmt: skip
    total = len(rows)
    successful = sum(1 for row in rows if row["successful"])
    return {
        "total": total,
        "successful": successful,
        "unsuccessful": total - successful,
        "emergency": sum(1 for row in rows if row["type"] == ChangeType.EMERGENCY),
        "success_rate": round(successful * 100 / total, 6) if total else None,
        "rows": rows,
    }


# --- Complaints ------------------------------------------------------------------------------


def _complaints_in_scope(scope):
    from serviceloop.relationship.models import Complaint

    complaints = Complaint.objects.all()
    if scope.organisation is not None:
        complaints = complaints.filter(organisation=scope.organisation)
    if scope.service is not None:
        complaints = complaints.filter(service=scope.service)
    return complaints


def csat_complaints(build) -> dict:
    """The complaints received in the period, each as it stood at the period's end."""
    from serviceloop.relationship.models import ComplaintSeverity

    start, end = build.period.start, build.period.end
    complaints = (
        _complaints_in_scope(build.scope)
        .filter(received_at__gte=start, received_at__lt=end)
        .order_by("received_at", "reference")
    )
    severities = dict(ComplaintSeverity.choices)
    rows = []
    for complaint in complaints:
        if complaint.closed_at and complaint.closed_at < end:
            state, label = "closed", _("Closed")
        elif complaint.responded_at and complaint.responded_at < end:
            state, label = "responded", _("Responded")
        else:
            state, label = "open", _("Open")
        rows.append(
            {
                "reference": complaint.reference,
                "subject": complaint.subject,
                "severity": complaint.severity,
                "severity_label": str(severities.get(complaint.severity, complaint.severity)),
                "received": build.local(complaint.received_at),
                "state": state,
                "state_label": str(label),
            }
        )
    return {"complaints_total": len(rows), "complaints": rows[:LIST_LIMIT]}


# --- Open problems -------------------------------------------------------------------------


def _problems_in_scope(build):
    from serviceloop.desk.models import Problem

    scope, end = build.scope, build.period.end
    problems = (
        Problem.objects.filter(created_at__lt=end)
        .exclude(resolved_at__lt=end)
        .exclude(closed_at__lt=end)
    )
    if scope.service is not None:
        rule = _naming("service", [scope.service]) | Q(incidents__service__in=scope.aliases)
        if scope.organisation is not None:
            rule &= Q(incidents__organisation=scope.organisation)
    else:
        rule = Q(incidents__organisation=scope.organisation) | _naming(
            "service", _entitled(scope.organisation)
        )
    return Problem.objects.filter(pk__in=problems.filter(rule).values("pk"))


def problems_section(build) -> dict:
    end = build.period.end
    problems = _problems_in_scope(build).order_by("created_at", "reference")
    rows = []
    for problem in problems[:LIST_LIMIT]:
        rows.append(
            {
                "reference": problem.reference,
                "title": problem.title,
                "service": problem.service,
                "created": build.local(problem.created_at),
                "known_error": bool(problem.known_error_at and problem.known_error_at < end),
                "age_days": (end - problem.created_at).days,
            }
        )
    return {"total": problems.count(), "rows": rows}


# --- Improvement actions -------------------------------------------------------------------


def improvement_available() -> bool:
    if not apps.is_installed("serviceloop.improvement"):
        return False
    try:
        from serviceloop.improvement.models import Improvement  # noqa: F401
    except ImportError:
        return False
    return True


def _related_references(build) -> list[str]:
    """References of the scope's records an improvement may name as its source: its
    complaints, major incidents, open problems and (for a customer) relationship reviews."""
    end = build.period.end
    refs = set(
        _complaints_in_scope(build.scope)
        .filter(received_at__lt=end)
        .values_list("reference", flat=True)
    )
    refs |= set(
        _tickets_in_scope(build.scope)
        .filter(is_major=True, created_at__lt=end)
        .order_by()
        .values_list("reference", flat=True)
    )
    refs |= set(_problems_in_scope(build).values_list("reference", flat=True))
    if build.scope.organisation is not None:
        from serviceloop.relationship.models import ReviewMeeting

        refs |= set(
            ReviewMeeting.objects.filter(
                account__organisation=build.scope.organisation, created_at__lt=end
            ).values_list("reference", flat=True)
        )
    return sorted(refs)


def improvements_section(build) -> dict:
    """Improvements raised from the scope's records (their source reference names one):
    open at the period's end or implemented in it."""
    if not improvement_available():
        return f.not_available(_("The improvement register is not installed."))
    from serviceloop.improvement.models import Improvement, ImprovementSource, ImprovementStatus

    start_day, last_day = build.period.first, build.period.last_day
    improvements = (
        Improvement.objects.filter(
            source_reference__in=_related_references(build), created_at__lt=build.period.end
        )
        .exclude(implemented_on__lt=start_day)
        .exclude(status=ImprovementStatus.REJECTED)
        .order_by("created_at", "reference")
    )
    sources = dict(ImprovementSource.choices)
    rows = []
    for item in improvements[:LIST_LIMIT]:
        done = item.implemented_on is not None and item.implemented_on <= last_day
        rows.append(
            {
                "reference": item.reference,
                "title": item.title,
                "source_label": str(sources.get(item.source, item.source)),
                "source_reference": item.source_reference,
                "target_on": item.target_on.isoformat() if item.target_on else None,
                "implemented_on": item.implemented_on.isoformat() if done else None,
                "state_label": str(_("Implemented") if done else _("Open")),
            }
        )
    return {"total": improvements.count(), "rows": rows}
