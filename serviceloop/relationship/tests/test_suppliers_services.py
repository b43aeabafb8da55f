"""Suppliers, contacts, contracts, obligations, ticket links and disputes through their
services: validation (nothing written on bad input), the declared lifecycles, audit rows,
read-only staff refused, and the renewal reminder sent exactly once per end date."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.desk.models import Kind
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.relationship.models import (
    Contract,
    ContractReminder,
    ContractStatus,
    DisputeStatus,
    ObligationMetric,
    Supplier,
    SupplierKind,
    TicketSupplier,
)
from serviceloop.relationship.services_suppliers import (
    supplier_contact_add,
    supplier_contact_remove,
    supplier_create,
    supplier_update,
    ticket_supplier_link,
    ticket_supplier_unlink,
)
from serviceloop.relationship.services_suppliers_contracts import (
    contract_create,
    contract_reminders_run,
    contract_transition,
    contract_update,
    contracts_expire_run,
    obligation_create,
)
from serviceloop.relationship.services_suppliers_disputes import (
    dispute_create,
    dispute_transition,
    dispute_update,
)

pytestmark = pytest.mark.usefixtures("english")


def local(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


# --- Suppliers -----------------------------------------------------------------------------


def test_supplier_kinds_and_their_organisations(people):
    internal = supplier_create(
        actor=people.agent,
        name="Data centre team",
        kind=SupplierKind.INTERNAL,
        organisation=people.provider,
    )
    customer = supplier_create(
        actor=people.agent,
        name="Customer A field engineers",
        kind=SupplierKind.CUSTOMER,
        organisation=people.customer_a,
    )

    assert internal.organisation == people.provider and not internal.is_customer_as_supplier
    assert customer.is_customer_as_supplier
    for kind, organisation, message in (
        (SupplierKind.CUSTOMER, None, "customer organisations"),
        (SupplierKind.INTERNAL, people.customer_b, "provider's own"),
        (SupplierKind.EXTERNAL, people.customer_b, "matching kind"),
    ):
        with pytest.raises(ValidationError, match=message):
            supplier_create(actor=people.agent, name="X", kind=kind, organisation=organisation)
    assert Supplier.objects.count() == 2
    assert AuditEvent.objects.filter(verb="supplier.created").count() == 2


def test_supplier_create_refuses_bad_input_and_writes_nothing(people, supplier_acme):
    with pytest.raises(ValidationError) as error:
        supplier_create(
            actor=people.agent,
            name="acme networks 网络",  # the same name, other case
            manager=people.a_user,
            website="ftp://acme",
            kind="bogus",
        )
    assert set(error.value.message_dict) == {"name", "manager", "website", "kind"}
    assert Supplier.objects.count() == 1


def test_read_only_staff_and_customers_may_not_write(people, supplier_acme):
    for person in (people.auditor, people.top, people.owner, people.a_manager):
        with pytest.raises(PermissionDenied):
            supplier_create(actor=person, name="Nope")
        with pytest.raises(PermissionDenied):
            supplier_update(actor=person, supplier=supplier_acme, notes="x")


def test_update_audits_the_changes_only_and_guards_versions(people, supplier_acme):
    supplier = supplier_update(
        actor=people.agent, supplier=supplier_acme, status="on_hold", manager=people.lead
    )
    unchanged = supplier_update(actor=people.agent, supplier=supplier, status="on_hold")

    row = AuditEvent.objects.get(verb="supplier.updated")
    assert row.payload == {"status": ["active", "on_hold"], "manager": [None, people.lead.pk]}
    assert unchanged.version == supplier.version == 2
    with pytest.raises(ValidationError) as error:
        supplier_update(actor=people.agent, supplier=supplier, notes="x", expected_version=1)
    assert error.value.code == "stale"


def test_contacts_keep_one_primary(people, supplier_acme):
    first = supplier_contact_add(
        actor=people.agent, supplier=supplier_acme, name="Li Ming", is_primary=True
    )
    second = supplier_contact_add(
        actor=people.agent,
        supplier=supplier_acme,
        name="Anna",
        email="anna@acme.example",
        is_primary=True,
    )
    first.refresh_from_db()

    assert (first.is_primary, second.is_primary) == (False, True)
    with pytest.raises(ValidationError) as error:
        supplier_contact_add(actor=people.agent, supplier=supplier_acme, name=" ", email="bad")
    assert set(error.value.message_dict) == {"name", "email"}
    supplier_contact_remove(actor=people.agent, contact=first)
    assert list(supplier_acme.contacts.values_list("name", flat=True)) == ["Anna"]
    assert AuditEvent.objects.get(verb="supplier.contact_removed").payload["name"] == "Li Ming"


# --- Contracts -----------------------------------------------------------------------------


def test_contract_lifecycle(people, supplier_acme):
    contract = contract_create(
        actor=people.agent,
        supplier=supplier_acme,
        title="WAN",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 6, 30),
        currency="usd",
        value="10.5",
    )
    assert contract.reference.startswith("CTR-") and contract.status == ContractStatus.DRAFT
    assert (contract.owner, contract.currency, str(contract.value)) == (
        people.agent,
        "USD",
        "10.50",
    )

    contract = contract_transition(
        actor=people.agent, contract=contract, target="active", now=local("2026-02-01 09:00")
    )
    with pytest.raises(ValidationError) as error:
        contract_transition(actor=people.agent, contract=contract, target="terminated")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError, match="Cannot go from"):
        contract_transition(actor=people.agent, contract=contract, target="draft")
    contract = contract_transition(
        actor=people.agent, contract=contract, target="terminated", reason="Supplier insolvent"
    )

    assert contract.termination_reason == "Supplier insolvent"
    with pytest.raises(ValidationError, match="terminated"):
        contract_update(actor=people.agent, contract=contract, title="Again")
    verbs = list(
        AuditEvent.objects.filter(object_type="relationship.contract")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["contract.created", "contract.active", "contract.terminated"]


def test_contract_input_is_validated(people, supplier_acme):
    with pytest.raises(ValidationError) as error:
        contract_create(
            actor=people.agent,
            supplier=supplier_acme,
            title="",
            start_date=datetime.date(2026, 6, 1),
            end_date=datetime.date(2026, 1, 1),
            currency="yuan",
            value="-3",
            notice_period_days=-1,
            owner=people.b_user,
        )
    assert set(error.value.message_dict) == {
        "title",
        "end_date",
        "currency",
        "value",
        "notice_period_days",
        "owner",
    }
    assert not Contract.objects.exists()


def test_a_contract_past_its_end_cannot_be_activated_and_expires(people, supplier_acme):
    contract = contract_create(
        actor=people.agent,
        supplier=supplier_acme,
        title="Short",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 1, 31),
    )
    with pytest.raises(ValidationError, match="end date has passed"):
        contract_transition(
            actor=people.agent, contract=contract, target="active", now=local("2026-02-02 09:00")
        )
    contract_transition(
        actor=people.agent, contract=contract, target="active", now=local("2026-01-02 09:00")
    )

    assert contracts_expire_run(now=local("2026-01-31 20:00")) == 0
    assert contracts_expire_run(now=local("2026-02-01 08:40")) == 1
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    row = AuditEvent.objects.get(verb="contract.expired")
    assert row.actor is None and row.actor_label == "system"


def test_measured_obligations_need_a_target_and_get_a_unit(people, supplier_contract):
    with pytest.raises(ValidationError) as error:
        obligation_create(
            actor=people.agent,
            contract=supplier_contract,
            description="Few incidents",
            metric=ObligationMetric.SUPPLIER_INCIDENTS,
        )
    assert "target_value" in error.value.message_dict
    obligation = obligation_create(
        actor=people.agent,
        contract=supplier_contract,
        description="Waits",
        metric=ObligationMetric.WAITING_HOURS,
        target_value="1.5",
    )
    assert obligation.unit == "hours" and obligation.is_measured


# --- Renewal reminders ---------------------------------------------------------------------


def renewal_notifications(person):
    return Notification.objects.filter(recipient=person, kind="contract_renewal_due")


def test_the_renewal_reminder_is_sent_once_per_end_date(people, supplier_contract):
    # ends 2026-12-31 with 60 days' notice: the notice period begins on 2026-11-01
    assert contract_reminders_run(now=local("2026-10-31 09:00")) == 0
    assert contract_reminders_run(now=local("2026-11-01 08:40")) == 1
    assert contract_reminders_run(now=local("2026-11-01 08:45")) == 0
    assert contract_reminders_run(now=local("2026-11-20 08:40")) == 0

    [notification] = renewal_notifications(people.lead)
    assert supplier_contract.reference in notification.subject
    assert "2026-12-31" in notification.body
    assert AuditEvent.objects.filter(verb="contract.renewal_reminded").count() == 1

    # Renewed to a new end date: reminded again when the new notice period begins.
    contract_update(
        actor=people.agent, contract=supplier_contract, end_date=datetime.date(2027, 3, 31)
    )
    assert contract_reminders_run(now=local("2026-11-21 08:40")) == 0
    assert contract_reminders_run(now=local("2027-01-30 08:40")) == 1
    assert contract_reminders_run(now=local("2027-01-31 08:40")) == 0
    assert renewal_notifications(people.lead).count() == 2
    assert ContractReminder.objects.filter(contract=supplier_contract).count() == 2


def test_the_daily_task_expires_and_reminds(people, supplier_contract, supplier_acme):
    from serviceloop.relationship.tasks_suppliers import supplier_contracts_daily

    ended = contract_create(
        actor=people.agent,
        supplier=supplier_acme,
        title="Ended",
        start_date=datetime.date(2025, 1, 1),
        end_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    Contract.objects.filter(pk=ended.pk).update(status=ContractStatus.ACTIVE)
    supplier_contract.end_date = timezone.localdate() + datetime.timedelta(days=10)
    supplier_contract.save()

    first = supplier_contracts_daily.call_local()
    second = supplier_contracts_daily.call_local()

    assert first == {"expired": 1, "reminded": 1} and second == {"expired": 0, "reminded": 0}
    assert renewal_notifications(people.lead).count() == 1


def test_the_renewal_due_list(people, supplier_contract):
    from serviceloop.relationship.queries_suppliers import contracts_for_list

    def due(text):
        return list(
            contracts_for_list(
                people.agent, renewal_due=True, today=datetime.date.fromisoformat(text)
            )
        )

    assert due("2026-10-31") == []
    assert due("2026-11-01") == due("2026-12-31") == [supplier_contract]
    assert due("2027-01-01") == []


def test_a_reminder_is_claimed_by_one_row_per_end_date(supplier_contract):
    ContractReminder.objects.create(
        contract=supplier_contract, end_date=supplier_contract.end_date, sent_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractReminder.objects.create(
            contract=supplier_contract, end_date=supplier_contract.end_date, sent_at=timezone.now()
        )
    # what another worker already claimed is not sent again
    assert contract_reminders_run(now=local("2026-11-02 08:40")) == 0


def test_draft_and_terminated_contracts_get_no_reminder(people, supplier_acme):
    contract_create(
        actor=people.agent,
        supplier=supplier_acme,
        title="Draft",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 1),
    )
    assert contract_reminders_run(now=local("2026-11-20 08:40")) == 0


# --- Tickets waiting on a supplier ---------------------------------------------------------


def test_linking_a_ticket_records_it_once_and_audits(people, supplier_acme):
    incident = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    request = TicketFactory(
        organisation=people.customer_a, requester=people.a_user, kind=Kind.REQUEST
    )

    link = ticket_supplier_link(actor=people.agent, ticket=incident, supplier=supplier_acme)
    again = ticket_supplier_link(
        actor=people.agent, ticket=incident, supplier=supplier_acme, caused_incident=True
    )
    with pytest.raises(ValidationError, match="Only an incident"):
        ticket_supplier_link(
            actor=people.agent, ticket=request, supplier=supplier_acme, caused_incident=True
        )
    with pytest.raises(PermissionDenied):
        ticket_supplier_link(actor=people.auditor, ticket=request, supplier=supplier_acme)

    assert again.pk == link.pk and again.caused_incident
    assert TicketSupplier.objects.count() == 1
    verbs = list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))
    assert verbs[-2:] == ["supplier.ticket_linked", "supplier.ticket_link_updated"]
    ticket_supplier_unlink(actor=people.agent, link=link)
    assert not TicketSupplier.objects.exists()
    assert AuditEvent.objects.get(verb="supplier.ticket_unlinked").payload["ticket"] == (
        incident.reference
    )


# --- Disputes ------------------------------------------------------------------------------


def test_dispute_lifecycle(people, supplier_acme, supplier_contract):
    dispute = dispute_create(
        actor=people.agent,
        supplier=supplier_acme,
        contract=supplier_contract,
        title="Invoice for March",
        description="Billed for 40 hours, 25 worked.",
    )
    assert dispute.reference.startswith("DSP-") and dispute.status == DisputeStatus.OPEN
    assert dispute.owner == people.agent and dispute.raised_on == timezone.localdate()

    dispute = dispute_transition(actor=people.agent, dispute=dispute, target="in_negotiation")
    dispute = dispute_transition(actor=people.agent, dispute=dispute, target="escalated")
    with pytest.raises(ValidationError) as error:
        dispute_transition(actor=people.agent, dispute=dispute, target="resolved")
    assert "resolution" in error.value.message_dict
    dispute = dispute_transition(
        actor=people.agent, dispute=dispute, target="resolved", resolution="Credit note of 15 h."
    )
    assert dispute.resolved_on == timezone.localdate()
    with pytest.raises(ValidationError, match="reopen"):
        dispute_update(actor=people.agent, dispute=dispute, title="x")
    with pytest.raises(ValidationError) as error:
        dispute_transition(actor=people.agent, dispute=dispute, target="in_negotiation")
    assert "reason" in error.value.message_dict
    dispute = dispute_transition(
        actor=people.agent, dispute=dispute, target="in_negotiation", reason="Credit note missing"
    )

    assert (dispute.resolution, dispute.resolved_on) == ("", None)
    row = AuditEvent.objects.filter(verb="dispute.in_negotiation").order_by("id").last()
    assert row.payload["previous_resolution"] == "Credit note of 15 h."


def test_a_dispute_names_a_contract_of_its_own_supplier(people, supplier_contract):
    other = supplier_create(actor=people.agent, name="Other")
    with pytest.raises(ValidationError) as error:
        dispute_create(
            actor=people.agent,
            supplier=other,
            contract=supplier_contract,
            title="x",
            description="y",
            raised_on=timezone.localdate() + datetime.timedelta(days=2),
        )
    assert set(error.value.message_dict) == {"contract", "raised_on"}
