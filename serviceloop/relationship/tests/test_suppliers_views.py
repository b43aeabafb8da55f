"""The supplier screens: staff only (404 for customers, login for anonymous visitors),
read-only staff may read but get 403 on every change, lists filter and export (CSV/XLSX),
forms and transitions go through the services, and the lists keep their query count."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.core.models import AuditEvent
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.relationship.models import (
    Contract,
    ContractStatus,
    Obligation,
    PerformanceReview,
    ReviewStatus,
    Supplier,
    SupplierDispute,
    TicketSupplier,
)
from serviceloop.relationship.services_suppliers import (
    supplier_contact_add,
    supplier_create,
    ticket_supplier_link,
)
from serviceloop.relationship.services_suppliers_disputes import dispute_create
from serviceloop.relationship.services_suppliers_reviews import review_create

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def supplier_records(people, supplier_contract, supplier_acme):
    """Acme's contract, a contact, a linked incident, a dispute and a draft review of March."""
    contact = supplier_contact_add(actor=people.agent, supplier=supplier_acme, name="Li Ming")
    ticket = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    link = ticket_supplier_link(
        actor=people.agent, ticket=ticket, supplier=supplier_acme, caused_incident=True
    )
    dispute = dispute_create(
        actor=people.agent,
        supplier=supplier_acme,
        contract=supplier_contract,
        title="Invoice",
        description="Billed twice.",
    )
    review = review_create(
        actor=people.agent,
        supplier=supplier_acme,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
    )
    return {
        "supplier": supplier_acme,
        "contract": supplier_contract,
        "contact": contact,
        "ticket": ticket,
        "link": link,
        "dispute": dispute,
        "review": review,
    }


def pages(records):
    supplier, contract = records["supplier"], records["contract"]
    return [
        reverse("supplier_list"),
        reverse("supplier_detail", args=[supplier.pk]),
        reverse("supplier_ticket_list"),
        reverse("contract_list"),
        reverse("contract_detail", args=[contract.reference]),
        reverse("supplier_review_list"),
        reverse("supplier_review_detail", args=[records["review"].reference]),
        reverse("supplier_dispute_list"),
        reverse("supplier_dispute_detail", args=[records["dispute"].reference]),
    ]


def write_pages(records):
    supplier, contract = records["supplier"], records["contract"]
    obligation = contract.obligations.first()
    return [
        reverse("supplier_new"),
        reverse("supplier_edit", args=[supplier.pk]),
        reverse("supplier_contact_edit", args=[supplier.pk, records["contact"].pk]),
        reverse("contract_new"),
        reverse("contract_edit", args=[contract.reference]),
        reverse("contract_obligation_edit", args=[obligation.pk]),
        reverse("supplier_review_new"),
        reverse("supplier_dispute_new"),
        reverse("supplier_dispute_edit", args=[records["dispute"].reference]),
    ]


def test_staff_read_every_supplier_page(people, client_for, supplier_records):
    for person in (people.agent, people.auditor, people.top):
        client = client_for(person)
        for url in pages(supplier_records):
            assert client.get(url).status_code == 200, (person, url)


def test_customers_never_see_supplier_pages(people, client_for, supplier_records):
    client = client_for(people.a_manager)
    for url in pages(supplier_records) + write_pages(supplier_records):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("supplier_ticket_link", args=[supplier_records["supplier"].pk]),
        {"link-reference": supplier_records["ticket"].reference},
    )
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, supplier_records):
    response = client.get(reverse("supplier_detail", args=[supplier_records["supplier"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_read_only_staff_get_403_on_every_change(people, client_for, supplier_records):
    client = client_for(people.auditor)
    for url in write_pages(supplier_records):
        assert client.get(url).status_code == 403, url
    records = supplier_records
    posts = [
        (reverse("supplier_contact_add", args=[records["supplier"].pk]), {"contact-name": "X"}),
        (reverse("supplier_ticket_unlink", args=[records["link"].pk]), {}),
        (reverse("contract_move", args=[records["contract"].reference]), {"target": "expired"}),
        (reverse("supplier_review_recompute", args=[records["review"].reference]), {}),
        (reverse("supplier_dispute_move", args=[records["dispute"].reference]), {"target": "escalated"}),
    ]  # fmt: skip
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert TicketSupplier.objects.count() == 1
    assert records["contract"].status == ContractStatus.ACTIVE


def test_the_pages_show_write_controls_only_to_writers(people, client_for, supplier_records):
    url = reverse("supplier_detail", args=[supplier_records["supplier"].pk])
    agent = client_for(people.agent).get(url).content.decode()
    auditor = client_for(people.auditor).get(url).content.decode()
    assert 'data-testid="link-ticket"' in agent and 'data-testid="link-ticket"' not in auditor
    assert supplier_records["ticket"].reference in auditor  # the linked ticket, shown to all


# --- Forms and moves -----------------------------------------------------------------------


def test_an_agent_records_a_supplier_and_its_contract_through_the_forms(people, client_for):
    client = client_for(people.agent)
    response = client.post(
        reverse("supplier_new"),
        {
            "name": "Customer B engineers",
            "kind": "customer",
            "organisation": people.customer_b.pk,
            "status": "active",
        },
    )
    supplier = Supplier.objects.get()
    assert response.status_code == 302 and response.url == f"/suppliers/{supplier.pk}/"
    assert supplier.is_customer_as_supplier

    bad = client.post(
        reverse("supplier_new"), {"name": "X", "kind": "customer", "status": "active"}
    )
    assert bad.status_code == 200 and "customer organisations" in bad.content.decode()

    response = client.post(
        reverse("contract_new"),
        {
            "supplier": supplier.pk,
            "title": "Field support",
            "currency": "CNY",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "notice_period_days": "30",
        },
    )
    contract = Contract.objects.get()
    assert response.url == f"/suppliers/contracts/{contract.reference}/"
    assert contract.owner == people.agent

    client.post(
        reverse("contract_obligation_add", args=[contract.reference]),
        {
            "obligation-description": "At most one incident",
            "obligation-metric": "supplier_incidents",
            "obligation-target_value": "1",
        },
    )
    client.post(reverse("contract_move", args=[contract.reference]), {"target": "active"})
    contract.refresh_from_db()
    assert contract.status == "active" and Obligation.objects.get().unit == "incidents"
    page = client.get(reverse("contract_detail", args=[contract.reference])).content.decode()
    assert "At most one incident" in page and 'data-move="terminated"' in page

    response = client.post(
        reverse("contract_move", args=[contract.reference]), {"target": "terminated"}, follow=True
    )
    assert "Give the reason." in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == "active"


def test_linking_a_ticket_on_the_supplier_page(people, client_for, supplier_acme):
    ticket = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    url = reverse("supplier_ticket_link", args=[supplier_acme.pk])
    client = client_for(people.agent)

    missing = client.post(url, {"link-reference": "INC-2026-999999"}, follow=True)
    client.post(
        url,
        {
            "link-reference": ticket.reference.lower(),
            "link-caused_incident": "on",
            "link-note": "x",
        },
    )

    assert "No such ticket" in missing.content.decode()
    link = TicketSupplier.objects.get()
    assert (link.ticket, link.caused_incident, link.recorded_by) == (ticket, True, people.agent)
    listing = client.get(reverse("supplier_ticket_list") + f"?supplier={supplier_acme.pk}")
    assert ticket.reference in listing.content.decode()
    client.post(reverse("supplier_ticket_unlink", args=[link.pk]))
    assert not TicketSupplier.objects.exists()


def test_a_review_is_scored_and_completed_on_its_page(people, client_for, supplier_records):
    review = supplier_records["review"]
    client = client_for(people.agent)
    manual = review.scores.get(computed=False)
    url = reverse("supplier_review_score", args=[review.reference, manual.pk])

    refused = client.post(url, {f"score-{manual.pk}-met": "yes"}, follow=True)
    client.post(url, {f"score-{manual.pk}-met": "no", f"score-{manual.pk}-note": "Late report"})
    incomplete = client.post(
        reverse("supplier_review_complete", args=[review.reference]),
        {"action": "complete"},
        follow=True,
    )
    client.post(
        reverse("supplier_review_complete", args=[review.reference]),
        {"action": "complete", "overall_rating": "2", "actions": "Weekly calls"},
    )

    assert "Explain the score in a note." in refused.content.decode()
    assert "Give the overall rating." in incomplete.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.overall_rating == 2
    manual.refresh_from_db()
    assert manual.met is False
    page = client.get(reverse("supplier_review_detail", args=[review.reference])).content.decode()
    assert 'data-testid="recompute"' not in page and "Weekly calls" in page


def test_a_review_opened_from_its_form(people, client_for, supplier_contract, supplier_acme):
    response = client_for(people.agent).post(
        reverse("supplier_review_new"),
        {"supplier": supplier_acme.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    review = PerformanceReview.objects.get()
    assert response.url == f"/suppliers/reviews/{review.reference}/"
    assert review.scores.count() == 4


def test_dispute_moves_on_its_page(people, client_for, supplier_records):
    dispute = supplier_records["dispute"]
    client = client_for(people.agent)
    url = reverse("supplier_dispute_move", args=[dispute.reference])

    client.post(url, {"target": "escalated"})
    client.post(url, {"target": "resolved", "resolution": "Credit note agreed."})

    dispute = SupplierDispute.objects.get()
    assert dispute.status == "resolved" and dispute.resolution == "Credit note agreed."
    page = client.get(reverse("supplier_dispute_detail", args=[dispute.reference])).content.decode()
    assert 'data-move="in_negotiation"' in page  # reopen


# --- Lists: filters, exports and query counts ----------------------------------------------


def test_lists_filter(people, client_for, supplier_records):
    supplier_create(actor=people.agent, name="Zeta Power", kind="external", status="on_hold")
    client = client_for(people.agent)

    on_hold = client.get(reverse("supplier_list") + "?status=on_hold").context["page"]
    due = client.get(reverse("contract_list") + "?renewal_due=on").context["page"]
    drafts = client.get(reverse("contract_list") + "?status=draft").context["page"]

    assert [s.name for s in on_hold] == ["Zeta Power"]
    # Acme's contract ends 2026-12-31 with 60 days' notice: due from 2026-11-01
    contract = supplier_records["contract"]
    assert list(due) == ([contract] if contract.renewal_due_on(timezone.localdate()) else [])
    assert list(drafts) == []


@pytest.mark.parametrize(
    ("url_name", "filename", "expected"),
    [
        ("supplier_list", "suppliers", "Acme Networks 网络"),
        ("contract_list", "supplier-contracts", "WAN maintenance"),
        ("supplier_review_list", "supplier-reviews", "Acme Networks 网络"),
        ("supplier_dispute_list", "supplier-disputes", "Invoice"),
        ("supplier_ticket_list", "supplier-tickets", "Acme Networks 网络"),
    ],
)
def test_every_list_exports_csv_and_xlsx(
    people, client_for, supplier_records, url_name, filename, expected
):
    client = client_for(people.auditor)

    csv = client.get(reverse(url_name) + "?export=csv")
    xlsx = client.get(reverse(url_name) + "?export=xlsx")

    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert csv["Content-Disposition"].startswith(f'attachment; filename="{filename}-')
    assert expected in body and len(body.strip().splitlines()) == 2
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert expected in [cell.value for cell in sheet[2]]
    assert client_for(people.a_manager).get(reverse(url_name) + "?export=csv").status_code == 404


def test_the_supplier_list_keeps_its_query_count(people, client_for, supplier_records):
    client = client_for(people.agent)
    client.get(reverse("supplier_list"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("supplier_list"))
    for n in range(10):
        supplier_create(actor=people.agent, name=f"Supplier {n}", kind="internal",
                        organisation=people.provider, manager=people.lead)  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("supplier_list"))
    assert len(many) == len(few)


def test_the_contract_list_keeps_its_query_count(people, client_for, supplier_records):
    from serviceloop.relationship.services_suppliers_contracts import contract_create

    client = client_for(people.agent)
    client.get(reverse("contract_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("contract_list"))
    for n in range(10):
        contract_create(actor=people.agent, supplier=supplier_records["supplier"], title=f"C{n}",
                        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 2, 1))  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("contract_list"))
    assert len(many) == len(few)


def test_changes_through_the_screens_are_audited(people, client_for, supplier_records):
    client = client_for(people.agent)
    client.post(
        reverse("supplier_edit", args=[supplier_records["supplier"].pk]),
        {
            "name": "Acme Networks 网络",
            "kind": "external",
            "status": "on_hold",
            "services_provided": "WAN links",
        },
    )
    row = AuditEvent.objects.filter(verb="supplier.updated").get()
    assert row.actor == people.agent and row.payload == {"status": ["active", "on_hold"]}
