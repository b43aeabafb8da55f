"""Management review screens and API: who sees what (customers 404, read-only staff 403, only
the chair approves), the pack on screen, htmx forms, bad input shown in the form, the actions
tracker, exports, the PDF download and the REST API."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation.models import ManagementReview, ReviewAction, ReviewDecision
from serviceloop.evaluation.services_reviews import review_transition
from serviceloop.evaluation.tests.steps_reviews import (
    approve,
    decide,
    hold_meeting,
    plan_review,
)

pytestmark = pytest.mark.usefixtures("english")


def url(review, tail=""):
    return f"/management-reviews/{review.reference}/{tail}"


@pytest.fixture
def meeting(people, review):
    """A review in its meeting (pack generated now), decisions and actions welcome."""
    return hold_meeting(people, review, now=timezone.now())


def soon(days=14):
    return timezone.localdate() + datetime.timedelta(days=days)


# --- Reading ------------------------------------------------------------------------------------


def test_staff_read_the_list_the_pack_and_the_minutes_customers_get_404(
    people, meeting, client_for
):
    decide(people, meeting, due_on=soon(), now=timezone.now())
    for name in ("agent", "auditor", "top", "owner"):
        client = client_for(getattr(people, name))
        listing = client.get("/management-reviews/")
        assert listing.status_code == 200 and meeting.reference in listing.content.decode()
        page = client.get(url(meeting))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-testid="input-kpis"' in html and 'data-testid="kpis"' in html
        assert "Change the desk rota" in html
        assert client.get(url(meeting, "minutes/")).status_code == 200
        assert client.get("/management-reviews/actions/").status_code == 200
    for name in ("a_manager", "a_user", "outsider"):
        client = client_for(getattr(people, name))
        for path in ("/management-reviews/", url(meeting), url(meeting, "minutes/"),
                     url(meeting, "pdf/"), "/management-reviews/actions/",
                     "/management-reviews/new/"):  # fmt: skip
            assert client.get(path).status_code == 404, (name, path)
    assert client_for(None).get(url(meeting)).status_code == 302  # to the sign-in page


def test_the_pdf_downloads_for_staff(people, meeting, client_for):
    response = client_for(people.agent).get(url(meeting, "pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{meeting.reference}-minutes.pdf" in response["Content-Disposition"]


def test_exports_of_the_list_and_the_tracker(people, meeting, client_for):
    decide(people, meeting, due_on=soon(), now=timezone.now())
    client = client_for(people.auditor)
    csv = client.get("/management-reviews/?export=csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Reference,Title,Period from")
    assert meeting.reference in text and "In the meeting" in text
    book = load_workbook(io.BytesIO(client.get("/management-reviews/?export=xlsx").content))
    assert book.active["A2"].value == meeting.reference

    actions = client.get("/management-reviews/actions/?export=csv&status=open")
    rows = b"".join(actions.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Review,Review title,Action,Input")
    assert len(rows) == 2 and "Change the desk rota" in rows[1] and ",A1," in rows[1]
    xlsx = load_workbook(io.BytesIO(client.get("/management-reviews/actions/?export=xlsx").content))
    assert xlsx.active["C2"].value == "A1"
    none = client.get("/management-reviews/actions/?export=csv&status=done")
    assert len(b"".join(none.streaming_content).decode("utf-8-sig").splitlines()) == 1


def test_the_tracker_filters_overdue_and_mine(people, meeting, client_for):
    _d, late = decide(people, meeting, due_on=soon(1), now=timezone.now())
    _d, mine = decide(people, meeting, action="Agent's action", owner=people.agent,
                      due_on=soon(30), now=timezone.now())  # fmt: skip
    ReviewAction.objects.filter(pk=late.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    client = client_for(people.agent)
    overdue = client.get("/management-reviews/actions/?overdue=on").content.decode()
    assert "Change the desk rota" in overdue and "Agent&#x27;s action" not in overdue
    assert "data-overdue" in overdue
    own = client.get("/management-reviews/actions/?mine=on").content.decode()
    assert "Agent&#x27;s action" in own and "Change the desk rota" not in own
    assert 'data-testid="done-A2"' in own  # the owner may close his own action


# --- Preparing ----------------------------------------------------------------------------------


def test_the_owner_plans_and_generates_others_get_403(people, kpis, client_for):
    data = {"title": "Q1 review", "period_start": "2026-01-01", "period_end": "2026-03-31",
            "scheduled_on": "2026-04-15", "chair": people.top.pk,
            "attendees": [people.lead.pk, people.owner.pk]}  # fmt: skip
    for name in ("top", "agent", "auditor"):
        client = client_for(getattr(people, name))
        assert client.get("/management-reviews/new/").status_code == 403
        assert client.post("/management-reviews/new/", data).status_code == 403
    bad = client_for(people.owner).post(
        "/management-reviews/new/", {**data, "period_end": "2025-12-01"}
    )
    assert (
        bad.status_code == 200
        and "The period must end on or after its first day." in bad.content.decode()
    )
    assert not ManagementReview.objects.exists()

    response = client_for(people.owner).post("/management-reviews/new/", data)
    review = ManagementReview.objects.get()
    assert response.status_code == 302 and response["Location"] == url(review)
    assert (
        client_for(people.top).post(url(review, "generate/"), {"language": "en"}).status_code == 403
    )
    generated = client_for(people.owner).post(url(review, "generate/"), {"language": "zh-hans"})
    assert generated.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.language) == ("pack_generated", "zh-hans")
    assert client_for(people.top).get(url(review, "edit/")).status_code == 403
    assert client_for(people.owner).get(url(review, "edit/")).status_code == 200


# --- The meeting ---------------------------------------------------------------------------------


def test_top_management_records_a_decision_and_an_action_with_htmx(people, meeting, client_for):
    client = client_for(people.top)
    htmx = {"HTTP_HX_REQUEST": "true"}
    decision = client.post(url(meeting, "inputs/kpis/decisions/"),
                           {"decision-kpis-text": "Add lunch-time cover."}, **htmx)  # fmt: skip
    assert decision.status_code == 200
    html = decision.content.decode()
    assert html.lstrip().startswith('<section class="sl-card" id="input-kpis"')
    assert "Add lunch-time cover." in html and "Decision D1 recorded." in html

    action = client.post(url(meeting, "inputs/kpis/actions/"), {
        "action-kpis-description": "Change the rota", "action-kpis-owner": people.lead.pk,
        "action-kpis-due_on": soon().isoformat(), "action-kpis-decision": "1",
    }, **htmx)  # fmt: skip
    assert action.status_code == 200 and "Action A1 recorded." in action.content.decode()
    created = ReviewAction.objects.get()
    assert (created.decision.number, created.owner, created.review_input.code) == (
        1, people.lead, "kpis",
    )  # fmt: skip

    past = client.post(url(meeting, "inputs/kpis/actions/"), {
        "action-kpis-description": "Too late", "action-kpis-owner": people.lead.pk,
        "action-kpis-due_on": "2020-01-01",
    }, **htmx)  # fmt: skip
    assert past.status_code == 200
    assert "The due date cannot be in the past." in past.content.decode()
    empty = client.post(url(meeting, "inputs/kpis/decisions/"), {"decision-kpis-text": ""})
    assert empty.status_code == 302 and empty["Location"].endswith("#input-kpis")
    assert ReviewAction.objects.count() == 1 and ReviewDecision.objects.count() == 1


def test_read_only_staff_and_preparers_cannot_record_decisions(people, meeting, client_for):
    for name in ("owner", "admin", "agent", "auditor"):
        response = client_for(getattr(people, name)).post(
            url(meeting, "inputs/kpis/decisions/"), {"decision-kpis-text": "Not mine to decide"}
        )
        assert response.status_code == 403
    assert (
        client_for(people.a_manager)
        .post(url(meeting, "inputs/kpis/decisions/"), {"decision-kpis-text": "x"})
        .status_code
        == 404
    )
    assert not ReviewDecision.objects.exists()


def test_only_the_chair_approves_the_minutes(people, meeting, client_for, second_top):
    decide(people, meeting, due_on=soon(), now=timezone.now())
    review_transition(actor=people.top, review=meeting, target="minutes_draft")
    minutes = client_for(people.top).get(url(meeting, "minutes/")).content.decode()
    assert 'data-testid="approve"' in minutes
    assert (
        'data-testid="approve"'
        not in client_for(second_top).get(url(meeting, "minutes/")).content.decode()
    )

    for stand_in in (people.owner, people.admin, second_top, people.agent):
        response = client_for(stand_in).post(url(meeting, "move/"), {"target": "approved"})
        assert response.status_code == 403
    assert ManagementReview.objects.get().status == "minutes_draft"
    saved = client_for(people.top).post(url(meeting, "minutes/"),
                                        {"minutes_summary": "Fit for purpose."})  # fmt: skip
    assert saved.status_code == 302
    approved = client_for(people.top).post(url(meeting, "move/"), {"target": "approved"})
    assert approved.status_code == 302 and approved["Location"] == url(meeting, "minutes/")
    review = ManagementReview.objects.get()
    assert (review.status, review.approved_by, review.minutes_summary) == (
        "approved", people.top, "Fit for purpose.",
    )  # fmt: skip
    assert AuditEvent.objects.filter(verb="management_review.minutes_updated").count() == 1


def test_an_owner_closes_his_action_from_the_tracker(people, meeting, client_for):
    _d, action = decide(people, meeting, due_on=soon(), now=timezone.now())
    approve(people, meeting)
    path = url(meeting, "actions/1/move/")
    assert client_for(people.agent).post(path, {"target": "done", "note": "x"}).status_code == 403
    blank = client_for(people.lead).post(path, {"target": "done", "note": "",
                                                "next": "/management-reviews/actions/"})  # fmt: skip
    assert blank.status_code == 302
    assert ReviewAction.objects.get().status == "open"
    done = client_for(people.lead).post(path, {"target": "done", "note": "Rota changed.",
                                               "next": "/management-reviews/actions/"})  # fmt: skip
    assert done["Location"] == "/management-reviews/actions/"
    action.refresh_from_db()
    assert (action.status, action.closure_note) == ("done", "Rota changed.")
    assert (
        client_for(people.lead)
        .post(url(meeting, "actions/9/move/"), {"target": "done"})
        .status_code
        == 404
    )


# --- API ------------------------------------------------------------------------------------------


def test_api_reads_reviews_and_writes_through_the_services(people, meeting, api_client_for):
    top = api_client_for(people.top)
    listing = top.get("/api/v1/management-reviews/")
    assert listing.status_code == 200
    assert listing.json()["results"][0]["reference"] == meeting.reference
    inputs = top.get(f"/api/v1/management-reviews/{meeting.reference}/inputs/").json()
    assert [i["code"] for i in inputs][:2] == ["previous_actions", "context"]
    assert "rows" in inputs[3]["content"]  # the KPIs

    base = f"/api/v1/management-reviews/{meeting.reference}/"
    created = top.post(base + "decisions/", {"input": "risks", "text": "Replace the UPS."},
                       format="json")  # fmt: skip
    assert created.status_code == 201 and created.json()["number"] == 1
    action = top.post(base + "actions/", {"input": "risks", "decision": 1,
                                          "description": "Order batteries", "owner": "admin",
                                          "due_on": soon().isoformat()}, format="json")  # fmt: skip
    assert action.status_code == 201 and action.json()["owner"] == "admin"
    bad = top.post(base + "actions/", {"input": "risks", "description": "", "owner": "admin",
                                       "due_on": "2020-01-01"}, format="json")  # fmt: skip
    assert bad.status_code == 400
    assert api_client_for(people.owner).post(base + "decisions/", {"input": "risks", "text": "x"},
                                             format="json").status_code == 403  # fmt: skip
    assert api_client_for(people.a_manager).get("/api/v1/management-reviews/").status_code == 404
    assert ReviewAction.objects.count() == 1

    uuid = action.json()["id"]
    move = f"/api/v1/management-review-actions/{uuid}/transition/"
    assert api_client_for(people.lead).post(move, {"target": "done", "note": "x"},
                                            format="json").status_code == 403  # fmt: skip
    done = api_client_for(people.admin).post(move, {"target": "done", "note": "Ordered."},
                                             format="json")  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "done"
    listed = api_client_for(people.agent).get("/api/v1/management-review-actions/?status=done")
    assert [a["id"] for a in listed.json()["results"]] == [uuid]


def test_the_lists_and_the_pack_cost_the_same_queries_whatever_their_size(
    people, meeting, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.agent)
    pages = ("/management-reviews/", "/management-reviews/actions/", url(meeting))

    def queries():
        counts = []
        for path in pages:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            counts.append(len(captured))
        return counts

    decide(people, meeting, due_on=soon(), now=timezone.now())
    few = queries()
    for n in range(4):
        decide(people, meeting, text=f"Decision {n}", action=f"Action {n}", due_on=soon(),
               now=timezone.now())  # fmt: skip
    plan_review(people, title="Another review")
    assert queries() == few
