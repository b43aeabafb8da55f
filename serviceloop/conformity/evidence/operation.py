"""Evidence of operation (clause 8): services and configuration items with owners, SLAs and
supplier contracts in force, and how incidents, requests and problems are handled."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from serviceloop.conformity.evidence.registry import evidence_register, list_url, share, since

INCIDENT_WINDOW_DAYS = 90
PROBLEM_WINDOW_DAYS = 365


@evidence_register("8.2")
def live_services_with_owner(today):
    """8.2: live services that have an active owner."""
    from serviceloop.portfolio.models import Service

    counts = Service.objects.live().aggregate(
        whole=Count("pk"), part=Count("pk", filter=Q(owner__isnull=False, owner__is_active=True))
    )
    return share(
        "8.2",
        _("Live services with a service owner"),
        counts["part"],
        counts["whole"],
        url=list_url("service_list"),
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
        **in_use.aggregate(part=Count("pk", filter=Q(owner__isnull=False)), whole=Count("pk")),
        url=list_url("ci_list"),
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
        url=list_url("agreement_list"),
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
        url=list_url("supplier_list"),
    )


def _ticket_evidence(clause: str, kind: str, today, label_count: str, label_sla: str):
    """Tickets of ``kind`` raised in the last INCIDENT_WINDOW_DAYS days, and the share of
    those whose resolution clock is settled that met their SLA.

    Settled: the ticket had an SLA and its resolution clock stopped (resolved) or breached
    (a breach is final even while the ticket is still open). Met: settled and not breached.
    Tickets without an SLA, and open ones still inside their target, are not counted."""
    from serviceloop.desk.models import Ticket

    settled = Q(sla_version__isnull=False) & (
        Q(resolution_met_at__isnull=False) | Q(resolution_breached=True)
    )
    counts = Ticket.objects.filter(
        kind=kind, created_at__gte=since(today, INCIDENT_WINDOW_DAYS)
    ).aggregate(
        recent=Count("pk"),
        settled=Count("pk", filter=settled),
        met=Count("pk", filter=settled & Q(resolution_breached=False)),
    )
    detail = label_count % {"n": counts["recent"], "days": INCIDENT_WINDOW_DAYS}
    return share(
        clause,
        label_sla,
        counts["met"],
        counts["settled"],
        detail=detail,
        url=list_url("desk_queue"),
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

    recent = Problem.objects.filter(created_at__gte=since(today, PROBLEM_WINDOW_DAYS))
    return share(
        "8.6.3",
        _("Problems of the last 12 months with a recorded root cause"),
        **recent.aggregate(part=Count("pk", filter=~Q(root_cause="")), whole=Count("pk")),
        url=list_url("problem_list"),
    )
