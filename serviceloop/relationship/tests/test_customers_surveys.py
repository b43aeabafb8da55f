"""Satisfaction surveys: the campaign's lifecycle, responses by staff for a contact and by a
customer for himself, validation, results (averages and counts per customer, service and
question) on screen and as export, and customer isolation."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.relationship.models import CustomerContact, Survey, SurveyResponse
from serviceloop.relationship.queries_customers import survey_results
from serviceloop.relationship.services_customers_surveys import (
    survey_create,
    survey_question_add,
    survey_response_submit,
    survey_transition,
    survey_update,
)
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla

D = datetime.date


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def survey(people, cust):
    """Open, addressed to customer A only, two questions."""
    survey = survey_create(
        actor=people.agent,
        title="Satisfaction 2026",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 12, 31),
        customers=[people.customer_a],
        questions=["Speed?", "  ", "Quality?"],
    )
    return survey_transition(actor=people.agent, survey=survey, target="open")


@pytest.fixture
def per_service(people, cust):
    """Open, every customer, answered per service."""
    survey = survey_create(
        actor=people.agent,
        title="Per service",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 6, 30),
        per_service=True,
        questions=["Overall?"],
    )
    return survey_transition(actor=people.agent, survey=survey, target="open")


def scores(survey, *values):
    return {q.pk: v for q, v in zip(survey.questions.order_by("position"), values, strict=True)}


def test_a_survey_is_drafted_with_its_questions_and_opened(people, cust):
    survey = survey_create(
        actor=people.agent,
        title="S",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 3, 31),
    )
    assert survey.reference.startswith("CSAT-2026-") and survey.status == "draft"
    with pytest.raises(ValidationError) as error:
        survey_transition(actor=people.agent, survey=survey, target="open")
    assert "at least one question" in str(error.value)
    survey_question_add(actor=people.agent, survey=survey, text="Speed?")
    survey = survey_transition(actor=people.agent, survey=survey, target="open")
    assert survey.status == "open" and survey.opened_at
    with pytest.raises(ValidationError):
        survey_question_add(actor=people.agent, survey=survey, text="Late question")
    with pytest.raises(ValidationError):
        survey_update(actor=people.agent, survey=survey, title="Renamed")
    with pytest.raises(ValidationError):
        survey_transition(actor=people.agent, survey=survey, target="draft")
    assert AuditEvent.objects.filter(verb="customer_survey.status").count() == 1


def test_survey_input_is_validated(people):
    with pytest.raises(ValidationError) as error:
        survey_create(
            actor=people.agent,
            title="",
            period_start=D(2026, 6, 1),
            period_end=D(2026, 1, 1),
            customers=[people.provider],
        )
    assert set(error.value.message_dict) == {"title", "period_end", "customers"}
    with pytest.raises(PermissionDenied):
        survey_create(
            actor=people.auditor, title="x", period_start=D(2026, 1, 1), period_end=D(2026, 2, 1)
        )


def test_staff_answer_for_a_contact_and_each_contact_answers_once(people, cust, survey):
    response = survey_response_submit(
        actor=people.agent, survey=survey, contact=cust.a_manager, scores=scores(survey, 4, 5)
    )
    assert response.organisation == people.customer_a and response.entered_by == people.agent
    assert sorted(response.answers.values_list("score", flat=True)) == [4, 5]
    with pytest.raises(ValidationError) as error:
        survey_response_submit(
            actor=people.agent, survey=survey, contact=cust.a_manager, scores=scores(survey, 1, 1)
        )
    assert "already answered" in str(error.value)
    with pytest.raises(ValidationError) as error:
        survey_response_submit(
            actor=people.agent, survey=survey, contact=cust.b_manager, scores=scores(survey, 3, 3)
        )
    assert "contact" in error.value.message_dict  # the survey is not addressed to B


@pytest.mark.parametrize(
    "bad", [{}, {"x": 3}, "scores", None], ids=["missing", "unknown", "not-a-dict", "none"]
)
def test_every_question_needs_a_score_from_1_to_5(people, cust, survey, bad):
    with pytest.raises(ValidationError) as error:
        survey_response_submit(actor=people.agent, survey=survey, contact=cust.a_user, scores=bad)
    assert "scores" in error.value.message_dict
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("value", [0, 6, True, "high"])
def test_out_of_range_scores_are_refused(people, cust, survey, value):
    with pytest.raises(ValidationError):
        survey_response_submit(
            actor=people.agent, survey=survey, contact=cust.a_user, scores=scores(survey, 3, value)
        )


def test_a_customer_answers_for_himself_only(people, cust, survey):
    response = survey_response_submit(
        actor=people.a_user, survey=survey, scores=scores(survey, 2, 3), comment="ok"
    )
    assert response.contact == cust.a_user
    with pytest.raises(PermissionDenied):
        survey_response_submit(
            actor=people.a_user,
            survey=survey,
            contact=cust.a_manager,
            scores=scores(survey, 2, 3),
        )
    with pytest.raises(PermissionDenied):  # the survey is not addressed to B
        survey_response_submit(actor=people.b_user, survey=survey, scores=scores(survey, 2, 3))
    with pytest.raises(PermissionDenied):
        survey_response_submit(
            actor=people.auditor, survey=survey, contact=cust.a_user, scores=scores(survey, 2, 3)
        )


def test_a_customer_without_a_contact_record_gets_one(people, cust, per_service):
    from serviceloop.core.tests.factories import UserFactory

    newcomer = UserFactory(username="a.new", role="customer_user", organisation=people.customer_a)
    survey_response_submit(
        actor=newcomer, survey=per_service, service=cust.mail, scores=scores(per_service, 5)
    )
    contact = CustomerContact.objects.get(user=newcomer)
    assert contact.account == cust.account_a
    assert AuditEvent.objects.filter(verb="customer_contact.created", actor=newcomer).exists()


def test_per_service_answers_name_a_service_the_customer_uses(people, cust, per_service):
    survey_response_submit(
        actor=people.agent,
        survey=per_service,
        contact=cust.b_user,
        service=cust.portal,
        scores=scores(per_service, 4),
    )
    survey_response_submit(
        actor=people.agent,
        survey=per_service,
        contact=cust.b_user,
        service=cust.erp,
        scores=scores(per_service, 2),
    )
    for service in (None, cust.mail):
        with pytest.raises(ValidationError) as error:
            survey_response_submit(
                actor=people.agent,
                survey=per_service,
                contact=cust.b_user,
                service=service,
                scores=scores(per_service, 4),
            )
        assert "service" in error.value.message_dict


def test_closed_surveys_take_no_answers(people, cust, survey):
    survey_transition(actor=people.agent, survey=survey, target="closed")
    with pytest.raises(ValidationError):
        survey_response_submit(
            actor=people.agent, survey=survey, contact=cust.a_user, scores=scores(survey, 3, 3)
        )


@pytest.fixture
def answered(people, cust, per_service):
    for contact, service, score in (
        (cust.a_manager, cust.erp, 5),
        (cust.a_user, cust.erp, 3),
        (cust.a_user, cust.mail, 4),
        (cust.b_manager, cust.erp, 1),
        (cust.b_user, cust.portal, 2),
    ):
        survey_response_submit(
            actor=people.agent,
            survey=per_service,
            contact=contact,
            service=service,
            scores=scores(per_service, score),
        )
    return per_service


def test_results_average_per_customer_service_and_question(people, answered):
    results = survey_results(people.auditor, answered)

    assert (results.overall.responses, results.overall.average) == (5, 3.0)
    assert [(r.label, r.responses, r.average) for r in results.by_customer] == [
        ("Customer A 甲方", 3, 4.0),
        ("Customer B 乙方", 2, 1.5),
    ]
    assert [(r.label, r.responses, r.average) for r in results.by_service] == [
        ("ERP 企业资源计划", 3, 3.0),
        ("Mail 邮件", 1, 4.0),
        ("Portal 门户", 1, 2.0),
    ]
    assert [(r.label, r.responses, r.average) for r in results.by_question] == [
        ("Overall?", 5, 3.0)
    ]


def test_a_customer_sees_only_his_organisations_results(people, answered):
    manager = survey_results(people.b_manager, answered)
    assert (manager.overall.responses, manager.overall.average) == (2, 1.5)
    assert [r.label for r in manager.by_customer] == ["Customer B 乙方"]
    user = survey_results(people.a_user, answered)  # a customer user: his own answers
    assert (user.overall.responses, user.overall.average) == (2, 3.5)


# --- Screens -------------------------------------------------------------------------------


def test_the_survey_page_shows_results_and_exports_them(people, answered, client_for):
    client = client_for(people.top)
    url = reverse("survey_detail", args=[answered.reference])

    page = client.get(url)
    assert page.status_code == 200 and page.context["results"].overall.responses == 5
    assert not page.context["can_answer"]  # top management reads only
    rows = csv_rows(client.get(url, {"export": "csv"}))
    assert rows[0] == ["Scope", "Name", "Responses", "Average (1–5)"]
    assert ["Customer", "Customer B 乙方", "2", "1.5"] in rows
    assert ["Service", "Mail 邮件", "1", "4.0"] in rows
    responses = csv_rows(client.get(url, {"export": "csv", "what": "responses"}))
    assert responses[0][:3] == ["Customer", "Contact", "Service"] and responses[0][4] == "Overall?"
    assert len(responses) == 6
    xlsx = client.get(url, {"export": "xlsx", "what": "responses"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_survey_list_exports_and_hides_drafts_from_customers(people, survey, client_for):
    survey_create(
        actor=people.agent, title="Draft", period_start=D(2026, 1, 1), period_end=D(2026, 1, 2)
    )
    staff = csv_rows(client_for(people.agent).get(reverse("survey_list"), {"export": "csv"}))
    assert sorted(r[1] for r in staff[1:]) == ["Draft", "Satisfaction 2026"]
    customer = client_for(people.a_user).get(reverse("survey_list"))
    assert [s.title for s in customer.context["page"]] == ["Satisfaction 2026"]


def test_customers_never_see_another_customers_survey(people, survey, client_for):
    url = reverse("survey_detail", args=[survey.reference])
    assert client_for(people.a_user).get(url).status_code == 200
    for user in (people.b_manager, people.b_user, people.outsider):
        client = client_for(user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("survey_answer", args=[survey.reference])).status_code == 404
        assert client.get(reverse("survey_list")).context["page"].paginator.count == 0


def test_a_customer_answers_in_the_portal(people, cust, survey, client_for):
    client = client_for(people.a_manager)
    url = reverse("survey_answer", args=[survey.reference])
    page = client.get(url)
    assert page.status_code == 200 and "contact" not in page.context["form"].fields

    q1, q2 = survey.questions.order_by("position")
    response = client.post(url, {f"q_{q1.pk}": "5", f"q_{q2.pk}": "4", "comment": "Great"})
    assert response.status_code == 302
    saved = SurveyResponse.objects.get()
    assert saved.contact == cust.a_manager and saved.comment == "Great"
    again = client.post(url, {f"q_{q1.pk}": "1", f"q_{q2.pk}": "1"})
    assert again.status_code == 200 and "already answered" in again.content.decode()


def test_staff_enter_a_response_for_a_contact(people, cust, survey, client_for):
    client = client_for(people.agent)
    q1, q2 = survey.questions.order_by("position")
    response = client.post(
        reverse("survey_answer", args=[survey.reference]),
        {"contact": cust.a_user.pk, f"q_{q1.pk}": "3", f"q_{q2.pk}": "3"},
    )
    assert response.status_code == 302 and SurveyResponse.objects.get().contact == cust.a_user
    forbidden = client_for(people.auditor).get(reverse("survey_answer", args=[survey.reference]))
    assert forbidden.status_code == 403


def test_staff_draft_and_open_a_survey_on_screen(people, cust, client_for):
    client = client_for(people.owner)
    response = client.post(
        reverse("survey_new"),
        {
            "title": "Lecturers",
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "customers": [people.customer_b.pk],
            "questions": "Clear?\nHelpful?",
        },
    )
    survey = Survey.objects.get(title="Lecturers")
    assert response.url == reverse("survey_detail", args=[survey.reference])
    client.post(reverse("survey_move", args=[survey.reference]), {"target": "open"})
    survey.refresh_from_db()
    assert survey.status == "open" and survey.questions.count() == 2
    denied = client_for(people.top).post(
        reverse("survey_move", args=[survey.reference]), {"target": "closed"}
    )
    assert denied.status_code == 403


def test_a_customer_does_not_learn_which_other_customers_a_survey_addresses(
    people, cust, client_for, api_client_for
):
    survey = survey_create(
        actor=people.agent,
        title="Shared",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 12, 31),
        customers=[people.customer_a, people.customer_b],
        questions=["Q?"],
    )
    survey_transition(actor=people.agent, survey=survey, target="open")
    html = client_for(people.a_user).get(reverse("survey_list")).content.decode()
    assert "Customer A" in html and "Customer B" not in html
    body = api_client_for(people.a_user).get(f"/api/v1/customer-surveys/{survey.reference}/")
    assert body.json()["customers"] == [str(people.customer_a.uuid)]
