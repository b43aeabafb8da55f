"""Every screen of the customers part opens for staff who keep the relationship, in both
languages, and the customer's pages show nothing internal."""

import datetime

import pytest
from django.urls import reverse

from serviceloop.relationship.services_agreements import agreement_version_new
from serviceloop.relationship.services_customers import review_action_add, review_create
from serviceloop.relationship.services_customers_surveys import survey_create
from serviceloop.relationship.tests import fixtures_customers as fx

# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla


@pytest.fixture
def world(people, cust, make_sla):
    version = make_sla()
    draft = agreement_version_new(actor=people.lead, agreement=version.agreement)
    review = review_create(
        actor=people.lead, account=cust.account_a, held_on=datetime.date(2026, 9, 1), title="R"
    )
    action = review_action_add(
        actor=people.lead, review=review, title="Send scanner list", owner=people.a_user,
        due_on=datetime.date(2026, 9, 30),
    )  # fmt: skip
    survey = survey_create(
        actor=people.lead,
        title="S",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        questions=["Q?"],
    )
    return version, draft, review, action, survey


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_screen_opens_for_staff(people, cust, world, client_for, language):
    version, draft, review, action, survey = world
    ref = version.agreement.reference
    people.lead.language = language
    people.lead.save()
    client = client_for(people.lead)
    client.cookies["django_language"] = language
    urls = [
        reverse("customer_list"),
        reverse("customer_new"),
        reverse("customer_detail", args=[cust.account_a.pk]),
        reverse("customer_edit", args=[cust.account_a.pk]),
        reverse("customer_contact_new", args=[cust.account_a.pk]),
        reverse("customer_contact_edit", args=[cust.a_user.pk]),
        reverse("customer_review_list"),
        reverse("customer_review_new", args=[cust.account_a.pk]),
        reverse("customer_review_detail", args=[review.reference]),
        reverse("customer_review_edit", args=[review.reference]),
        reverse("customer_review_action_list"),
        reverse("customer_review_action_edit", args=[action.pk]),
        reverse("survey_list"),
        reverse("survey_new"),
        reverse("survey_detail", args=[survey.reference]),
        reverse("survey_edit", args=[survey.reference]),
        reverse("agreement_list"),
        reverse("agreement_new"),
        reverse("agreement_edit", args=[ref]),
        reverse("agreement_version_detail", args=[ref, 1]),
        reverse("agreement_version_detail", args=[ref, draft.number]),
        reverse("agreement_version_edit", args=[ref, draft.number]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Traceback" not in response.content


def test_the_customer_page_shows_no_draft_and_no_internal_notes(people, world, client_for):
    version, draft, review, action, survey = world
    html = client_for(people.a_manager).get(reverse("customer_mine")).content.decode()
    assert version.agreement.reference in html and "A: key account" not in html
    assert reverse("agreement_version_detail", args=[version.agreement.reference, 2]) not in html
    assert "Send scanner list" in html  # his organisation's open action
    # The draft survey is not listed for customers.
    assert survey.reference not in html
