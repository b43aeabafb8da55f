"""Demo records of portfolio, part by part (discovered by ``serviceloop demo``)."""

from serviceloop.portfolio import demo_cmdb, demo_services


def demo_records(write=print) -> int:
    created = 0
    created += demo_services.demo_records(write=write)
    created += demo_cmdb.demo_records(write=write)
    return created
