"""The improvement register's screens, exports and API: who sees what (404 to customers, 403
to staff who may not write), forms that show service errors, and the API's writes."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from serviceloop.core.models import AuditEvent
from serviceloop.improvement.models import Improvement
from serviceloop.improvement.services_improvements import (
    improvement_propose,
    improvement_transition,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def improvement(people):
    return improvement_propose(
        people.owner, title="Alerts open tickets", source="kpi", benefit="Faster detection"
    )


def test_the_list_shows_filters_and_exports(people, client_for, improvement):
    improvement_propose(people.agent, title="Screenshots in articles", source="staff_suggestion")
    client = client_for(people.agent)

    page = client.get(reverse("improvement_list"))
    filtered = client.get(reverse("improvement_list"), {"source": "staff_suggestion"})
    exported = client.get(reverse("improvement_list"), {"export": "csv"})
    workbook = client.get(reverse("improvement_list"), {"export": "xlsx", "source": "kpi"})

    assert page.status_code == 200
    assert improvement.reference in page.content.decode()
    assert improvement.reference not in filtered.content.decode()
    assert "Screenshots in articles" in filtered.content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Reference", "Title", "Source"]
    assert {row[1] for row in rows[1:]} == {"Alerts open tickets", "Screenshots in articles"}
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Alerts open tickets"
    ]


def test_the_list_query_count_does_not_grow_with_rows(
    people, client_for, django_assert_max_num_queries
):
    for n in range(12):
        improvement_propose(people.owner, title=f"Idea {n}", source="other", owner=people.lead)
    client = client_for(people.owner)
    client.get(reverse("improvement_list"))  # the session is settled
    with django_assert_max_num_queries(12):
        assert client.get(reverse("improvement_list")).status_code == 200


def test_customers_get_404_everywhere(people, client_for, improvement):
    client = client_for(people.a_manager)
    for url in (
        reverse("improvement_list"),
        reverse("improvement_new"),
        reverse("improvement_detail", args=[improvement.reference]),
        reverse("improvement_edit", args=[improvement.reference]),
    ):
        assert client.get(url).status_code == 404


def test_staff_suggest_through_the_short_form(people, client_for):
    client = client_for(people.agent)
    form = client.get(reverse("improvement_new"))
    response = client.post(
        reverse("improvement_new"),
        {"title": "Night shift handover template", "description": "Notes get lost", "effort": "S"},
    )

    assert "source_reference" not in form.content.decode()
    suggestion = Improvement.objects.get()
    assert response.status_code == 302
    assert (suggestion.source, suggestion.suggested_by) == ("staff_suggestion", people.agent)


def test_a_bad_form_shows_the_error_and_writes_nothing(people, client_for):
    response = client_for(people.owner).post(
        reverse("improvement_new"), {"title": "", "source": "kpi", "effort": "M",
                                     "benefit_rating": "2"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Improvement.objects.exists()


def test_the_detail_page_offers_moves_to_managers_only(people, client_for, improvement):
    url = reverse("improvement_detail", args=[improvement.reference])
    manager_page = client_for(people.owner).get(url).content.decode()
    agent_page = client_for(people.agent).get(url).content.decode()

    assert 'data-testid="move-accepted"' in manager_page
    assert 'data-testid="move-accepted"' not in agent_page
    assert "Faster detection" in agent_page


def test_moving_through_the_screen_and_403_for_others(people, client_for, improvement):
    url = reverse("improvement_move", args=[improvement.reference])

    denied = client_for(people.agent).post(url, {"target": "accepted", "owner": people.lead.pk})
    accepted = client_for(people.owner).post(
        url, {"target": "accepted", "owner": people.lead.pk, "version": improvement.version}
    )
    started = client_for(people.lead).post(url, {"target": "in_progress"})

    assert denied.status_code == 403
    assert (accepted.status_code, started.status_code) == (302, 302)
    assert Improvement.objects.get().status == "in_progress"


def test_the_owner_edits_his_part_through_the_form(people, client_for, improvement):
    improvement_transition(
        actor=people.owner, improvement=improvement, target="accepted", owner=people.lead
    )
    url = reverse("improvement_edit", args=[improvement.reference])
    form = client_for(people.lead).get(url).content.decode()
    response = client_for(people.lead).post(
        url, {"benefit": "Detection in minutes", "benefit_rating": "3", "effort": "M"}
    )

    assert 'name="owner"' not in form
    assert response.status_code == 302
    assert Improvement.objects.get().benefit == "Detection in minutes"
    assert client_for(people.agent).get(url).status_code == 403


# --- API -----------------------------------------------------------------------------------


def test_api_lists_creates_once_per_cause_and_moves(people, api_client_for):
    api = api_client_for(people.top)
    body = {"title": "Review KPI set", "source": "management_review", "cause_key": "mr-1:d2"}

    first = api.post("/api/v1/improvements/", body, format="json")
    again = api.post("/api/v1/improvements/", body, format="json")
    listed = api.get("/api/v1/improvements/", {"source": "management_review"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.data["reference"] == again.data["reference"]
    assert [row["reference"] for row in listed.data["results"]] == [first.data["reference"]]

    reference = first.data["reference"]
    manager = api_client_for(people.owner)
    denied = api.post(f"/api/v1/improvements/{reference}/transition/", {"target": "accepted"})
    moved = manager.post(
        f"/api/v1/improvements/{reference}/transition/",
        {"target": "accepted", "owner": "lead"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    stale = manager.patch(
        f"/api/v1/improvements/{reference}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert denied.status_code == 403
    assert (moved.status_code, moved.data["status"], moved.data["owner"]) == (
        200, "accepted", "lead",
    )  # fmt: skip
    assert moved["ETag"] == '"2"'
    assert stale.status_code == 412


def test_api_bad_input_is_400_and_customers_get_404(people, api_client_for, improvement):
    bad = api_client_for(people.owner).post(
        f"/api/v1/improvements/{improvement.reference}/transition/",
        {"target": "rejected"},
        format="json",
    )
    hidden = api_client_for(people.a_user).get(f"/api/v1/improvements/{improvement.reference}/")

    assert bad.status_code == 400 and "note" in bad.data
    assert hidden.status_code == 404
    assert not AuditEvent.objects.filter(verb="improvement.status_changed").exists()
