"""The customers part's REST API: accounts, contacts, reviews, actions, surveys and responses
(``/api/v1/customer-*``) with the screens' rules: customers see only their organisation's
records (404 otherwise), read-only roles get 403 on writes, ETag / If-Match on changes."""

import datetime

import pytest

from serviceloop.relationship.models import CustomerAccount, ReviewMeeting, SurveyResponse
from serviceloop.relationship.services_customers import review_action_add, review_create
from serviceloop.relationship.services_customers_surveys import survey_create, survey_transition
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla

D = datetime.date
API = "/api/v1"


@pytest.fixture
def review(people, cust):
    review = review_create(
        actor=people.lead, account=cust.account_a, held_on=D(2026, 9, 30), title="Q3",
        minutes="<p>ok</p>",
    )  # fmt: skip
    review_action_add(
        actor=people.lead, review=review, title="Do it", owner=people.a_user, due_on=D(2026, 10, 1)
    )
    return review


@pytest.fixture
def survey(people, cust):
    survey = survey_create(
        actor=people.agent,
        title="Survey A",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 12, 31),
        customers=[people.customer_a],
        questions=["Speed?", "Quality?"],
    )
    return survey_transition(actor=people.agent, survey=survey, target="open")


def results(response):
    return response.json()["results"]


def test_accounts_are_listed_per_organisation_and_notes_stay_internal(people, cust, api_client_for):
    staff = results(api_client_for(people.auditor).get(f"{API}/customer-accounts/"))
    # Newest first (cursor pagination over the primary key).
    assert [a["organisation_name"] for a in staff] == ["Customer B 乙方", "Customer A 甲方"]
    assert staff[1]["notes"] == "A: key account"
    assert sorted(staff[1]["services_in_use"]) == ["erp", "lab", "mail"]
    mine = results(api_client_for(people.a_user).get(f"{API}/customer-accounts/"))
    assert len(mine) == 1 and "notes" not in mine[0]
    other = api_client_for(people.b_user).get(f"{API}/customer-accounts/{cust.account_a.uuid}/")
    assert other.status_code == 404


def test_staff_create_and_change_an_account_with_if_match(people, api_client_for):
    client = api_client_for(people.agent)
    created = client.post(
        f"{API}/customer-accounts/",
        {"organisation": str(people.customer_b.uuid), "account_manager": "lead"},
        format="json",
    )
    assert created.status_code == 201 and created["ETag"] == '"1"'
    url = f"{API}/customer-accounts/{created.json()['id']}/"
    stale = client.patch(url, {"notes": "x"}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    changed = client.patch(url, {"notes": "VIP"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["notes"] == "VIP"
    assert changed["ETag"] == '"2"'
    again = client.post(
        f"{API}/customer-accounts/", {"organisation": str(people.customer_b.uuid)}, format="json"
    )
    assert again.status_code == 400 and "organisation" in again.json()


@pytest.mark.parametrize("role", ["auditor", "top", "a_manager"])
def test_read_only_roles_get_403_on_api_writes(people, cust, review, survey, api_client_for, role):
    client = api_client_for(getattr(people, role))
    attempts = [
        client.post(f"{API}/customer-accounts/", {"organisation": str(people.outsider_org.uuid)}),
        client.patch(f"{API}/customer-accounts/{cust.account_a.uuid}/", {"notes": "x"}),
        client.post(
            f"{API}/customer-contacts/", {"account": str(cust.account_a.uuid), "name": "X"}
        ),
        client.patch(f"{API}/customer-contacts/{cust.a_user.uuid}/", {"name": "X"}),
        client.post(f"{API}/customer-reviews/", {"account": str(cust.account_a.uuid)}),
        client.patch(f"{API}/customer-reviews/{review.reference}/", {"title": "X"}),
        client.post(f"{API}/customer-surveys/", {"title": "X"}),
        client.post(f"{API}/customer-surveys/{survey.reference}/transition/", {"target": "closed"}),
    ]
    assert [a.status_code for a in attempts] == [403] * len(attempts)
    assert CustomerAccount.objects.count() == 2 and ReviewMeeting.objects.get().title == "Q3"


def test_contacts_through_the_api(people, cust, api_client_for):
    client = api_client_for(people.agent)
    created = client.post(
        f"{API}/customer-contacts/",
        {"account": str(cust.account_b.uuid), "name": "New", "is_primary": True, "user": ""},
        format="json",
    )
    assert created.status_code == 201 and created.json()["is_primary"]
    b_contacts = results(client.get(f"{API}/customer-contacts/", {"account": cust.account_b.uuid}))
    assert sum(c["is_primary"] for c in b_contacts) == 1
    mine = results(api_client_for(people.a_user).get(f"{API}/customer-contacts/"))
    assert {c["name"] for c in mine} == {"A Manager", "A User"}


def test_reviews_and_actions_through_the_api(people, cust, review, api_client_for):
    client = api_client_for(people.lead)
    created = client.post(
        f"{API}/customer-reviews/",
        {
            "account": str(cust.account_b.uuid),
            "held_on": "2026-10-10",
            "title": "B review",
            "participants": ["B Manager", "Zhang Wei"],
            "minutes": "<p>fine</p><script>x</script>",
        },
        format="json",
    )
    body = created.json()
    assert created.status_code == 201 and body["participants"] == ["B Manager", "Zhang Wei"]
    assert "script" not in body["minutes"]
    action = client.post(
        f"{API}/customer-review-actions/",
        {"review": body["reference"], "title": "Call back", "owner": "b.manager",
         "due_on": "2026-10-20"},
        format="json",
    )  # fmt: skip
    assert action.status_code == 201 and action.json()["overdue"] is True
    # Customer B reads his review; A's stays hidden from him.
    b_client = api_client_for(people.b_manager)
    assert b_client.get(f"{API}/customer-reviews/{body['reference']}/").status_code == 200
    assert b_client.get(f"{API}/customer-reviews/{review.reference}/").status_code == 404
    assert [r["reference"] for r in results(b_client.get(f"{API}/customer-reviews/"))] == [
        body["reference"]
    ]
    # He owns the new action: he may mark it done, but not A's.
    moved = b_client.post(
        f"{API}/customer-review-actions/{action.json()['id']}/transition/", {"target": "done"}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "done"
    a_action = review.actions.get()
    assert (
        b_client.post(
            f"{API}/customer-review-actions/{a_action.uuid}/transition/", {"target": "done"}
        ).status_code
        == 404
    )
    overdue = results(client.get(f"{API}/customer-review-actions/", {"overdue": "1"}))
    assert [a["title"] for a in overdue] == ["Do it"]


def test_surveys_responses_and_results_through_the_api(people, cust, survey, api_client_for):
    q1, q2 = survey.questions.order_by("position")
    customer = api_client_for(people.a_manager)
    answered = customer.post(
        f"{API}/customer-survey-responses/",
        {"survey": survey.reference, "scores": {str(q1.pk): 5, str(q2.pk): 3}, "comment": "ok"},
        format="json",
    )
    assert answered.status_code == 201 and answered.json()["contact"] == str(cust.a_manager.uuid)
    staff = api_client_for(people.agent)
    by_staff = staff.post(
        f"{API}/customer-survey-responses/",
        {"survey": survey.reference, "contact": str(cust.a_user.uuid),
         "scores": {str(q1.pk): 1, str(q2.pk): 1}},
        format="json",
    )  # fmt: skip
    assert by_staff.status_code == 201
    bad = staff.post(
        f"{API}/customer-survey-responses/",
        {"survey": survey.reference, "contact": str(cust.a_user.uuid), "scores": {str(q1.pk): 9}},
        format="json",
    )
    assert bad.status_code == 400 and "scores" in bad.json()

    body = staff.get(f"{API}/customer-surveys/{survey.reference}/results/").json()
    assert body["overall"] == {"label": "All responses", "responses": 2, "average": 2.5}
    mine = api_client_for(people.a_user).get(f"{API}/customer-survey-responses/")
    assert len(results(mine)) == 1  # a customer user sees his own answers only


def test_another_customer_cannot_reach_or_answer_a_survey(people, cust, survey, api_client_for):
    q1, q2 = survey.questions.order_by("position")
    client = api_client_for(people.b_manager)
    assert client.get(f"{API}/customer-surveys/{survey.reference}/").status_code == 404
    assert client.get(f"{API}/customer-surveys/{survey.reference}/results/").status_code == 404
    assert results(client.get(f"{API}/customer-surveys/")) == []
    answer = client.post(
        f"{API}/customer-survey-responses/",
        {"survey": survey.reference, "scores": {str(q1.pk): 5, str(q2.pk): 5}},
        format="json",
    )
    assert answer.status_code == 404
    sneaky = api_client_for(people.a_user).post(
        f"{API}/customer-survey-responses/",
        {"survey": survey.reference, "contact": str(cust.b_user.uuid),
         "scores": {str(q1.pk): 5, str(q2.pk): 5}},
        format="json",
    )  # fmt: skip
    assert sneaky.status_code == 404
    assert not SurveyResponse.objects.exists()


def test_staff_create_open_and_extend_a_survey(people, cust, api_client_for):
    client = api_client_for(people.owner)
    created = client.post(
        f"{API}/customer-surveys/",
        {"title": "Per service", "period_start": "2026-01-01", "period_end": "2026-06-30",
         "per_service": True, "services": ["erp"], "questions": ["One?"]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    ref = created.json()["reference"]
    added = client.post(f"{API}/customer-surveys/{ref}/questions/", {"text": "Two?"})
    assert added.status_code == 201 and added.json()["position"] == 2
    opened = client.post(f"{API}/customer-surveys/{ref}/transition/", {"target": "open"})
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    late = client.post(f"{API}/customer-surveys/{ref}/questions/", {"text": "Three?"})
    assert late.status_code == 400
    unknown = client.post(
        f"{API}/customer-surveys/",
        {"title": "X", "period_start": "2026-01-01", "period_end": "2026-06-30",
         "services": ["nope"]},
        format="json",
    )  # fmt: skip
    assert unknown.status_code == 400


def test_anonymous_callers_are_refused(db, api_client_for):
    assert api_client_for(None).get(f"{API}/customer-accounts/").status_code in (401, 403)
