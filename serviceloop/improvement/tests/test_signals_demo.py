"""The signals' demo records: the recurring access-control pattern gives one problem
proposal, and loading the demo again raises nothing more."""

import pytest

from serviceloop.improvement import demo_signals
from serviceloop.improvement.models import Proposal, SignalRule


@pytest.mark.usefixtures("english")
def test_demo_pattern_raises_one_problem_proposal_once(people):
    created = demo_signals.demo_records(write=lambda line: None)
    again = demo_signals.demo_records(write=lambda line: None)

    problem = Proposal.objects.get(kind="problem")
    assert problem.evidence["count"] == len(demo_signals.HOURS_AGO)
    assert problem.evidence["service"] == demo_signals.SERVICE
    assert created == len(demo_signals.HOURS_AGO) + Proposal.objects.count()
    assert again == 0
    assert SignalRule.objects.count() == 9


def test_the_demo_pages_render_in_chinese(people, client_for):
    from django.urls import reverse

    from serviceloop.core.models import Notification
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.improvement import demo_improvements
    from serviceloop.improvement.models import Improvement

    kpi_library_load()
    demo_improvements.demo_records(write=lambda line: None)
    demo_signals.demo_records(write=lambda line: None)
    client = client_for(people.owner)
    proposal = Proposal.objects.get(kind="problem")
    measured = Improvement.objects.get(status="benefit_measured")

    pages = [
        client.get(reverse("proposal_list")),
        client.get(reverse("proposal_detail", args=[proposal.reference])),
        client.get(reverse("signal_rules")),
        client.get(reverse("improvement_list")),
        client.get(reverse("improvement_detail", args=[measured.reference])),
    ]

    assert [page.status_code for page in pages] == [200] * 5
    assert measured.reference in pages[3].content.decode()
    assert 'data-testid="kpi-figures"' in pages[4].content.decode()
    assert Notification.objects.filter(kind="proposal_raised").exclude(subject="").exists()
