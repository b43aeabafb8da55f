"""List widgets over the management system, for provider staff: my overdue actions (plan
items, continuity test issues, risk reviews), the open risks, the clause readiness from the
live evidence; and, for everyone, the documents he is asked to acknowledge."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.evaluation.widgets_dashboards import (
    CACHE_GLOBAL,
    EVERYONE,
    LIST,
    STAFF,
    Widget,
    WidgetRequest,
    first_rows,
    list_data,
    row,
    url_or,
    widget_register,
)

LEVEL_TONES = {"low": "success", "medium": "warning", "high": "danger", "critical": "danger"}
EVIDENCE_TONES = {"good": "success", "warn": "warning", "bad": "danger", "info": "secondary"}


# --- My overdue actions: one source per area ----------------------------------------------------
# Each source is ``(user, today, limit) -> (rows, count)``; an area whose models are not
# there (ImportError) adds nothing, so the widget works on any subset of ServiceLoop.


def _plan_items(user, today, limit):
    from serviceloop.planning.models import PlanItem

    items = PlanItem.objects.visible_to(user).overdue(today).filter(owner=user)
    records, count = first_rows(items.order_by("due_on", "id"), limit)
    return [
        row(
            reference=item.reference,
            title=item.title,
            url=reverse("plan_item_detail", args=[item.reference]),
            meta=_("Implementation plan · %(status)s") % {"status": item.get_status_display()},
            due=item.due_on,
            tone="danger",
        )
        for item in records
    ], count


def _continuity_issues(user, today, limit):
    from serviceloop.assurance.lifecycle import IssueStatus
    from serviceloop.assurance.models import ContinuityIssue

    issues = ContinuityIssue.objects.visible_to(user).filter(
        owner=user, status=IssueStatus.OPEN, due_on__lt=today
    )
    records, count = first_rows(issues.select_related("test__plan").order_by("due_on", "id"), limit)
    return [
        row(
            reference=_("Test issue"),
            title=issue.action or issue.description,
            url=reverse("continuity_issue_list"),
            meta=_("Continuity test: %(plan)s") % {"plan": issue.test.plan.title},
            due=issue.due_on,
            tone="danger",
        )
        for issue in records
    ], count


def _risk_reviews(user, today, limit):
    from serviceloop.planning.models import Risk

    risks = Risk.objects.visible_to(user).review_overdue(today).filter(owner=user)
    records, count = first_rows(risks.order_by("review_on", "id"), limit)
    return [
        row(
            reference=risk.reference,
            title=risk.title,
            url=reverse("risk_detail", args=[risk.reference]),
            meta=_("Risk review due"),
            due=risk.review_on,
            tone="danger",
        )
        for risk in records
    ], count


def _improvement_actions(user, today, limit):
    from serviceloop.improvement.models import Action

    actions = Action.objects.visible_to(user).overdue(today).filter(owner=user)
    records, count = first_rows(actions.order_by("due_on", "id"), limit)
    return [
        row(
            reference=action.reference,
            title=action.title,
            url=url_or("action_detail", action.reference),
            meta=_("Corrective or preventive action · %(status)s")
            % {"status": action.get_status_display()},
            due=action.due_on,
            tone="danger",
        )
        for action in records
    ], count


def _improvements(user, today, limit):
    from serviceloop.improvement.models import Improvement

    improvements = Improvement.objects.visible_to(user).overdue(today).filter(owner=user)
    records, count = first_rows(improvements.order_by("target_on", "id"), limit)
    return [
        row(
            reference=item.reference,
            title=item.title,
            url=url_or("improvement_detail", item.reference),
            meta=_("Improvement · %(status)s") % {"status": item.get_status_display()},
            due=item.target_on,
            tone="danger",
        )
        for item in records
    ], count


def _audit_findings(user, today, limit):
    from serviceloop.evaluation.models import Finding

    findings = Finding.objects.visible_to(user).overdue(today).filter(owner=user)
    records, count = first_rows(findings.order_by("due_on", "id"), limit)
    return [
        row(
            reference=finding.reference,
            title=finding.title,
            url=url_or("audit_finding_detail", finding.reference),
            meta=_("Audit finding · %(kind)s") % {"kind": finding.get_kind_display()},
            due=finding.due_on,
            tone="danger",
        )
        for finding in records
    ], count


def _review_actions(user, today, limit):
    from serviceloop.evaluation.models import ReviewAction

    actions = ReviewAction.objects.visible_to(user).overdue(today).filter(owner=user)
    records, count = first_rows(actions.select_related("review").order_by("due_on", "id"), limit)
    return [
        row(
            reference=f"{action.review.reference} A{action.number}",
            title=action.description,
            url=url_or("management_review_actions"),
            meta=_("Management review action"),
            due=action.due_on,
            tone="danger",
        )
        for action in records
    ], count


OVERDUE_SOURCES = (
    _plan_items,
    _continuity_issues,
    _risk_reviews,
    _improvement_actions,
    _improvements,
    _audit_findings,
    _review_actions,
)


def build_my_overdue_actions(request: WidgetRequest) -> dict:
    """What the viewer owns and is late on, oldest first: implementation-plan items,
    continuity-test issues, risk reviews, corrective/preventive actions, improvements, audit
    findings and management-review actions past their date."""
    rows, count = [], 0
    for source in OVERDUE_SOURCES:
        try:
            found, n = source(request.user, request.today, request.limit)
        except ImportError:
            continue
        rows += found
        count += n
    rows.sort(key=lambda r: r["due"] or "")
    return list_data(
        count=count, rows=rows[: request.limit], empty=_("Nothing overdue: well done.")
    )


def build_open_risks(request: WidgetRequest) -> dict:
    """Open risks and opportunities, highest score first, with their level on the matrix."""
    from serviceloop.planning.models import RiskLevel
    from serviceloop.planning.queries_risks import matrix_setting, risks_for_list

    matrix = matrix_setting()
    risks = risks_for_list(request.user, matrix=matrix, open_only=True)
    records, count = first_rows(risks, request.limit)
    rows = []
    for risk in records:
        level = matrix.level_of(risk.score)
        rows.append(
            row(
                reference=risk.reference,
                title=risk.title,
                url=reverse("risk_detail", args=[risk.reference]),
                meta=_("score %(score)s · %(level)s · %(owner)s")
                % {"score": risk.score, "level": RiskLevel(level).label, "owner": risk.owner},
                tone=LEVEL_TONES.get(level, ""),
            )
        )
    return list_data(
        count=count,
        rows=rows,
        url=reverse("risk_list"),
        empty=_("No open risk."),
    )


def build_clause_readiness(request: WidgetRequest) -> dict:
    """The live evidence per clause (conformity): how many read good, need attention or show a
    gap, and the weakest ones first."""
    from django.urls import NoReverseMatch

    from serviceloop.conformity.evidence import evidence_clauses, evidence_for

    found = evidence_for(sorted(evidence_clauses()), today=request.today)
    items = [item for items in found.values() for item in items]
    counts = {tone: sum(1 for item in items if item.tone == tone) for tone in EVIDENCE_TONES}
    weak = sorted(
        (item for item in items if item.tone in ("bad", "warn")),
        key=lambda item: (item.tone != "bad", item.ratio if item.ratio is not None else 1),
    )
    rows = []
    for item in weak[: request.limit]:
        try:
            url = item.url or reverse("clause_detail", args=[item.clause])
        except NoReverseMatch:
            url = ""
        rows.append(
            row(
                reference=item.clause,
                title=item.label,
                url=url,
                meta=item.value,
                tone=EVIDENCE_TONES[item.tone],
            )
        )
    summary = [
        {"label": _("Good"), "value": counts["good"], "tone": "success"},
        {"label": _("Needs attention"), "value": counts["warn"], "tone": "warning"},
        {"label": _("Gap"), "value": counts["bad"], "tone": "danger"},
    ]
    return list_data(
        count=len(weak),
        rows=rows,
        url=reverse("clause_list"),
        empty=_("Every clause with live evidence reads good."),
        summary=summary,
    )


def build_acknowledgements_due(request: WidgetRequest) -> dict:
    """Documents the viewer is asked to read and has not acknowledged (open campaigns)."""
    from serviceloop.support.queries_documents import reading_list

    records, count = first_rows(
        reading_list(request.user).select_related("campaign__document"), request.limit
    )
    rows = [
        row(
            reference=ack.campaign.document.reference,
            title=ack.campaign.document.title,
            url=reverse("document_reading"),
            meta=ack.campaign.title,
            due=ack.campaign.deadline,
            tone="danger" if ack.campaign.deadline < request.today else "",
        )
        for ack in records
    ]
    return list_data(
        count=count,
        rows=rows,
        url=reverse("document_reading"),
        empty=_("Nothing to read."),
    )


widget_register(
    Widget(
        "my_overdue_actions",
        gettext_lazy("My overdue actions"),
        LIST,
        build_my_overdue_actions,
        STAFF,
    )
)
widget_register(
    Widget(
        "open_risks",
        gettext_lazy("Open risks and opportunities"),
        LIST,
        build_open_risks,
        STAFF,
        cache=CACHE_GLOBAL,
    )
)
widget_register(
    Widget(
        "clause_readiness",
        gettext_lazy("Clause readiness (live evidence)"),
        LIST,
        build_clause_readiness,
        STAFF,
        cache=CACHE_GLOBAL,
    )
)
widget_register(
    Widget(
        "acknowledgements_due",
        gettext_lazy("Documents to acknowledge"),
        LIST,
        build_acknowledgements_due,
        EVERYONE,
    )
)
