"""The detectors of the operational signals: one per signal kind, each reading the records
with database queries only and returning the causes it sees now (``Cause``: a stable key,
a title, the owner, the figures as evidence and links). They write nothing;
``services_signals.signals_detect`` turns causes into proposals.

Keys name the cause, not the day it was seen: a KPI's run of misses from its first missed
period, a recurring-incident cluster by category and service, a closed problem by its
closure, an overdue record by its id and due date (a new due date that passes in turn is a
new cause).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.roles import Capability
from serviceloop.improvement.models import SignalKind, SignalRule

MISSED = ("warning", "breach")


@dataclass
class Cause:
    key: str
    title: str
    description: str = ""
    owner: object = None
    due_on: date | None = None
    evidence: dict = field(default_factory=dict)
    links: list = field(default_factory=list)


def url_for(name: str, *args) -> str:
    """The page's URL, or "" when that page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _link(label: str, name: str, *args) -> list[dict]:
    url = url_for(name, *args)
    return [{"label": str(label), "url": url}] if url else []


def _number(value):
    return None if value is None else float(value)


def _kpi_series():
    """``{definition: [snapshot values, newest first]}`` for the active KPIs with a target,
    whole (unsliced) values only, in one query."""
    from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot

    definitions = {
        d.pk: d
        for d in KpiDefinition.objects.active().filter(target__isnull=False).select_related("owner")
    }
    series = defaultdict(list)
    rows = (
        KpiSnapshot.objects.filter(definition_id__in=definitions, slice_id="{}")
        .order_by("definition_id", "-period_start")
        .values("definition_id", "period_start", "period_end", "value", "status")
    )
    for row in rows:
        series[definitions[row["definition_id"]]].append(row)
    return series


def _period(row) -> dict:
    return {
        "start": timezone.localtime(row["period_start"]).date().isoformat(),
        "end": timezone.localtime(row["period_end"]).date().isoformat(),
        "value": _number(row["value"]),
        "status": row["status"],
    }


def _kpi_facts(kpi) -> dict:
    return {
        "kpi": kpi.code,
        "name": kpi.name_en,
        "target": _number(kpi.target),
        "warning": _number(kpi.warning),
        "direction": kpi.direction,
        "unit": kpi.unit,
        "period": kpi.period,
    }


def detect_kpi_missed(rule: SignalRule, *, now) -> list[Cause]:
    """KPIs whose latest ``threshold`` stored values (or more, in a row) missed the target
    (status warning or breach). The cause is the run of misses, named by its first period."""
    causes = []
    for kpi, rows in _kpi_series().items():
        run = []
        for row in rows:
            if row["status"] not in MISSED:
                break
            run.append(row)
        if len(run) < rule.threshold:
            continue
        first = _period(run[-1])
        causes.append(
            Cause(
                key=f"kpi-missed:{kpi.code}:{first['start']}",
                title=_("KPI %(name)s missed its target for %(n)d periods in a row")
                % {"name": kpi.name, "n": len(run)},
                description=_(
                    "%(name)s (target %(target)s %(unit)s) missed its target in every period "
                    "since %(start)s."
                )
                % {
                    "name": kpi.name,
                    "target": kpi.target.normalize(),
                    "unit": kpi.unit,
                    "start": first["start"],
                },
                owner=kpi.owner,
                evidence={
                    **_kpi_facts(kpi),
                    "periods": [_period(row) for row in reversed(run)],
                    "threshold": rule.threshold,
                },
                links=_link(kpi.code, "kpi_detail", kpi.code),
            )
        )
    return causes


def _worse(kpi, newer: Decimal, older: Decimal) -> bool:
    return newer < older if kpi.direction == "higher" else newer > older


def detect_kpi_trend(rule: SignalRule, *, now) -> list[Cause]:
    """KPIs whose latest ``threshold`` stored values (or more) each got worse than the one
    before, and whose latest value, still short of the next status, lies within
    ``margin_percent`` of that threshold (the target while it is met, else the warning
    threshold). The cause is the worsening run, named by its first period."""
    margin = Decimal(rule.margin_percent or 0) / 100
    causes = []
    for kpi, rows in _kpi_series().items():
        if not rows or rows[0]["value"] is None or rows[0]["status"] not in ("ok", "warning"):
            continue
        run = [rows[0]]
        for row in rows[1:]:
            if row["value"] is None or not _worse(kpi, run[-1]["value"], row["value"]):
                break
            run.append(row)
        if len(run) < rule.threshold:
            continue
        latest = rows[0]["value"]
        boundary = kpi.target if rows[0]["status"] == "ok" else kpi.warning
        if boundary is None:
            continue
        distance = abs(latest - boundary)
        if distance > abs(boundary) * margin:
            continue
        first = _period(run[-1])
        causes.append(
            Cause(
                key=f"kpi-trend:{kpi.code}:{first['start']}",
                title=_("KPI %(name)s is getting worse, close to its threshold")
                % {"name": kpi.name},
                description=_(
                    "%(name)s got worse in each of the last %(n)d periods; its latest value "
                    "%(value)s %(unit)s lies within %(margin)d%% of %(boundary)s."
                )
                % {
                    "name": kpi.name,
                    "n": len(run),
                    "value": latest.normalize(),
                    "unit": kpi.unit,
                    "margin": rule.margin_percent,
                    "boundary": boundary.normalize(),
                },
                owner=kpi.owner,
                evidence={
                    **_kpi_facts(kpi),
                    "periods": [_period(row) for row in reversed(run)],
                    "boundary": _number(boundary),
                    "margin_percent": rule.margin_percent,
                    "threshold": rule.threshold,
                },
                links=_link(kpi.code, "kpi_detail", kpi.code),
            )
        )
    return causes


def _problem_owner(category):
    """Who owns a proposed problem: the lead of the category's team if he works problems,
    else the first problem manager."""
    from serviceloop.desk.services.problems import problem_managers

    lead = getattr(getattr(category, "default_team", None), "lead", None)
    if lead is not None and lead.is_active and lead.has_capability(Capability.OPERATE):
        return lead
    people = problem_managers()
    return people[0] if people else None


def _incident_links(rows, most=10) -> list[dict]:
    links = []
    for row in rows[:most]:
        links += _link(row["reference"], "ticket_detail", row["reference"])
    return links


def detect_incident_cluster(rule: SignalRule, *, now) -> list[Cause]:
    """At least ``threshold`` incidents of the same category and service (blank counts as
    one service) raised within the last ``window_days``, not cancelled, not linked to a
    problem and not already in one of the desk's own problem proposals; a category and
    service with an open problem is left to it; confidential (security) incidents are left
    out. The cause is the category and service."""
    from serviceloop.desk.lifecycle import Status
    from serviceloop.desk.models import (
        Category,
        Kind,
        Problem,
        ProblemIncident,
        ProblemProposal,
        Ticket,
    )

    since = now - timedelta(days=rule.window_days or 30)
    rows = (
        Ticket.objects.filter(
            kind=Kind.INCIDENT,
            created_at__gte=since,
            created_at__lte=now,
            category__isnull=False,
        )
        .exclude(status=Status.CANCELLED)
        # security incidents stay with the people cleared for them, out of proposals
        .exclude(confidential=True)
        .filter(~Exists(ProblemIncident.objects.filter(incident=OuterRef("pk"))))
        .filter(~Exists(ProblemProposal.incidents.through.objects.filter(ticket=OuterRef("pk"))))
        .order_by("created_at", "pk")
        .values("pk", "reference", "title", "service", "category_id", "created_at")
    )
    groups = defaultdict(list)
    for row in rows:
        groups[(row["category_id"], (row["service"] or "").strip().casefold())].append(row)
    groups = {key: members for key, members in groups.items() if len(members) >= rule.threshold}
    if not groups:
        return []
    categories = Category.objects.select_related("default_team__lead").in_bulk(
        {key[0] for key in groups}
    )
    open_problems = {
        (category_id, (service or "").strip().casefold())
        for category_id, service in Problem.objects.open()
        .filter(category_id__in=categories)
        .values_list("category_id", "service")
    }
    causes = []
    for (category_id, service_key), members in groups.items():
        if (category_id, service_key) in open_problems:
            continue
        category = categories[category_id]
        service = Counter((r["service"] or "").strip() for r in members).most_common(1)[0][0]
        label = f"{category.name} · {service}" if service else category.name
        common = Counter(r["title"] for r in members).most_common(1)[0][0]
        causes.append(
            Cause(
                key=f"incident-cluster:{category_id}:{service_key}"[:200],
                title=_("Recurring incidents: %(label)s") % {"label": label},
                description=_(
                    "%(n)d incidents of %(label)s within %(days)d days, e.g. “%(title)s”."
                )
                % {"n": len(members), "label": label, "days": rule.window_days, "title": common},
                owner=_problem_owner(category),
                evidence={
                    "category": category.name,
                    "category_id": category_id,
                    "service": service,
                    "window_days": rule.window_days,
                    "threshold": rule.threshold,
                    "count": len(members),
                    "suggested_title": common[:200],
                    "incidents": [r["reference"] for r in members],
                    "incident_ids": [r["pk"] for r in members],
                },
                links=_incident_links(members),
            )
        )
    return causes


def detect_problem_recurrence(rule: SignalRule, *, now) -> list[Cause]:
    """Closed problems (closed within the last ``window_days``) whose category (and service,
    if the problem names one) had at least ``threshold`` new incidents since the closure.
    The cause is the problem's closure."""
    from serviceloop.desk.lifecycle import Status
    from serviceloop.desk.models import Kind, Problem, ProblemStatus, Ticket

    window = timedelta(days=rule.window_days or 90)
    problems = Problem.objects.filter(
        status=ProblemStatus.CLOSED,
        category__isnull=False,
        closed_at__isnull=False,
        closed_at__gte=now - window,
    ).select_related("owner", "category")
    causes = []
    for problem in problems:
        incidents = (
            Ticket.objects.filter(
                kind=Kind.INCIDENT,
                category_id=problem.category_id,
                created_at__gt=problem.closed_at,
                created_at__lte=min(now, problem.closed_at + window),
            )
            .exclude(status=Status.CANCELLED)
            .exclude(confidential=True)
        )
        if problem.service.strip():
            incidents = incidents.filter(service__iexact=problem.service.strip())
        rows = list(incidents.order_by("created_at", "pk").values("pk", "reference"))
        if len(rows) < rule.threshold:
            continue
        closed = timezone.localtime(problem.closed_at)
        causes.append(
            Cause(
                key=f"problem-recurred:{problem.pk}:{closed.date().isoformat()}",
                title=_("Problem %(reference)s recurred after closure")
                % {"reference": problem.reference},
                description=_(
                    "%(n)d new incidents of %(category)s since %(reference)s “%(title)s” was "
                    "closed on %(date)s: the fix did not hold."
                )
                % {
                    "n": len(rows),
                    "category": problem.category.name,
                    "reference": problem.reference,
                    "title": problem.title,
                    "date": closed.date().isoformat(),
                },
                owner=problem.owner,
                evidence={
                    "problem": problem.reference,
                    "closed_on": closed.date().isoformat(),
                    "category": problem.category.name,
                    "service": problem.service,
                    "window_days": rule.window_days,
                    "threshold": rule.threshold,
                    "count": len(rows),
                    "incidents": [r["reference"] for r in rows],
                },
                links=[
                    *_link(problem.reference, "problem_detail", problem.reference),
                    *_incident_links(rows),
                ],
            )
        )
    return causes


def _cutoff(rule: SignalRule, now) -> date:
    """Records due before this day are overdue past the rule's grace days."""
    return timezone.localdate(now) - timedelta(days=rule.threshold or 0)


def detect_agreement_review(rule: SignalRule, *, now) -> list[Cause]:
    """Agreed SLA and OLA versions past their review date: an action item for the account
    manager of its customers (the lead of its teams for an OLA; else a manager)."""
    from serviceloop.relationship.models import AgreementVersion, VersionStatus
    from serviceloop.relationship.services_agreements_reviews import (
        agreement_reminder_recipients,
    )

    versions = AgreementVersion.objects.filter(
        status=VersionStatus.AGREED, review_on__isnull=False, review_on__lt=_cutoff(rule, now)
    ).select_related("agreement")
    causes = []
    for version in versions:
        agreement = version.agreement
        people = agreement_reminder_recipients(agreement) or [version.author]
        name = f"{agreement.reference} v{version.number}"
        causes.append(
            Cause(
                key=f"agreement-review:{version.pk}:{version.review_on.isoformat()}",
                title=_("Review %(name)s %(title)s (due %(date)s)")
                % {"name": name, "title": agreement.title, "date": version.review_on.isoformat()},
                description=_("The agreed version was due for review on %(date)s.")
                % {"date": version.review_on.isoformat()},
                owner=people[0] if people else None,
                due_on=version.review_on,
                evidence={
                    "agreement": agreement.reference,
                    "kind": agreement.kind,
                    "version": version.number,
                    "review_on": version.review_on.isoformat(),
                },
                links=_link(name, "agreement_version_detail", agreement.reference, version.number),
            )
        )
    return causes


def detect_document_review(rule: SignalRule, *, now) -> list[Cause]:
    """Effective documents past their review date: an action item for the owner."""
    from serviceloop.support.models import Document

    documents = Document.objects.review_overdue(_cutoff(rule, now)).select_related("owner")
    return [
        Cause(
            key=f"document-review:{doc.pk}:{doc.next_review.isoformat()}",
            title=_("Review document %(reference)s %(title)s (due %(date)s)")
            % {"reference": doc.reference, "title": doc.title, "date": doc.next_review.isoformat()},
            description=_("The document was due for review on %(date)s.")
            % {"date": doc.next_review.isoformat()},
            owner=doc.owner,
            due_on=doc.next_review,
            evidence={"document": doc.reference, "next_review": doc.next_review.isoformat()},
            links=_link(doc.reference, "document_detail", doc.reference),
        )
        for doc in documents
    ]


def detect_training_lapsed(rule: SignalRule, *, now) -> list[Cause]:
    """Certifications (a competence with an expiry date) that lapsed, in a competence the
    holder's role requires: an action item for the holder."""
    from serviceloop.support.models import CompetenceRequirement, PersonCompetence

    required = CompetenceRequirement.objects.filter(
        competence=OuterRef("competence"), role=OuterRef("person__role")
    )
    lapsed = (
        PersonCompetence.objects.filter(expires_on__lt=_cutoff(rule, now), person__is_active=True)
        .annotate(required=Exists(required))
        .filter(required=True)
        .select_related("person", "competence")
    )
    return [
        Cause(
            key=f"training-lapsed:{pc.pk}:{pc.expires_on.isoformat()}",
            title=_("Renew %(competence)s for %(person)s (lapsed %(date)s)")
            % {"competence": pc.competence.name, "person": pc.person, "date": pc.expires_on},
            description=_(
                "The certification in %(competence)s, required for the role, expired on "
                "%(date)s: it counts as level 0 until renewed."
            )
            % {"competence": pc.competence.name, "date": pc.expires_on.isoformat()},
            owner=pc.person,
            due_on=pc.expires_on,
            evidence={
                "person": pc.person.username,
                "competence": pc.competence.name,
                "level": pc.level,
                "certificate": pc.certificate,
                "expires_on": pc.expires_on.isoformat(),
            },
            links=_link(str(pc.person), "competence_person", pc.person_id),
        )
        for pc in lapsed
    ]


def detect_continuity_test(rule: SignalRule, *, now) -> list[Cause]:
    """Active continuity plans whose test is overdue: an action item for the plan owner."""
    from serviceloop.assurance.models import ContinuityPlan

    plans = ContinuityPlan.objects.test_overdue(_cutoff(rule, now)).select_related("owner")
    return [
        Cause(
            key=f"continuity-test:{plan.pk}:{plan.test_due_on.isoformat()}",
            title=_("Test continuity plan %(reference)s %(title)s (due %(date)s)")
            % {"reference": plan.reference, "title": plan.title, "date": plan.test_due_on},
            description=_("The plan's test was due on %(date)s.")
            % {"date": plan.test_due_on.isoformat()},
            owner=plan.owner,
            due_on=plan.test_due_on,
            evidence={"plan": plan.reference, "test_due_on": plan.test_due_on.isoformat()},
            links=_link(plan.reference, "continuity_plan_detail", plan.reference),
        )
        for plan in plans
    ]


FINDING_DUE_FIELDS = ("due_on", "due_date", "action_due_on", "due")
FINDING_CLOSED = ("closed", "verified", "cancelled", "resolved", "done", "accepted_risk")


def _finding_model():
    """The evaluation app's audit finding model (``Finding``; ``AuditFinding`` accepted too),
    or None while it does not exist."""
    for name in ("Finding", "AuditFinding"):
        try:
            return apps.get_model("evaluation", name)
        except LookupError:
            continue
    return None


def detect_audit_finding(rule: SignalRule, *, now) -> list[Cause]:
    """Open audit findings past their due date: an action item for the finding's owner. Read
    defensively (field names looked up): nothing when the evaluation app has no finding
    model or it has no due date."""
    model = _finding_model()
    if model is None:
        return []
    names = {f.name for f in model._meta.get_fields()}
    due_field = next((n for n in FINDING_DUE_FIELDS if n in names), None)
    if due_field is None:
        return []
    owner_field = next((n for n in ("owner", "assignee", "responsible") if n in names), None)
    findings = model.objects.filter(**{f"{due_field}__lt": _cutoff(rule, now)})
    if "status" in names:
        findings = findings.exclude(status__in=FINDING_CLOSED)
    if owner_field:
        findings = findings.select_related(owner_field)
    causes = []
    for finding in findings.order_by("pk"):
        due = getattr(finding, due_field)
        reference = str(getattr(finding, "reference", "") or finding.pk)
        title = str(getattr(finding, "title", "") or getattr(finding, "summary", "") or "")
        causes.append(
            Cause(
                key=f"audit-finding:{finding.pk}:{due.isoformat()}",
                title=(
                    _("Act on audit finding %(reference)s %(title)s (due %(date)s)")
                    % {"reference": reference, "title": title[:120], "date": due.isoformat()}
                )[:200],
                description=_("The audit finding was due on %(date)s and is still open.")
                % {"date": due.isoformat()},
                owner=getattr(finding, owner_field, None) if owner_field else None,
                due_on=due,
                evidence={
                    "finding": reference,
                    "due_on": due.isoformat(),
                    "status": getattr(finding, "status", ""),
                },
                links=_link(reference, "audit_finding_detail", reference),
            )
        )
    return causes


DETECTORS = {
    SignalKind.KPI_MISSED: detect_kpi_missed,
    SignalKind.KPI_TREND: detect_kpi_trend,
    SignalKind.INCIDENT_CLUSTER: detect_incident_cluster,
    SignalKind.PROBLEM_RECURRENCE: detect_problem_recurrence,
    SignalKind.AGREEMENT_REVIEW: detect_agreement_review,
    SignalKind.DOCUMENT_REVIEW: detect_document_review,
    SignalKind.TRAINING_LAPSED: detect_training_lapsed,
    SignalKind.CONTINUITY_TEST: detect_continuity_test,
    SignalKind.AUDIT_FINDING: detect_audit_finding,
}
