"""List widgets over the management system, for provider staff: my overdue actions (plan
items, continuity test issues, risk reviews), the open risks, the clause readiness from the
live evidence; and, for everyone, the documents he is asked to acknowledge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

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
# Each source says how to find the viewer's overdue records of one kind and how to show one;
# ``overdue_rows`` reads them all the same way. An area whose models are not there
# (ImportError) adds nothing, so the widget works on any subset of ServiceLoop.


@dataclass(frozen=True)
class OverdueSource:
    records: Callable  # (user, today) -> the viewer's overdue records of this kind
    due: str  # the field holding the date they are late against (oldest first)
    reference: Callable  # record -> the reference shown
    title: Callable  # record -> the title shown
    url: Callable  # record -> its page
    meta: Callable  # record -> the line under the title
    related: tuple = ()  # select_related for what reference, title and meta read


def overdue_rows(source: OverdueSource, user, today, limit) -> tuple[list, int]:
    """The first ``limit`` of the viewer's overdue records of ``source`` as widget rows,
    and how many there are."""
    records = source.records(user, today)
    if source.related:
        records = records.select_related(*source.related)
    found, count = first_rows(records.order_by(source.due, "id"), limit)
    return [
        row(
            reference=source.reference(record),
            title=source.title(record),
            url=source.url(record),
            meta=source.meta(record),
            due=getattr(record, source.due),
            tone="danger",
        )
        for record in found
    ], count


def _plan_items(user, today):
    from serviceloop.planning.models import PlanItem

    return PlanItem.objects.visible_to(user).overdue(today).filter(owner=user)


def _continuity_issues(user, today):
    from serviceloop.assurance.lifecycle import IssueStatus
    from serviceloop.assurance.models import ContinuityIssue

    return ContinuityIssue.objects.visible_to(user).filter(
        owner=user, status=IssueStatus.OPEN, due_on__lt=today
    )


def _risk_reviews(user, today):
    from serviceloop.planning.models import Risk

    return Risk.objects.visible_to(user).review_overdue(today).filter(owner=user)


def _improvement_actions(user, today):
    from serviceloop.improvement.models import Action

    return Action.objects.visible_to(user).overdue(today).filter(owner=user)


def _improvements(user, today):
    from serviceloop.improvement.models import Improvement

    return Improvement.objects.visible_to(user).overdue(today).filter(owner=user)


def _audit_findings(user, today):
    from serviceloop.evaluation.models import Finding

    return Finding.objects.visible_to(user).overdue(today).filter(owner=user)


def _review_actions(user, today):
    from serviceloop.evaluation.models import ReviewAction

    return ReviewAction.objects.visible_to(user).overdue(today).filter(owner=user)


def _with_status(text):
    """``meta`` showing the record's status in ``text`` (``%(status)s``)."""
    return lambda record: _(text) % {"status": record.get_status_display()}


_reference, _title = attrgetter("reference"), attrgetter("title")

OVERDUE_SOURCES = (
    OverdueSource(
        _plan_items, "due_on", _reference, _title,
        url=lambda item: reverse("plan_item_detail", args=[item.reference]),
        meta=_with_status(gettext_noop("Implementation plan · %(status)s")),
    ),
    OverdueSource(
        _continuity_issues, "due_on",
        reference=lambda issue: _("Test issue"),
        title=lambda issue: issue.action or issue.description,
        url=lambda issue: reverse("continuity_issue_list"),
        meta=lambda issue: _("Continuity test: %(plan)s") % {"plan": issue.test.plan.title},
        related=("test__plan",),
    ),
    OverdueSource(
        _risk_reviews, "review_on", _reference, _title,
        url=lambda risk: reverse("risk_detail", args=[risk.reference]),
        meta=lambda risk: _("Risk review due"),
    ),
    OverdueSource(
        _improvement_actions, "due_on", _reference, _title,
        url=lambda action: url_or("action_detail", action.reference),
        meta=_with_status(gettext_noop("Corrective or preventive action · %(status)s")),
    ),
    OverdueSource(
        _improvements, "target_on", _reference, _title,
        url=lambda item: url_or("improvement_detail", item.reference),
        meta=_with_status(gettext_noop("Improvement · %(status)s")),
    ),
    OverdueSource(
        _audit_findings, "due_on", _reference, _title,
        url=lambda finding: url_or("audit_finding_detail", finding.reference),
        meta=lambda finding: _("Audit finding · %(kind)s") % {"kind": finding.get_kind_display()},
    ),
    OverdueSource(
        _review_actions, "due_on",
        reference=lambda action: f"{action.review.reference} A{action.number}",
        title=attrgetter("description"),
        url=lambda action: url_or("management_review_actions"),
        meta=lambda action: _("Management review action"),
        related=("review",),
    ),
)  # fmt: skip


def build_my_overdue_actions(request: WidgetRequest) -> dict:
    """What the viewer owns and is late on, oldest first: implementation-plan items,
    continuity-test issues, risk reviews, corrective/preventive actions, improvements, audit
    findings and management-review actions past their date."""
    rows, count = [], 0
    for source in OVERDUE_SOURCES:
        try:
            found, n = overdue_rows(source, request.user, request.today, request.limit)
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
