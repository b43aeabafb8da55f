"""The suppliers part's demo records: created through the services, loaded only once."""

from serviceloop.core.demo import demo_load
from serviceloop.core.models import AuditEvent
from serviceloop.relationship.demo_suppliers import demo_records
from serviceloop.relationship.models import (
    Contract,
    ContractStatus,
    Obligation,
    PerformanceReview,
    ReviewStatus,
    Supplier,
    SupplierDispute,
    SupplierKind,
)
from serviceloop.relationship.queries_suppliers import contracts_for_list


def counts():
    return {
        "suppliers": Supplier.objects.count(),
        "contracts": Contract.objects.count(),
        "obligations": Obligation.objects.count(),
        "reviews": PerformanceReview.objects.count(),
        "disputes": SupplierDispute.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_demo_suppliers_are_loaded_once(db):
    lines = []
    demo_load(write=lines.append)

    created = demo_records(write=lines.append)

    before = counts()
    assert created == 4 and before["suppliers"] == 4
    kinds = sorted(Supplier.objects.values_list("kind", flat=True))
    assert kinds == sorted(["external", "external", "internal", "customer"])
    customer = Supplier.objects.get(kind=SupplierKind.CUSTOMER)
    assert customer.organisation.short_name == "MDU" and customer.is_customer_as_supplier
    assert Contract.objects.filter(status=ContractStatus.ACTIVE).count() == 4
    assert before["obligations"] >= 8
    admin = Supplier.objects.get(kind="internal").manager
    due = contracts_for_list(admin, renewal_due=True)
    assert [c.supplier.name for c in due] == ["中国电信 China Telecom"]
    review = PerformanceReview.objects.get()
    assert review.status == ReviewStatus.COMPLETED and review.scores.count() == 4
    assert SupplierDispute.objects.get().status == "in_negotiation"
    assert "4 demo suppliers with contracts, a review and a dispute" in lines

    assert demo_records(write=lines.append) == 0
    assert counts() == before
