"""Demo records of evaluation, part by part (discovered by ``serviceloop demo``)."""

from serviceloop.evaluation import (
    demo_audits,
    demo_dashboards,
    demo_kpis,
    demo_reports,
    demo_reviews,
)


def demo_records(write=print) -> int:
    created = 0
    created += demo_kpis.demo_records(write=write)
    created += demo_audits.demo_records(write=write)
    created += demo_reviews.demo_records(write=write)
    created += demo_reports.demo_records(write=write)
    created += demo_dashboards.demo_records(write=write)
    return created
