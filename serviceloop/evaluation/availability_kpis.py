"""The ``availability_pct`` aggregate: availability of the live services from the assurance
app's outages, by the assurance app's own arithmetic (``assurance.availability``:
service-hours calendars, overlapping outages merged, announced planned maintenance
excluded), so a KPI and the availability report never disagree.

    value       = 100 × Σ uptime seconds / Σ agreed service seconds, over the services
    numerator   = Σ (agreed − downtime) seconds
    denominator = Σ agreed seconds (the services' working seconds in the period)

The whole: every live service, every outage. By customer: the live services the customer is
entitled to, counting only the outages that affected it (every customer's, or naming it). By
service: that service (slice key: the service's code). A period still running is counted up
to now. The denominator filter (``{"kind": "unplanned"}``) selects the outages counted.

Outages are few (a handful per service and month): they are read in one query and the
interval arithmetic runs in Python, as in the assurance report; the tickets are not read.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.evaluation.sources_kpis import AVAILABILITY_SOURCE, SOURCES, RecordSection


def _services(slice_: dict, with_customers: bool = False) -> list:
    from serviceloop.portfolio.models import Service

    services = Service.objects.live().select_related("hours").order_by("name", "pk")
    if "service" in slice_:
        services = services.filter(code=slice_["service"])
    if "organisation" in slice_:
        services = services.filter(customers=slice_["organisation"])
    if with_customers:
        services = services.prefetch_related("customers")
    return list(services)


def _outage_rows(definition, services, start, end, slice_):
    from serviceloop.assurance.models import Outage
    from serviceloop.evaluation.engine import filter_q

    rows = (
        Outage.objects.filter(service__in=[s.pk for s in services])
        .overlapping(start, end)
        .filter(filter_q(SOURCES[AVAILABILITY_SOURCE], definition.denominator_filter))
    )
    if "organisation" in slice_:
        named = Outage.customers.through.objects.filter(organisation_id=slice_["organisation"])
        rows = rows.filter(Q(all_customers=True) | Q(pk__in=named.values("outage_id")))
    return rows


def _figures(service, outages, start, end, now) -> tuple[int, int]:
    """``(uptime, agreed)`` seconds of one service over ``[start, end)``."""
    from serviceloop.assurance.availability import Span, availability_compute

    result = availability_compute(
        calendar=service.hours.engine() if service.hours_id else None,
        start=start,
        end=end,
        outages=[Span(o.start, o.end, o.counts_as_downtime()) for o in outages],
        now=now,
    )
    return result.uptime_seconds, result.agreed_seconds


def _clip(start, end, now):
    return start, min(end, max(now, start))


def _value(up, agreed):
    return up * 100 / agreed if agreed else None


def availability_evaluate(definition, start, end, slice_) -> tuple:
    """``(percent, uptime seconds, agreed seconds)`` for the whole or one slice."""
    now = timezone.now()
    start, end = _clip(start, end, now)
    if end <= start:
        return None, None, None
    services = _services(slice_)
    outages = defaultdict(list)
    for outage in _outage_rows(definition, services, start, end, slice_):
        outages[outage.service_id].append(outage)
    up = agreed = 0
    for service in services:
        u, a = _figures(service, outages[service.pk], start, end, now)
        up, agreed = up + u, agreed + a
    return _value(up, agreed), up, agreed


def availability_breakdown(definition, start, end, by: str) -> list[tuple]:
    """``[(key, label, percent, uptime, agreed)]`` per service (key: its code) or per
    customer (key: the organisation's id). One query for the services (and their customers),
    one for the outages (and theirs)."""
    now = timezone.now()
    start, end = _clip(start, end, now)
    if end <= start:
        return []
    services = _services({}, with_customers=by == "organisation")
    rows = _outage_rows(definition, services, start, end, {})
    if by == "organisation":
        rows = rows.prefetch_related("customers")
    outages = defaultdict(list)
    for outage in rows:
        outages[outage.service_id].append(outage)
    if by == "service":
        out = []
        for service in services:
            up, agreed = _figures(service, outages[service.pk], start, end, now)
            out.append((service.code, service.name, _value(up, agreed), up, agreed))
        return out
    totals: dict[int, list] = {}
    for service in services:
        for organisation in service.customers.all():
            theirs = [
                o
                for o in outages[service.pk]
                if o.all_customers or any(c.pk == organisation.pk for c in o.customers.all())
            ]
            up, agreed = _figures(service, theirs, start, end, now)
            total = totals.setdefault(organisation.pk, [organisation.name, 0, 0])
            total[1] += up
            total[2] += agreed
    return [
        (key, name, _value(up, agreed), up, agreed) for key, (name, up, agreed) in totals.items()
    ]


def availability_records(definition, start, end, slice_, part) -> list[RecordSection]:
    """The outages behind the figure (whatever the part): those overlapping the period, of
    the services in scope, that affected the slice's customer."""
    services = _services(slice_)
    rows = _outage_rows(definition, services, start, end, slice_).select_related("service")
    return [RecordSection(_("Outages"), rows)]
