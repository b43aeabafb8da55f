"""The audit programme (clause 9.2): default lines covering every clause in scope, risk-based
frequency, the coverage and its gaps, tailoring, copying the previous year, the lifecycle and
who may change it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.models import Audit, AuditProgramme, ProgrammeLine
from serviceloop.evaluation.queries_audits import (
    clauses_in_scope,
    programme_coverage,
    required_audits,
)
from serviceloop.evaluation.services_audits import (
    audit_create,
    audit_transition,
    line_add,
    line_remove,
    line_update,
    programme_create,
    programme_transition,
    programme_update,
)
from serviceloop.evaluation.tests.steps_audits import TODAY, line_of

pytestmark = pytest.mark.usefixtures("english")


def test_a_new_programme_covers_every_clause_in_scope_once(people, clauses):
    programme = programme_create(actor=people.owner, year=TODAY.year)
    coverage = programme_coverage(programme)
    subjects = sorted(programme.lines.values_list("clause__number", flat=True))

    assert programme.reference.startswith(f"AP-{TODAY.year}-")
    assert (programme.status, programme.title) == (
        "draft",
        f"Internal audit programme {TODAY.year}",
    )
    assert {"4", "5", "6", "7", "8.1", "8.2.1", "8.3.1", "8.6.1", "8.5.1", "9.2", "10.1"} <= set(
        subjects
    )
    assert coverage.gaps == []
    assert coverage.covered_count == len(clauses_in_scope()) > 40
    # each clause in scope is covered by exactly one default line
    assert all(len(row.lines) == 1 for row in coverage.clauses)
    assert AuditEvent.objects.filter(verb="audit_programme.created").count() == 1


def test_a_process_switched_off_by_tailoring_is_out_of_scope(people, clauses):
    from serviceloop.planning.services_tailoring import module_switch

    module_switch(actor=people.owner, module="assets", enabled=False, reason="No assets kept")

    programme = programme_create(actor=people.owner, year=TODAY.year)
    numbers = {c.number for c in clauses_in_scope()}

    assert "8.2.5" not in numbers and "8.2.6" in numbers
    assert not programme.lines.filter(clause__number="8.2.5").exists()
    assert programme_coverage(programme).gaps == []


def test_removing_a_line_leaves_a_gap_that_is_reported(people, clauses):
    programme = programme_create(actor=people.owner, year=TODAY.year)
    line_remove(actor=people.owner, line=line_of(programme, "7"))

    gaps = [c.number for c in programme_coverage(programme).gaps]

    assert gaps == ["7.1", "7.2", "7.3", "7.4", "7.5.1", "7.5.2", "7.5.3", "7.5.4", "7.6"]
    assert AuditEvent.objects.filter(verb="audit_programme.line_removed").get().payload == {
        "clause": "7"
    }


@pytest.mark.parametrize(
    ("risk", "audited_last_year", "needed"),
    [("high", False, 2), ("high", True, 2), ("medium", True, 1), ("low", False, 1),
     ("low", True, 0)],
)  # fmt: skip
def test_the_risk_sets_how_many_audits_a_year_a_line_needs(risk, audited_last_year, needed):
    assert required_audits(risk, audited_last_year) == needed


def test_coverage_counts_scheduled_and_done_audits_against_the_risk(people, programme):
    incidents = line_of(programme, "8.6.1")  # high risk: twice a year
    requests = line_of(programme, "8.6.2")  # medium: once
    first = audit_create(
        actor=people.auditor, programme=programme, title="Desk", lines=[incidents, requests],
        planned_start=TODAY, planned_end=TODAY, lead_auditor=people.auditor,
    )  # fmt: skip
    rows = {row.line.clause.number: row for row in programme_coverage(programme).lines}

    assert (rows["8.6.1"].required, rows["8.6.1"].scheduled, rows["8.6.1"].state) == (
        2, 1, "unscheduled",
    )  # fmt: skip
    assert (rows["8.6.2"].scheduled, rows["8.6.2"].state) == (1, "scheduled")
    assert rows["4"].state == "unscheduled"

    audit_transition(actor=people.auditor, audit=first, target="cancelled", note="Moved")
    rows = {row.line.clause.number: row for row in programme_coverage(programme).lines}
    assert rows["8.6.2"].scheduled == 0


def test_a_low_risk_line_audited_last_year_is_not_due(people, clauses, auditing):
    from serviceloop.support.models import PersonCompetence

    PersonCompetence.objects.filter(person=people.auditor).update(
        assessed_on=datetime.date(TODAY.year - 2, 1, 1)
    )
    last = programme_create(actor=people.owner, year=TODAY.year - 1)
    line_update(actor=people.owner, line=line_of(last, "7"), risk="low")
    programme_transition(actor=people.owner, programme=last, target="approved")
    old = audit_create(
        actor=people.auditor, programme=last, title="Support", lines=[line_of(last, "7")],
        planned_start=TODAY.replace(year=TODAY.year - 1, month=6, day=1),
        planned_end=TODAY.replace(year=TODAY.year - 1, month=6, day=1),
        lead_auditor=people.auditor,
    )  # fmt: skip
    # the audit was held and reported last year
    Audit.objects.filter(pk=old.pk).update(status="reported", reported_on=old.planned_start)

    this_year = programme_create(actor=people.owner, year=TODAY.year)
    rows = {row.line.clause.number: row for row in programme_coverage(this_year).lines}

    assert line_of(this_year, "7").risk == "low"  # copied from last year
    assert (rows["7"].required, rows["7"].state) == (0, "not_due")
    assert rows["7"].last_done_on == old.planned_start


def test_the_previous_year_lines_are_copied_with_their_team_and_risk(people, programme, desk_team):
    next_year = programme_create(actor=people.owner, year=TODAY.year + 1)
    copied = line_of(next_year, "8.6.1")

    assert (copied.owner_team, copied.risk) == (desk_team, "high")
    assert next_year.lines.count() == programme.lines.count()
    event = AuditEvent.objects.filter(verb="audit_programme.created").latest("id")
    assert event.payload["copied_from"] == programme.reference


def test_bad_input_is_refused_and_changes_nothing(people, programme, clauses):
    before = (AuditProgramme.objects.count(), ProgrammeLine.objects.count())

    with pytest.raises(ValidationError) as duplicate:
        programme_create(actor=people.owner, year=TODAY.year)
    with pytest.raises(ValidationError) as year:
        programme_create(actor=people.owner, year=1999)
    with pytest.raises(ValidationError) as twice:
        line_add(actor=people.owner, programme=programme, clause=clauses["8.6.1"])
    with pytest.raises(ValidationError) as risk:
        line_update(actor=people.owner, line=line_of(programme, "4"), risk="extreme")
    with pytest.raises(ValidationError) as customer_team:
        from serviceloop.core.tests.factories import TeamFactory

        line_update(
            actor=people.owner, line=line_of(programme, "4"),
            owner_team=TeamFactory(organisation=people.customer_a),
        )  # fmt: skip

    assert duplicate.value.message_dict == {
        "year": [f"There is already a programme for {TODAY.year}."]
    }
    assert year.value.message_dict == {"year": ["Enter a year from 2000 to 2100."]}
    assert twice.value.message_dict == {"clause": ["The programme already has this clause."]}
    assert risk.value.message_dict == {"risk": ["Choose a value from the list."]}
    assert customer_team.value.message_dict == {
        "owner_team": ["Choose one of the provider's teams."]
    }
    assert (AuditProgramme.objects.count(), ProgrammeLine.objects.count()) == before
    assert line_of(programme, "4").risk == "medium"


def test_the_lifecycle_approve_close_reopen(people, clauses):
    programme = programme_create(actor=people.owner, year=TODAY.year)

    programme = programme_transition(actor=people.owner, programme=programme, target="approved")
    assert (programme.status, programme.approved_by) == ("approved", people.owner)

    with pytest.raises(ValidationError) as no_note:
        programme_transition(actor=people.owner, programme=programme, target="closed")
    assert no_note.value.message_dict == {"note": ["Say why."]}

    programme = programme_transition(
        actor=people.owner, programme=programme, target="closed", note="Year done"
    )
    with pytest.raises(ValidationError) as closed:
        programme_update(actor=people.owner, programme=programme, title="New title")
    assert closed.value.messages == ["The programme is closed: reopen it first."]

    with pytest.raises(ValidationError) as wrong:
        programme_transition(actor=people.owner, programme=programme, target="draft")
    assert "target" in wrong.value.message_dict
    verbs = list(
        AuditEvent.objects.filter(object_type="evaluation.auditprogramme")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["audit_programme.created", "audit_programme.status_changed",
                     "audit_programme.status_changed"]  # fmt: skip


def test_an_empty_programme_cannot_be_approved(people, clauses):
    programme = programme_create(actor=people.owner, year=TODAY.year)
    for line in list(programme.lines.all()):
        line_remove(actor=people.owner, line=line)

    with pytest.raises(ValidationError) as error:
        programme_transition(actor=people.owner, programme=programme, target="approved")

    assert error.value.message_dict == {"target": ["Add the programme's lines first."]}


def test_a_line_an_audit_includes_cannot_be_removed(people, audit):
    with pytest.raises(ValidationError) as error:
        line_remove(actor=people.owner, line=line_of(audit.programme, "8.6.1"))

    assert error.value.messages == ["An audit includes this line: it cannot be removed."]


def test_only_the_management_system_owner_manages_the_programme(people, clauses):
    for user in (people.auditor, people.agent, people.lead, people.top):
        with pytest.raises(PermissionDenied):
            programme_create(actor=user, year=TODAY.year)
    with pytest.raises(Http404):
        programme_create(actor=people.a_manager, year=TODAY.year)

    programme = programme_create(actor=people.admin, year=TODAY.year)  # admin manages too
    with pytest.raises(PermissionDenied):
        line_update(actor=people.auditor, line=line_of(programme, "4"), risk="high")
    assert AuditProgramme.objects.count() == 1
