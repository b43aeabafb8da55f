"""Customer accounts and contacts: the services' rules and audit rows, the account screens
(list with export, detail, the customer's own page) and their permissions."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.relationship.models import CustomerAccount, CustomerContact
from serviceloop.relationship.services_customers import (
    customer_account_create,
    customer_account_update,
    customer_contact_create,
    customer_contact_update,
)
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla


def test_an_account_is_one_per_customer_organisation_and_audited(people):
    account = customer_account_create(
        actor=people.agent, organisation=people.customer_a, account_manager=people.lead
    )

    [row] = AuditEvent.objects.filter(verb="customer_account.created")
    assert row.object_id == str(account.pk) and row.organisation_id == people.customer_a.pk
    assert row.payload == {"account_manager": people.lead.pk, "notes": ""}
    with pytest.raises(ValidationError) as error:
        customer_account_create(actor=people.agent, organisation=people.customer_a)
    assert "already has an account" in str(error.value.message_dict["organisation"])
    with pytest.raises(ValidationError) as error:
        customer_account_create(actor=people.agent, organisation=people.provider)
    assert "organisation" in error.value.message_dict
    assert CustomerAccount.objects.count() == 1


def test_the_account_manager_must_be_staff_who_work_with_customers(people):
    for manager in (people.auditor, people.top, people.a_manager):
        with pytest.raises(ValidationError) as error:
            customer_account_create(
                actor=people.agent, organisation=people.customer_a, account_manager=manager
            )
        assert "account_manager" in error.value.message_dict
    assert not CustomerAccount.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ["auditor", "top", "a_manager", "a_user"])
def test_read_only_roles_and_customers_cannot_write_accounts(people, role):
    with pytest.raises(PermissionDenied):
        customer_account_create(actor=getattr(people, role), organisation=people.customer_a)


def test_update_records_only_the_changes_and_refuses_a_stale_version(people, cust):
    account = customer_account_update(
        actor=people.owner,
        account=cust.account_a,
        account_manager=people.agent,
        notes="A: key account",
    )

    assert account.account_manager == people.agent and account.version == 2
    row = AuditEvent.objects.get(verb="customer_account.updated")
    assert row.payload == {"account_manager": [people.lead.pk, people.agent.pk]}
    with pytest.raises(ValidationError) as error:
        customer_account_update(actor=people.owner, account=account, notes="x", expected_version=1)
    assert error.value.code == "stale"


def test_a_new_primary_contact_takes_the_flag_from_the_previous_one(people, cust):
    new = customer_contact_create(
        actor=people.agent, account=cust.account_a, name="New Boss", is_primary=True
    )

    primaries = CustomerContact.objects.filter(account=cust.account_a, is_primary=True)
    assert list(primaries) == [new]
    customer_contact_update(actor=people.agent, contact=cust.a_user, is_primary=True)
    assert list(primaries.all()) == [cust.a_user]


def test_a_contact_links_only_a_user_of_its_own_customer_once(people, cust):
    with pytest.raises(ValidationError) as error:
        customer_contact_create(
            actor=people.agent, account=cust.account_a, name="Spy", user=people.b_user
        )
    assert "user" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        customer_contact_create(
            actor=people.agent, account=cust.account_a, name="Twin", user=people.a_user
        )
    assert "user" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        customer_contact_create(actor=people.agent, account=cust.account_a, name=" ", email="x@")
    assert set(error.value.message_dict) == {"name", "email"}


def test_services_in_use_are_the_services_the_customer_is_entitled_to(cust):
    assert list(cust.account_a.services_in_use()) == [cust.erp, cust.pipeline, cust.mail]
    assert list(cust.account_b.services_in_use()) == [cust.erp, cust.portal]


# --- Screens -------------------------------------------------------------------------------


def test_the_list_shows_accounts_and_the_customers_still_without_one(people, cust, client_for):
    page = client_for(people.auditor).get(reverse("customer_list"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Customer A" in html and "Customer B" in html and "A Manager" in html
    assert [o.name for o in page.context["without_account"]] == ["Outsider Org"]
    assert not page.context["can_write"]


def test_the_list_exports_csv_and_xlsx(people, cust, client_for):
    client = client_for(people.agent)

    response = client.get(reverse("customer_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Customer", "Short name", "Account manager"]
    assert sorted(r[0] for r in rows[1:]) == ["Customer A 甲方", "Customer B 乙方"]
    xlsx = client.get(reverse("customer_list"), {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_customers_do_not_get_the_staff_list(people, cust, client_for):
    assert client_for(people.a_manager).get(reverse("customer_list")).status_code == 404


def test_a_customer_sees_his_own_account_without_the_internal_notes(people, cust, client_for):
    client = client_for(people.a_user)

    own = client.get(reverse("customer_detail", args=[cust.account_a.pk]))
    assert own.status_code == 200
    html = own.content.decode()
    assert "A Manager" in html and "ERP" in html and "A: key account" not in html
    assert client.get(reverse("customer_detail", args=[cust.account_b.pk])).status_code == 404
    assert client.get(reverse("customer_edit", args=[cust.account_a.pk])).status_code == 403
    staff = client_for(people.auditor).get(reverse("customer_detail", args=[cust.account_a.pk]))
    assert "A: key account" in staff.content.decode()


def test_the_customer_relationship_page_works_with_and_without_an_account(people, cust, client_for):
    mine = client_for(people.b_manager).get(reverse("customer_mine"))
    assert mine.status_code == 200 and mine.context["account"] == cust.account_b
    outsider = client_for(people.outsider).get(reverse("customer_mine"))
    assert outsider.status_code == 200 and outsider.context["account"] is None
    staff = client_for(people.agent).get(reverse("customer_mine"))
    assert staff.status_code == 302 and staff.url == reverse("customer_list")


def test_staff_open_an_account_and_add_a_contact_through_the_forms(people, client_for):
    client = client_for(people.agent)

    response = client.post(
        reverse("customer_new"),
        {"organisation": people.customer_b.pk, "account_manager": people.lead.pk, "notes": ""},
    )
    account = CustomerAccount.objects.get(organisation=people.customer_b)
    assert response.status_code == 302 and response.url == reverse(
        "customer_detail", args=[account.pk]
    )
    response = client.post(
        reverse("customer_contact_new", args=[account.pk]),
        {"name": "Li Ming", "role": "CIO", "email": "li@example.org", "is_primary": "on"},
    )
    assert response.status_code == 302
    assert account.contacts.get().is_primary


@pytest.mark.parametrize("role", ["auditor", "top"])
def test_read_only_staff_get_403_on_account_forms(people, cust, client_for, role):
    client = client_for(getattr(people, role))
    assert client.get(reverse("customer_new")).status_code == 403
    assert client.post(reverse("customer_edit", args=[cust.account_a.pk]), {}).status_code == 403
    assert (
        client.post(reverse("customer_contact_new", args=[cust.account_a.pk]), {"name": "X"})
    ).status_code == 403


def test_the_account_list_runs_a_fixed_number_of_queries(
    people, cust, client_for, django_assert_max_num_queries
):
    client = client_for(people.agent)
    client.get(reverse("customer_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("customer_list"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("agent", {"customer_list", "agreement_list"}),
        ("auditor", {"customer_list", "agreement_list"}),
        ("top", {"customer_list", "agreement_list"}),
        ("a_manager", {"customer_mine"}),
        ("outsider", {"customer_mine"}),
    ],
)
def test_navigation_entries_per_role_open(people, cust, client_for, role, expected):
    from serviceloop.core.navigation import entries_for

    user = getattr(people, role)
    mine = {e.url_name for e in entries_for(user) if e.section == "relationship"}
    assert {"customer_list", "agreement_list", "customer_mine"} & mine == expected
    client = client_for(user)
    for name in expected:
        assert client.get(reverse(name)).status_code == 200
