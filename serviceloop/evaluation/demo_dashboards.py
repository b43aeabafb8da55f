"""Demo records of evaluation: role-based dashboards.

Dashboards need no records of their own: every person starts from his role's default
layout (never stored). The demo only stores the last three months' customer KPI values per
customer organisation, so a customer manager's KPI widgets show a trend at once.
Idempotent: the values are stored once per KPI, period and customer.
"""

import datetime

from django.utils import timezone

from serviceloop.evaluation.services_dashboards import customer_kpi_snapshots_store

MONTHS = 3


def demo_records(write=print) -> int:
    day = timezone.localdate().replace(day=1)
    created = 0
    for _month in range(MONTHS):
        created += customer_kpi_snapshots_store(today=day)
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    if created:
        write(f"  dashboards: {created} customer KPI values stored")
    return created
