"""The service catalogue screens and the customers' catalogue: lists, filters, exports, the
service page, forms and moves; customers see only their organisation's live services, with
the customer description and never the staff notes (404 for anything else)."""

import pytest
from django.urls import reverse

from serviceloop.portfolio.models import (
    Service,
    ServiceComponent,
    ServiceDependency,
    ServiceStatus,
)
from serviceloop.portfolio.services_catalogue import service_create
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceFactory

pytestmark = pytest.mark.usefixtures("english")

STAFF_SECRET = "Exchange DAG, admin password in the vault"


@pytest.fixture
def catalogue(people):
    email = ServiceFactory(
        code="email",
        name="邮件服务 Email",
        owner=people.lead,
        summary="Mailboxes for everyone.",
        staff_notes=STAFF_SECRET,
        customers=[people.customer_a, people.customer_b],
    )
    erp = ServiceFactory(code="erp", name="ERP", customers=[people.customer_a], owner=people.agent)
    planned = ServiceFactory(
        code="vpn", name="VPN", status=ServiceStatus.PIPELINE, customers=[people.customer_a]
    )
    retired = ServiceFactory(
        code="oa", name="Old OA", status=ServiceStatus.RETIRED, customers=[people.customer_a]
    )
    return {"email": email, "erp": erp, "vpn": planned, "oa": retired}


def test_the_staff_list_filters_by_status_owner_and_search(people, catalogue, client_for):
    client = client_for(people.auditor)

    everything = client.get(reverse("service_list"))
    live = client.get(reverse("service_list"), {"status": "live"})
    owned = client.get(reverse("service_list"), {"owner": people.lead.pk})
    found = client.get(reverse("service_list"), {"q": "邮件"})

    assert len(everything.context["page"]) == 4
    assert {s.code for s in live.context["page"]} == {"email", "erp"}
    assert [s.code for s in owned.context["page"]] == ["email"]
    assert [s.code for s in found.context["page"]] == ["email"]
    assert 'data-testid="new-service"' not in everything.content.decode()


def test_the_staff_list_exports(people, catalogue, client_for):
    client = client_for(people.agent)
    csv = b"".join(
        client.get(reverse("service_list"), {"export": "csv", "status": "live"}).streaming_content
    ).decode("utf-8-sig")
    xlsx = client.get(reverse("service_list"), {"export": "xlsx"})

    lines = csv.splitlines()
    assert lines[0].startswith("Code,Name,Status,Owner")
    assert len(lines) == 3 and "邮件服务 Email" in csv
    assert xlsx.status_code == 200


def test_the_service_page_shows_plan_components_dependencies_customers_and_history(
    people, catalogue, client_for
):
    item = ConfigurationItemFactory(name="exchange")
    ServiceComponent.objects.create(service=catalogue["email"], configuration_item=item)
    ServiceDependency.objects.create(service=catalogue["erp"], depends_on=catalogue["email"])

    response = client_for(people.agent).get(reverse("service_detail", args=[catalogue["email"].pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert STAFF_SECRET in html and "exchange" in html
    assert people.customer_b.name in html
    assert "Needed by" in html and "ERP" in html
    assert 'data-testid="service-plan"' in html
    assert not response.context["can_edit"]  # an agent who does not own it


def test_a_new_service_through_the_form_starts_in_the_pipeline(people, client_for):
    response = client_for(people.owner).post(
        reverse("service_new"),
        {
            "code": "cloud",
            "name": "云主机 Cloud hosting",
            "summary": "VMs on demand",
            "customers": [people.customer_b.pk],
            "budget_amount": "800000",
            "budget_currency": "cny",
        },
    )
    service = Service.objects.get(code="cloud")
    assert response.status_code == 302
    assert service.status == ServiceStatus.PIPELINE and service.budget_currency == "CNY"
    assert list(service.customers.all()) == [people.customer_b]
    assert service.checklist.count() > 0


def test_going_live_from_the_page_shows_the_checklist_error(people, client_for):
    service = service_create(actor=people.admin, code="s", name="S", owner=people.lead, summary="x")
    client = client_for(people.admin)

    response = client.post(
        reverse("service_move", args=[service.pk]), {"target": "live"}, follow=True
    )

    assert "checklist is not complete" in response.content.decode()
    service.refresh_from_db()
    assert service.status == ServiceStatus.PIPELINE
    for step in service.checklist.all():
        client.post(reverse("service_checklist_toggle", args=[service.pk, step.pk]), {"done": "on"})
    client.post(reverse("service_move", args=[service.pk]), {"target": "live"})
    service.refresh_from_db()
    assert service.status == ServiceStatus.LIVE
    assert service.checklist.filter(done_by=people.admin).count() == service.checklist.count()


def test_the_owner_edits_his_service_others_get_403(people, catalogue, client_for):
    url = reverse("service_edit", args=[catalogue["erp"].pk])
    owner = client_for(people.agent)
    data = {
        "code": "erp",
        "name": "ERP system",
        "owner": people.agent.pk,
        "customers": [people.customer_a.pk],
        "version": 1,
    }

    assert owner.post(url, data).status_code == 302
    catalogue["erp"].refresh_from_db()
    assert catalogue["erp"].name == "ERP system"
    for who in ("lead", "auditor", "top"):
        client = client_for(getattr(people, who))
        assert client.get(url).status_code == 403
        assert (
            client.post(
                reverse("service_move", args=[catalogue["erp"].pk]), {"target": "retired"}
            ).status_code
            == 403
        )
    assert client_for(people.top).get(reverse("service_new")).status_code == 403


def test_dependencies_and_components_from_the_page(people, catalogue, client_for):
    item = ConfigurationItemFactory(reference="CI-2020-000042")
    client = client_for(people.admin)
    erp = catalogue["erp"]

    client.post(
        reverse("service_dependency_add", args=[erp.pk]), {"depends_on": catalogue["email"].pk}
    )
    cycle = client.post(
        reverse("service_dependency_add", args=[catalogue["email"].pk]),
        {"depends_on": erp.pk},
        follow=True,
    )
    client.post(
        reverse("service_component_add", args=[erp.pk]),
        {"configuration_item": "ci-2020-000042", "role": "runs_on"},
    )
    unknown = client.post(
        reverse("service_component_add", args=[erp.pk]),
        {"configuration_item": "CI-1999-000001", "role": "component"},
        follow=True,
    )

    assert ServiceDependency.objects.filter(service=erp, depends_on=catalogue["email"]).exists()
    assert "cycle" in cycle.content.decode()
    component = ServiceComponent.objects.get(service=erp)
    assert component.configuration_item == item and component.role == "runs_on"
    assert "No such configuration item" in unknown.content.decode()
    client.post(reverse("service_component_remove", args=[erp.pk, component.pk]))
    dependency = ServiceDependency.objects.get(service=erp)
    client.post(reverse("service_dependency_remove", args=[erp.pk, dependency.pk]))
    assert not ServiceComponent.objects.exists() and not ServiceDependency.objects.exists()


@pytest.mark.parametrize("who", ["a_manager", "a_user", "outsider"])
def test_customers_get_404_on_the_staff_pages(people, catalogue, client_for, who):
    client = client_for(getattr(people, who))
    email = catalogue["email"].pk
    for url in (
        reverse("service_list"),
        reverse("service_new"),
        reverse("service_detail", args=[email]),
        reverse("service_edit", args=[email]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("service_move", args=[email]), {"target": "retired"}).status_code == 404
    )


def test_the_customers_catalogue_lists_their_live_entitled_services_only(
    people, catalogue, client_for
):
    a_page = client_for(people.a_user).get(reverse("portal_service_list"))
    b_page = client_for(people.b_manager).get(reverse("portal_service_list"))
    outsider = client_for(people.outsider).get(reverse("portal_service_list"))

    assert [s.code for s in a_page.context["services"]] == ["erp", "email"] or {
        s.code for s in a_page.context["services"]
    } == {"erp", "email"}
    assert [s.code for s in b_page.context["services"]] == ["email"]
    assert list(outsider.context["services"]) == []
    html = a_page.content.decode()
    assert "Mailboxes for everyone." in html and STAFF_SECRET not in html
    assert "VPN" not in html and "Old OA" not in html


def test_a_customer_reads_an_entitled_service_and_404s_on_the_rest(people, catalogue, client_for):
    client = client_for(people.b_user)

    mine = client.get(reverse("portal_service_detail", args=[catalogue["email"].pk]))
    not_entitled = client.get(reverse("portal_service_detail", args=[catalogue["erp"].pk]))
    planned = client_for(people.a_user).get(
        reverse("portal_service_detail", args=[catalogue["vpn"].pk])
    )

    assert mine.status_code == 200
    assert "Mailboxes for everyone." in mine.content.decode()
    assert STAFF_SECRET not in mine.content.decode()
    assert not_entitled.status_code == 404 and planned.status_code == 404


def test_staff_do_not_use_the_customers_catalogue(people, catalogue, client_for):
    assert client_for(people.agent).get(reverse("portal_service_list")).status_code == 404


@pytest.mark.parametrize(
    "who, expected",
    [
        ("agent", {"service_list", "ci_list", "asset_list"}),
        ("top", {"service_list", "ci_list", "asset_list"}),
        ("a_user", {"portal_service_list"}),
    ],
)
def test_the_navigation_offers_the_catalogue_and_the_cmdb(people, client_for, who, expected):
    import re

    html = client_for(getattr(people, who)).get(reverse("home")).content.decode()
    entries = set(re.findall(r'data-nav="([^"]+)"', html))
    portfolio = {"service_list", "ci_list", "asset_list", "portal_service_list"}
    assert entries & portfolio == expected
