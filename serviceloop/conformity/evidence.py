"""Live evidence per clause: small functions that read the operational records and say how
far the recorded work already shows a clause in practice (e.g. 8.3.3: the share of live
services with an SLA in force).

A function is registered for a clause number with ``@evidence_register("8.6.1")`` and gets
``today`` (the provider's local date); it returns one ``Evidence`` or None when it has
nothing to say. The areas it reads may not be installed or built yet: a function whose
imports fail (ImportError) is skipped, so the gap analysis and the clause pages work on any
subset of ServiceLoop. Evidence is read by staff only (callers check), so the queries are
not scoped to a user.
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

GOOD_FROM = 0.95  # a share at or above this reads "good"
WARN_FROM = 0.75  # … at or above this "needs attention", below it "gap"
INCIDENT_WINDOW_DAYS = 90
PROBLEM_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Evidence:
    clause: str
    label: str  # what was measured, in the active language
    value: str  # the figure as shown ("12 / 14")
    ratio: float | None = None  # 0..1 where the figure is a share
    tone: str = "info"  # "good" | "warn" | "bad" | "info"
    detail: str = ""
    url: str = ""

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else round(self.ratio * 100)

    def as_dict(self) -> dict:
        return {
            "clause": self.clause,
            "label": self.label,
            "value": self.value,
            "ratio": self.ratio,
            "percent": self.percent,
            "tone": self.tone,
            "detail": self.detail,
            "url": self.url,
        }


EvidenceFunction = Callable[[datetime.date], Evidence | None]
_REGISTRY: dict[str, list[EvidenceFunction]] = {}


def evidence_register(clause: str):
    """Decorator: ``fn(today) -> Evidence | None`` is evidence for ``clause``."""

    def decorate(function: EvidenceFunction) -> EvidenceFunction:
        functions = _REGISTRY.setdefault(clause, [])
        if function not in functions:
            functions.append(function)
        return function

    return decorate


def evidence_clauses() -> frozenset[str]:
    """The clause numbers that have at least one evidence function."""
    return frozenset(number for number, functions in _REGISTRY.items() if functions)


def evidence_for(
    numbers: Iterable[str], *, today: datetime.date | None = None
) -> dict[str, list[Evidence]]:
    """``{number: [Evidence, ...]}`` for those of ``numbers`` that have evidence today.

    Functions whose area is missing (ImportError) are skipped and logged at debug level."""
    today = today or timezone.localdate()
    found: dict[str, list[Evidence]] = {}
    for number in numbers:
        for function in _REGISTRY.get(number, ()):
            try:
                item = function(today)
            except ImportError as exc:
                log.debug("evidence for %s unavailable: %s", number, exc)
                continue
            if item is not None:
                found.setdefault(number, []).append(item)
    return found


# --- Helpers -------------------------------------------------------------------------------


def tone_for(ratio: float | None) -> str:
    if ratio is None:
        return "info"
    if ratio >= GOOD_FROM:
        return "good"
    if ratio >= WARN_FROM:
        return "warn"
    return "bad"


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def share(
    clause: str,
    label: str,
    part: int,
    whole: int,
    *,
    detail: str = "",
    url: str = "",
    empty: str = "",
) -> Evidence:
    """Evidence that ``part`` of ``whole`` records meet the clause's expectation; with no
    record at all it is information (``empty``, or "no records yet"), not a gap."""
    if not whole:
        return Evidence(clause, label, empty or _("no records yet"), None, "info", detail, url)
    ratio = part / whole
    percent = round(ratio * 100)
    value = _("%(part)d of %(whole)d (%(percent)d%%)") % {
        "part": part,
        "whole": whole,
        "percent": percent,
    }
    # the tone follows the percentage shown, so "95%" never reads as short of 95%
    return Evidence(clause, label, value, ratio, tone_for(percent / 100), detail, url)


def _since(today: datetime.date, days: int) -> datetime.datetime:
    start = today - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


# --- The evidence functions ----------------------------------------------------------------


@evidence_register("8.2")
def live_services_with_owner(today):
    """8.2: live services that have an active owner."""
    from serviceloop.portfolio.models import Service

    live = Service.objects.live()
    return share(
        "8.2",
        _("Live services with a service owner"),
        live.filter(owner__isnull=False, owner__is_active=True).count(),
        live.count(),
        url=_url("service_list"),
    )


@evidence_register("8.2.6")
def configuration_items_with_owner(today):
    """8.2.6: configuration items in operation (active or in maintenance) with an owner."""
    from serviceloop.portfolio.lifecycle import CiStatus
    from serviceloop.portfolio.models import ConfigurationItem

    in_use = ConfigurationItem.objects.filter(status__in=[CiStatus.ACTIVE, CiStatus.MAINTENANCE])
    return share(
        "8.2.6",
        _("Configuration items in operation with an owner"),
        in_use.filter(owner__isnull=False).count(),
        in_use.count(),
        url=_url("ci_list"),
    )


@evidence_register("8.3.3")
def live_services_with_sla(today):
    """8.3.3: live services covered by an SLA in force today."""
    from serviceloop.portfolio.models import Service
    from serviceloop.relationship.queries_agreements import services_without_agreement

    whole = Service.objects.live().count()
    missing = services_without_agreement(today).count()
    return share(
        "8.3.3",
        _("Live services with an agreed SLA in force"),
        whole - missing,
        whole,
        url=_url("agreement_list"),
    )


@evidence_register("8.3.4.1")
def external_suppliers_under_contract(today):
    """8.3.4.1: active external suppliers with an active contract valid today."""
    from serviceloop.relationship.models import (
        Contract,
        ContractStatus,
        Supplier,
        SupplierKind,
        SupplierStatus,
    )

    suppliers = Supplier.objects.filter(kind=SupplierKind.EXTERNAL, status=SupplierStatus.ACTIVE)
    valid = Contract.objects.filter(
        status=ContractStatus.ACTIVE, start_date__lte=today, end_date__gte=today
    )
    return share(
        "8.3.4.1",
        _("Active external suppliers with a contract in force"),
        suppliers.filter(contracts__in=valid).distinct().count(),
        suppliers.count(),
        url=_url("supplier_list"),
    )


def _ticket_evidence(clause: str, kind: str, today, label_count: str, label_sla: str):
    """Tickets of ``kind`` raised in the last INCIDENT_WINDOW_DAYS days, and the share of
    those whose resolution clock is settled that met their SLA.

    Settled: the ticket had an SLA and its resolution clock stopped (resolved) or breached
    (a breach is final even while the ticket is still open). Met: settled and not breached.
    Tickets without an SLA, and open ones still inside their target, are not counted."""
    from serviceloop.desk.models import Ticket

    recent = Ticket.objects.filter(kind=kind, created_at__gte=_since(today, INCIDENT_WINDOW_DAYS))
    settled = recent.filter(sla_version__isnull=False).filter(
        Q(resolution_met_at__isnull=False) | Q(resolution_breached=True)
    )
    detail = label_count % {"n": recent.count(), "days": INCIDENT_WINDOW_DAYS}
    return share(
        clause,
        label_sla,
        settled.filter(resolution_breached=False).count(),
        settled.count(),
        detail=detail,
        url=_url("desk_queue"),
        empty=_("none with an SLA settled yet"),
    )


@evidence_register("8.6.1")
def incidents_sla_attainment(today):
    """8.6.1: incidents of the last 90 days and their resolution SLA attainment."""
    from serviceloop.desk.models import Kind

    return _ticket_evidence(
        "8.6.1",
        Kind.INCIDENT,
        today,
        _("%(n)d incidents recorded in the last %(days)d days."),
        _("Incidents resolved within the SLA (last 90 days)"),
    )


@evidence_register("8.6.2")
def requests_sla_attainment(today):
    """8.6.2: service requests of the last 90 days and their resolution SLA attainment."""
    from serviceloop.desk.models import Kind

    return _ticket_evidence(
        "8.6.2",
        Kind.REQUEST,
        today,
        _("%(n)d service requests recorded in the last %(days)d days."),
        _("Service requests fulfilled within the SLA (last 90 days)"),
    )


@evidence_register("8.6.3")
def problems_with_root_cause(today):
    """8.6.3: problems recorded in the last 365 days that have a root cause written down."""
    from serviceloop.desk.models import Problem

    recent = Problem.objects.filter(created_at__gte=_since(today, PROBLEM_WINDOW_DAYS))
    return share(
        "8.6.3",
        _("Problems of the last 12 months with a recorded root cause"),
        recent.exclude(root_cause="").count(),
        recent.count(),
        url=_url("problem_list"),
    )
