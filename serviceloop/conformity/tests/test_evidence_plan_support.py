"""Live evidence of clauses 4–7 (context, leadership, planning, support), each function
against records made for the test, and an empty organisation reading as "nothing yet"."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.conformity.evidence import evidence_for
from serviceloop.core.roles import Role
from serviceloop.planning.models import (
    PROCESSES,
    ContextIssue,
    InterestedParty,
    IssueKind,
    ItemStatus,
    Objective,
    ObjectiveState,
    PartyCategory,
    PolicyCommunication,
    PolicyVersion,
    RaciAssignment,
    Risk,
    RiskKind,
    RiskStatus,
    ScopeExclusion,
    ScopeStatement,
    Treatment,
    VersionStatus,
)
from serviceloop.planning.tests.factories import PlanItemFactory
from serviceloop.portfolio.models import Service, ServiceStatus

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.date(2026, 6, 30)
DAY = datetime.timedelta(days=1)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


STAMPS = {"created_at": at(TODAY - 100 * DAY), "updated_at": at(TODAY - 100 * DAY)}


def only(clause: str):
    """The one evidence item of ``clause`` today."""
    [item] = evidence_for([clause], today=TODAY)[clause]
    return item


def live_services(*codes):
    return [
        Service.objects.create(code=code, name=code.upper(), status=ServiceStatus.LIVE)
        for code in codes
    ]


# --- An empty organisation -------------------------------------------------------------


def test_an_empty_organisation_reads_as_nothing_recorded_yet(people):
    found = evidence_for(
        ["4.1", "4.2", "4.3", "5.2.1", "5.2.2", "5.3", "6.1", "6.2.1", "6.2.2", "6.3", "7.1",
         "7.2", "7.3", "7.4", "7.5.2"],
        today=TODAY,
    )  # fmt: skip

    values = {number: [(e.value, e.tone) for e in items] for number, items in found.items()}
    nothing = [("no records yet", "info")]
    assert values == {
        "4.1": nothing,
        "4.2": nothing,
        "4.3": nothing,
        "5.2.1": nothing,
        # no policy in force: nothing to say of its communications; nobody asked to read one
        "5.2.2": [("nobody asked to acknowledge it yet", "info")],
        "5.3": nothing,
        "6.1": nothing,
        "6.2.1": nothing,
        "6.2.2": nothing,
        "6.3": nothing,
        "7.1": nothing,
        "7.2": nothing,
        "7.3": nothing,
        "7.4": nothing,
        "7.5.2": nothing,
    }


# --- 4 Context -------------------------------------------------------------------------


def test_context_issues_not_past_their_review_date(people):
    def issue(kind, review_on, *, is_active=True):
        ContextIssue.objects.create(
            kind=kind, title="数据中心 Data centre", owner=people.owner, review_on=review_on,
            is_active=is_active, **STAMPS,
        )  # fmt: skip

    issue(IssueKind.INTERNAL, TODAY + 30 * DAY)
    issue(IssueKind.EXTERNAL, TODAY)  # due today: not past
    issue(IssueKind.INTERNAL, TODAY - DAY)
    issue(IssueKind.EXTERNAL, TODAY - 90 * DAY, is_active=False)  # retired: not counted

    item = only("4.1")

    assert (item.value, item.tone) == ("2 of 3 (67%)", "bad")
    assert item.detail == "2 internal and 1 external issues recorded."
    assert item.url == reverse("context_issue_list")


def test_interested_parties_with_how_their_requirements_are_addressed(people):
    def party(how_addressed, review_on, *, is_active=True):
        InterestedParty.objects.create(
            name="客户 Customers", category=PartyCategory.CUSTOMER, requirements="24×7 support",
            how_addressed=how_addressed, owner=people.owner, review_on=review_on,
            is_active=is_active, **STAMPS,
        )  # fmt: skip

    party("SLA with 4h restore", TODAY + 10 * DAY)
    party("Monthly service review", TODAY - 5 * DAY)
    party("", TODAY + 10 * DAY)
    party("", TODAY - 5 * DAY, is_active=False)

    item = only("4.2")

    assert (item.value, item.detail) == ("2 of 3 (67%)", "1 past their review date.")


def scope(number, status, *services, approved_on=None):
    statement = ScopeStatement.objects.create(
        number=number, status=status, statement="IT services for the group",
        approved_at=at(approved_on) if approved_on else None, **STAMPS,
    )  # fmt: skip
    statement.services.set(services)
    return statement


def test_live_services_in_the_approved_scope_statement(people):
    erp, mail, _vpn = live_services("erp", "mail", "vpn")
    pipeline = Service.objects.create(code="new", name="New", status=ServiceStatus.PIPELINE)
    scope(1, VersionStatus.SUPERSEDED, erp, mail, _vpn)
    approved = scope(2, VersionStatus.APPROVED, erp, mail, pipeline, approved_on=TODAY - 60 * DAY)
    ScopeExclusion.objects.create(scope=approved, subject="Branch office", justification="Sold")

    item = only("4.3")

    assert (item.value, item.tone) == ("2 of 3 (67%)", "bad")
    assert item.detail == "Version 2, approved on 2026-05-01; 1 exclusion."


def test_a_scope_statement_still_in_draft_is_a_gap(people):
    scope(1, VersionStatus.DRAFT)

    item = only("4.3")

    assert (item.value, item.tone) == ("no approved scope statement", "bad")


# --- 5 Leadership ----------------------------------------------------------------------


def policy(number, status, *, approved_on=None, approved_by=None):
    return PolicyVersion.objects.create(
        number=number, status=status, title="服务管理方针 Service management policy", body="<p>x</p>",
        approved_at=at(approved_on) if approved_on else None, approved_by=approved_by, **STAMPS,
    )  # fmt: skip


def test_the_policy_in_force_and_its_communications(people):
    old = policy(1, VersionStatus.SUPERSEDED, approved_on=TODAY - 400 * DAY)
    current = policy(
        2, VersionStatus.APPROVED, approved_on=TODAY - 121 * DAY, approved_by=people.top
    )
    for policy_version, day in ((current, TODAY - 100 * DAY), (current, TODAY - 20 * DAY),
                                (old, TODAY - 390 * DAY)):  # fmt: skip
        PolicyCommunication.objects.create(
            policy=policy_version, communicated_on=day, audience="All staff", channel="meeting",
            created_at=at(day),
        )  # fmt: skip

    [in_force] = evidence_for(["5.2.1"], today=TODAY)["5.2.1"]
    communicated = evidence_for(["5.2.2"], today=TODAY)["5.2.2"][0]

    assert (in_force.value, in_force.tone) == ("version 2, approved on 2026-03-01", "good")
    assert in_force.detail == "Approved by Top."
    assert (communicated.value, communicated.tone) == ("2 communications", "good")
    assert communicated.detail == "Last on 2026-06-10."


def test_a_policy_never_approved_is_a_gap_and_an_uncommunicated_one_too(people):
    policy(1, VersionStatus.DRAFT)
    assert (only("5.2.1").value, only("5.2.1").tone) == ("none approved yet", "bad")

    policy(2, VersionStatus.APPROVED, approved_on=TODAY - 10 * DAY)
    communicated = evidence_for(["5.2.2"], today=TODAY)["5.2.2"][0]
    assert (communicated.value, communicated.tone) == ("0 communications", "bad")


def test_people_who_acknowledged_the_policy_documents_in_force(people):
    from serviceloop.support.models import (
        Acknowledgement,
        AcknowledgementCampaign,
        Document,
        DocumentKind,
        DocumentStatus,
        DocumentVersion,
    )
    from serviceloop.support.models import VersionStatus as DocumentVersionStatus

    def document(n, kind, clauses):
        doc = Document.objects.create(
            reference=f"DOC-2026-{n:04d}", title=f"文件 Document {n}", kind=kind,
            status=DocumentStatus.EFFECTIVE, owner=people.owner, clauses=clauses, **STAMPS,
        )  # fmt: skip
        version = DocumentVersion.objects.create(
            document=doc, number=1, status=DocumentVersionStatus.EFFECTIVE, author=people.owner,
            **STAMPS,
        )  # fmt: skip
        doc.effective_version = version
        doc.save(update_fields=["effective_version"])
        return doc, version

    def campaign(n, doc, version, acknowledged: dict):
        run = AcknowledgementCampaign.objects.create(
            reference=f"ACK-2026-{n:04d}", document=doc, version=version, title="Please read",
            deadline=TODAY - 10 * DAY, created_at=at(TODAY - 40 * DAY),
        )  # fmt: skip
        for person, done in acknowledged.items():
            Acknowledgement.objects.create(
                campaign=run, person=person, added_at=at(TODAY - 40 * DAY),
                acknowledged_at=at(TODAY - 30 * DAY) if done else None,
            )  # fmt: skip

    policy_doc = document(1, DocumentKind.POLICY, "5.2")
    security_policy = document(2, DocumentKind.POLICY, "5.2.1, 8.7.3")
    procedure = document(3, DocumentKind.PROCEDURE, "5.2, 8.6.1")  # not a policy document
    campaign(1, *policy_doc, {people.agent: True, people.lead: True, people.owner: False})
    # the lead read the first policy but not the security policy: he has not acknowledged all
    campaign(2, *security_policy, {people.lead: False, people.top: True})
    campaign(3, *procedure, {people.admin: False})

    acknowledged = evidence_for(["5.2.2"], today=TODAY)["5.2.2"][-1]

    assert (acknowledged.value, acknowledged.tone) == ("2 of 4 (50%)", "bad")
    assert acknowledged.detail == "2 policy documents in force."
    assert acknowledged.url == reverse("document_campaign_list")


def test_processes_with_an_accountable_and_a_responsible_role_held_by_someone(people):
    def cell(process, role, letters):
        RaciAssignment.objects.create(
            process=process, role=role, letters=letters, updated_at=at(TODAY)
        )

    cell("8.6.1", Role.TEAM_LEAD, "A")
    cell("8.6.1", Role.AGENT, "R")  # complete
    cell("8.6.2", Role.TEAM_LEAD, "AR")  # one role both accountable and responsible
    cell("8.6.3", Role.TEAM_LEAD, "A")  # nobody responsible
    cell("9.2", Role.AUDITOR, "AR")  # the only auditor has left
    people.auditor.is_active = False
    people.auditor.save(update_fields=["is_active"])

    item = only("5.3")

    assert item.value == f"2 of {len(PROCESSES)} ({round(200 / len(PROCESSES))}%)"
    assert item.tone == "bad" and item.url == reverse("raci_matrix")


# --- 6 Planning ------------------------------------------------------------------------


def test_open_risks_not_past_their_review_date(people):
    def risk(n, kind, score, review_on, *, plan="", status=RiskStatus.TREATING):
        Risk.objects.create(
            reference=f"RSK-2026-{n:06d}", kind=kind, title=f"风险 Risk {n}", likelihood=1,
            impact=score, score=score, treatment=Treatment.REDUCE, treatment_plan=plan,
            owner=people.owner, review_on=review_on, status=status, **STAMPS,
        )  # fmt: skip

    risk(1, RiskKind.RISK, 12, TODAY + 30 * DAY, plan="Second power feed")
    risk(2, RiskKind.RISK, 16, TODAY - DAY)  # high, no plan, review overdue
    risk(3, RiskKind.OPPORTUNITY, 4, TODAY + 30 * DAY)
    risk(4, RiskKind.RISK, 20, TODAY - 90 * DAY, status=RiskStatus.CLOSED)  # closed

    item = only("6.1")

    assert (item.value, item.url) == ("2 of 3 (67%)", reverse("risk_list"))
    assert item.detail == "1 of 2 high or critical risks have a treatment plan."


def test_objectives_on_track_and_with_a_plan(people):
    def objective(n, figure, target, *, direction="lower", plan="", state=ObjectiveState.ACTIVE):
        Objective.objects.create(
            reference=f"OBJ-2026-{n:04d}", title=f"目标 Objective {n}", owner=people.owner,
            due_on=datetime.date(2030, 12, 31), plan=plan, figure=figure, target=target,
            direction=direction, state=state, **STAMPS,
        )  # fmt: skip

    # no major incident recorded: "at most 1" is on track, "at least 5" at risk
    objective(1, "desk.major_incidents.90d", 1, plan="Weekly problem review")
    objective(2, "desk.major_incidents.90d", 5, direction="higher", plan="Measure them")
    # no ticket resolved: nothing measured yet
    objective(3, "desk.resolution_within_sla.30d", 95, direction="higher")
    objective(4, "desk.major_incidents.90d", 1, plan="Old", state=ObjectiveState.WITHDRAWN)

    on_track, with_plan = only("6.2.1"), only("6.2.2")

    assert (on_track.value, on_track.tone) == ("1 of 2 (50%)", "bad")
    assert on_track.detail == "1 more with nothing measured yet."
    assert with_plan.value == "2 of 3 (67%)"


def test_implementation_plan_items_done_or_on_schedule(people):
    PlanItemFactory(owner=people.owner, due_on=TODAY - 30 * DAY, status=ItemStatus.DONE)
    PlanItemFactory(owner=people.owner, due_on=TODAY + 30 * DAY)
    PlanItemFactory(owner=people.owner, due_on=TODAY - DAY, status=ItemStatus.IN_PROGRESS)

    item = only("6.3")

    assert (item.value, item.detail) == ("2 of 3 (67%)", "1 of 3 items done.")


# --- 7 Support -------------------------------------------------------------------------


def test_live_services_with_a_budget_for_the_current_period(people):
    from serviceloop.demand.models import Budget, PeriodKind

    erp, mail = live_services("erp", "mail")
    for service, start, end in ((erp, datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)),
                                (mail, datetime.date(2025, 1, 1), datetime.date(2026, 1, 1))):  # fmt: skip
        Budget.objects.create(
            service=service, period_kind=PeriodKind.YEAR, period_start=start, period_end=end,
            amount=100000, **STAMPS,
        )  # fmt: skip

    item = only("7.1")

    assert (item.value, item.url) == ("1 of 2 (50%)", reverse("budget_list"))


def test_budgeting_switched_off_says_nothing(people):
    from serviceloop.planning.models import Module, TailoringSetting
    from serviceloop.planning.queries_tailoring import forget_disabled_modules

    live_services("erp")
    TailoringSetting.objects.update_or_create(pk=1, defaults={"disabled_modules": [Module.BUDGET]})
    forget_disabled_modules()
    try:
        assert "7.1" not in evidence_for(["7.1"], today=TODAY)
    finally:
        forget_disabled_modules()


def test_people_holding_every_competence_their_work_requires(people):
    from serviceloop.support.models import Competence, CompetenceRequirement, PersonCompetence

    itil = Competence.objects.create(name="ITIL 4 Foundation")
    linux = Competence.objects.create(name="Linux 运维 operations")
    CompetenceRequirement.objects.create(competence=itil, role=Role.AGENT, level=3)
    CompetenceRequirement.objects.create(competence=itil, role=Role.TEAM_LEAD, level=2)
    CompetenceRequirement.objects.create(competence=linux, role=Role.TEAM_LEAD, level=2)

    def holds(person, competence, level, expires_on=None):
        PersonCompetence.objects.create(
            person=person, competence=competence, level=level, expires_on=expires_on,
            assessed_on=TODAY - 200 * DAY, updated_at=at(TODAY - 200 * DAY),
        )  # fmt: skip

    holds(people.agent, itil, 3, expires_on=TODAY - DAY)  # lapsed: counts as 0
    holds(people.lead, itil, 4)
    holds(people.lead, linux, 2)
    holds(people.owner, itil, 1)  # nothing is required of the owner's role

    item = only("7.2")

    assert (item.value, item.detail) == ("1 of 2 (50%)", "1 competence gap in all.")
    assert item.url == reverse("competence_matrix")


def test_acknowledgements_given_by_the_deadline(people):
    from serviceloop.support.models import (
        Acknowledgement,
        AcknowledgementCampaign,
        Document,
        DocumentKind,
        DocumentVersion,
    )

    doc = Document.objects.create(
        reference="DOC-2026-0001", title="事件流程 Incident process", kind=DocumentKind.PROCESS,
        owner=people.owner, **STAMPS,
    )  # fmt: skip
    version = DocumentVersion.objects.create(document=doc, number=1, author=people.owner, **STAMPS)

    def campaign(n, deadline, acknowledged: dict):
        run = AcknowledgementCampaign.objects.create(
            reference=f"ACK-2026-{n:04d}", document=doc, version=version, title="Read it",
            deadline=deadline, created_at=at(deadline - 30 * DAY),
        )  # fmt: skip
        for person, day in acknowledged.items():
            Acknowledgement.objects.create(
                campaign=run, person=person, added_at=at(deadline - 30 * DAY),
                acknowledged_at=at(day) if day else None,
            )  # fmt: skip

    due = TODAY - 10 * DAY
    campaign(1, due, {people.agent: due, people.lead: due + DAY, people.owner: None})
    campaign(2, TODAY + 5 * DAY, {people.agent: None})  # deadline not reached
    campaign(3, TODAY - 400 * DAY, {people.agent: None})  # before the last 12 months

    item = only("7.3")

    assert (item.value, item.detail) == ("1 of 3 (33%)", "1 given late, 1 not given.")


def test_planned_communications_not_overdue(people):
    from serviceloop.support.models import CommunicationItem, CommunicationRecord

    def item(n, next_due, *, is_active=True):
        return CommunicationItem.objects.create(
            reference=f"COM-2026-{n:04d}", topic="服务报告 Service report", audience="Customers",
            frequency="monthly", channel="email", owner=people.owner, next_due=next_due,
            is_active=is_active, **STAMPS,
        )  # fmt: skip

    monthly = item(1, TODAY + 3 * DAY)
    item(2, TODAY - 3 * DAY)
    item(3, None)  # as needed: no date of its own
    item(4, TODAY - 60 * DAY, is_active=False)
    for day in (TODAY - 27 * DAY, TODAY - 200 * DAY, TODAY - 500 * DAY):
        CommunicationRecord.objects.create(
            item=monthly, held_on=day, summary="Sent", created_at=at(day)
        )

    evidence = only("7.4")

    assert (evidence.value, evidence.url) == ("1 of 2 (50%)", reverse("communication_list"))
    assert evidence.detail == "2 communications held in the last 12 months."


def test_documents_in_force_not_past_their_review_date(people):
    from serviceloop.support.models import Document, DocumentKind, DocumentStatus

    for n, (status, next_review) in enumerate(
        [
            (DocumentStatus.EFFECTIVE, TODAY + 100 * DAY),
            (DocumentStatus.EFFECTIVE, None),
            (DocumentStatus.EFFECTIVE, TODAY - DAY),
            (DocumentStatus.DRAFT, TODAY - 100 * DAY),  # not in force
        ]
    ):
        Document.objects.create(
            reference=f"DOC-2026-{n:04d}", title="规程 Procedure", kind=DocumentKind.PROCEDURE,
            owner=people.owner, status=status, next_review=next_review, **STAMPS,
        )  # fmt: skip

    item = only("7.5.2")

    assert (item.value, item.url) == ("2 of 3 (67%)", reverse("document_list"))
