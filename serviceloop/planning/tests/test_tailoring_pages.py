"""A module switched off by tailoring is closed, not just hidden (issue 7): its pages and its
API answer 404 for everyone, while the pages of other modules, the catalogue and the tailoring
screen itself stay open; switched on again, they open again."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from serviceloop.planning.queries_tailoring import CACHE_KEY, module_of_page
from serviceloop.planning.services_tailoring import module_switch

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _fresh_switches():
    """The switches are cached across requests: no test may leave its own behind."""
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def test_pages_belong_to_modules_by_their_name_or_path():
    assert module_of_page("/desk/", "desk_queue") == "desk"
    assert module_of_page("/desk/tickets/INC-2026-000001/", "ticket_detail") == "desk"
    assert module_of_page("/desk/problems/PRB-2026-000001/", "problem_detail") == "problems"
    assert module_of_page("/desk/known-errors/", "known_error_list") == "problems"
    assert module_of_page("/desk/tickets/INC-2026-000001/problem/", "ticket_problem_link") == (
        "problems"
    )
    assert module_of_page("/portal/", "portal_home") == "desk"
    assert module_of_page("/portal/knowledge/", "portal_knowledge") == "knowledge"
    assert module_of_page("/customers/surveys/", "survey_list") == "surveys"
    assert module_of_page("/suppliers/contracts/", "contract_list") == "suppliers"
    assert module_of_page("/api/v1/changes/", "change-list") == "changes"
    assert module_of_page("/api/v1/supplier-contracts/", "") == "suppliers"
    assert module_of_page("/api/v1/intake/zabbix", "intake_zabbix") == "desk"
    for path, name in [
        ("/", "home"),
        ("/planning/tailoring/", "tailoring"),
        ("/services/", "service_list"),
        ("/customers/", "customer_list"),
        ("/agreements/", "agreement_list"),
        ("/api/v1/services/", ""),
        ("/api/v1/tailoring/", ""),
    ]:
        assert module_of_page(path, name) == "", path


def test_a_switched_off_module_answers_404_for_everyone_and_opens_again(
    people, client_for, api_client_for
):
    from serviceloop.transition.tests.factories import ChangeRequestFactory

    change = ChangeRequestFactory(requester=people.agent, owner=people.agent)
    pages = [reverse("change_list"), reverse("change_detail", args=[change.reference])]
    admin = client_for(people.admin)
    assert all(admin.get(url).status_code == 200 for url in pages)

    module_switch(actor=people.owner, module="changes", enabled=False, reason="No changes")

    for who in (people.admin, people.owner, people.agent):
        client = client_for(who)
        assert [client.get(url).status_code for url in pages] == [404, 404]
    closed = api_client_for(people.admin).get("/api/v1/changes/")
    assert closed.status_code == 404 and closed.json() == {"detail": "Not found."}
    # the customers' window on planned changes belongs to the module too
    assert client_for(people.a_manager).get(reverse("planned_changes")).status_code == 404
    # other modules, the catalogue and the tailoring screen stay open
    assert admin.get(reverse("release_list")).status_code == 200
    assert admin.get(reverse("service_list")).status_code == 200
    assert client_for(people.owner).get(reverse("tailoring")).status_code == 200
    assert api_client_for(people.admin).get("/api/v1/releases/").status_code == 200

    module_switch(actor=people.owner, module="changes", enabled=True)
    assert all(client_for(people.admin).get(url).status_code == 200 for url in pages)
    assert api_client_for(people.admin).get("/api/v1/changes/").status_code == 200


def test_the_desk_switched_off_closes_its_pages_and_the_customers_portal(
    people, client_for, api_client_for
):
    module_switch(actor=people.owner, module="desk", enabled=False, reason="Outsourced")

    assert client_for(people.agent).get(reverse("desk_queue")).status_code == 404
    assert client_for(people.a_user).get(reverse("portal_home")).status_code == 404
    assert api_client_for(people.agent).get("/api/v1/tickets/").status_code == 404
    # problem management is its own module: still open
    assert client_for(people.agent).get(reverse("problem_list")).status_code == 200
    assert client_for(people.agent).get(reverse("home")).status_code == 200
