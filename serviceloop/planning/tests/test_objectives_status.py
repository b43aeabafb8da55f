"""Objectives (clause 6.2): figures computed from real records (tickets under an SLA,
complaints, changes, problems), the status computed from them — on track, at risk, achieved
or missed at the due date, no data — never typed; validation, screens, exports and the API."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from serviceloop.desk.models import Problem
from serviceloop.desk.tests.factories import SlaPolicyVersionFactory, TicketFactory
from serviceloop.planning.figures import FIGURES
from serviceloop.planning.models import Objective
from serviceloop.planning.queries_objectives import evaluate, evaluated
from serviceloop.planning.services_objectives import (
    objective_create,
    objective_set_state,
    objective_update,
)
from serviceloop.relationship.services_complaints import complaint_create
from serviceloop.transition.models import ChangeOutcome
from serviceloop.transition.tests.factories import ChangeRequestFactory

pytestmark = pytest.mark.usefixtures("english")

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def sla(db):
    return SlaPolicyVersionFactory()


def resolved(sla, organisation, *, days_ago: float, breached=False, with_sla=True):
    at = NOW - DAY * days_ago
    return TicketFactory(
        organisation=organisation,
        created_at=at - DAY,
        resolved_at=at,
        resolution_met_at=at if with_sla else None,
        response_met_at=at - DAY / 2 if with_sla else None,
        resolution_breached=breached,
        sla_version=sla if with_sla else None,
    )


def objective(people, **values):
    defaults = {
        "title": "Resolve in time",
        "owner": people.lead,
        "due_on": datetime.date(2026, 12, 31),
        "figure": "desk.resolution_within_sla.90d",
        "target": Decimal("90"),
    }
    return objective_create(actor=people.owner, **(defaults | values))


# --- Figures from records ------------------------------------------------------------------


def test_the_resolution_figure_counts_tickets_resolved_under_an_sla_in_its_window(people, sla):
    for days_ago, breached in ((1, False), (10, False), (80, True)):
        resolved(sla, people.customer_a, days_ago=days_ago, breached=breached)
    resolved(sla, people.customer_a, days_ago=95, breached=True)  # before the window
    resolved(sla, people.customer_b, days_ago=5, with_sla=False)  # no SLA: not measured
    TicketFactory(organisation=people.customer_a, sla_version=sla)  # still open

    ninety = FIGURES["desk.resolution_within_sla.90d"].value(NOW)
    thirty = FIGURES["desk.resolution_within_sla.30d"].value(NOW)

    assert (ninety.value, ninety.basis) == (Decimal("66.7"), "2 / 3")
    assert (thirty.value, thirty.basis) == (Decimal("100.0"), "2 / 2")


def test_counting_figures_read_complaints_changes_and_problems(people):
    for days_ago in (3, 20, 70):
        complaint_create(
            actor=people.agent, organisation=people.customer_a, subject="Slow", description="x",
            channel="email", complainant_name="Wang", received_at=NOW - DAY * days_ago, now=NOW,
        )  # fmt: skip
    for outcome in (ChangeOutcome.IMPLEMENTED, ChangeOutcome.IMPLEMENTED, ChangeOutcome.FAILED):
        ChangeRequestFactory(requester=people.lead, outcome=outcome, actual_end=NOW - DAY * 5)
    ChangeRequestFactory(
        requester=people.lead, outcome=ChangeOutcome.FAILED, actual_end=NOW - DAY * 200
    )
    for n, cause in enumerate(("Disk firmware", "", "Expired cert", "Bad route")):
        Problem.objects.create(
            reference=f"PRB-2026-{n:06d}", title=f"P{n}", root_cause=cause,
            created_at=NOW - DAY * 10, updated_at=NOW,
        )  # fmt: skip

    assert FIGURES["relationship.complaints.30d"].value(NOW).value == 2
    assert FIGURES["relationship.complaints.90d"].value(NOW).value == 3
    change = FIGURES["transition.change_success_rate.90d"].value(NOW)
    assert (change.value, change.basis) == (Decimal("66.7"), "2 / 3")
    assert FIGURES["desk.problems_with_root_cause.90d"].value(NOW).value == Decimal("75.0")


def test_the_satisfaction_figure_is_the_mean_of_the_ratings_in_the_window(people):
    for score, days_ago in ((5, 1), (4, 2), (3, 100)):
        TicketFactory(organisation=people.customer_a, csat_score=score,
                      csat_at=NOW - DAY * days_ago)  # fmt: skip

    value = FIGURES["desk.csat_average.90d"].value(NOW)

    assert (value.value, value.basis) == (Decimal("4.50"), "2")


# --- Status --------------------------------------------------------------------------------


def test_before_the_due_date_the_status_follows_the_records(people, sla):
    goal = objective(people, target=Decimal("75"))
    resolved(sla, people.customer_a, days_ago=3)
    resolved(sla, people.customer_a, days_ago=4, breached=True)

    at_risk = evaluate(goal, now=NOW)
    for days_ago in (5, 6, 7):
        resolved(sla, people.customer_a, days_ago=days_ago)
    on_track = evaluate(goal, now=NOW)

    assert (at_risk.value, at_risk.status, at_risk.status_label) == (
        Decimal("50.0"),
        "at_risk",
        "At risk",
    )
    assert (on_track.value, on_track.status) == (Decimal("80.0"), "on_track")


def test_after_the_due_date_the_window_that_ended_then_decides(people, sla):
    due = (NOW - DAY * 10).date()
    goal = objective(people, due_on=due, target=Decimal("90"))
    resolved(sla, people.customer_a, days_ago=20)  # before the due date: met
    resolved(sla, people.customer_a, days_ago=2, breached=True)  # after it: ignored

    achieved = evaluate(goal, now=NOW)
    goal.target = Decimal("100.5")
    missed = evaluate(goal, now=NOW)

    assert (achieved.value, achieved.status, achieved.final) == (Decimal("100.0"), "achieved", True)
    assert achieved.as_of.date() == due + DAY
    assert missed.status == "missed"


def test_lower_is_better_for_counts_and_nothing_counted_is_no_data(people):
    complaints = objective(
        people, figure="relationship.complaints.30d", target=Decimal("1"), title="Few complaints"
    )
    ratings = objective(people, figure="desk.csat_average.90d", target=Decimal("4.3"))

    clean = evaluate(complaints, now=NOW)
    for days_ago in (1, 2):
        complaint_create(
            actor=people.agent, organisation=people.customer_b, subject="Late", description="x",
            channel="phone", complainant_name="Li", received_at=NOW - DAY * days_ago, now=NOW,
        )  # fmt: skip
    two = evaluate(complaints, now=NOW)

    assert complaints.direction == "lower" and complaints.unit == ""
    assert (clean.value, clean.status) == (Decimal("0"), "on_track")
    assert (two.value, two.status) == (Decimal("2"), "at_risk")
    assert evaluate(ratings, now=NOW).status == "no_data"


def test_a_withdrawn_objective_is_withdrawn_whatever_its_figure(people):
    goal = objective(people, figure="relationship.complaints.30d", target=Decimal("5"))

    with pytest.raises(ValidationError) as no_reason:
        objective_set_state(actor=people.owner, objective=goal, state="withdrawn")
    goal = objective_set_state(
        actor=people.owner, objective=goal, state="withdrawn", reason="Merged into OBJ-2"
    )

    assert "reason" in no_reason.value.message_dict
    assert evaluate(goal, now=NOW).status == "withdrawn"
    assert goal.withdrawn_reason == "Merged into OBJ-2"


def test_the_figure_defaults_the_unit_and_direction_and_bad_input_is_refused(people):
    goal = objective(people)
    with pytest.raises(ValidationError) as error:
        objective(people, figure="made.up", target="lots", kpi_code="Bad Code!", due_on=None)
    with pytest.raises(PermissionDenied):
        objective_update(actor=people.top, objective=goal, title="x")

    assert (goal.reference[:9], goal.unit, goal.direction) == ("OBJ-2026-", "%", "higher")
    assert set(error.value.message_dict) == {"figure", "target", "kpi_code", "due_on"}
    assert Objective.objects.count() == 1 and Objective.objects.get().title == "Resolve in time"


# --- Screens and API -----------------------------------------------------------------------


def test_the_list_shows_and_filters_by_computed_status_and_exports_it(people, client_for):
    objective(people, figure="relationship.complaints.30d", target=Decimal("3"), title="Few")
    objective(people, figure="desk.csat_average.90d", target=Decimal("4"), title="Happy")
    client = client_for(people.auditor)

    page = client.get(reverse("objective_list"))
    no_data = client.get(reverse("objective_list"), {"status": "no_data"})
    export = client.get(reverse("objective_list"), {"export": "csv"})

    assert [o.title for o, _e in page.context["page"]] == ["Few", "Happy"]
    assert [o.title for o, _e in no_data.context["page"]] == ["Happy"]
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    header, *rows = text.strip().splitlines()
    assert header.startswith("Reference,Title,Owner,Due,Measured by,Direction,Target,Unit,Current")
    assert rows[0].endswith(",On track,,Active") and "Complaints received, last 30 days" in rows[0]
    assert rows[1].endswith(",No data yet,,Active")


def test_the_owner_creates_an_objective_on_the_form_and_reads_its_page(people, client_for):
    client = client_for(people.owner)

    created = client.post(
        reverse("objective_new"),
        {
            "title": "SLA 达成率",
            "figure": "desk.first_response_within_sla.30d",
            "target": "95",
            "unit": "",
            "direction": "higher",
            "owner": people.lead.pk,
            "due_on": "2026-12-31",
            "plan": "排班覆盖高峰",
            "kpi_code": "first_response_within_sla_pct",
        },
    )
    objective = Objective.objects.get()
    page = client_for(people.top).get(reverse("objective_detail", args=[objective.reference]))

    assert created.status_code == 302 and objective.unit == "%"
    assert page.status_code == 200
    assert page.context["evaluation"].status == "no_data"
    assert len(page.context["trend"]) == 6
    assert "first_response_within_sla_pct" in page.content.decode()


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [("owner", 200, 200), ("admin", 200, 200), ("lead", 200, 403), ("top", 200, 403),
     ("a_manager", 404, 404), ("outsider", 404, 404)],
)  # fmt: skip
def test_who_reads_and_edits_objectives(people, client_for, who, read, write):
    goal = objective(people)
    client = client_for(getattr(people, who))

    assert client.get(reverse("objective_list")).status_code == read
    assert client.get(reverse("objective_detail", args=[goal.reference])).status_code == read
    assert client.get(reverse("objective_edit", args=[goal.reference])).status_code == write


def test_the_api_creates_objectives_whose_status_is_computed_never_written(people, api_client_for):
    client = api_client_for(people.owner)

    created = client.post(
        "/api/v1/objectives/",
        {
            "title": "Few complaints",
            "owner": "lead",
            "due_on": "2030-12-31",
            "figure": "relationship.complaints.90d",
            "target": "2",
            "status": "achieved",
            "value": 0,
        },
        format="json",
    )
    reference = created.json()["reference"]
    typed = client.patch(f"/api/v1/objectives/{reference}/", {"status": "missed"}, format="json")
    withdrawn = client.post(
        f"/api/v1/objectives/{reference}/state/",
        {"state": "withdrawn", "reason": "Superseded"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    figures = api_client_for(people.agent).get("/api/v1/objectives/figures/")
    agent = api_client_for(people.agent).post("/api/v1/objectives/", {}, format="json")
    customer = api_client_for(people.a_user).get("/api/v1/objectives/")

    body = created.json()
    assert created.status_code == 201
    assert (body["status"], body["value"], body["basis"]) == ("on_track", 0.0, "0")
    assert (body["direction"], body["unit"]) == ("lower", "")
    assert typed.status_code == 200 and typed.json()["status"] == "on_track"
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    codes = [f["code"] for f in figures.json()]
    assert "transition.change_success_rate.90d" in codes and len(codes) == len(FIGURES)
    assert agent.status_code == 403 and customer.status_code == 404


def test_a_list_of_objectives_shares_one_computation_per_figure(
    people, django_assert_max_num_queries
):
    for n in range(8):
        objective(people, title=f"O{n}", figure="relationship.complaints.30d", target=n)
    objectives = list(Objective.objects.select_related("owner"))

    with django_assert_max_num_queries(1):
        rows = evaluated(objectives, now=timezone.now())

    assert len(rows) == 8
