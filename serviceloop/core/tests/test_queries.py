"""List pages cost a fixed number of queries, however many rows they show."""

import pytest
from django.urls import reverse

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import (
    AuditEventFactory,
    CalendarFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)

# session, user, the page's rows (and its count when paginated), the unread-notification badge
PINNED = {
    "person_list": 6,
    "organisation_list": 5,
    "team_list": 5,
    "audit_list": 6,  # 40 rows + the fixture's: over a page, so a COUNT too
}


@pytest.fixture
def many_rows(people):
    """40 more organisations with a calendar, each with a person and a team; audit rows."""
    for n in range(40):
        organisation = OrganisationFactory(calendar=CalendarFactory())
        person = UserFactory(organisation=organisation, role=Role.CUSTOMER_MANAGER)
        TeamFactory(organisation=organisation, lead=person, members=[person])
        AuditEventFactory(actor=people.admin, object_id=str(n))


@pytest.mark.parametrize("url_name", PINNED)
def test_list_pages_issue_a_fixed_number_of_queries(
    url_name, people, many_rows, client_for, django_assert_max_num_queries
):
    client = client_for(people.admin)

    with django_assert_max_num_queries(PINNED[url_name]):
        response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert (
        len(
            response.context[
                {
                    "person_list": "people",
                    "organisation_list": "organisations",
                    "team_list": "teams",
                    "audit_list": "events",
                }[url_name]
            ]
        )
        >= 40
    )


def test_a_customers_people_list_is_as_cheap(
    people, many_rows, client_for, django_assert_max_num_queries
):
    client = client_for(people.a_manager)

    with django_assert_max_num_queries(PINNED["person_list"]):
        response = client.get(reverse("person_list"))

    assert [p.username for p in response.context["people"]] == ["a.manager", "a.user"]


def test_the_organisation_list_counts_people_without_a_query_per_row(people, many_rows, client_for):
    response = client_for(people.agent).get(reverse("organisation_list"))

    counts = {o.name: o.people_count for o in response.context["organisations"]}
    assert counts["Customer A 甲方"] == 2
    assert counts["Provider Ltd 服务商"] == 6
    assert sum(counts.values()) == 6 + 2 + 2 + 1 + 40
