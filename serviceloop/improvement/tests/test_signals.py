"""Automatic raising from operational signals: the recurring-incident detector end to end
(once per cause, thresholds, switches, accept creates the problem, dismissed stays
dismissed), a problem recurring after closure, KPIs missing their target and trending toward
it, and the action items for overdue records with their owners."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.models import Problem, ProblemProposal, ProblemStatus
from serviceloop.desk.tests.factories import CategoryFactory, TicketFactory
from serviceloop.improvement.decisions_signals import (
    proposal_accept,
    proposal_dismiss,
    proposal_done,
)
from serviceloop.improvement.models import Proposal, SignalRule
from serviceloop.improvement.services_signals import (
    signal_rule_update,
    signal_rules_load,
    signals_detect,
)

pytestmark = pytest.mark.usefixtures("english")
DAY = datetime.timedelta(days=1)


@pytest.fixture
def rules(db):
    """The default rules, with the recurring-incident rule switched on (it starts off: the
    desk's own recurrence check proposes problems unless an organisation prefers this one)."""
    signal_rules_load()
    SignalRule.objects.filter(kind="incident_cluster").update(enabled=True)
    return {rule.kind: rule for rule in SignalRule.objects.all()}


@pytest.fixture
def vpn(people):
    return CategoryFactory(name="Network")


def incidents(category, n, *, service="VPN", days_ago=1, **kwargs):
    now = timezone.now()
    return [
        TicketFactory(
            category=category,
            service=service,
            title="VPN cannot connect",
            created_at=now - days_ago * DAY - datetime.timedelta(minutes=i),
            **kwargs,
        )
        for i in range(n)
    ]


def detect(*kinds):
    return signals_detect(kinds=kinds or None)


def audit_count(verb):
    return AuditEvent.objects.filter(verb=verb).count()


# --- Rules ---------------------------------------------------------------------------------


def test_the_rules_are_seeded_once_with_their_defaults_and_edits_survive(rules, people):
    assert set(rules) == {
        "kpi_missed", "kpi_trend", "incident_cluster", "problem_recurrence",
        "agreement_review", "document_review", "training_lapsed", "continuity_test",
        "audit_finding",
    }  # fmt: skip
    cluster = rules["incident_cluster"]
    assert (cluster.threshold, cluster.window_days) == (5, 30)
    assert rules["problem_recurrence"].enabled is True
    signal_rule_update(actor=people.owner, rule=cluster, enabled=True, threshold=8, window_days=14)

    assert signal_rules_load() == 0
    assert SignalRule.objects.get(kind="incident_cluster").threshold == 8
    assert audit_count("signal_rule.updated") == 1


def test_rule_thresholds_are_validated_and_only_managers_edit(rules, people):
    rule = rules["incident_cluster"]
    with pytest.raises(ValidationError) as error:
        signal_rule_update(actor=people.owner, rule=rule, enabled=True, threshold=1, window_days=0)
    with pytest.raises(PermissionDenied):
        signal_rule_update(actor=people.lead, rule=rule, enabled=False, threshold=5, window_days=30)

    assert set(error.value.message_dict) == {"threshold", "window_days"}
    assert SignalRule.objects.get(pk=rule.pk).enabled is True


# --- Recurring incidents -------------------------------------------------------------------


def test_a_recurring_pattern_raises_exactly_one_problem_proposal_even_when_run_twice(
    rules, people, vpn
):
    tickets = incidents(vpn, 5)
    incidents(vpn, 3, service="Mail")  # another service: under the threshold

    first = detect()
    events = AuditEvent.objects.count()
    second = detect()

    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.signal, proposal.status) == (
        "problem", "incident_cluster", "proposed",
    )  # fmt: skip
    assert proposal.cause_key == f"incident-cluster:{vpn.pk}:vpn"
    assert sorted(proposal.evidence["incidents"]) == sorted(t.reference for t in tickets)
    assert proposal.evidence["count"] == 5
    assert first["incident_cluster"]["raised"] == 1
    assert second["incident_cluster"] == {
        "raised": 0, "refreshed": 0, "unchanged": 1, "skipped": 0, "cleared": 0,
    }  # fmt: skip
    assert AuditEvent.objects.count() == events  # the second run wrote nothing
    assert SignalRule.objects.get(kind="incident_cluster").last_run_at is not None
    # the problem managers hear of it
    assert Notification.objects.filter(recipient=people.lead, kind="proposal_raised").exists()


def test_a_disabled_rule_raises_nothing(rules, people, vpn):
    incidents(vpn, 6)
    signal_rule_update(
        actor=people.owner, rule=rules["incident_cluster"], enabled=False, threshold=5,
        window_days=30,
    )  # fmt: skip

    result = detect()

    assert "incident_cluster" not in result
    assert not Proposal.objects.exists()


def test_the_threshold_and_the_window_are_respected(rules, people, vpn):
    incidents(vpn, 4)
    incidents(vpn, 3, days_ago=40)  # outside the 30-day window
    detect()
    assert not Proposal.objects.exists()

    signal_rule_update(
        actor=people.owner, rule=rules["incident_cluster"], enabled=True, threshold=4,
        window_days=30,
    )  # fmt: skip
    detect()
    assert Proposal.objects.get().evidence["count"] == 4


def test_incidents_already_handled_elsewhere_do_not_count(rules, people, vpn):
    linked = incidents(vpn, 5)
    problem = Problem.objects.create(
        reference="PRB-2026-000009", title="VPN", created_at=timezone.now(),
        updated_at=timezone.now(),
    )  # fmt: skip
    for ticket in linked[:2]:
        problem.incident_links.create(incident=ticket, linked_at=timezone.now())
    desk = ProblemProposal.objects.create(
        key="service-category:x", rule="service_category", label="x", suggested_title="x",
        window_days=30, threshold=5, first_detected_at=timezone.now(),
        last_detected_at=timezone.now(),
    )  # fmt: skip
    desk.incidents.add(linked[2])

    detect()
    assert not Proposal.objects.exists()  # 2 left of 5


def test_an_open_problem_of_the_same_category_and_service_takes_the_cluster(rules, people, vpn):
    incidents(vpn, 6)
    Problem.objects.create(
        reference="PRB-2026-000010", title="VPN drops", category=vpn, service="VPN",
        created_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    detect()
    assert not Proposal.objects.exists()


def test_new_incidents_refresh_a_pending_proposal(rules, people, vpn):
    incidents(vpn, 5)
    detect()
    incidents(vpn, 2, days_ago=0)

    result = detect()

    proposal = Proposal.objects.get()
    assert result["incident_cluster"]["refreshed"] == 1
    assert proposal.evidence["count"] == 7
    assert audit_count("proposal.refreshed") == 1


def test_accepting_creates_the_problem_with_the_incidents_linked(rules, people, vpn):
    tickets = incidents(vpn, 5)
    detect()
    proposal = Proposal.objects.get()

    accepted = proposal_accept(actor=people.owner, proposal=proposal, title="VPN keeps failing")

    problem = Problem.objects.get()
    assert (accepted.status, accepted.record_reference) == ("accepted", problem.reference)
    assert accepted.record_url.endswith(f"/{problem.reference}/")
    assert (problem.title, problem.category, problem.service) == ("VPN keeps failing", vpn, "VPN")
    assert problem.owner.has_capability("operate")  # a problem manager, not the system owner
    assert sorted(problem.incidents.values_list("pk", flat=True)) == sorted(t.pk for t in tickets)
    assert audit_count("problem.created_from_signal") == 1
    assert audit_count("proposal.accepted") == 1
    # accepted: a later run leaves the cause alone, even with new incidents
    incidents(vpn, 5, days_ago=0)
    assert detect()["incident_cluster"]["raised"] == 0
    assert Proposal.objects.count() == 1


def test_a_problem_manager_may_decide_a_problem_proposal_other_staff_may_not(rules, people, vpn):
    incidents(vpn, 5)
    detect()
    proposal = Proposal.objects.get()

    with pytest.raises(PermissionDenied):
        proposal_accept(actor=people.agent, proposal=proposal)
    with pytest.raises(PermissionDenied):
        proposal_dismiss(actor=people.auditor, proposal=proposal, reason="No")
    proposal_accept(actor=people.lead, proposal=proposal)

    assert Problem.objects.get().created_by == people.lead


def test_a_dismissed_cause_stays_dismissed(rules, people, vpn):
    incidents(vpn, 5)
    detect()
    proposal = Proposal.objects.get()

    with pytest.raises(ValidationError):
        proposal_dismiss(actor=people.owner, proposal=proposal, reason=" ")
    proposal_dismiss(actor=people.owner, proposal=proposal, reason="Known VPN upgrade")
    incidents(vpn, 4, days_ago=0)
    result = detect()
    with pytest.raises(ValidationError):
        proposal_accept(actor=people.owner, proposal=proposal)

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == ("dismissed", "Known VPN upgrade")
    assert result["incident_cluster"]["skipped"] == 1
    assert Proposal.objects.count() == 1
    assert not Problem.objects.exists()


def test_a_problem_that_recurs_after_closure_proposes_a_nonconformity(rules, people, vpn):
    closed_at = timezone.now() - 10 * DAY
    problem = Problem.objects.create(
        reference="PRB-2026-000011", title="VPN drops", category=vpn, service="VPN",
        status=ProblemStatus.CLOSED, owner=people.lead, closed_at=closed_at,
        created_at=closed_at - 20 * DAY, updated_at=closed_at,
    )  # fmt: skip
    incidents(vpn, 2, days_ago=12)  # before closure: not a recurrence
    incidents(vpn, 2, days_ago=3)
    detect("problem_recurrence")
    assert not Proposal.objects.exists()

    incidents(vpn, 1, days_ago=1)
    detect("problem_recurrence")
    detect("problem_recurrence")

    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.owner) == ("nonconformity", people.lead)
    assert proposal.evidence["problem"] == problem.reference
    assert proposal.evidence["count"] == 3

    accepted = proposal_accept(actor=people.owner, proposal=proposal)

    from serviceloop.improvement.models import Nonconformity

    nonconformity = Nonconformity.objects.get()
    assert accepted.record_reference == nonconformity.reference
    assert (nonconformity.source, nonconformity.source_reference) == ("problem", problem.reference)
    assert nonconformity.cause_key == proposal.cause_key


# --- KPIs ----------------------------------------------------------------------------------


@pytest.fixture
def kpi(people):
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.evaluation.models import KpiDefinition

    kpi_library_load()
    definition = KpiDefinition.objects.get(code="response-within-sla")  # ≥ 95, warning 90
    definition.owner = people.lead
    definition.save()
    return definition


def snapshots(kpi, *values, until=1):
    """Monthly whole values, oldest first, ending ``until`` months ago; status as the engine
    sets it."""
    from serviceloop.evaluation.engine import kpi_status, period_bounds
    from serviceloop.evaluation.models import KpiSnapshot

    day = timezone.localdate()
    for _n in range(until):
        day = day.replace(day=1) - DAY
    periods = []
    for _n in values:
        periods.append(period_bounds("month", day))
        day = periods[-1][0].date() - DAY
    for (start, end), value in zip(reversed(periods), values, strict=True):
        KpiSnapshot.objects.update_or_create(
            definition=kpi, period_start=start, period_end=end, slice_id="{}",
            defaults={"value": Decimal(str(value)), "status": kpi_status(kpi, value),
                      "computed_at": timezone.now()},
        )  # fmt: skip


def test_a_kpi_missing_its_target_n_periods_in_a_row_proposes_a_nonconformity(rules, kpi):
    snapshots(kpi, 97, 93, 88, until=2)
    detect("kpi_missed")
    assert not Proposal.objects.exists()  # two misses, threshold 3

    snapshots(kpi, 91)  # a month later
    detect("kpi_missed")
    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.owner) == ("nonconformity", kpi.owner)
    assert [p["value"] for p in proposal.evidence["periods"]] == [93.0, 88.0, 91.0]

    snapshots(kpi, 85, until=0)  # the run goes on (this month): same cause, new evidence
    result = detect("kpi_missed")
    assert result["kpi_missed"]["refreshed"] == 1
    assert Proposal.objects.get().evidence["periods"][-1]["value"] == 85.0


def test_a_kpi_trending_toward_its_threshold_proposes_a_preventive_action(rules, people, kpi):
    snapshots(kpi, 99.5, 98, 96)  # met, worse each month, within 10 % of 95
    detect("kpi_trend")
    proposal = Proposal.objects.get()
    assert proposal.kind == "preventive_action"
    assert proposal.evidence["boundary"] == 95.0

    accepted = proposal_accept(actor=people.owner, proposal=proposal)

    from serviceloop.improvement.models import Action

    action = Action.objects.get()
    assert accepted.record_reference == action.reference
    assert (action.owner, action.source) == (people.lead, "kpi")


def test_a_steady_or_distant_kpi_raises_no_trend(rules, people, kpi):
    snapshots(kpi, 96, 98, 97)  # not worse each time
    detect("kpi_trend")
    signal_rule_update(
        actor=people.owner, rule=rules["kpi_trend"], enabled=True, threshold=3, margin_percent=1
    )
    snapshots(kpi, 100, 99.9, 99)  # worse each time, but more than 1 % above 95
    detect("kpi_trend")
    assert not Proposal.objects.exists()


# --- Action items --------------------------------------------------------------------------


def document(owner, next_review):
    from serviceloop.support.models import Document

    now = timezone.now()
    return Document.objects.create(
        reference=f"DOC-2026-{Document.objects.count() + 1:04d}", title="Incident procedure",
        kind="procedure", status="effective", owner=owner, next_review=next_review,
        created_at=now, updated_at=now,
    )  # fmt: skip


def test_a_document_past_review_is_an_action_item_for_its_owner_until_reviewed(rules, people):
    today = timezone.localdate()
    overdue = document(people.agent, today - 3 * DAY)
    document(people.agent, today + 30 * DAY)

    detect("document_review")
    detect("document_review")
    item = Proposal.objects.get()
    assert (item.kind, item.owner, item.due_on) == (
        "action_item",
        people.agent,
        overdue.next_review,
    )
    assert Notification.objects.filter(recipient=people.agent, kind="proposal_action_item").exists()

    overdue.next_review = today + 365 * DAY  # reviewed
    overdue.save()
    result = detect("document_review")
    item.refresh_from_db()
    assert result["document_review"]["cleared"] == 1
    assert (item.status, item.decided_by) == ("done", None)


def test_the_grace_days_delay_an_action_item(rules, people):
    document(people.agent, timezone.localdate() - 3 * DAY)
    signal_rule_update(actor=people.owner, rule=rules["document_review"], enabled=True, threshold=5)
    detect("document_review")
    assert not Proposal.objects.exists()


def test_the_owner_acts_on_his_action_item_and_nobody_else(rules, people):
    document(people.agent, timezone.localdate() - DAY)
    detect("document_review")
    item = Proposal.objects.get()

    with pytest.raises(PermissionDenied):
        proposal_done(actor=people.lead, proposal=item)
    taken = proposal_accept(actor=people.agent, proposal=item)
    done = proposal_done(actor=people.agent, proposal=taken, note="Reviewed, still valid")

    assert (taken.record_reference, done.status, done.decided_by) == ("", "done", people.agent)


def test_an_overdue_continuity_test_is_an_action_item_for_the_plan_owner(rules, people):
    from serviceloop.assurance.tests.factories import ContinuityPlanFactory

    plan = ContinuityPlanFactory(owner=people.lead, test_due_on=timezone.localdate() - 5 * DAY)
    ContinuityPlanFactory(owner=people.lead, test_due_on=timezone.localdate() - 5 * DAY,
                          status="retired")  # fmt: skip
    detect("continuity_test")

    item = Proposal.objects.get()
    assert (item.owner, item.evidence["plan"]) == (people.lead, plan.reference)


def test_a_lapsed_certification_the_role_requires_is_an_action_item_for_its_holder(rules, people):
    from serviceloop.support.models import Competence, CompetenceRequirement, PersonCompetence

    itil, cisco = Competence.objects.create(name="ITIL"), Competence.objects.create(name="CCNA")
    CompetenceRequirement.objects.create(competence=itil, level=2, role="agent")
    lapsed = timezone.localdate() - 10 * DAY
    for person, competence in ((people.agent, itil), (people.agent, cisco), (people.lead, itil)):
        PersonCompetence.objects.create(
            person=person, competence=competence, level=3, expires_on=lapsed,
            assessed_on=lapsed - 365 * DAY, updated_at=timezone.now(),
        )  # fmt: skip
    detect("training_lapsed")

    item = Proposal.objects.get()  # CCNA is not required; the lead's role needs no ITIL
    assert (item.owner, item.evidence["competence"]) == (people.agent, "ITIL")


def test_an_agreement_past_review_is_an_action_item(rules, people):
    from serviceloop.relationship.models import Agreement, AgreementVersion

    agreement = Agreement.objects.create(reference="SLA-2026-0001", kind="sla", title="Standard")
    now = timezone.now()
    AgreementVersion.objects.create(
        agreement=agreement, number=1, status="agreed", valid_from=timezone.localdate() - 400 * DAY,
        agreed_on=timezone.localdate() - 400 * DAY, review_on=timezone.localdate() - 30 * DAY,
        created_at=now, updated_at=now,
    )  # fmt: skip
    detect("agreement_review")

    item = Proposal.objects.get()
    assert item.evidence["agreement"] == "SLA-2026-0001"
    assert item.owner.has_capability("manage_system")  # no account manager: a manager


def test_an_open_audit_finding_past_its_due_date_is_an_action_item(rules, people):
    from serviceloop.evaluation.models import Audit, AuditProgramme, Finding

    now, today = timezone.now(), timezone.localdate()
    programme = AuditProgramme.objects.create(
        reference="AP-2026", year=2026, title="Programme", created_at=now, updated_at=now
    )
    audit = Audit.objects.create(
        reference="IA-2026-01", programme=programme, title="Desk audit", planned_start=today,
        planned_end=today, lead_auditor=people.auditor, created_at=now, updated_at=now,
    )  # fmt: skip
    for reference, status, due in (
        ("F-1", "open", today - 2 * DAY),
        ("F-2", "closed", today - 2 * DAY),
        ("F-3", "action_planned", today + 2 * DAY),
    ):
        Finding.objects.create(
            reference=reference, audit=audit, kind="minor_nc", title=f"Finding {reference}",
            owner=people.lead, due_on=due, status=status, created_at=now, updated_at=now,
        )  # fmt: skip
    detect("audit_finding")

    item = Proposal.objects.get()
    assert (item.kind, item.owner, item.evidence["finding"]) == ("action_item", people.lead, "F-1")
    assert item.links[0]["url"].endswith("/F-1/")


def test_confidential_incidents_stay_out_of_proposals(rules, people, vpn):
    incidents(vpn, 4)
    incidents(vpn, 3, confidential=True)
    detect()
    assert not Proposal.objects.exists()


def test_the_recurring_incident_rule_starts_off_beside_the_desks_own_check(db):
    signal_rules_load()

    switched_off = set(SignalRule.objects.filter(enabled=False).values_list("kind", flat=True))

    assert switched_off == {"incident_cluster"}
