"""Demo records of improvement: proposals raised from operational signals.

Seeds the rules (as the data migration does), then one recurring-incident pattern: six
"badge reader not responding" incidents of the access-control service within twelve days,
raised through the desk's own service. Then every detector runs once, so the inbox shows
one problem proposal for that pattern and the action items the other demos' overdue
records call for (an SLA past its review, lapsed certifications...). Idempotent: the
pattern is created once (found by title) and the detectors never raise a cause twice."""

import datetime

from django.utils import timezone

from serviceloop.core.models import Organisation, User
from serviceloop.improvement.models import Proposal, SignalKind, SignalRule
from serviceloop.improvement.services_signals import signal_rules_load, signals_detect

TITLE = "门禁刷卡无反应 Badge reader not responding"
SERVICE = "门禁系统 Access control"
CATEGORY = "安防设施 Physical security"
HOURS_AGO = (2, 30, 75, 130, 190, 260)


def _pattern(write) -> int:
    from serviceloop.desk.models import Category, Kind, Ticket
    from serviceloop.desk.services.tickets import ticket_create

    if Ticket.objects.filter(title=TITLE).exists():
        return 0
    customer = Organisation.objects.customers().order_by("pk").first()
    if customer is None:
        return 0
    requesters = list(User.objects.filter(organisation=customer, is_active=True).order_by("pk"))
    if not requesters:
        return 0
    category, _created = Category.objects.get_or_create(name=CATEGORY)
    now = timezone.now()
    for n, hours in enumerate(HOURS_AGO):
        ticket_create(
            actor=None,
            organisation=customer,
            requester=requesters[n % len(requesters)],
            title=TITLE,
            description="二号楼东门刷卡后读卡器没有反应，只能人工开门。(demo)",
            kind=Kind.INCIDENT,
            service=SERVICE,
            category=category,
            now=now - datetime.timedelta(hours=hours),
        )
    write(f"{len(HOURS_AGO)} recurring access-control incidents")
    return len(HOURS_AGO)


def demo_records(write=print) -> int:
    signal_rules_load()
    # The demo organisation uses this rule (it starts off in a new installation, beside the
    # desk's own recurrence check) so that the pattern below shows a problem proposal here.
    SignalRule.objects.filter(kind=SignalKind.INCIDENT_CLUSTER).update(enabled=True)
    created = _pattern(write)
    before = Proposal.objects.count()
    signals_detect()
    raised = Proposal.objects.count() - before
    if raised:
        write(f"{raised} proposals raised from signals")
    return created + raised
