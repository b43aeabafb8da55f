"""The register's demo records: every stage of the lifecycle, written through the services,
idempotent."""

import pytest

from serviceloop.evaluation.library import kpi_library_load
from serviceloop.improvement import demo_improvements
from serviceloop.improvement.models import Improvement


@pytest.mark.usefixtures("english")
def test_demo_improvements_cover_the_lifecycle_and_load_once(people):
    kpi_library_load()

    created = demo_improvements.demo_records(write=lambda line: None)
    again = demo_improvements.demo_records(write=lambda line: None)

    statuses = set(Improvement.objects.values_list("status", flat=True))
    assert (created, again) == (8, 0)
    assert statuses == {
        "proposed", "accepted", "in_progress", "implemented", "benefit_measured", "rejected",
    }  # fmt: skip
    measured = Improvement.objects.get(status="benefit_measured")
    assert measured.kpi is not None and set(measured.kpi_periods) == {"before", "after"}
