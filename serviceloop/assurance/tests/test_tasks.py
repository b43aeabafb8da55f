"""The periodic jobs run the services (``call_local``: the task body, in this process)."""

import datetime

from django.utils import timezone

from serviceloop.assurance import tasks
from serviceloop.assurance.models import ReminderSent, SpofFinding
from serviceloop.assurance.tests.factories import ContinuityPlanFactory
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceComponentFactory


def test_the_periodic_jobs(people, world):
    ServiceComponentFactory(service=world.erp, configuration_item=ConfigurationItemFactory())
    ContinuityPlanFactory(
        service=world.erp,
        owner=people.lead,
        test_due_on=timezone.localdate() - datetime.timedelta(days=1),
    )

    assert tasks.spof_scan_nightly.call_local()["created"] == 1
    assert tasks.continuity_test_reminders.call_local() == 1
    assert tasks.continuity_test_reminders.call_local() == 0
    assert tasks.security_notification_reminders.call_local() == 0
    assert tasks.outages_follow_resolved_incidents.call_local() == 0
    assert SpofFinding.objects.count() == 1 and ReminderSent.objects.count() == 1
