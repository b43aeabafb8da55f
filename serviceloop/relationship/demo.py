"""Demo records of relationship, part by part (discovered by ``serviceloop demo``)."""

from serviceloop.relationship import demo_complaints, demo_customers, demo_suppliers


def demo_records(write=print) -> int:
    created = 0
    created += demo_customers.demo_records(write=write)
    created += demo_suppliers.demo_records(write=write)
    created += demo_complaints.demo_records(write=write)
    return created
