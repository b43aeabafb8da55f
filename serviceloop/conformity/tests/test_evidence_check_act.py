"""Live evidence of clauses 9 and 10 (measurement, internal audit, management review,
nonconformities and improvement), each function against records made for the test."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.conformity.evidence import evidence_for

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.date(2026, 6, 30)
DAY = datetime.timedelta(days=1)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


STAMPS = {"created_at": at(TODAY - 100 * DAY), "updated_at": at(TODAY - 100 * DAY)}


def found(clause: str) -> list:
    return evidence_for([clause], today=TODAY).get(clause, [])


def test_an_empty_organisation_reads_as_nothing_recorded_yet(people, clauses):
    values = {
        number: [(e.label, e.value, e.tone) for e in found(number)]
        for number in ("9.1", "9.2", "9.3", "10.1", "10.2")
    }

    assert {n: {(v, t) for _l, v, t in items} for n, items in values.items()} == {
        n: {("no records yet", "info")} for n in values
    }
    assert [label for label, _v, _t in values["9.1"]] == [
        "Active KPIs with a value for their last period",
        "KPIs on target in their last period",
    ]


# --- 9.1 -------------------------------------------------------------------------------


def test_kpis_with_a_value_for_their_last_period_and_on_target(people):
    from serviceloop.evaluation.engine import period_bounds
    from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot

    may = period_bounds("month", datetime.date(2026, 5, 1))  # the last month before TODAY
    april = period_bounds("month", datetime.date(2026, 4, 1))

    def kpi(code, *, target=None, stored=(), is_active=True):
        definition = KpiDefinition.objects.create(
            code=code, name_en=code, aggregate="ratio_of_counts", source="desk.tickets",
            target=target, is_active=is_active,
        )  # fmt: skip
        for (start, end), status in stored:
            KpiSnapshot.objects.create(
                definition=definition, period_start=start, period_end=end, slice_id="{}",
                value=Decimal("90"), status=status, computed_at=end,
            )  # fmt: skip
        # a slice's value is not the organisation's
        KpiSnapshot.objects.create(
            definition=definition, period_start=may[0], period_end=may[1],
            slice_id='{"priority":"P1"}', value=Decimal("1"), status="ok", computed_at=may[1],
        )  # fmt: skip

    # this organisation measures the five below, not the library the migrations load
    KpiDefinition.objects.update(is_active=False)
    kpi("resolution-sla", target=Decimal("95"), stored=[(may, "ok")])
    kpi("response-sla", target=Decimal("95"), stored=[(may, "breach"), (april, "ok")])
    kpi("tickets-opened", stored=[(may, "ok")])  # measured, but no target to be on
    kpi("csat", target=Decimal("4"), stored=[(april, "ok")])  # last month not stored
    kpi("retired", target=Decimal("1"), stored=[(may, "ok")], is_active=False)

    measured, on_target = found("9.1")

    assert (measured.value, measured.tone) == ("3 of 4 (75%)", "warn")
    assert (on_target.value, on_target.url) == ("1 of 2 (50%)", reverse("kpi_list"))


# --- 9.2 -------------------------------------------------------------------------------


def test_this_years_audit_programme_coverage(people, clauses):
    from serviceloop.evaluation.models import Audit, AuditProgramme, AuditStatus, ProgrammeLine

    programme = AuditProgramme.objects.create(
        reference="APR-2026", year=2026, title="内审方案 Audit programme 2026", **STAMPS
    )
    four = ProgrammeLine.objects.create(programme=programme, clause=clauses["4"])
    ProgrammeLine.objects.create(programme=programme, clause=clauses["5"])
    audit = Audit.objects.create(
        reference="AUD-2026-0001", programme=programme, title="Context", status=AuditStatus.REPORTED,
        planned_start=TODAY - 40 * DAY, planned_end=TODAY - 39 * DAY, lead_auditor=people.auditor,
        reported_on=TODAY - 30 * DAY, **STAMPS,
    )  # fmt: skip
    audit.lines.add(four)

    coverage = found("9.2")[0]

    # clauses 4 and 5 hold 8 of the 57 leaf clauses of 4–10
    assert (coverage.value, coverage.tone) == ("8 of 57 (14%)", "bad")
    assert coverage.detail == "APR-2026 (Draft): 1 of 2 lines due audited so far."
    assert coverage.url == reverse("audit_programme_list")


def test_no_programme_for_this_year_is_a_gap(people, clauses):
    from serviceloop.evaluation.models import AuditProgramme

    AuditProgramme.objects.create(reference="APR-2025", year=2025, title="2025", **STAMPS)

    coverage = found("9.2")[0]

    assert (coverage.value, coverage.tone) == ("no programme for 2026", "bad")


def test_audit_findings_closed_by_their_due_date(people):
    from serviceloop.evaluation.models import Audit, AuditProgramme, Finding, FindingStatus

    programme = AuditProgramme.objects.create(reference="APR-2026", year=2026, title="x", **STAMPS)
    audit = Audit.objects.create(
        reference="AUD-2026-0001", programme=programme, title="Desk", lead_auditor=people.auditor,
        planned_start=TODAY - 90 * DAY, planned_end=TODAY - 89 * DAY, **STAMPS,
    )  # fmt: skip

    def finding(n, due_on, closed_on=None):
        Finding.objects.create(
            reference=f"AF-2026-{n:04d}", audit=audit, kind="minor_nc", title=f"发现 Finding {n}",
            due_on=due_on, closed_on=closed_on,
            status=FindingStatus.CLOSED if closed_on else FindingStatus.OPEN, **STAMPS,
        )  # fmt: skip

    finding(1, TODAY - 30 * DAY, TODAY - 35 * DAY)  # on time
    finding(2, TODAY - 20 * DAY, TODAY - 10 * DAY)  # late
    finding(3, TODAY - 5 * DAY)  # open past its due date
    finding(4, TODAY + 10 * DAY)  # not due yet: not judged
    finding(5, TODAY - 400 * DAY, TODAY - 500 * DAY)  # before the last 12 months

    closed = found("9.2")[-1]

    assert (closed.value, closed.url) == ("1 of 3 (33%)", reverse("audit_finding_list"))


# --- 9.3 -------------------------------------------------------------------------------


def review(n, held_on, status):
    from serviceloop.core.models import User
    from serviceloop.evaluation.models.reviews import ManagementReview

    return ManagementReview.objects.create(
        reference=f"MR-2026-{n:04d}", title="管理评审 Management review", chair=User.objects.get(
            username="top"), period_start=held_on - 180 * DAY, period_end=held_on,
        scheduled_on=held_on, held_on=held_on, status=status, **STAMPS,
    )  # fmt: skip


def test_management_review_held_in_the_last_12_months(people):
    from serviceloop.evaluation.models.reviews import ReviewStatus

    review(1, TODAY - 400 * DAY, ReviewStatus.APPROVED)
    assert [(e.value, e.tone) for e in found("9.3")][0] == ("none held", "bad")

    recent = review(2, TODAY - 60 * DAY, ReviewStatus.MINUTES_DRAFT)
    review(3, TODAY + 30 * DAY, ReviewStatus.PLANNED)  # not held yet
    held = found("9.3")[0]
    assert (held.value, held.tone) == ("held on 2026-05-01, minutes not approved yet", "warn")
    assert held.detail == recent.reference

    recent.status = ReviewStatus.APPROVED
    recent.save(update_fields=["status"])
    assert found("9.3")[0].value == "held on 2026-05-01, minutes approved"
    assert found("9.3")[0].tone == "good"


def test_management_review_actions_due_in_the_last_12_months_done(people):
    from serviceloop.evaluation.models.reviews import (
        ActionStatus,
        InputCode,
        ReviewAction,
        ReviewInput,
        ReviewStatus,
    )

    held = review(1, TODAY - 200 * DAY, ReviewStatus.APPROVED)
    kpis = ReviewInput.objects.create(
        review=held, code=InputCode.KPIS, position=4, updated_at=at(TODAY - 200 * DAY)
    )
    for n, (due_on, status) in enumerate(
        [
            (TODAY - 30 * DAY, ActionStatus.DONE),
            (TODAY - 10 * DAY, ActionStatus.OPEN),  # overdue
            (TODAY - 10 * DAY, ActionStatus.CANCELLED),
            (TODAY + 10 * DAY, ActionStatus.OPEN),  # not due yet
            (TODAY - 500 * DAY, ActionStatus.OPEN),  # before the last 12 months
        ],
        start=1,
    ):
        ReviewAction.objects.create(
            review=held, review_input=kpis, number=n, description="Hire a second DBA",
            owner=people.owner, due_on=due_on, status=status, **STAMPS,
        )  # fmt: skip

    actions = found("9.3")[-1]

    assert (actions.value, actions.url) == ("1 of 2 (50%)", reverse("management_review_actions"))


# --- 10 --------------------------------------------------------------------------------


def test_nonconformities_with_a_root_cause_and_corrective_actions_verified(people):
    from serviceloop.improvement.models.nonconformities import (
        Action,
        ActionKind,
        ActionStatus,
        NcStatus,
        Nonconformity,
    )

    def nonconformity(n, raised_on, root_cause="", status=NcStatus.ANALYSED):
        return Nonconformity.objects.create(
            reference=f"NC-2026-{n:04d}", title=f"不符合 NC {n}", source="internal_audit",
            raised_on=raised_on, root_cause=root_cause, status=status, **STAMPS,
        )  # fmt: skip

    analysed = nonconformity(1, TODAY - 50 * DAY, "备份脚本未监控 Backup job unmonitored")
    nonconformity(2, TODAY - 20 * DAY, status=NcStatus.OPEN)
    nonconformity(3, TODAY - 20 * DAY, status=NcStatus.CANCELLED)
    nonconformity(4, TODAY - 400 * DAY, "Old")

    def action(n, status, done_on=None, *, kind=ActionKind.CORRECTIVE):
        Action.objects.create(
            reference=f"CA-2026-{n:04d}", kind=kind, title=f"措施 Action {n}", status=status,
            nonconformity=analysed if kind == ActionKind.CORRECTIVE else None, done_on=done_on,
            **STAMPS,
        )  # fmt: skip

    action(1, ActionStatus.VERIFIED_EFFECTIVE, TODAY - 40 * DAY)
    action(2, ActionStatus.DONE, TODAY - 5 * DAY)
    action(3, ActionStatus.NOT_EFFECTIVE, TODAY - 30 * DAY)
    action(4, ActionStatus.PLANNED)
    action(5, ActionStatus.VERIFIED_EFFECTIVE, TODAY - 400 * DAY)
    action(6, ActionStatus.VERIFIED_EFFECTIVE, TODAY - 40 * DAY, kind=ActionKind.PREVENTIVE)

    root_cause, verified = found("10.1")

    assert (root_cause.value, root_cause.url) == ("1 of 2 (50%)", reverse("nonconformity_list"))
    assert (verified.value, verified.tone) == ("1 of 3 (33%)", "bad")
    assert verified.detail == "1 awaiting verification, 1 found not effective."


def test_improvements_implemented_with_a_measured_benefit(people):
    from serviceloop.improvement.models.improvements import Improvement, ImprovementStatus

    for n, (status, implemented_on) in enumerate(
        [
            (ImprovementStatus.BENEFIT_MEASURED, TODAY - 100 * DAY),
            (ImprovementStatus.IMPLEMENTED, TODAY - 10 * DAY),
            (ImprovementStatus.IN_PROGRESS, None),
            (ImprovementStatus.BENEFIT_MEASURED, TODAY - 500 * DAY),
        ],
        start=1,
    ):
        Improvement.objects.create(
            reference=f"IMP-2026-{n:04d}", title=f"改进 Improvement {n}", source="kpi",
            priority="medium", status=status, implemented_on=implemented_on, **STAMPS,
        )  # fmt: skip

    [item] = found("10.2")

    assert (item.value, item.url) == ("1 of 2 (50%)", reverse("improvement_list"))


def test_the_clause_page_shows_evidence_of_the_management_system_clauses(
    people, client_for, clauses
):
    from serviceloop.planning.models import ContextIssue

    ContextIssue.objects.create(
        kind="internal", title="Staff turnover", owner=people.owner,
        review_on=timezone.localdate() + 30 * DAY, **STAMPS,
    )  # fmt: skip

    html = client_for(people.auditor).get(reverse("clause_detail", args=["4"])).content.decode()

    assert "Current issues not past their review date" in html and 'data-tone="good"' in html
