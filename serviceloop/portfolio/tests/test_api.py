"""The portfolio's REST API: services (staff and customers' views), CI types, items,
relations, assets and impact, with the same permissions as the screens (customers: their
entitled live services and their organisation's items only, 404 otherwise; read-only staff
403 on writes), ETag/If-Match, and the OpenAPI schema."""

import io

import pytest
from django.core.management import call_command

from serviceloop.portfolio.models import (
    Asset,
    CiRelation,
    ConfigurationItem,
    Service,
    ServiceDependency,
    ServiceStatus,
)
from serviceloop.portfolio.services_assets import asset_create
from serviceloop.portfolio.tests.factories import (
    CiRelationFactory,
    CiTypeFactory,
    ConfigurationItemFactory,
    ServiceChecklistItemFactory,
    ServiceComponentFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.usefixtures("english")

SECRET = "root password is in the vault"


@pytest.fixture
def world(people):
    CiTypeFactory(
        code="server",
        name="Server",
        attributes=[
            {"key": "ram_gb", "label": "RAM", "type": "number", "required": True, "choices": []}
        ],
    )
    host = ConfigurationItemFactory(reference="CI-2020-000001", name="esx-01")
    laptop_a = ConfigurationItemFactory(
        reference="CI-2020-000002", name="lt-a", organisation=people.customer_a
    )
    switch_a = ConfigurationItemFactory(
        reference="CI-2020-000003", name="sw-a", organisation=people.customer_a
    )
    laptop_b = ConfigurationItemFactory(
        reference="CI-2020-000004", name="lt-b", organisation=people.customer_b
    )
    CiRelationFactory(source=laptop_a, kind="depends_on", target=switch_a)
    CiRelationFactory(source=switch_a, kind="connected_to", target=host)
    email = ServiceFactory(
        code="email",
        name="Email",
        staff_notes=SECRET,
        customers=[people.customer_a],
        owner=people.lead,
    )
    ServiceComponentFactory(service=email, configuration_item=switch_a)
    planned = ServiceFactory(
        code="vpn", status=ServiceStatus.PIPELINE, customers=[people.customer_a]
    )
    return {
        "host": host,
        "laptop_a": laptop_a,
        "switch_a": switch_a,
        "laptop_b": laptop_b,
        "email": email,
        "vpn": planned,
    }


# --- Services ------------------------------------------------------------------------------


def test_staff_read_every_service_with_its_internals(people, world, api_client_for):
    response = api_client_for(people.auditor).get("/api/v1/services/")
    body = response.json()["results"]
    assert {s["code"] for s in body} == {"email", "vpn"}
    email = next(s for s in body if s["code"] == "email")
    assert email["staff_notes"] == SECRET
    assert email["components"] == [{"configuration_item": "CI-2020-000003", "role": "component"}]


def test_customers_read_their_live_entitled_services_without_staff_notes(
    people, world, api_client_for
):
    client = api_client_for(people.a_user)
    listing = client.get("/api/v1/services/").json()["results"]
    detail = client.get(f"/api/v1/services/{world['email'].uuid}/")

    assert [s["code"] for s in listing] == ["email"]
    assert set(listing[0]) == {"id", "code", "name", "summary", "hours"}
    assert detail.status_code == 200 and SECRET not in detail.content.decode()
    assert client.get(f"/api/v1/services/{world['vpn'].uuid}/").status_code == 404
    other = api_client_for(people.b_user)
    assert other.get("/api/v1/services/").json()["results"] == []
    assert other.get(f"/api/v1/services/{world['email'].uuid}/").status_code == 404


def test_creating_a_service_through_the_api(people, world, api_client_for):
    response = api_client_for(people.owner).post(
        "/api/v1/services/",
        {
            "code": "erp",
            "name": "ERP",
            "owner": "lead",
            "customers": [str(people.customer_b.uuid)],
            "budget_amount": "1000.00",
            "budget_currency": "CNY",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pipeline" and body["owner"] == "lead"
    assert body["customers"] == [str(people.customer_b.uuid)]
    assert len(body["checklist"]) > 0 and response["ETag"] == '"1"'


@pytest.mark.parametrize("who, status", [("agent", 403), ("auditor", 403), ("a_manager", 404)])
def test_only_service_managers_create_services(people, world, api_client_for, who, status):
    response = api_client_for(getattr(people, who)).post(
        "/api/v1/services/", {"code": "x", "name": "X"}, format="json"
    )
    assert response.status_code == status
    assert not Service.objects.filter(code="x").exists()


def test_the_owner_patches_with_if_match_and_a_stale_tag_is_412(people, world, api_client_for):
    client = api_client_for(people.lead)
    url = f"/api/v1/services/{world['email'].uuid}/"

    ok = client.patch(url, {"summary": "New"}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.patch(url, {"summary": "Newer"}, format="json", HTTP_IF_MATCH='"1"')
    no_tag = client.patch(url, {"name": "E-mail"}, format="json")

    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    assert stale.status_code == 412
    assert no_tag.status_code == 200 and no_tag.json()["name"] == "E-mail"
    assert api_client_for(people.agent).patch(url, {"name": "x"}, format="json").status_code == 403
    assert api_client_for(people.a_user).patch(url, {"name": "x"}, format="json").status_code == 403


def test_transition_checklist_dependencies_and_components(people, world, api_client_for):
    client = api_client_for(people.admin)
    vpn = world["vpn"]
    vpn.owner = people.lead
    vpn.save()
    step = ServiceChecklistItemFactory(service=vpn, label="Gateway installed")
    base = f"/api/v1/services/{vpn.uuid}"

    refused = client.post(f"{base}/transition/", {"target": "live"}, format="json")
    ticked = client.post(f"{base}/checklist/", {"item": step.pk, "done": True}, format="json")
    live = client.post(f"{base}/transition/", {"target": "live"}, format="json")
    needs = client.post(
        f"{base}/dependencies/", {"depends_on": str(world["email"].uuid)}, format="json"
    )
    part = client.post(
        f"{base}/components/",
        {"configuration_item": "CI-2020-000001", "role": "runs_on"},
        format="json",
    )

    assert refused.status_code == 400 and "Gateway installed" in refused.content.decode()
    assert ticked.json()["checklist"][0]["done"] is True
    assert live.status_code == 200 and live.json()["status"] == "live"
    assert needs.json()["dependencies"][0]["code"] == "email"
    assert {"configuration_item": "CI-2020-000001", "role": "runs_on"} in part.json()["components"]
    removed = client.delete(f"{base}/dependencies/?depends_on={world['email'].uuid}")
    assert removed.status_code == 200 and not ServiceDependency.objects.exists()
    gone = client.delete(f"{base}/components/?configuration_item=CI-2020-000001")
    assert gone.json()["components"] == []


# --- Items, types, relations ---------------------------------------------------------------


def test_staff_list_items_and_filter_by_type_and_status(people, world, api_client_for):
    client = api_client_for(people.agent)
    everything = client.get("/api/v1/configuration-items/").json()["results"]
    servers = client.get("/api/v1/configuration-items/?type=server&status=active").json()

    assert len(everything) == 4
    assert {i["reference"] for i in servers["results"]} == {i["reference"] for i in everything}


def test_customers_see_only_their_organisations_items(people, world, api_client_for):
    client = api_client_for(people.a_user)
    listing = client.get("/api/v1/configuration-items/").json()["results"]

    assert {i["reference"] for i in listing} == {"CI-2020-000002", "CI-2020-000003"}
    assert client.get("/api/v1/configuration-items/CI-2020-000002/").status_code == 200
    assert client.get("/api/v1/configuration-items/CI-2020-000004/").status_code == 404
    assert client.get("/api/v1/configuration-items/CI-2020-000001/").status_code == 404
    relations = client.get("/api/v1/ci-relations/").json()["results"]
    assert [(r["source"], r["target"]) for r in relations] == [("CI-2020-000002", "CI-2020-000003")]
    assert (
        client.patch(
            "/api/v1/configuration-items/CI-2020-000002/", {"name": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/configuration-items/", {"name": "x", "type": "server"}, format="json"
        ).status_code
        == 403
    )


def test_an_item_is_created_with_validated_attributes(people, world, api_client_for):
    client = api_client_for(people.agent)
    bad = client.post(
        "/api/v1/configuration-items/",
        {"name": "db", "type": "server", "attributes": {"ram_gb": "lots"}},
        format="json",
    )
    good = client.post(
        "/api/v1/configuration-items/",
        {
            "name": "db",
            "type": "server",
            "status": "active",
            "owner": "lead",
            "organisation": str(people.customer_b.uuid),
            "attributes": {"ram_gb": 256},
        },
        format="json",
    )
    missing = client.post("/api/v1/configuration-items/", {"name": "x"}, format="json")

    assert bad.status_code == 400 and "ram_gb: Enter a number." in bad.content.decode()
    assert good.status_code == 201, good.content
    body = good.json()
    assert body["reference"].startswith("CI-") and body["attributes"] == {"ram_gb": 256}
    assert body["organisation"] == str(people.customer_b.uuid) and body["status"] == "active"
    assert missing.status_code == 400 and "type" in missing.json()


def test_items_patch_and_transition_with_etags(people, world, api_client_for):
    client = api_client_for(people.lead)
    url = "/api/v1/configuration-items/CI-2020-000001/"

    patched = client.patch(url, {"location": "Rack 2"}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.post(
        f"{url}transition/", {"target": "maintenance"}, format="json", HTTP_IF_MATCH='"1"'
    )
    moved = client.post(f"{url}transition/", {"target": "maintenance"}, format="json")
    wrong = client.post(f"{url}transition/", {"target": "planned"}, format="json")
    status_patch = client.patch(url, {"status": "retired"}, format="json")

    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    assert stale.status_code == 412
    assert moved.json()["status"] == "maintenance"
    assert wrong.status_code == 400 and "cannot go from" in wrong.content.decode()
    assert status_patch.status_code == 400
    assert (
        api_client_for(people.auditor).patch(url, {"name": "x"}, format="json").status_code == 403
    )


def test_relations_through_the_api(people, world, api_client_for):
    client = api_client_for(people.agent)
    created = client.post(
        "/api/v1/ci-relations/",
        {"source": "CI-2020-000004", "kind": "runs_on", "target": "CI-2020-000001"},
        format="json",
    )
    duplicate = client.post(
        "/api/v1/ci-relations/",
        {"source": "CI-2020-000004", "kind": "runs_on", "target": "CI-2020-000001"},
        format="json",
    )
    itself = client.post(
        "/api/v1/ci-relations/",
        {"source": "CI-2020-000004", "kind": "runs_on", "target": "CI-2020-000004"},
        format="json",
    )
    of_item = client.get("/api/v1/ci-relations/?item=CI-2020-000001").json()["results"]

    assert created.status_code == 201 and created.json()["kind"] == "runs_on"
    assert duplicate.status_code == 400 and itself.status_code == 400
    assert len(of_item) == 2
    relation_id = created.json()["id"]
    assert (
        api_client_for(people.top).delete(f"/api/v1/ci-relations/{relation_id}/").status_code == 403
    )
    assert (
        api_client_for(people.a_user).delete(f"/api/v1/ci-relations/{relation_id}/").status_code
        == 404
    )
    assert client.delete(f"/api/v1/ci-relations/{relation_id}/").status_code == 204
    assert CiRelation.objects.count() == 2


def test_types_are_read_by_all_and_written_by_administrators(people, world, api_client_for):
    assert api_client_for(people.a_user).get("/api/v1/ci-types/server/").status_code == 200
    created = api_client_for(people.admin).post(
        "/api/v1/ci-types/",
        {"code": "switch", "name": "Switch", "attributes": [{"key": "ports", "type": "number"}]},
        format="json",
    )
    refused = api_client_for(people.agent).patch(
        "/api/v1/ci-types/server/", {"name": "Box"}, format="json"
    )
    bad = api_client_for(people.admin).patch(
        "/api/v1/ci-types/server/", {"attributes": [{"key": "X X"}]}, format="json"
    )
    assert created.status_code == 201 and created.json()["attributes"][0]["type"] == "number"
    assert refused.status_code == 403 and bad.status_code == 400


# --- Assets and impact ---------------------------------------------------------------------


def test_assets_are_staff_only_and_follow_their_lifecycle(people, world, api_client_for):
    client = api_client_for(people.agent)
    created = client.post(
        "/api/v1/assets/",
        {
            "name": "Dell R750",
            "tag": "SN-1",
            "status": "in_stock",
            "purchase_date": "2024-01-15",
            "cost": "120000.00",
            "depreciation_months": 60,
        },
        format="json",
    )
    reference = created.json()["reference"]
    deployed = client.post(
        f"/api/v1/assets/{reference}/transition/",
        {"target": "deployed", "configuration_item": "CI-2020-000001"},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["book_value"] is not None
    assert deployed.json()["configuration_item"] == "CI-2020-000001"
    customer = api_client_for(people.a_manager)
    assert customer.get("/api/v1/assets/").status_code == 404
    assert customer.get(f"/api/v1/assets/{reference}/").status_code == 404
    assert customer.post("/api/v1/assets/", {"name": "x"}, format="json").status_code == 404
    assert (
        api_client_for(people.auditor)
        .post("/api/v1/assets/", {"name": "x"}, format="json")
        .status_code
        == 403
    )


def test_asset_patch_refuses_status_changes(people, world, api_client_for):
    asset = asset_create(actor=people.agent, name="x")
    response = api_client_for(people.agent).patch(
        f"/api/v1/assets/{asset.reference}/", {"status": "deployed"}, format="json"
    )
    assert response.status_code == 400
    assert Asset.objects.get(pk=asset.pk).status == "ordered"


def test_impact_of_an_item_and_of_several(people, world, api_client_for):
    client = api_client_for(people.agent)
    one = client.get("/api/v1/configuration-items/CI-2020-000003/impact/")
    several = client.get("/api/v1/impact/?items=CI-2020-000003,ci-2020-000004&max_depth=3")
    unknown = client.get("/api/v1/impact/?items=CI-1999-000001")
    bad_depth = client.get("/api/v1/configuration-items/CI-2020-000003/impact/?max_depth=x")

    body = one.json()
    assert [(i["reference"], i["depth"]) for i in body["items"]] == [
        ("CI-2020-000003", 0),
        ("CI-2020-000002", 1),
    ]
    assert [s["code"] for s in body["services"]] == ["email"]
    assert [c["name"] for c in body["customers"]] == [people.customer_a.name]
    assert several.json()["max_depth"] == 3 and len(several.json()["items"]) == 3
    assert unknown.status_code == 400 and bad_depth.status_code == 400


def test_impact_is_staff_only(people, world, api_client_for):
    client = api_client_for(people.a_manager)
    assert client.get("/api/v1/configuration-items/CI-2020-000003/impact/").status_code == 404
    assert client.get("/api/v1/impact/?items=CI-2020-000003").status_code == 404


def test_anonymous_callers_are_refused(db, api_client_for):
    for url in ("/api/v1/services/", "/api/v1/configuration-items/", "/api/v1/impact/?items=x"):
        assert api_client_for(None).get(url).status_code in (401, 403)


def test_the_openapi_schema_builds_without_warnings_and_lists_the_portfolio(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    schema = target.read_text()
    for path in (
        "/api/v1/services/{uuid}/transition/",
        "/api/v1/configuration-items/{reference}/impact/",
        "/api/v1/ci-relations/",
        "/api/v1/assets/{reference}/transition/",
        "/api/v1/impact/",
        "/api/v1/ci-types/{code}/",
    ):
        assert path in schema


def test_list_queries_do_not_grow_with_the_rows(
    people, world, api_client_for, django_assert_max_num_queries
):
    client = api_client_for(people.agent)
    client.get("/api/v1/services/")
    for _n in range(5):
        service = ServiceFactory(customers=[people.customer_b])
        ServiceComponentFactory(service=service, configuration_item=ConfigurationItemFactory())
        ServiceChecklistItemFactory(service=service)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/services/").json()["results"]) == 7
    with django_assert_max_num_queries(6):
        client.get("/api/v1/configuration-items/")
    assert ConfigurationItem.objects.count() == 9
