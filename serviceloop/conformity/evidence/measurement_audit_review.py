"""Evidence of performance evaluation (clause 9): KPI values stored and on target, the audit
programme's coverage and its findings closed on time, and management review held with
approved minutes and its actions done."""

import datetime

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from serviceloop.conformity.evidence.registry import (
    Evidence,
    evidence_register,
    list_url,
    nothing_yet,
    share,
    year_before,
)

# KPI snapshot statuses that judge a value against its target ("no_data": nothing measured)
JUDGED_STATUSES = ("ok", "warning", "breach")


def _last_period_snapshots(today):
    """The active KPI definitions and ``{definition id: status}`` of the whole-organisation
    value stored for each one's last complete period (week, month or quarter)."""
    from serviceloop.evaluation.engine import previous_period
    from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot

    definitions = list(KpiDefinition.objects.active())
    starts = {d.pk: previous_period(d.period, today)[0] for d in definitions}
    stored = {}
    rows = KpiSnapshot.objects.filter(
        definition_id__in=list(starts), slice_id="{}", period_start__in=set(starts.values())
    ).values_list("definition_id", "period_start", "status")
    for definition_id, period_start, status in rows:
        if period_start == starts[definition_id]:
            stored[definition_id] = status
    return definitions, stored


@evidence_register("9.1")
def kpis_measured(today):
    """9.1: active KPIs whose value for their last complete period is stored. While no KPI
    has a stored value at all (a new organisation: the shipped library, never measured yet),
    nothing has been recorded, which is information rather than a gap."""
    definitions, stored = _last_period_snapshots(today)
    if not stored:
        return nothing_yet(
            "9.1", _("Active KPIs with a value for their last period"), url=list_url("kpi_list")
        )
    return share(
        "9.1",
        _("Active KPIs with a value for their last period"),
        len(stored),
        len(definitions),
        url=list_url("kpi_list"),
    )


@evidence_register("9.1")
def kpis_on_target(today):
    """9.1: of the active KPIs with a target and a value judged for their last complete
    period, those on target ("ok"; a warning or a breach is not)."""
    definitions, stored = _last_period_snapshots(today)
    judged = [
        stored[d.pk]
        for d in definitions
        if d.target is not None and stored.get(d.pk) in JUDGED_STATUSES
    ]
    return share(
        "9.1",
        _("KPIs on target in their last period"),
        judged.count("ok"),
        len(judged),
        url=list_url("kpi_list"),
    )


@evidence_register("9.2")
def audit_programme_coverage(today):
    """9.2: the clauses in scope covered by a line of this year's audit programme; the detail
    says how many of the lines due this year were audited so far."""
    from serviceloop.evaluation.models import AuditProgramme
    from serviceloop.evaluation.queries_audits import programme_coverage

    label = _("Clauses in scope covered by this year's audit programme")
    url = list_url("audit_programme_list")
    programme = AuditProgramme.objects.filter(year__lte=today.year).order_by("-year").first()
    if programme is None:
        return nothing_yet("9.2", label, url=url)
    if programme.year != today.year:
        return Evidence(
            "9.2", label, _("no programme for %(year)d") % {"year": today.year}, None, "bad",
            "", url,
        )  # fmt: skip
    coverage = programme_coverage(programme)
    due = [row for row in coverage.lines if row.state != "not_due"]
    detail = _("%(reference)s (%(status)s): %(done)d of %(due)d lines due audited so far.") % {
        "reference": programme.reference,
        "status": programme.get_status_display(),
        "done": sum(1 for row in due if row.state == "done"),
        "due": len(due),
    }
    return share(
        "9.2", label, coverage.covered_count, len(coverage.clauses), detail=detail, url=url
    )


@evidence_register("9.2")
def audit_findings_closed_on_time(today):
    """9.2: audit findings due in the last 12 months (up to today), closed or past due,
    closed by their due date."""
    from serviceloop.evaluation.queries_audits import findings_closed_on_time

    _percent, part, whole = findings_closed_on_time(
        year_before(today), today + datetime.timedelta(days=1), today
    )
    return share(
        "9.2",
        _("Audit findings closed by their due date (due in the last 12 months)"),
        part,
        whole,
        url=list_url("audit_finding_list"),
    )


@evidence_register("9.3")
def management_review_held(today):
    """9.3: the latest management review held in the last 12 months and whether its minutes
    are approved."""
    from serviceloop.evaluation.models.reviews import ManagementReview, ReviewStatus

    label = _("Management review in the last 12 months")
    url = list_url("management_review_list")
    review = (
        ManagementReview.objects.held()
        .annotate(day=Coalesce("held_on", "scheduled_on"))
        .filter(day__lte=today)
        .order_by("-day", "-pk")
        .first()
    )
    if review is None:
        return nothing_yet("9.3", label, url=url)
    if review.day < year_before(today):
        return Evidence("9.3", label, _("none held"), None, "bad", "", url)
    day = review.day.isoformat()
    if review.status == ReviewStatus.APPROVED:
        value, tone = _("held on %(date)s, minutes approved") % {"date": day}, "good"
    else:
        value, tone = _("held on %(date)s, minutes not approved yet") % {"date": day}, "warn"
    return Evidence("9.3", label, value, None, tone, review.reference, url)


@evidence_register("9.3")
def management_review_actions_done(today):
    """9.3: actions decided at management reviews, due in the last 12 months (before
    today) and not cancelled, that are done."""
    from serviceloop.evaluation.models.reviews import ActionStatus, ReviewAction

    counts = (
        ReviewAction.objects.exclude(status=ActionStatus.CANCELLED)
        .filter(due_on__gte=year_before(today), due_on__lt=today)
        .aggregate(whole=Count("pk"), part=Count("pk", filter=Q(status=ActionStatus.DONE)))
    )
    return share(
        "9.3",
        _("Management review actions due in the last 12 months that are done"),
        counts["part"],
        counts["whole"],
        url=list_url("management_review_actions"),
    )
