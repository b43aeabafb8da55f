"""Named reads of the internal audit (clause 9.2): the scope of the programme, its coverage
(every clause in scope covered by a line, every line audited as often as its risk asks), the
lists with their filters, and the KPI "audit findings closed on time" (registered with the
KPI engine when this module is imported).

The scope: the leaf clauses of 4–10, without those of a process whose module is switched
off by tailoring (e.g. 8.2.5 when asset management is off).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.conformity.models import Clause
from serviceloop.core.models import Attachment
from serviceloop.evaluation.engine import external_register
from serviceloop.evaluation.models import (
    Audit,
    AuditProgramme,
    AuditStatus,
    Finding,
    FindingStatus,
    ProgrammeLine,
    RiskRating,
)

DONE_STATUSES = (AuditStatus.REPORTED, AuditStatus.CLOSED)
SCHEDULED_STATUSES = (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS, *DONE_STATUSES)


# --- Scope -------------------------------------------------------------------------------------


def _covers(subject: str, number: str) -> bool:
    """Whether the clause ``subject`` covers clause ``number`` (itself or a sub-clause)."""
    return number == subject or number.startswith(subject + ".")


def out_of_scope_processes() -> list:
    """The planning processes whose module is switched off by tailoring."""
    from serviceloop.planning.models.context import PROCESSES
    from serviceloop.planning.queries_tailoring import disabled_modules

    off = disabled_modules()
    return [p for p in PROCESSES if p.module and p.module in off]


def clauses_in_scope() -> list[Clause]:
    """The leaf clauses the programme must cover, in the standard's order."""
    excluded = [p.code for p in out_of_scope_processes()]
    return [
        clause
        for clause in Clause.objects.leaves().in_order()
        if not any(_covers(code, clause.number) for code in excluded)
    ]


def leaves_of(subjects, scope: list[Clause] | None = None) -> list[Clause]:
    """The clauses in scope covered by any of the clause numbers ``subjects``."""
    scope = clauses_in_scope() if scope is None else scope
    subjects = list(subjects)
    return [c for c in scope if any(_covers(s, c.number) for s in subjects)]


def default_subjects() -> list[str]:
    """The subjects of a new programme without a previous one: every process in scope (the
    processes of 8–10) and a group for each other part of the standard (4, 5, 6, 7, 8.1 …),
    so together they cover every clause in scope once."""
    from serviceloop.planning.models.context import PROCESSES

    off = {p.code for p in out_of_scope_processes()}
    processes = [p.code for p in PROCESSES if p.code not in off]
    subjects = list(processes)
    for clause in clauses_in_scope():
        if any(_covers(code, clause.number) for code in subjects):
            continue
        # the highest ancestor none of whose leaves is covered by a process
        parts = clause.number.split(".")
        for depth in range(1, len(parts) + 1):
            candidate = ".".join(parts[:depth])
            if not any(_covers(candidate, p) or _covers(p, candidate) for p in processes):
                subjects.append(candidate)
                break
    numbers = {c.number: c.position for c in Clause.objects.filter(number__in=subjects)}
    return sorted((s for s in subjects if s in numbers), key=numbers.__getitem__)


# --- Coverage ----------------------------------------------------------------------------------


@dataclass
class LineCoverage:
    line: ProgrammeLine
    required: int  # audits this line needs in the programme's year
    scheduled: int  # audits of this year that include it (not cancelled)
    done: int  # … of which reported or closed
    last_done_on: datetime.date | None
    state: str  # "done" | "scheduled" | "unscheduled" | "not_due"

    @property
    def state_label(self) -> str:
        return str(LINE_STATES[self.state])


LINE_STATES = {
    "done": _("Audited"),
    "scheduled": _("Scheduled"),
    "unscheduled": _("Not scheduled enough"),
    "not_due": _("Not due this year"),
}


@dataclass
class ClauseCoverage:
    clause: Clause
    lines: list = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.lines)


@dataclass
class Coverage:
    lines: list[LineCoverage]
    clauses: list[ClauseCoverage]

    @property
    def gaps(self) -> list[Clause]:
        """Clauses in scope that no line covers."""
        return [row.clause for row in self.clauses if not row.covered]

    @property
    def unscheduled(self) -> list[LineCoverage]:
        return [row for row in self.lines if row.state == "unscheduled"]

    @property
    def covered_count(self) -> int:
        return sum(1 for row in self.clauses if row.covered)


def required_audits(risk: str, audited_last_year: bool) -> int:
    """Audits a line needs in one year: 2 for high risk, 1 for medium, and for low risk 1
    unless it was audited the year before (every second year)."""
    if risk == RiskRating.HIGH:
        return 2
    if risk == RiskRating.MEDIUM:
        return 1
    return 0 if audited_last_year else 1


def programme_coverage(programme: AuditProgramme) -> Coverage:
    """The programme's coverage of the scope and each line's audits this year (a fixed
    number of queries whatever the number of lines)."""
    lines = list(
        programme.lines.select_related("clause", "owner_team").annotate(
            n_scheduled=Count("audits", filter=Q(audits__status__in=SCHEDULED_STATUSES)),
            n_done=Count("audits", filter=Q(audits__status__in=DONE_STATUSES)),
        )
    )
    last_year = set(
        ProgrammeLine.objects.filter(
            programme__year=programme.year - 1, audits__status__in=DONE_STATUSES
        ).values_list("clause_id", flat=True)
    )
    last_done = dict(
        Audit.objects.filter(
            status__in=DONE_STATUSES, lines__clause_id__in=[x.clause_id for x in lines]
        )
        .values("lines__clause_id")
        .annotate(last=Max("reported_on"))
        .values_list("lines__clause_id", "last")
    )
    rows = []
    for line in lines:
        required = required_audits(line.risk, line.clause_id in last_year)
        if required == 0 and not line.n_scheduled:
            state = "not_due"
        elif line.n_done >= max(required, 1):
            state = "done"
        elif line.n_scheduled >= required:
            state = "scheduled"
        else:
            state = "unscheduled"
        rows.append(
            LineCoverage(
                line, required, line.n_scheduled, line.n_done, last_done.get(line.clause_id), state
            )
        )
    clauses = [ClauseCoverage(clause) for clause in clauses_in_scope()]
    for row in clauses:
        row.lines = [x.line for x in rows if _covers(x.line.clause.number, row.clause.number)]
    return Coverage(rows, clauses)


# --- Lists -------------------------------------------------------------------------------------


def programmes_for_list(user):
    return (
        AuditProgramme.objects.visible_to(user)
        .annotate(n_lines=Count("lines", distinct=True), n_audits=Count("audits", distinct=True))
        .order_by("-year")
    )


def audits_for_list(user, *, programme=None, status: str = "", auditor=None, q: str = ""):
    audits = (
        Audit.objects.visible_to(user)
        .select_related("programme", "lead_auditor")
        .annotate(
            n_findings=Count("findings", distinct=True),
            n_open=Count(
                "findings", filter=~Q(findings__status=FindingStatus.CLOSED), distinct=True
            ),
        )
    )
    if programme is not None:
        audits = audits.filter(programme=programme)
    if status:
        audits = audits.filter(status=status)
    if auditor is not None:
        audits = audits.filter(Q(lead_auditor=auditor) | Q(auditors=auditor)).distinct()
    q = (q or "").strip()
    if q:
        audits = audits.filter(Q(title__icontains=q) | Q(reference__iexact=q))
    return audits.order_by("-planned_start", "-reference")


def findings_for_list(
    user, *, kind: str = "", status: str = "", open_only=False, overdue_on=None, audit=None,
    owner=None, q: str = "",
):  # fmt: skip
    findings = (
        Finding.objects.visible_to(user)
        .select_related("audit", "owner")
        .prefetch_related("clauses")
    )
    if kind:
        findings = findings.filter(kind=kind)
    if status:
        findings = findings.filter(status=status)
    if open_only:
        findings = findings.open()
    if overdue_on is not None:
        findings = findings.overdue(overdue_on)
    if audit is not None:
        findings = findings.filter(audit=audit)
    if owner is not None:
        findings = findings.filter(owner=owner)
    q = (q or "").strip()
    if q:
        findings = findings.filter(
            Q(title__icontains=q) | Q(reference__iexact=q) | Q(description__icontains=q)
        )
    return findings.order_by("-created_at", "-reference")


def audits_of_person(user, person):
    """The audits ``person`` leads or takes part in, as ``user`` may see them."""
    return (
        Audit.objects.visible_to(user)
        .filter(Q(lead_auditor=person) | Q(auditors=person))
        .distinct()
        .select_related("programme")
        .order_by("-planned_start")
    )


def finding_attachments(finding: Finding):
    content_type = ContentType.objects.get_for_model(Finding)
    return Attachment.objects.filter(
        content_type=content_type, object_id=str(finding.pk)
    ).select_related("uploaded_by")


def audit_lines(audit: Audit) -> list[ProgrammeLine]:
    return list(audit.lines.select_related("clause", "owner_team").order_by("clause__position"))


def result_counts(audit: Audit) -> dict[str, int]:
    counts = dict(
        audit.checklist.values_list("result").annotate(n=Count("pk")).values_list("result", "n")
    )
    keys = ("conforming", "nonconforming", "observation", "not_applicable")
    return {"not_checked": counts.get("", 0), **{key: counts.get(key, 0) for key in keys}}


# --- KPI ---------------------------------------------------------------------------------------


def findings_closed_on_time(
    start: datetime.date, end: datetime.date, today: datetime.date
) -> tuple[Decimal | None, int, int]:
    """``(percent, numerator, denominator)``: of the findings due in ``[start, end)`` that
    are closed or whose due date has passed by ``today``, those closed on or before their due
    date. Findings due later and still open are not judged yet."""
    due, on_time = _findings_judged(start, end, today)
    counts = due.aggregate(whole=Count("pk"), part=Count("pk", filter=on_time))
    whole, part = counts["whole"], counts["part"]
    percent = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01")) if whole else None
    return percent, part, whole


def _findings_judged(start, end, today):
    """``(findings judged, closed-on-time condition)`` of ``findings_closed_on_time``."""
    due = Finding.objects.filter(due_on__gte=start, due_on__lt=end).filter(
        Q(status=FindingStatus.CLOSED) | Q(due_on__lt=today)
    )
    return due, Q(status=FindingStatus.CLOSED, closed_on__lte=F("due_on"))


def _findings_records(start, end, slice_, part):
    """The findings behind the KPI's figure (``part``: numerator, denominator or rest)."""
    from serviceloop.evaluation.sources_kpis import RecordSection, part_of

    due, on_time = _findings_judged(
        timezone.localtime(start).date(), timezone.localtime(end).date(), timezone.localdate()
    )
    return [RecordSection(_("Audit findings due"), part_of(part, due, on_time))]


@external_register("evaluation.audit_findings_closed_on_time", records=_findings_records)
def _findings_closed_on_time(start, end, slice_):
    """KPI: % of the audit findings due in the period closed by their due date."""
    _percent, part, whole = findings_closed_on_time(
        timezone.localtime(start).date(), timezone.localtime(end).date(), timezone.localdate()
    )
    return (part * 100 / whole if whole else None), part, whole
