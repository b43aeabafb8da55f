"""The input pack of a management review (clause 9.3): one builder per input, each reading the
records of the review period with database queries and returning a JSON-ready snapshot
(numbers as ints or floats, dates as ISO text, names as text).

The period is ``[period_start 00:00, period_end + 1 day 00:00)`` in TIME_ZONE; "now" figures
(what is open or overdue) are read at generation time. The management-system inputs are here
(previous actions, context, objectives, KPIs, risks, audits, nonconformities, improvements);
the operational ones (customer feedback, suppliers, capacity, availability and continuity) in
``inputs_operations_reviews``. ``pack_build`` runs them all.

A builder whose source app is not installed (or lacks the model) yields
``{"unavailable": true}`` instead of failing the whole pack.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from serviceloop.evaluation.models import (
    ActionStatus,
    InputCode,
    KpiDefinition,
    KpiSnapshot,
    ManagementReview,
    ReviewAction,
    ReviewStatus,
)

TREND_MONTHS = 12  # at most this many monthly points when no snapshots are stored
ROW_LIMIT = 30  # rows listed per table in the pack (the counts cover every record)


# --- Helpers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackPeriod:
    first: datetime.date
    last: datetime.date
    start: datetime.datetime
    end: datetime.datetime  # exclusive
    now: datetime.datetime

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)


def pack_period(review: ManagementReview, now: datetime.datetime | None = None) -> PackPeriod:
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(review.period_start, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        review.period_end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return PackPeriod(review.period_start, review.period_end, start, end, now or timezone.now())


def num(value):
    """A JSON number: ints stay ints, Decimals and floats become floats (6 places)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    return value


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def person(user) -> str:
    return str(user) if user is not None else ""


def in_period(field: str, period: PackPeriod, *, dates: bool = False) -> Q:
    if dates:
        return Q(**{f"{field}__gte": period.first, f"{field}__lte": period.last})
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def counts(values) -> dict:
    return dict(sorted(Counter(values).items()))


# --- 1. Actions from previous reviews ----------------------------------------------------------


def previous_reviews(review: ManagementReview):
    """The reviews before this one (by meeting date, then creation), not cancelled."""
    return ManagementReview.objects.exclude(pk=review.pk).exclude(
        status=ReviewStatus.CANCELLED
    ).filter(
        Q(scheduled_on__lt=review.scheduled_on)
        | Q(scheduled_on=review.scheduled_on, pk__lt=review.pk or 0)
    )  # fmt: skip


def build_previous_actions(review: ManagementReview, period: PackPeriod) -> dict:
    """Every action of the last review before this one, and the actions of any earlier
    review still open."""
    earlier = previous_reviews(review)
    last = earlier.order_by("-scheduled_on", "-pk").first()
    rule = Q(review__in=earlier, status=ActionStatus.OPEN)
    if last is not None:
        rule |= Q(review=last)
    actions = (
        ReviewAction.objects.filter(rule)
        .select_related("review", "owner")
        .order_by("review__scheduled_on", "review_id", "number")
    )
    rows = [
        {
            "review": a.review.reference,
            "number": a.number,
            "description": a.description,
            "owner": person(a.owner),
            "due_on": iso(a.due_on),
            "status": a.status,
            "closed_on": iso(a.closed_at),
            "closure_note": a.closure_note,
            "overdue": a.is_overdue(period.today),
            "improvement": a.improvement_reference,
        }
        for a in actions
    ]
    statuses = Counter(row["status"] for row in rows)
    return {
        "previous_review": last.reference if last else None,
        "total": len(rows),
        "open": statuses[ActionStatus.OPEN],
        "done": statuses[ActionStatus.DONE],
        "cancelled": statuses[ActionStatus.CANCELLED],
        "overdue": sum(1 for row in rows if row["overdue"]),
        "rows": rows,
    }


# --- 2. Context: issues and interested parties -------------------------------------------------


CONTEXT_TYPES = {"planning.contextissue": "issue", "planning.interestedparty": "party"}


def _change_of(verbs: list[str], is_active: bool) -> str:
    if any(v.endswith(".created") for v in verbs):
        return "added"
    if not is_active and any(v.endswith(".retired") for v in verbs):
        return "retired"
    if any(v.endswith(".reinstated") for v in verbs):
        return "reinstated"
    return "changed"


def build_context(review: ManagementReview, period: PackPeriod) -> dict:
    """Issues (4.1) and interested parties (4.2) added, changed, retired or reinstated in the
    period (read from their audit history), and the scope and policy versions approved."""
    from serviceloop.core.models import AuditEvent
    from serviceloop.planning.models import (
        ContextIssue,
        InterestedParty,
        PolicyVersion,
        ScopeStatement,
    )

    events = (
        AuditEvent.objects.filter(object_type__in=CONTEXT_TYPES)
        .filter(in_period("occurred_at", period))
        .order_by("id")
        .values_list("object_type", "object_id", "verb")
    )
    verbs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for object_type, object_id, verb in events:
        verbs[(CONTEXT_TYPES[object_type], object_id)].append(verb)
    ids = {
        kind: [int(i) for k, i in verbs if k == kind and i.isdigit()] for kind in ("issue", "party")
    }
    rows = []
    for issue in ContextIssue.objects.filter(pk__in=ids["issue"]).order_by("kind", "title"):
        rows.append({
            "kind": "issue", "id": issue.pk, "title": issue.title, "category": issue.kind,
            "detail": issue.impact or issue.description, "is_active": issue.is_active,
            "change": _change_of(verbs[("issue", str(issue.pk))], issue.is_active),
        })  # fmt: skip
    for party in InterestedParty.objects.filter(pk__in=ids["party"]).order_by("category", "name"):
        rows.append({
            "kind": "party", "id": party.pk, "title": party.name, "category": party.category,
            "detail": party.requirements, "is_active": party.is_active,
            "change": _change_of(verbs[("party", str(party.pk))], party.is_active),
        })  # fmt: skip
    approved = [
        {"document": name, "number": doc.number, "approved_on": iso(doc.approved_at)}
        for name, model in (("scope", ScopeStatement), ("policy", PolicyVersion))
        for doc in model.objects.filter(in_period("approved_at", period)).order_by("approved_at")
    ]
    return {
        "issues_current": ContextIssue.objects.filter(is_active=True).count(),
        "parties_current": InterestedParty.objects.filter(is_active=True).count(),
        "changes": counts(row["change"] for row in rows),
        "rows": rows,
        "documents_approved": approved,
    }


# --- 3. Objectives ------------------------------------------------------------------------------


def build_objectives(review: ManagementReview, period: PackPeriod) -> dict:
    """Each active objective's value and status at the end of the period (or now, if the
    period has not ended)."""
    from serviceloop.planning.models import Objective
    from serviceloop.planning.queries_objectives import evaluated

    at = min(period.end, period.now)
    objectives = Objective.objects.active().select_related("owner").order_by("due_on", "reference")
    rows = [
        {
            "reference": o.reference, "title": o.title, "owner": person(o.owner),
            "due_on": iso(o.due_on), "target": num(o.target), "unit": o.unit,
            "direction": o.direction, "value": num(e.value), "status": e.status,
        }
        for o, e in evaluated(objectives, now=at)
    ]  # fmt: skip
    return {"statuses": counts(row["status"] for row in rows), "rows": rows}


# --- 4. KPIs and trends -------------------------------------------------------------------------


def _months(period: PackPeriod) -> list[tuple[str, datetime.datetime, datetime.datetime]]:
    zone = timezone.get_default_timezone()
    months, first = [], period.first.replace(day=1)
    while first <= period.last:
        following = (first.replace(year=first.year + 1, month=1) if first.month == 12
                     else first.replace(month=first.month + 1))  # fmt: skip
        start = max(period.start, datetime.datetime.combine(first, datetime.time.min, zone))
        end = min(period.end, datetime.datetime.combine(following, datetime.time.min, zone))
        months.append((first.strftime("%Y-%m"), start, end))
        first = following
    return months[-TREND_MONTHS:]


def _evaluate(definition, start, end):
    from serviceloop.evaluation.engine import KpiResult, kpi_evaluate

    try:
        return kpi_evaluate(definition, start, end)
    except ValidationError:
        return KpiResult(None, None, None, "no_data")


def kpi_trend(definition, period: PackPeriod, stored: list) -> tuple[list[dict], str]:
    """The KPI's stored values of the periods inside the review period; without two of
    them, its value month by month computed by the engine."""
    if len(stored) >= 2:
        return [
            {"label": iso(s.period_start), "value": num(s.value), "status": s.status}
            for s in stored
        ], "snapshots"
    points = []
    for label, start, end in _months(period):
        result = _evaluate(definition, start, end)
        points.append({"label": label, "value": num(result.value), "status": result.status})
    return points, "computed"


def kpi_row(definition, period: PackPeriod, stored: list) -> dict:
    result = _evaluate(definition, period.start, period.end)
    trend, source = kpi_trend(definition, period, stored)
    return {
        "code": definition.code, "name_en": definition.name_en, "name_zh": definition.name_zh,
        "unit": definition.unit, "direction": definition.direction,
        "target": num(definition.target), "warning": num(definition.warning),
        "value": num(result.value), "numerator": num(result.numerator),
        "denominator": num(result.denominator), "status": result.status,
        "trend": trend, "trend_source": source,
    }  # fmt: skip


def build_kpis(review: ManagementReview, period: PackPeriod) -> dict:
    """Every active KPI over the whole period (the engine), its status against the target,
    and its trend inside the period."""
    definitions = list(KpiDefinition.objects.active().order_by("code"))
    stored = defaultdict(list)
    for snapshot in KpiSnapshot.objects.filter(
        definition__in=definitions,
        slice_id="{}",
        period_start__gte=period.start,
        period_end__lte=period.end,
    ).order_by("period_start"):
        stored[snapshot.definition_id].append(snapshot)
    rows = [kpi_row(d, period, stored[d.pk]) for d in definitions]
    return {"statuses": counts(row["status"] for row in rows), "rows": rows}


# --- Risks and opportunities --------------------------------------------------------------------


def build_risks(review: ManagementReview, period: PackPeriod) -> dict:
    """Open risks and opportunities per level on the matrix in force, those identified and
    closed in the period, those past their review date, and the highest-rated open ones."""
    from serviceloop.planning.models import Risk
    from serviceloop.planning.queries_risks import matrix_setting

    matrix = matrix_setting()
    open_risks = Risk.objects.open()
    levels = Counter(
        (kind, matrix.level_of(score)) for kind, score in open_risks.values_list("kind", "score")
    )
    top = open_risks.select_related("owner").order_by("-score", "reference")[:ROW_LIMIT]
    return {
        "open": sum(levels.values()),
        "open_by_level": {
            kind: {level: n for (k, level), n in sorted(levels.items()) if k == kind}
            for kind in ("risk", "opportunity")
        },
        "identified": Risk.objects.filter(in_period("created_at", period)).count(),
        "closed": Risk.objects.filter(in_period("closed_on", period, dates=True)).count(),
        "review_overdue": Risk.objects.review_overdue(period.today).count(),
        "rows": [
            {
                "reference": r.reference, "kind": r.kind, "title": r.title, "score": r.score,
                "level": matrix.level_of(r.score), "treatment": r.treatment,
                "owner": person(r.owner), "status": r.status, "review_on": iso(r.review_on),
                "overdue": r.review_overdue(period.today),
            }
            for r in top
        ],
    }  # fmt: skip


# --- Audit results ------------------------------------------------------------------------------


def build_audits(review: ManagementReview, period: PackPeriod) -> dict:
    """Internal audits held or planned in the period with their findings by kind, findings
    raised and closed in the period, and those still open or overdue now."""
    from serviceloop.evaluation.models.audits import Audit, AuditStatus, Finding

    audits = list(
        Audit.objects.filter(
            Q(planned_start__lte=period.last, planned_end__gte=period.first)
            | in_period("reported_on", period, dates=True)
        ).order_by("planned_start", "reference")
    )
    per_audit = defaultdict(dict)
    for row in (
        Finding.objects.filter(audit__in=audits).values("audit_id", "kind").annotate(n=Count("id"))
    ):
        per_audit[row["audit_id"]][row["kind"]] = row["n"]
    raised = Finding.objects.filter(in_period("created_at", period))
    still_open = Finding.objects.open().select_related("owner").order_by("due_on", "reference")
    done = (AuditStatus.REPORTED, AuditStatus.CLOSED)
    return {
        "held": sum(1 for a in audits if a.status in done),
        "planned": len(audits),
        "cancelled": sum(1 for a in audits if a.status == AuditStatus.CANCELLED),
        "findings_raised": counts(raised.values_list("kind", flat=True)),
        "findings_closed": Finding.objects.filter(
            in_period("closed_on", period, dates=True)
        ).count(),
        "findings_open": still_open.count(),
        "findings_overdue": Finding.objects.overdue(period.today).count(),
        "audits": [
            {
                "reference": a.reference, "title": a.title, "status": a.status,
                "planned_start": iso(a.planned_start), "reported_on": iso(a.reported_on),
                "findings": per_audit.get(a.pk, {}), "conclusion": a.conclusion,
            }
            for a in audits
        ],
        "open_findings": [
            {
                "reference": f.reference, "kind": f.kind, "title": f.title, "status": f.status,
                "owner": person(f.owner), "due_on": iso(f.due_on),
                "overdue": f.is_overdue(period.today),
            }
            for f in still_open[:ROW_LIMIT]
        ],
    }  # fmt: skip


# --- Nonconformities and corrective actions -----------------------------------------------------


def build_nonconformities(review: ManagementReview, period: PackPeriod) -> dict:
    """Nonconformities raised and closed in the period (by severity and source), open and
    overdue now; corrective and preventive actions created, done and verified."""
    from serviceloop.improvement.models import NC_CLOSED_STATUSES, Action, Nonconformity
    from serviceloop.improvement.models import ActionStatus as CorrectiveStatus

    raised = Nonconformity.objects.filter(in_period("raised_on", period, dates=True))
    still_open = Nonconformity.objects.not_closed()
    listed = (
        Nonconformity.objects.filter(
            in_period("raised_on", period, dates=True) | Q(pk__in=still_open.values("pk"))
        )
        .select_related("owner")
        .order_by("-raised_on", "-reference")
    )
    actions = Action.objects.all()
    return {
        "raised": raised.count(),
        "raised_by_severity": counts(raised.values_list("severity", flat=True)),
        "raised_by_source": counts(raised.values_list("source", flat=True)),
        "closed": Nonconformity.objects.filter(
            in_period("closed_on", period, dates=True)
        ).count(),
        "open": still_open.count(),
        "overdue": Nonconformity.objects.overdue(period.today).count(),
        "actions_created": counts(
            actions.filter(in_period("created_at", period)).values_list("kind", flat=True)
        ),
        "actions_done": actions.filter(in_period("done_on", period, dates=True)).count(),
        "actions_effective": actions.filter(
            in_period("verified_on", period, dates=True),
            status=CorrectiveStatus.VERIFIED_EFFECTIVE,
        ).count(),
        "actions_not_effective": actions.filter(
            in_period("verified_on", period, dates=True), status=CorrectiveStatus.NOT_EFFECTIVE
        ).count(),
        "actions_overdue": actions.overdue(period.today).count(),
        "rows": [
            {
                "reference": n.reference, "title": n.title, "severity": n.severity,
                "source": n.source, "status": n.status, "raised_on": iso(n.raised_on),
                "due_on": iso(n.due_on), "owner": person(n.owner),
                "overdue": bool(
                    n.due_on and n.due_on < period.today
                    and n.status not in NC_CLOSED_STATUSES
                ),
            }
            for n in listed[:ROW_LIMIT]
        ],
    }  # fmt: skip


# --- Opportunities for improvement --------------------------------------------------------------


PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def build_improvements(review: ManagementReview, period: PackPeriod) -> dict:
    """The improvement register: proposed in the period (by source), implemented and
    measured in the period, open now (by status), overdue; the open ones by priority."""
    from serviceloop.improvement.models import Improvement

    proposed = Improvement.objects.filter(in_period("created_at", period))
    still_open = list(Improvement.objects.open().select_related("owner"))
    still_open.sort(key=lambda i: (PRIORITY_ORDER.get(i.priority, 3), i.reference))
    return {
        "proposed": proposed.count(),
        "proposed_by_source": counts(proposed.values_list("source", flat=True)),
        "implemented": Improvement.objects.filter(
            in_period("implemented_on", period, dates=True)
        ).count(),
        "measured": Improvement.objects.filter(
            in_period("measured_on", period, dates=True)
        ).count(),
        "open_by_status": counts(i.status for i in still_open),
        "overdue": Improvement.objects.overdue(period.today).count(),
        "rows": [
            {
                "reference": i.reference, "title": i.title, "source": i.source,
                "priority": i.priority, "status": i.status, "owner": person(i.owner),
                "target_on": iso(i.target_on), "overdue": i.is_overdue(period.today),
            }
            for i in still_open[:ROW_LIMIT]
        ],
    }  # fmt: skip


def build_market(review: ManagementReview, period: PackPeriod) -> dict:
    """Entered by people (``ReviewInput.entered_text``): nothing to read from the records."""
    return {}


# --- The pack -----------------------------------------------------------------------------------


def builders() -> dict:
    from serviceloop.evaluation import inputs_operations_reviews as operations

    return {
        InputCode.PREVIOUS_ACTIONS: build_previous_actions,
        InputCode.CONTEXT: build_context,
        InputCode.OBJECTIVES: build_objectives,
        InputCode.KPIS: build_kpis,
        InputCode.AUDITS: build_audits,
        InputCode.NONCONFORMITIES: build_nonconformities,
        InputCode.CUSTOMER_FEEDBACK: operations.build_customer_feedback,
        InputCode.SUPPLIERS: operations.build_suppliers,
        InputCode.RISKS: build_risks,
        InputCode.CAPACITY: operations.build_capacity,
        InputCode.AVAILABILITY_CONTINUITY: operations.build_availability_continuity,
        InputCode.IMPROVEMENTS: build_improvements,
        InputCode.MARKET: build_market,
    }


def pack_build(review: ManagementReview, *, now: datetime.datetime | None = None) -> dict:
    """``{code: content}`` for every input of 9.3, in pack order."""
    period = pack_period(review, now)
    pack = {}
    for code, build in builders().items():
        try:
            pack[code] = build(review, period)
        except (ImportError, LookupError):
            # the source app (being built, or switched off) lacks what the input reads
            pack[code] = {"unavailable": True}
    return pack
