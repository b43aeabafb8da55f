"""The CMDB screens: list with filters and exports, the item page (relations, services,
history, the impact graph's data, moves), forms, relations, types and assets; customers get
404, read-only staff 403 on writes."""

import json
import re

import pytest
from django.urls import reverse

from serviceloop.portfolio.models import CiRelation, CiStatus, ConfigurationItem
from serviceloop.portfolio.services_assets import asset_create
from serviceloop.portfolio.services_cmdb import ci_type_create
from serviceloop.portfolio.tests.factories import (
    CiRelationFactory,
    CiTypeFactory,
    ConfigurationItemFactory,
    ServiceComponentFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def estate(people):
    vm_type = ci_type_create(
        actor=people.admin,
        code="vm",
        name="Virtual machine",
        attributes=[{"key": "vcpu", "label": "vCPU", "type": "number", "required": True}],
    )
    host = ConfigurationItemFactory(name="esx-01", reference="CI-2020-000001")
    vm = ConfigurationItemFactory(
        name="vm-erp", reference="CI-2020-000002", ci_type=vm_type, attributes={"vcpu": 8}
    )
    laptop = ConfigurationItemFactory(
        name="lt-a-001", reference="CI-2020-000003", organisation=people.customer_a
    )
    CiRelationFactory(source=vm, kind="runs_on", target=host)
    erp = ServiceFactory(code="erp", name="ERP", customers=[people.customer_a])
    ServiceComponentFactory(service=erp, configuration_item=vm)
    return {"host": host, "vm": vm, "laptop": laptop, "erp": erp, "vm_type": vm_type}


def test_the_list_filters_and_searches(people, estate, client_for):
    client = client_for(people.agent)

    everything = client.get(reverse("ci_list"))
    by_type = client.get(reverse("ci_list"), {"type": "vm"})
    by_customer = client.get(reverse("ci_list"), {"customer": people.customer_a.pk})
    by_search = client.get(reverse("ci_list"), {"q": "esx"})

    assert len(everything.context["page"]) == 3
    assert [i.name for i in by_type.context["page"]] == ["vm-erp"]
    assert [i.name for i in by_customer.context["page"]] == ["lt-a-001"]
    assert [i.name for i in by_search.context["page"]] == ["esx-01"]


def test_the_list_exports_csv_and_xlsx_with_the_filters(people, estate, client_for):
    client = client_for(people.agent)
    csv = client.get(reverse("ci_list"), {"type": "vm", "export": "csv"})
    xlsx = client.get(reverse("ci_list"), {"export": "xlsx"})

    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Reference,Name,Type,Status")
    assert "vm-erp" in body and "esx-01" not in body and "vcpu=8" in body
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_list_needs_a_constant_number_of_queries(people, estate, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.agent)
    client.get(reverse("ci_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("ci_list"))
    for _n in range(10):
        ConfigurationItemFactory(owner=people.lead, organisation=people.customer_b)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("ci_list"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_item_page_shows_relations_services_attributes_history_and_the_impact(
    people, estate, client_for
):
    from serviceloop.portfolio.services_cmdb import ci_update

    ci_update(actor=people.agent, item=estate["host"], location="Rack A01")
    response = client_for(people.agent).get(reverse("ci_detail", args=["CI-2020-000001"]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "CI-2020-000002" in html  # the VM that runs on it
    impact = response.context["impact"]
    assert [i.name for i in impact.dependent_items] == ["vm-erp"]
    assert [s.code for s in impact.services] == ["erp"]
    assert [c.name for c in impact.customers] == [people.customer_a.name]
    data = json.loads(re.search(r'id="impact-graph-data"[^>]*>(.*?)</script>', html).group(1))
    assert {n["id"] for n in data["nodes"]} == {
        f"ci:{estate['host'].pk}",
        f"ci:{estate['vm'].pk}",
        f"service:{estate['erp'].pk}",
        f"customer:{people.customer_a.pk}",
    }
    assert {
        "source": f"ci:{estate['vm'].pk}",
        "target": f"ci:{estate['host'].pk}",
        "kind": "runs_on",
    } in data["links"]
    assert "portfolio/impact.js" in html and "<script>" not in html  # strict CSP: no inline JS
    history = response.context["history"]
    assert [row.label for row in history] == ["Details changed"]
    assert history[0].changes == [("location", "—", "Rack A01")]


def test_the_vm_page_lists_its_attributes_and_services(people, estate, client_for):
    html = (
        client_for(people.agent).get(reverse("ci_detail", args=["CI-2020-000002"])).content.decode()
    )
    assert "vCPU" in html and "data-attribute>8<" in html
    assert 'data-testid="ci-services"' in html and "ERP" in html


def test_the_impact_page_lists_everything_and_exports(people, estate, client_for):
    client = client_for(people.agent)
    page = client.get(reverse("ci_impact", args=["CI-2020-000001"]))
    export = client.get(reverse("ci_impact", args=["CI-2020-000001"]), {"export": "csv"})

    assert page.status_code == 200 and "vm-erp" in page.content.decode()
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 2 + 1 + 1  # header, two items, one service, one customer


def test_creating_an_item_chooses_the_type_then_fills_its_attributes(people, estate, client_for):
    client = client_for(people.agent)
    chooser = client.get(reverse("ci_new"))
    form = client.get(reverse("ci_new"), {"type": "vm"})
    missing = client.post(
        reverse("ci_new") + "?type=vm", {"name": "vm-new", "status": "planned", "attr_vcpu": ""}
    )
    saved = client.post(
        reverse("ci_new") + "?type=vm", {"name": "vm-new", "status": "active", "attr_vcpu": "4"}
    )

    assert 'data-testid="choose-type"' in chooser.content.decode()
    assert 'name="attr_vcpu"' in form.content.decode()
    assert missing.status_code == 200 and missing.context["form"].errors["attr_vcpu"]
    item = ConfigurationItem.objects.get(name="vm-new")
    assert saved.status_code == 302 and saved.url == reverse("ci_detail", args=[item.reference])
    assert item.attributes == {"vcpu": 4} and item.status == CiStatus.ACTIVE


def test_editing_an_item_saves_and_a_stale_form_is_refused(people, estate, client_for):
    client = client_for(people.agent)
    url = reverse("ci_edit", args=["CI-2020-000002"])
    data = {"name": "vm-erp-01", "attr_vcpu": "16", "version": "1"}

    assert client.post(url, data).status_code == 302
    stale = client.post(url, {**data, "name": "other"})
    estate["vm"].refresh_from_db()
    assert estate["vm"].name == "vm-erp-01" and estate["vm"].attributes == {"vcpu": 16}
    assert stale.status_code == 200 and "changed this record meanwhile" in stale.content.decode()


def test_moves_and_relations_from_the_item_page(people, estate, client_for):
    client = client_for(people.agent)
    client.post(reverse("ci_move", args=["CI-2020-000001"]), {"target": "maintenance"})
    client.post(
        reverse("relation_add", args=["CI-2020-000003"]),
        {"direction": "out", "kind": "connected_to", "other": "ci-2020-000001"},
    )
    self_relation = client.post(
        reverse("relation_add", args=["CI-2020-000003"]),
        {"direction": "in", "kind": "depends_on", "other": "CI-2020-000003"},
        follow=True,
    )

    estate["host"].refresh_from_db()
    assert estate["host"].status == CiStatus.MAINTENANCE
    assert CiRelation.objects.filter(
        source=estate["laptop"], kind="connected_to", target=estate["host"]
    ).exists()
    assert "cannot be related to itself" in self_relation.content.decode()
    relation = CiRelation.objects.get(source=estate["vm"])
    client.post(reverse("relation_remove", args=[relation.pk]), {"back": "CI-2020-000001"})
    assert not CiRelation.objects.filter(pk=relation.pk).exists()


@pytest.mark.parametrize("who", ["a_manager", "a_user", "b_user", "outsider"])
def test_customers_get_404_on_every_cmdb_page_even_for_their_own_items(
    people, estate, client_for, who
):
    client = client_for(getattr(people, who))
    relation = CiRelation.objects.first()
    for url in (
        reverse("ci_list"),
        reverse("ci_new"),
        reverse("ci_detail", args=["CI-2020-000003"]),
        reverse("ci_edit", args=["CI-2020-000003"]),
        reverse("ci_impact", args=["CI-2020-000001"]),
        reverse("ci_type_list"),
        reverse("asset_list"),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("ci_move", args=["CI-2020-000003"]), {"target": "retired"}).status_code
        == 404
    )
    assert client.post(reverse("relation_remove", args=[relation.pk])).status_code == 404


@pytest.mark.parametrize("who", ["auditor", "top"])
def test_read_only_staff_read_but_get_403_on_writes(people, estate, client_for, who):
    client = client_for(getattr(people, who))
    relation = CiRelation.objects.first()

    assert client.get(reverse("ci_detail", args=["CI-2020-000001"])).status_code == 200
    assert client.get(reverse("ci_new")).status_code == 403
    assert client.get(reverse("ci_edit", args=["CI-2020-000001"])).status_code == 403
    assert (
        client.post(reverse("ci_move", args=["CI-2020-000001"]), {"target": "retired"}).status_code
        == 403
    )
    assert client.post(reverse("relation_remove", args=[relation.pk])).status_code == 403
    assert client.get(reverse("ci_type_new")).status_code == 403
    estate["host"].refresh_from_db()
    assert estate["host"].status == CiStatus.ACTIVE


def test_an_unknown_item_is_404(people, client_for):
    assert (
        client_for(people.agent).get(reverse("ci_detail", args=["CI-1999-000001"])).status_code
        == 404
    )


def test_types_are_listed_exported_and_edited_by_administrators(people, estate, client_for):
    admin = client_for(people.admin)
    listing = admin.get(reverse("ci_type_list"))
    export = admin.get(reverse("ci_type_list"), {"export": "csv"})
    created = admin.post(
        reverse("ci_type_new"),
        {
            "code": "switch",
            "name": "Switch",
            "attributes": '[{"key": "ports", "type": "number"}]',
            "is_active": "on",
        },
    )
    bad_json = admin.post(reverse("ci_type_new"), {"code": "x", "name": "X", "attributes": "[oops"})

    assert listing.status_code == 200 and "Virtual machine" in listing.content.decode()
    assert "vm" in b"".join(export.streaming_content).decode("utf-8-sig")
    assert created.status_code == 302
    assert "not valid JSON" in bad_json.content.decode()
    assert (
        client_for(people.agent)
        .get(reverse("ci_type_edit", args=[estate["vm_type"].pk]))
        .status_code
        == 403
    )


def test_assets_list_detail_edit_and_deploy(people, estate, client_for):
    asset = asset_create(actor=people.agent, name="Dell R750", tag="SN1", cost="100000")
    client = client_for(people.agent)

    listing = client.get(reverse("asset_list"), {"q": "SN1"})
    export = client.get(reverse("asset_list"), {"export": "xlsx"})
    client.post(reverse("asset_move", args=[asset.reference]), {"target": "in_stock"})
    client.post(
        reverse("asset_move", args=[asset.reference]),
        {"target": "deployed", "configuration_item": "CI-2020-000001"},
    )
    client.post(
        reverse("asset_edit", args=[asset.reference]),
        {"name": "Dell R750 (esx-01)", "currency": "CNY", "depreciation_months": "60"},
    )
    page = client.get(reverse("asset_detail", args=[asset.reference]))

    assert [a.tag for a in listing.context["page"]] == ["SN1"]
    assert export.status_code == 200
    asset.refresh_from_db()
    assert asset.status == "deployed" and asset.configuration_item == estate["host"]
    assert asset.name == "Dell R750 (esx-01)" and asset.depreciation_months == 60
    html = page.content.decode()
    assert "Dell R750 (esx-01)" in html and 'data-testid="asset-history"' in html
    item_page = client.get(reverse("ci_detail", args=["CI-2020-000001"])).content.decode()
    assert asset.reference in item_page
    assert client_for(people.auditor).get(reverse("asset_new")).status_code == 403


def test_new_asset_form_creates_an_asset(people, client_for):
    response = client_for(people.lead).post(
        reverse("asset_new"),
        {"name": "Spare laptop", "status": "in_stock", "currency": "CNY", "cost": "8600"},
    )
    assert response.status_code == 302
    CiTypeFactory()  # a type exists: nothing else needed
