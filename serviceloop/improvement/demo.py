"""Demo records of improvement, part by part (discovered by ``serviceloop demo``)."""

from serviceloop.improvement import demo_improvements, demo_nonconformities, demo_signals


def demo_records(write=print) -> int:
    created = 0
    created += demo_nonconformities.demo_records(write=write)
    created += demo_improvements.demo_records(write=write)
    created += demo_signals.demo_records(write=write)
    return created
