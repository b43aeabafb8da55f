"""The CMDB's rules: type definitions and attribute values, items (references, validation,
lifecycle, history in the audit trail), relations (no self, no duplicate), assets (lifecycle,
financial record, book value) and who may write."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.models import (
    Asset,
    AssetStatus,
    CiRelation,
    CiStatus,
    ConfigurationItem,
)
from serviceloop.portfolio.queries import ci_history
from serviceloop.portfolio.services_assets import asset_create, asset_transition, asset_update
from serviceloop.portfolio.services_cmdb import (
    ci_create,
    ci_transition,
    ci_type_create,
    ci_type_update,
    ci_update,
    relation_add,
    relation_remove,
)
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory

pytestmark = pytest.mark.usefixtures("english")

SERVER_ATTRIBUTES = [
    {"key": "cpu_cores", "label": "CPU cores", "type": "number", "required": True},
    {"key": "os", "label": "OS", "type": "choice", "choices": ["Linux", "Windows"]},
    {"key": "bought", "label": "Bought", "type": "date"},
    {"key": "serial", "label": "Serial", "type": "text"},
]


@pytest.fixture
def server_type(people):
    return ci_type_create(
        actor=people.admin, code="server", name="Server", attributes=SERVER_ATTRIBUTES
    )


@pytest.fixture
def server(people, server_type):
    return ci_create(
        actor=people.agent,
        name="db-srv-01",
        ci_type=server_type,
        owner=people.lead,
        attributes={"cpu_cores": "32", "os": "Linux", "bought": "2024-05-01"},
    )


# --- Types ---------------------------------------------------------------------------------


def test_a_type_keeps_its_definitions_in_stored_form(server_type):
    assert server_type.attributes[0] == {
        "key": "cpu_cores",
        "label": "CPU cores",
        "type": "number",
        "required": True,
        "choices": [],
    }
    assert server_type.attributes[1]["choices"] == ["Linux", "Windows"]


@pytest.mark.parametrize(
    "attributes, fragment",
    [
        ("not a list", "list of objects"),
        ([{"key": "Bad Key"}], "key must start"),
        ([{"key": "a"}, {"key": "a"}], "declared twice"),
        ([{"key": "a", "type": "colour"}], "type must be one of"),
        ([{"key": "a", "type": "choice"}], "list its choices"),
        ([{"key": "a", "type": "choice", "choices": ["x", "x"]}], "listed twice"),
    ],
)
def test_bad_definitions_are_refused(people, attributes, fragment):
    with pytest.raises(ValidationError) as error:
        ci_type_create(actor=people.admin, code="t", name="T", attributes=attributes)
    assert fragment in " ".join(error.value.message_dict["attributes"])


def test_types_are_written_by_the_management_system_and_administrators_only(people, server_type):
    ci_type_update(actor=people.owner, ci_type=server_type, description="Physical servers")
    for who in ("lead", "agent", "auditor"):
        with pytest.raises(PermissionDenied):
            ci_type_update(actor=getattr(people, who), ci_type=server_type, description="x")


def test_type_codes_and_names_are_unique(people, server_type):
    with pytest.raises(ValidationError) as error:
        ci_type_create(actor=people.admin, code="server", name="Server")
    assert set(error.value.message_dict) == {"code", "name"}


# --- Items ---------------------------------------------------------------------------------


def test_an_item_gets_a_reference_typed_attributes_and_an_audit_row(server, people):
    assert re.fullmatch(r"CI-\d{4}-\d{6}", server.reference)
    assert server.attributes == {"cpu_cores": 32, "os": "Linux", "bought": "2024-05-01"}
    assert server.status == CiStatus.PLANNED
    [row] = ci_history(server)
    assert row.verb == "ci.created" and row.actor == people.agent
    assert row.payload["ci_type"] == "server" and row.payload["owner"] == "lead"


def test_attribute_values_are_checked_against_the_type(people, server_type):
    with pytest.raises(ValidationError) as error:
        ci_create(
            actor=people.agent,
            name="x",
            ci_type=server_type,
            attributes={"os": "BeOS", "bought": "yesterday", "colour": "red", "cpu_cores": ""},
        )
    messages = error.value.message_dict["attributes"]
    assert any(m.startswith("cpu_cores:") and "required" in m for m in messages)
    assert any(m.startswith("os:") and "Linux, Windows" in m for m in messages)
    assert any(m.startswith("bought:") and "YYYY-MM-DD" in m for m in messages)
    assert any(m.startswith("colour:") and "no attribute" in m for m in messages)
    assert (
        not ConfigurationItem.objects.exists()
        and not AuditEvent.objects.filter(verb="ci.created").exists()
    )


def test_an_item_needs_a_name_a_staff_owner_and_a_customer_organisation(people, server_type):
    with pytest.raises(ValidationError) as error:
        ci_create(
            actor=people.agent,
            name="  ",
            ci_type=server_type,
            owner=people.a_user,
            organisation=people.provider,
            attributes={"cpu_cores": 2},
        )
    assert set(error.value.message_dict) == {"name", "owner", "organisation"}


def test_an_update_records_old_and_new_values_in_the_history(server, people):
    ci_update(
        actor=people.agent,
        item=server,
        location="DC1 rack A02",
        attributes={"cpu_cores": 64, "os": "Linux", "bought": "2024-05-01"},
    )
    ci_update(actor=people.agent, item=server, location="DC1 rack A02")  # nothing changed

    rows = list(ci_history(server))
    assert [r.verb for r in rows] == ["ci.created", "ci.updated"]
    assert rows[1].payload["location"] == ["", "DC1 rack A02"]
    assert rows[1].payload["attributes"][1]["cpu_cores"] == 64


def test_the_lifecycle_is_declared_and_a_retired_item_is_final(server, people):
    active = ci_transition(actor=people.agent, item=server, target="active")
    maintenance = ci_transition(actor=people.agent, item=active, target="maintenance")
    back = ci_transition(actor=people.agent, item=maintenance, target="active")
    retired = ci_transition(actor=people.agent, item=back, target="retired")
    assert retired.status == CiStatus.RETIRED
    with pytest.raises(ValidationError) as error:
        ci_transition(actor=people.agent, item=retired, target="active")
    assert "cannot go from" in error.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        ci_update(actor=people.agent, item=retired, name="again")
    statuses = [r.payload["status"] for r in ci_history(server).filter(verb="ci.status_changed")]
    assert statuses == [
        ["planned", "active"],
        ["active", "maintenance"],
        ["maintenance", "active"],
        ["active", "retired"],
    ]


def test_a_planned_item_cannot_jump_to_maintenance(server, people):
    with pytest.raises(ValidationError):
        ci_transition(actor=people.agent, item=server, target="maintenance")


@pytest.mark.parametrize("who", ["auditor", "top", "a_manager", "a_user"])
def test_read_only_staff_and_customers_cannot_write_items(people, server_type, server, who):
    actor = getattr(people, who)
    with pytest.raises(PermissionDenied):
        ci_create(actor=actor, name="x", ci_type=server_type, attributes={"cpu_cores": 1})
    with pytest.raises(PermissionDenied):
        ci_update(actor=actor, item=server, name="y")
    with pytest.raises(PermissionDenied):
        ci_transition(actor=actor, item=server, target="active")


def test_a_stale_edit_is_refused(server, people):
    ci_update(actor=people.agent, item=server, name="a")
    with pytest.raises(ValidationError) as error:
        ci_update(actor=people.lead, item=server, name="b", expected_version=1)
    assert error.value.error_list[0].code == "stale"


# --- Relations -----------------------------------------------------------------------------


def test_relations_refuse_self_duplicates_and_the_mirror_of_a_link(people):
    a, b = ConfigurationItemFactory(name="a"), ConfigurationItemFactory(name="b")
    relation_add(actor=people.agent, source=a, kind="depends_on", target=b)
    relation_add(actor=people.agent, source=a, kind="connected_to", target=b)

    cases = [
        (a, "depends_on", a, "itself"),
        (a, "depends_on", b, "already related"),
        (b, "connected_to", a, "already related"),
    ]
    for source, kind, target, fragment in cases:
        with pytest.raises(ValidationError) as error:
            relation_add(actor=people.agent, source=source, kind=kind, target=target)
        assert fragment in error.value.message_dict["target"][0]
    with pytest.raises(ValidationError):
        relation_add(actor=people.agent, source=a, kind="owns", target=b)
    # the reverse dependency is a different relation (a cycle, allowed and handled by impact)
    relation_add(actor=people.agent, source=b, kind="depends_on", target=a)
    assert CiRelation.objects.count() == 3


def test_the_database_refuses_self_relations_and_duplicates_too(db):
    from django.db import IntegrityError, transaction

    a, b = ConfigurationItemFactory(), ConfigurationItemFactory()
    CiRelation.objects.create(source=a, kind="runs_on", target=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        CiRelation.objects.create(source=a, kind="runs_on", target=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        CiRelation.objects.create(source=a, kind="runs_on", target=a)


def test_relation_changes_are_in_the_source_items_history(people):
    app, db = ConfigurationItemFactory(name="app"), ConfigurationItemFactory(name="db")
    relation = relation_add(actor=people.agent, source=app, kind="depends_on", target=db, note="x")
    relation_remove(actor=people.agent, relation=relation)

    rows = list(ci_history(app))
    assert [r.verb for r in rows] == ["ci.relation_added", "ci.relation_removed"]
    assert rows[0].payload == {"kind": "depends_on", "target": db.reference, "note": "x"}
    assert not CiRelation.objects.exists()


def test_retired_items_take_no_new_relations(people):
    a = ConfigurationItemFactory(status=CiStatus.RETIRED)
    with pytest.raises(ValidationError):
        relation_add(
            actor=people.agent, source=a, kind="runs_on", target=ConfigurationItemFactory()
        )


def test_read_only_staff_cannot_relate_items(people):
    a, b = ConfigurationItemFactory(), ConfigurationItemFactory()
    with pytest.raises(PermissionDenied):
        relation_add(actor=people.auditor, source=a, kind="runs_on", target=b)


# --- Assets --------------------------------------------------------------------------------


@pytest.fixture
def laptop(people):
    return asset_create(
        actor=people.agent,
        name="ThinkPad T14",
        tag="PF-001",
        purchase_date=datetime.date(2024, 1, 15),
        cost=Decimal("9000"),
        currency="cny",
        supplier="Lenovo",
        warranty_end=datetime.date(2027, 1, 14),
        depreciation_months=36,
    )


def test_an_asset_starts_ordered_with_a_reference_and_its_financial_record(laptop):
    assert re.fullmatch(r"AST-\d{4}-\d{6}", laptop.reference)
    assert laptop.status == AssetStatus.ORDERED and laptop.currency == "CNY"
    row = AuditEvent.objects.get(object_type="portfolio.asset", object_id=str(laptop.pk))
    assert row.payload["cost"] == "9000.00"


def test_asset_fields_are_validated(people):
    with pytest.raises(ValidationError) as error:
        asset_create(
            actor=people.agent,
            name="",
            cost=Decimal("-5"),
            currency="yuan",
            purchase_date=datetime.date(2025, 1, 1),
            warranty_end=datetime.date(2024, 1, 1),
            depreciation_months=0,
        )
    assert set(error.value.message_dict) == {
        "name",
        "cost",
        "currency",
        "warranty_end",
        "depreciation_months",
    }
    assert not Asset.objects.exists()


def test_the_asset_lifecycle_goes_from_order_to_disposal(laptop, people):
    item = ConfigurationItemFactory()
    asset = asset_transition(actor=people.agent, asset=laptop, target="in_stock")
    with pytest.raises(ValidationError) as error:
        asset_transition(actor=people.agent, asset=asset, target="deployed")
    assert "configuration item" in error.value.message_dict["configuration_item"][0]
    asset = asset_transition(
        actor=people.agent, asset=asset, target="deployed", configuration_item=item
    )
    assert asset.configuration_item == item
    asset = asset_transition(actor=people.agent, asset=asset, target="retired")
    asset = asset_transition(actor=people.agent, asset=asset, target="disposed")
    assert asset.disposed_on is not None
    with pytest.raises(ValidationError):
        asset_transition(actor=people.agent, asset=asset, target="in_stock")
    with pytest.raises(ValidationError):
        asset_update(actor=people.agent, asset=asset, note="after disposal")


def test_an_order_cannot_skip_the_stock(laptop, people):
    with pytest.raises(ValidationError):
        asset_transition(
            actor=people.agent,
            asset=laptop,
            target="deployed",
            configuration_item=ConfigurationItemFactory(),
        )


def test_an_item_has_at_most_one_asset(laptop, people):
    item = ConfigurationItemFactory()
    asset_create(actor=people.agent, name="Other", configuration_item=item)
    asset = asset_transition(actor=people.agent, asset=laptop, target="in_stock")
    with pytest.raises(ValidationError):
        asset_transition(
            actor=people.agent, asset=asset, target="deployed", configuration_item=item
        )


@pytest.mark.parametrize(
    "on, expected",
    [
        (datetime.date(2024, 1, 15), Decimal("9000.00")),
        (datetime.date(2024, 2, 14), Decimal("9000.00")),
        (datetime.date(2024, 2, 15), Decimal("8750.00")),
        (datetime.date(2025, 7, 15), Decimal("4500.00")),
        (datetime.date(2030, 1, 1), Decimal("0.00")),
        (datetime.date(2023, 1, 1), Decimal("9000.00")),
    ],
)
def test_book_value_is_straight_line_by_whole_months(laptop, on, expected):
    assert laptop.book_value(on) == expected


def test_asset_changes_are_audited_with_old_and_new_values(laptop, people):
    asset_update(actor=people.lead, asset=laptop, cost=Decimal("8800"), supplier="Lenovo")
    row = AuditEvent.objects.get(verb="asset.updated")
    assert row.payload == {"cost": ["9000.00", "8800.00"]}


def test_read_only_staff_cannot_write_assets(laptop, people):
    with pytest.raises(PermissionDenied):
        asset_update(actor=people.top, asset=laptop, note="x")
    with pytest.raises(PermissionDenied):
        asset_create(actor=people.auditor, name="x")


# --- Warranty reminders --------------------------------------------------------------------


def test_warranty_reminders_go_to_the_items_owner_once(people):
    from serviceloop.core.models import Notification
    from serviceloop.portfolio.services_assets import asset_warranty_remind
    from serviceloop.portfolio.tests.factories import AssetFactory

    today = datetime.date(2026, 3, 1)
    item = ConfigurationItemFactory(owner=people.lead)
    AssetFactory(
        name="esx-01",
        status="deployed",
        configuration_item=item,
        warranty_end=datetime.date(2026, 3, 20),
        supplier="Dell",
    )
    AssetFactory(name="spare", status="in_stock", warranty_end=datetime.date(2026, 3, 31))
    AssetFactory(name="later", status="deployed", warranty_end=datetime.date(2026, 6, 1))
    AssetFactory(name="gone", status="disposed", warranty_end=datetime.date(2026, 3, 5))

    assert asset_warranty_remind(today=today) == 2
    assert asset_warranty_remind(today=today) == 0
    lead_notice = Notification.objects.get(recipient=people.lead)
    assert "esx-01" in lead_notice.subject and "19 days" in lead_notice.body
    assert Notification.objects.filter(recipient=people.admin, kind="asset_warranty").count() == 1
