"""The portfolio's demo records: a catalogue, about sixty items with relations, assets; loading
twice adds nothing; the database server's impact reaches several services and customers;
every demo page opens."""

import pytest
from django.urls import reverse

from serviceloop.core.demo import demo_load
from serviceloop.core.models import AuditEvent, Organisation
from serviceloop.portfolio import demo
from serviceloop.portfolio.impact import impact_of
from serviceloop.portfolio.models import (
    Asset,
    CiRelation,
    ConfigurationItem,
    Service,
    ServiceStatus,
)


@pytest.fixture
def loaded(db):
    demo_load(write=lambda *_: None)
    created = demo.demo_records(write=lambda *_: None)
    return created


def test_the_demo_builds_a_catalogue_a_cmdb_and_assets(loaded):
    assert loaded > 100
    statuses = dict(Service.objects.values_list("code", "status"))
    assert statuses["email"] == statuses["erp"] == statuses["cloud"] == ServiceStatus.LIVE
    assert statuses["vpn"] == ServiceStatus.PIPELINE and statuses["legacy-oa"] == "retired"
    assert 55 <= ConfigurationItem.objects.count() <= 70
    assert CiRelation.objects.count() >= 60
    assert Asset.objects.filter(status="deployed").count() >= 8
    assert Asset.objects.filter(status="disposed").exists()
    customers = Organisation.objects.customers()
    assert all(org.entitled_services.exists() for org in customers)
    vpn = Service.objects.get(code="vpn")
    assert vpn.checklist.filter(done=True).exists() and vpn.checklist.filter(done=False).exists()


def test_loading_twice_adds_nothing(loaded):
    counts = (
        Service.objects.count(),
        ConfigurationItem.objects.count(),
        CiRelation.objects.count(),
        Asset.objects.count(),
        AuditEvent.objects.count(),
    )
    assert demo.demo_records(write=lambda *_: None) == 0
    assert counts == (
        Service.objects.count(),
        ConfigurationItem.objects.count(),
        CiRelation.objects.count(),
        Asset.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_database_servers_impact_reaches_several_services_and_both_customers(loaded):
    server = ConfigurationItem.objects.get(name__startswith="db-srv-01")
    impact = impact_of([server.pk])

    assert {"erp", "email", "cloud"} <= {s.code for s in impact.services}
    assert {c.short_name for c in impact.customers} == {"ECL", "MDU"}
    assert "mysql-oa-legacy" not in {i.name for i in impact.items}  # retired: no impact


def test_the_demo_pages_open_for_staff_and_customers(loaded, client_for):
    from serviceloop.core.models import User

    admin = client_for(User.objects.get(username="admin"))
    server = ConfigurationItem.objects.get(name__startswith="db-srv-01")
    for url in (
        reverse("service_list"),
        reverse("service_detail", args=[Service.objects.get(code="vpn").pk]),
        reverse("ci_list"),
        reverse("ci_detail", args=[server.reference]),
        reverse("ci_impact", args=[server.reference]),
        reverse("asset_list"),
        reverse("asset_detail", args=[Asset.objects.first().reference]),
        reverse("ci_type_list"),
    ):
        assert admin.get(url).status_code == 200, url
    customer = client_for(User.objects.get(username="mdu.user"))
    page = customer.get(reverse("portal_service_list"))
    assert {s.code for s in page.context["services"]} == {"network", "email", "desktop", "cloud"}
