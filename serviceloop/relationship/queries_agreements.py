"""Named reads of SLAs and OLAs: the public helpers other areas use (the conformity check,
availability, service reports), the agreement list, and how the desk implements a target.

Dates are local dates (``timezone.localdate()``), the day as the provider counts it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from serviceloop.relationship.models import (
    Agreement,
    AgreementKind,
    AgreementTarget,
    AgreementVersion,
    TargetMetric,
    VersionStatus,
)
from serviceloop.relationship.models.agreements import DESK_METRICS

__all__ = [
    "DeskAlignment",
    "agreements_for_list",
    "agreements_in_force",
    "availability_target",
    "desk_alignment",
    "service_customers_without_agreement",
    "services_without_agreement",
]


def agreements_in_force(on_date: datetime.date, *, kind: str | None = None) -> QuerySet:
    """The agreement versions in force on ``on_date`` (at most one per agreement), with their
    agreement; ``kind`` ("sla" or "ola") narrows them.

    In force: agreed on or before the day, valid on it (from/until), and not superseded by
    then (a superseded version stays in force until its successor takes effect).
    """
    versions = AgreementVersion.objects.in_force(on_date).select_related("agreement")
    if kind:
        versions = versions.filter(agreement__kind=kind)
    return versions.order_by("agreement__reference")


def _slas_covering(on_date) -> QuerySet:
    return agreements_in_force(on_date, kind=AgreementKind.SLA)


def services_without_agreement(on_date: datetime.date) -> QuerySet:
    """Live services that no SLA in force on ``on_date`` covers (the conformity gap:
    "every live service has an SLA in force")."""
    from serviceloop.portfolio.models import Service, ServiceStatus

    covered = _slas_covering(on_date).filter(services=OuterRef("pk"))
    return (
        Service.objects.filter(status=ServiceStatus.LIVE).filter(~Exists(covered)).order_by("name")
    )


def service_customers_without_agreement(on_date: datetime.date) -> list[tuple]:
    """``(service, organisation)`` pairs of a live service and a customer entitled to it that
    no SLA in force on ``on_date`` covers for that customer."""
    from serviceloop.portfolio.models import Service, ServiceStatus

    covered = set()
    for version in _slas_covering(on_date).prefetch_related("services", "agreement__customers"):
        for service in version.services.all():
            for customer in version.agreement.customers.all():
                covered.add((service.pk, customer.pk))
    gaps = []
    services = Service.objects.filter(status=ServiceStatus.LIVE).prefetch_related("customers")
    for service in services.order_by("name"):
        for customer in service.customers.all():
            if (service.pk, customer.pk) not in covered:
                gaps.append((service, customer))
    return gaps


def availability_target(service, organisation, on_date: datetime.date) -> Decimal | None:
    """The availability target (percent) an SLA in force on ``on_date`` sets for ``service``
    and ``organisation`` (None: every customer), or None without one.

    A target naming the service wins over one for every service the version covers; among
    several SLAs, the strictest (highest) target applies.
    """
    versions = _slas_covering(on_date).filter(services=service)
    if organisation is not None:
        versions = versions.filter(agreement__customers=organisation)
    targets = AgreementTarget.objects.filter(
        version__in=versions.values("pk"), metric=TargetMetric.AVAILABILITY
    )
    specific = targets.filter(service=service).values_list("target_value", flat=True)
    general = targets.filter(service__isnull=True).values_list("target_value", flat=True)
    values = list(specific) or list(general)
    return max(values) if values else None


def agreements_for_list(user, *, kind="", status="", customer=None, q="", on_date=None):
    """The agreements the user may see, each with ``current`` (the version in force on
    ``on_date``, if any) and ``latest_visible`` (the newest version the user may read)."""
    on_date = on_date or timezone.localdate()
    agreements = Agreement.objects.visible_to(user)
    if kind:
        agreements = agreements.filter(kind=kind)
    if customer is not None:
        agreements = agreements.filter(customers=customer)
    if q:
        agreements = agreements.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    if status:
        agreements = agreements.filter(
            pk__in=AgreementVersion.objects.visible_to(user)
            .filter(status=status)
            .values("agreement")
        )
    visible_versions = AgreementVersion.objects.visible_to(user).order_by("-number")
    from serviceloop.relationship.permissions_customers import customers_prefetch

    return (
        agreements.prefetch_related(
            customers_prefetch(user),
            "teams",
            Prefetch("versions", queryset=visible_versions, to_attr="visible_versions"),
            Prefetch(
                "versions",
                queryset=AgreementVersion.objects.in_force(on_date).prefetch_related("services"),
                to_attr="in_force_versions",
            ),
        )
        .distinct()
        .order_by("reference")
    )


@dataclass(frozen=True)
class DeskAlignment:
    """How the desk implements one target: the linked policy, the version the agreement
    names, the version the desk applies now (the policy's newest), and whether the desk's
    minutes for the target's priority match the agreed value."""

    target: AgreementTarget
    policy: object | None
    pinned_version: object | None
    applied_version: object | None
    desk_minutes: int | None
    state: str  # "match", "differs", "outdated", "inactive", "no_version", "unlinked", "n/a"

    @property
    def ok(self) -> bool:
        return self.state in ("match", "n/a")


def desk_alignment(targets) -> list[DeskAlignment]:
    """For each target, which desk SLA policy (and version) implements it and whether what the
    desk applies matches the agreement. One query for the newest versions of all policies."""
    from serviceloop.desk.models import SlaPolicyVersion

    targets = list(targets)
    policy_ids = {t.sla_policy_id for t in targets if t.sla_policy_id}
    newest = {}
    for version in SlaPolicyVersion.objects.filter(policy_id__in=policy_ids).order_by(
        "policy_id", "-number"
    ):
        newest.setdefault(version.policy_id, version)
    rows = []
    for target in targets:
        key = DESK_METRICS.get(target.metric)
        policy = target.sla_policy
        applied = newest.get(target.sla_policy_id)
        minutes = None
        if key is None:
            state = "n/a"
        elif policy is None:
            state = "unlinked"
        elif not policy.is_active:
            state = "inactive"
        elif applied is None:
            state = "no_version"
        else:
            priorities = [target.priority] if target.priority else sorted(applied.targets)
            values = {(applied.targets.get(p) or {}).get(key) for p in priorities}
            minutes = values.pop() if len(values) == 1 else None
            agreed = target.value_in_minutes
            if target.sla_policy_version_id and target.sla_policy_version_id != applied.pk:
                state = "outdated"
            elif minutes is not None and agreed is not None and Decimal(minutes) <= agreed:
                state = "match"
            else:
                state = "differs"
        rows.append(
            DeskAlignment(
                target=target,
                policy=policy,
                pinned_version=target.sla_policy_version,
                applied_version=applied,
                desk_minutes=minutes,
                state=state,
            )
        )
    return rows


def published_versions(agreement: Agreement, user) -> QuerySet:
    """The versions of ``agreement`` the user may read, newest first."""
    return (
        AgreementVersion.objects.visible_to(user)
        .filter(agreement=agreement)
        .select_related("author", "agreed_by", "superseded_by")
        .order_by("-number")
    )


def open_version(agreement: Agreement):
    """The draft or in-review version of the agreement, if any."""
    return agreement.versions.filter(
        status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
    ).first()
