"""Management-review inputs read from the operational apps (see ``inputs_reviews``): customer
feedback (CSAT through the KPI engine, complaints, relationship reviews, surveys), supplier
performance reviews and disputes, capacity plans and alerts, availability per service and
continuity tests. Read only: the management app reads the operational records, never the
other way round.
"""

from __future__ import annotations

from django.db.models import Avg, Count, OuterRef, Q, Subquery

from serviceloop.evaluation.inputs_reviews import (
    ROW_LIMIT,
    PackPeriod,
    _evaluate,
    counts,
    in_period,
    iso,
    num,
)
from serviceloop.evaluation.models import KpiDefinition, ManagementReview

CSAT_KPIS = ("csat-average", "csat-satisfied")


# --- Customer feedback --------------------------------------------------------------------------


def _csat(period: PackPeriod) -> list[dict]:
    rows = []
    for definition in KpiDefinition.objects.filter(code__in=CSAT_KPIS).order_by("code"):
        result = _evaluate(definition, period.start, period.end)
        rows.append({
            "code": definition.code, "name_en": definition.name_en,
            "name_zh": definition.name_zh, "unit": definition.unit,
            "target": num(definition.target), "value": num(result.value),
            "numerator": num(result.numerator), "denominator": num(result.denominator),
            "status": result.status,
        })  # fmt: skip
    return rows


def build_customer_feedback(review: ManagementReview, period: PackPeriod) -> dict:
    """Desk satisfaction ratings (the CSAT KPIs over the period), complaints received and
    closed in the period, relationship reviews held, survey responses, and the open and
    overdue actions of the relationship reviews."""
    from serviceloop.relationship.models import Complaint, ReviewMeeting
    from serviceloop.relationship.models import ReviewAction as CustomerReviewAction
    from serviceloop.relationship.models.customers_surveys import SurveyAnswer, SurveyResponse

    received = Complaint.objects.filter(in_period("received_at", period))
    closed = Complaint.objects.filter(in_period("closed_at", period))
    meetings = (
        ReviewMeeting.objects.filter(in_period("held_on", period, dates=True))
        .select_related("account__organisation")
        .order_by("held_on", "reference")
    )
    responses = SurveyResponse.objects.filter(in_period("submitted_at", period))
    survey = SurveyAnswer.objects.filter(response__in=responses).aggregate(
        average=Avg("score"), answers=Count("id")
    )
    return {
        "csat": _csat(period),
        "complaints_received": received.count(),
        "complaints_by_severity": counts(received.values_list("severity", flat=True)),
        "complaints_breached": received.filter(response_breached=True).count(),
        "complaints_closed": closed.count(),
        "complaints_accepted": closed.filter(customer_accepted=True).count(),
        "complaints_open": Complaint.objects.open().count(),
        "complaints": [
            {
                "reference": c.reference, "organisation": str(c.organisation or ""),
                "subject": c.subject, "severity": c.severity, "status": c.status,
                "received_on": iso(c.received_at), "breached": c.response_breached,
            }
            for c in received.select_related("organisation").order_by("received_at")[:ROW_LIMIT]
        ],
        "relationship_reviews": [
            {
                "reference": m.reference, "title": m.title, "held_on": iso(m.held_on),
                "customer": str(m.account.organisation),
            }
            for m in meetings
        ],
        "relationship_actions_open": CustomerReviewAction.objects.open().count(),
        "relationship_actions_overdue": CustomerReviewAction.objects.overdue(period.today).count(),
        "survey_responses": responses.count(),
        "survey_answers": survey["answers"],
        "survey_average": num(survey["average"]),
    }  # fmt: skip


# --- Suppliers ----------------------------------------------------------------------------------


def build_suppliers(review: ManagementReview, period: PackPeriod) -> dict:
    """Supplier performance reviews completed in the period (their rating and obligations
    met), disputes raised in the period and open now."""
    from serviceloop.relationship.models import (
        DisputeStatus,
        PerformanceReview,
        ReviewScore,
        ReviewStatus,
        Supplier,
        SupplierDispute,
        SupplierStatus,
    )

    reviews = list(
        PerformanceReview.objects.filter(status=ReviewStatus.COMPLETED)
        .filter(in_period("completed_at", period))
        .select_related("supplier")
        .order_by("supplier__name", "period_end")
    )
    scores = {
        row["review_id"]: row
        for row in ReviewScore.objects.filter(review__in=reviews)
        .values("review_id")
        .annotate(
            scored=Count("id", filter=Q(met__isnull=False)), met=Count("id", filter=Q(met=True))
        )
    }  # fmt: skip
    ratings = [r.overall_rating for r in reviews if r.overall_rating is not None]
    raised = SupplierDispute.objects.filter(in_period("raised_on", period, dates=True))
    return {
        "suppliers_active": Supplier.objects.filter(status=SupplierStatus.ACTIVE).count(),
        "reviews": len(reviews),
        "average_rating": num(sum(ratings) / len(ratings)) if ratings else None,
        "obligations_scored": sum(s["scored"] for s in scores.values()),
        "obligations_met": sum(s["met"] for s in scores.values()),
        "disputes_raised": raised.count(),
        "disputes_open": SupplierDispute.objects.exclude(status=DisputeStatus.RESOLVED).count(),
        "rows": [
            {
                "reference": r.reference, "supplier": r.supplier.name,
                "period_start": iso(r.period_start), "period_end": iso(r.period_end),
                "rating": r.overall_rating, "scored": scores.get(r.pk, {}).get("scored", 0),
                "met": scores.get(r.pk, {}).get("met", 0), "summary": r.summary,
            }
            for r in reviews
        ],
    }  # fmt: skip


# --- Capacity -----------------------------------------------------------------------------------


def _capacity_level(plan, value) -> str:
    if value is None:
        return "no_data"
    worse = (lambda v, t: v >= t) if plan.higher_is_worse else (lambda v, t: v <= t)
    if worse(value, plan.critical_threshold):
        return "critical"
    if worse(value, plan.warning_threshold):
        return "warning"
    return "ok"


def build_capacity(review: ManagementReview, period: PackPeriod) -> dict:
    """Each active capacity plan's last measurement before the period ended against its
    thresholds, alerts opened in the period (by trigger) and open now, capacity actions."""
    from serviceloop.demand.models import CapacityAction, CapacityAlert, CapacityPlan, Measurement
    from serviceloop.demand.models.capacity import ActionStatus as CapacityActionStatus

    latest = Measurement.objects.filter(plan=OuterRef("pk"), at__lt=period.end).order_by("-at")
    plans = list(
        CapacityPlan.objects.active()
        .select_related("service", "configuration_item")
        .annotate(
            last_value=Subquery(latest.values("value")[:1]),
            last_at=Subquery(latest.values("at")[:1]),
        )
        .order_by("name", "pk")
    )
    alerts = CapacityAlert.objects.filter(in_period("opened_at", period))
    per_plan = dict(alerts.values("plan_id").annotate(n=Count("id")).values_list("plan_id", "n"))
    actions = CapacityAction.objects.all()
    rows = [
        {
            "reference": p.reference, "name": p.name, "subject": p.subject, "unit": p.unit,
            "value": num(p.last_value), "measured_on": iso(p.last_at),
            "warning": num(p.warning_threshold), "critical": num(p.critical_threshold),
            "level": _capacity_level(p, p.last_value), "alerts": per_plan.get(p.pk, 0),
        }
        for p in plans
    ]  # fmt: skip
    return {
        "plans": len(plans),
        "levels": counts(row["level"] for row in rows),
        "alerts_opened": counts(alerts.values_list("trigger", flat=True)),
        "alerts_open": CapacityAlert.objects.filter(cleared_at__isnull=True).count(),
        "actions_created": actions.filter(in_period("created_at", period)).count(),
        "actions_done": actions.filter(
            in_period("closed_at", period), status=CapacityActionStatus.DONE
        ).count(),
        "actions_open": actions.filter(status=CapacityActionStatus.OPEN).count(),
        "rows": rows,
    }


# --- Availability and continuity ---------------------------------------------------------------


def build_availability_continuity(review: ManagementReview, period: PackPeriod) -> dict:
    """Each live service's availability over the period against its target (the assurance
    engine: service hours, planned maintenance excluded as configured), continuity tests and
    invocations in the period, open and overdue test issues, plans whose test is overdue."""
    from serviceloop.assurance.lifecycle import IssueStatus
    from serviceloop.assurance.models import (
        ContinuityIssue,
        ContinuityPlan,
        ContinuityTest,
        Invocation,
    )
    from serviceloop.assurance.queries import availability_report

    end = min(period.end, period.now) if period.start < period.now else period.end
    per_service, _per_customer = availability_report(period.start, end, now=period.now)
    services = [
        {
            "code": row.service.code, "name": row.service.name,
            "percent": num(row.result.percent), "target": num(row.target), "met": row.met,
            "outages": row.outages, "downtime_minutes": row.result.downtime_seconds // 60,
            "breaks": row.result.breaks,
        }
        for row in per_service
    ]  # fmt: skip
    tests = (
        ContinuityTest.objects.filter(in_period("tested_on", period, dates=True))
        .select_related("plan")
        .order_by("tested_on", "pk")
    )
    invocations = Invocation.objects.filter(in_period("invoked_at", period))
    issues = ContinuityIssue.objects.filter(status=IssueStatus.OPEN)
    return {
        "services": services,
        "services_met": sum(1 for s in services if s["met"] is True),
        "services_missed": sum(1 for s in services if s["met"] is False),
        "tests": [
            {
                "plan": t.plan.reference, "title": t.plan.title, "kind": t.kind,
                "result": t.result, "tested_on": iso(t.tested_on),
                "recovery_minutes": t.recovery_minutes, "met_rto": t.met_rto,
            }
            for t in tests
        ],
        "test_results": counts(t.result for t in tests),
        "invocations": invocations.count(),
        "issues_open": issues.count(),
        "issues_overdue": issues.filter(due_on__lt=period.today).count(),
        "plans_test_overdue": ContinuityPlan.objects.test_overdue(period.today).count(),
    }  # fmt: skip
