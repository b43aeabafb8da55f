"""The risk register (clause 6.1): scoring on the configurable matrix, treatments per kind,
the lifecycle, reviews, links to services, items and objectives, the heat map, the screens,
exports and the API, and who may do what."""

import datetime
import io
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from serviceloop.core.models import AuditEvent
from serviceloop.planning.models import Risk, RiskMatrixSetting, RiskReview
from serviceloop.planning.queries_risks import heatmap_data, matrix_setting, risks_for_list
from serviceloop.planning.services_objectives import objective_create
from serviceloop.planning.services_risks import (
    risk_create,
    risk_matrix_update,
    risk_review,
    risk_transition,
    risk_update,
)
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceFactory

pytestmark = pytest.mark.usefixtures("english")
TODAY = datetime.date(2026, 5, 4)
LATER = datetime.date(2026, 8, 1)


def new_risk(people, **values):
    defaults = {
        "kind": "risk",
        "title": "Core switch fails",
        "likelihood": 2,
        "impact": 5,
        "treatment": "reduce",
        "owner": people.lead,
        "review_on": LATER,
    }
    return risk_create(actor=people.owner, **(defaults | values))


# --- Scoring on the matrix -----------------------------------------------------------------


def test_the_score_is_likelihood_times_impact_and_the_level_comes_from_the_matrix(people):
    risk = new_risk(people, likelihood=4, impact=3)
    matrix = matrix_setting()

    assert (risk.reference[:9], risk.score, risk.status) == ("RSK-2026-", 12, "identified")
    assert (matrix.size, matrix.level_of(12)) == (5, "high")  # the 5×5 default: high ≥ 10
    assert [matrix.level_of(s) for s in (4, 5, 9, 10, 16, 17, 25)] == [
        "low", "medium", "medium", "high", "high", "critical", "critical",
    ]  # fmt: skip

    risk_matrix_update(actor=people.owner, size=5, medium_from=6, high_from=13, critical_from=20)

    assert matrix_setting().level_of(12) == "medium"  # re-levelled without touching the risk
    assert Risk.objects.get().score == 12


def test_a_3_by_3_matrix_rates_from_1_to_3(people):
    risk_matrix_update(actor=people.admin, size=3, medium_from=3, high_from=6, critical_from=9)

    risk = new_risk(people, likelihood=3, impact=2)
    with pytest.raises(ValidationError) as error:
        new_risk(people, likelihood=4, impact=3)

    assert (risk.score, matrix_setting().level_of(risk.score)) == (6, "high")
    assert error.value.message_dict == {"likelihood": ["Rate it from 1 to 3."]}


def test_the_matrix_is_validated_and_cannot_shrink_below_the_ratings_in_use(people):
    new_risk(people, likelihood=5, impact=1)

    with pytest.raises(ValidationError) as shrink:
        risk_matrix_update(actor=people.owner, size=4, medium_from=4, high_from=8, critical_from=12)
    with pytest.raises(ValidationError) as order:
        risk_matrix_update(actor=people.owner, size=5, medium_from=9, high_from=8, critical_from=30)
    with pytest.raises(ValidationError) as size:
        risk_matrix_update(actor=people.owner, size=7, medium_from=4, high_from=8, critical_from=12)
    with pytest.raises(PermissionDenied):
        risk_matrix_update(actor=people.top, size=5, medium_from=5, high_from=10, critical_from=17)

    assert "1 risks are rated beyond a 4×4 matrix" in shrink.value.message_dict["size"][0]
    assert "critical_from" in order.value.message_dict
    assert "size" in size.value.message_dict
    assert not RiskMatrixSetting.objects.exists()


def test_treatments_must_fit_the_kind(people):
    opportunity = new_risk(people, kind="opportunity", treatment="exploit", title="Monitoring")
    with pytest.raises(ValidationError) as wrong:
        new_risk(people, kind="opportunity", treatment="avoid")
    with pytest.raises(ValidationError) as switched:
        risk_update(actor=people.owner, risk=opportunity, kind="risk")

    assert opportunity.get_treatment_display() == "Exploit"
    assert "Choose a treatment for a opportunity" in wrong.value.message_dict["treatment"][0]
    assert "treatment" in switched.value.message_dict


def test_changing_the_ratings_updates_the_score_and_the_links_are_kept(people):
    service = ServiceFactory(code="erp")
    item = ConfigurationItemFactory(reference="CI-2026-000001")
    goal = objective_create(
        actor=people.owner, title="SLA", owner=people.lead, due_on=LATER,
        figure="desk.resolution_within_sla.90d", target=90,
    )  # fmt: skip
    risk = new_risk(people, services=[service], configuration_items=[item], objectives=[goal])

    risk = risk_update(actor=people.owner, risk=risk, impact=4, services=[])

    assert risk.score == 8 and list(risk.services.all()) == []
    assert list(risk.configuration_items.all()) == [item] and list(goal.risks.all()) == [risk]
    event = AuditEvent.objects.get(verb="risk.updated")
    assert event.payload == {"impact": [5, 4], "score": [10, 8], "services": [["erp"], []]}


# --- Lifecycle and reviews -----------------------------------------------------------------


def test_the_lifecycle_needs_a_plan_to_treat_and_a_reason_to_close(people):
    risk = new_risk(people)

    with pytest.raises(ValidationError) as no_plan:
        risk_transition(actor=people.owner, risk=risk, target="treating")
    risk = risk_update(actor=people.owner, risk=risk, treatment_plan="Second switch")
    risk = risk_transition(actor=people.owner, risk=risk, target="treating")
    with pytest.raises(ValidationError) as no_reason:
        risk_transition(actor=people.owner, risk=risk, target="closed")
    with pytest.raises(ValidationError) as skip:
        risk_transition(actor=people.owner, risk=risk, target="identified")
    risk = risk_transition(
        actor=people.owner, risk=risk, target="closed", note="Redundant now", today=TODAY
    )

    assert "treatment plan first" in no_plan.value.message_dict["target"][0]
    assert "note" in no_reason.value.message_dict and "target" in skip.value.message_dict
    assert (risk.status, risk.closed_on, risk.status_note) == ("closed", TODAY, "Redundant now")
    with pytest.raises(PermissionDenied):
        risk_transition(actor=people.auditor, risk=risk, target="identified", note="x")


def test_a_review_records_the_rating_and_moves_the_next_review(people):
    risk = new_risk(people, review_on=datetime.date(2026, 4, 1))

    with pytest.raises(ValidationError) as past:
        risk_review(
            actor=people.owner, risk=risk, likelihood=1, impact=5, next_review_on=TODAY,
            today=TODAY,
        )  # fmt: skip
    review = risk_review(
        actor=people.owner, risk=risk, likelihood=1, impact=5, next_review_on=LATER,
        note="Second switch installed", today=TODAY,
    )  # fmt: skip

    risk.refresh_from_db()
    assert "after today" in past.value.message_dict["next_review_on"][0]
    assert (review.score, review.reviewer, review.reviewed_on) == (5, people.owner, TODAY)
    assert (risk.score, risk.last_reviewed_on, risk.review_on) == (5, TODAY, LATER)
    assert not risk.review_overdue(TODAY)
    assert RiskReview.objects.count() == 1


# --- Heat map and lists --------------------------------------------------------------------


def test_the_heat_map_counts_open_items_per_cell_with_each_cells_level(people):
    new_risk(people, likelihood=2, impact=5)
    new_risk(people, likelihood=2, impact=5, title="Second")
    new_risk(people, likelihood=1, impact=1, kind="opportunity", treatment="share")
    closed = new_risk(people, likelihood=5, impact=5)
    risk_transition(actor=people.owner, risk=closed, target="closed", note="Gone")

    data = heatmap_data(people.auditor, matrix_setting())
    risks_only = heatmap_data(people.auditor, matrix_setting(), kind="risk")

    cells = {(c[1] + 1, c[0] + 1): (c[2], c[3]) for c in data["cells"]}
    assert len(data["cells"]) == 25 and data["total"] == 3
    assert cells[(2, 5)] == (2, 2)  # two items, level index 2 = high (score 10)
    assert cells[(1, 1)] == (1, 0) and cells[(5, 5)] == (0, 3)
    assert risks_only["total"] == 2
    assert data["levels"] == ["Low", "Medium", "High", "Critical"]
    assert heatmap_data(people.a_manager, matrix_setting())["total"] == 0


def test_the_list_filters_by_level_kind_cell_and_overdue_review(people):
    high = new_risk(people, likelihood=4, impact=4, review_on=datetime.date(2026, 4, 1))
    new_risk(people, likelihood=1, impact=2, title="Low")
    new_risk(people, kind="opportunity", treatment="enhance", likelihood=4, impact=4, title="Up")

    def refs(**filters):
        return [r.title for r in risks_for_list(people.agent, **filters)]

    assert refs(level="high") == ["Core switch fails", "Up"]  # 16: high on the 5×5 default
    assert refs(level="critical") == []  # 16 < 17
    assert refs(level="high", kind="opportunity") == ["Up"]
    assert refs(likelihood=4, impact=4, kind="risk") == [high.title]
    assert refs(overdue_on=TODAY) == [high.title]
    assert refs(level="low") == ["Low"]
    assert risks_for_list(people.a_user).count() == 0


# --- Screens, exports, API -----------------------------------------------------------------


def test_the_owner_records_a_risk_on_the_form_and_moves_and_reviews_it(people, client_for):
    client = client_for(people.owner)
    item = ConfigurationItemFactory(reference="CI-2026-000042")

    unknown = client.post(reverse("risk_new"), {"configuration_items": "CI-404"})
    created = client.post(
        reverse("risk_new"),
        {
            "kind": "risk", "title": "勒索软件", "likelihood": 2, "impact": 5,
            "treatment": "reduce", "treatment_plan": "Offline backups",
            "owner": people.admin.pk, "review_on": "2026-09-01",
            "configuration_items": "CI-2026-000042",
        },
    )  # fmt: skip
    risk = Risk.objects.get()
    moved = client.post(reverse("risk_move", args=[risk.reference]), {"target": "treating"})
    reviewed = client.post(
        reverse("risk_review", args=[risk.reference]),
        {"likelihood": 1, "impact": 5, "next_review_on": "2099-01-01", "note": "Backups tested"},
    )
    page = client.get(reverse("risk_detail", args=[risk.reference])).content.decode()

    assert "No configuration item has the reference CI-404." in unknown.content.decode()
    assert created.status_code == 302 and list(risk.configuration_items.all()) == [item]
    assert moved.status_code == 302 and reviewed.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.score, risk.review_on) == ("treating", 5, datetime.date(2099, 1, 1))
    assert "Backups tested" in page and "CI-2026-000042" in page


def test_the_heat_map_page_passes_its_data_through_json_script(people, client_for):
    new_risk(people, likelihood=3, impact=4)

    page = client_for(people.top).get(reverse("risk_heatmap")).content.decode()

    data = json.loads(re.search(r'id="heatmap-data" type="application/json">(.*?)</script>',
                                page).group(1))  # fmt: skip
    assert data["size"] == 5 and [4 - 1, 3 - 1, 1, 2] in data["cells"]
    assert "planning/risks.js" in page and "<script>" not in page  # no inline script (CSP)
    assert 'data-cell="3-4"' in page


def test_the_register_exports_with_the_level_and_links(people, client_for):
    service = ServiceFactory(code="mail", name="邮件 Mail")
    new_risk(people, likelihood=4, impact=5, services=[service], title="Mail outage")

    response = client_for(people.auditor).get(reverse("risk_list"), {"export": "xlsx"})

    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    header, first = rows[0], rows[1]
    assert header[:7] == ("Reference", "Kind", "Title", "Likelihood", "Impact", "Score", "Level")
    assert first[2:7] == ("Mail outage", 4, 5, 20, "Critical")
    assert first[header.index("Services")] == "邮件 Mail"


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [("owner", 200, 200), ("admin", 200, 200), ("agent", 200, 403), ("auditor", 200, 403),
     ("top", 200, 403), ("a_manager", 404, 404), ("outsider", 404, 404)],
)  # fmt: skip
def test_who_reads_and_changes_the_register(people, client_for, who, read, write):
    risk = new_risk(people)
    client = client_for(getattr(people, who))

    assert client.get(reverse("risk_list")).status_code == read
    assert client.get(reverse("risk_detail", args=[risk.reference])).status_code == read
    assert client.get(reverse("risk_heatmap")).status_code == read
    assert client.get(reverse("risk_edit", args=[risk.reference])).status_code == write
    assert client.get(reverse("risk_matrix")).status_code == write
    moved = client.post(reverse("risk_move", args=[risk.reference]), {"target": "monitoring"})
    assert moved.status_code == (302 if write == 200 else write)


def test_the_risk_api(people, api_client_for):
    ServiceFactory(code="erp")
    client = api_client_for(people.owner)

    created = client.post(
        "/api/v1/risks/",
        {"kind": "risk", "title": "UPS ageing", "likelihood": 3, "impact": 4,
         "treatment": "reduce", "owner": "admin", "review_on": "2026-09-01",
         "services": ["erp"], "score": 1},
        format="json",
    )  # fmt: skip
    reference = created.json()["reference"]
    too_big = client.patch(f"/api/v1/risks/{reference}/", {"impact": 6}, format="json")
    moved = client.post(
        f"/api/v1/risks/{reference}/transition/",
        {"target": "monitoring"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    stale = client.post(
        f"/api/v1/risks/{reference}/transition/",
        {"target": "closed", "note": "x"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    reviewed = client.post(
        f"/api/v1/risks/{reference}/review/",
        {"likelihood": 2, "impact": 4, "next_review_on": "2099-01-01", "note": "Better"},
        format="json",
    )
    matrix = client.put(
        "/api/v1/risks/matrix/",
        {"size": 4, "medium_from": 3, "high_from": 6, "critical_from": 12},
        format="json",
    )
    listed = api_client_for(people.auditor).get("/api/v1/risks/", {"level": "high"})
    heat = api_client_for(people.top).get("/api/v1/risks/heatmap/").json()
    agent = api_client_for(people.agent).put("/api/v1/risks/matrix/", {}, format="json")
    customer = api_client_for(people.a_manager).get(f"/api/v1/risks/{reference}/")

    assert created.status_code == 201
    assert (created.json()["score"], created.json()["level"]) == (12, "high")
    assert too_big.status_code == 400 and "impact" in too_big.json()
    assert moved.status_code == 200 and moved.json()["status"] == "monitoring"
    assert stale.status_code == 412
    assert reviewed.status_code == 201 and reviewed.json()["score"] == 8
    assert matrix.status_code == 200 and matrix.json()["size"] == 4
    assert [r["reference"] for r in listed.json()["results"]] == [reference]  # 8 ≥ 6: high
    assert heat["size"] == 4 and heat["total"] == 1
    assert agent.status_code == 403 and customer.status_code == 404


def test_the_register_and_objective_lists_cost_the_same_queries_for_1_or_12_rows(
    people, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from serviceloop.planning.services_objectives import objective_create

    client = client_for(people.auditor)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def add(n):
        new_risk(people, title=f"R{n}", services=[ServiceFactory()])
        objective_create(
            actor=people.owner, title=f"O{n}", owner=people.lead, due_on=LATER,
            figure="relationship.complaints.30d", target=3,
        )  # fmt: skip

    urls = [reverse(name) for name in ("risk_list", "objective_list", "risk_heatmap")]
    add(0)
    one = [count(url) for url in urls]
    for n in range(1, 12):
        add(n)
    many = [count(url) for url in urls]

    assert many == one
