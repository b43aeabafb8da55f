"""The complaints part's demo records: every state of the lifecycle, loaded only once."""

from serviceloop.core.demo import demo_load
from serviceloop.relationship.demo_complaints import STORIES, demo_records
from serviceloop.relationship.models import Complaint, ComplaintEvent


def test_demo_complaints_cover_the_lifecycle_and_load_once(db):
    lines = []
    demo_load(write=lines.append)

    created = demo_records(write=lines.append)

    assert created == len(STORIES) == 8
    statuses = sorted(Complaint.objects.values_list("status", flat=True))
    assert set(statuses) == {"received", "acknowledged", "investigating", "responded", "closed"}
    closed = Complaint.objects.filter(status="closed")
    assert closed.count() == 2 and all(c.acceptance_recorded for c in closed)
    assert closed.filter(customer_accepted=False).count() == 1
    assert Complaint.objects.filter(response_breached=True).exists()
    assert ComplaintEvent.objects.filter(kind="status", payload__reason__isnull=False).exists()
    events = ComplaintEvent.objects.count()

    assert demo_records(write=lines.append) == 0
    assert Complaint.objects.count() == 8 and ComplaintEvent.objects.count() == events
