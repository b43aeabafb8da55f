"""Risks raised from the operational records they come from (clause 6.1 fed by 8.7.1): a
single point of failure found in the CMDB, added to the register in one step with the risk
pre-filled from the finding, or an open risk linked to a finding (and unlinked again).

The link is the risk's source, ``Risk.spof_finding``: planning reads assurance, assurance
never imports planning (DESIGN.md); the finding's pages show its risks through the slots
``slots_assurance`` fills. Managers of the management system write (as for every risk);
each service is one transaction with one audit row on the risk, and raises ValidationError
(translated, nothing written) on bad input.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.lifecycle import FindingStatus
from serviceloop.assurance.models import SpofFinding
from serviceloop.core.audit import audit_record
from serviceloop.core.roles import Capability
from serviceloop.planning.field_cleaning import check_version, raise_if, require_manager
from serviceloop.planning.models import Risk, RiskKind, Treatment
from serviceloop.planning.queries_risks import matrix_setting
from serviceloop.planning.services_risks import clean_spof_finding, risk_create

RISK_REVIEW_DAYS = 90  # the first review of a risk added from a finding
# what ``spof_risk_defaults`` fills in (and a caller may override)
SPOF_RISK_FIELDS = (
    "title", "description", "likelihood", "impact", "treatment", "owner", "review_on",
    "services", "configuration_items",
)  # fmt: skip


def spof_risk_ratings(size: int) -> tuple[int, int]:
    """The default (likelihood, impact) of a single point of failure on a ``size``×``size``
    matrix: its failure is possible (the middle of the scale, rounded up) and takes the
    services it carries down, a major impact (one below the top, the top of a 3×3)."""
    return (size + 1) // 2, size - 1 if size > 3 else size


def spof_services(finding: SpofFinding) -> list:
    """The live services ``finding``'s item carries without a redundant peer: those of every
    finding of the item not resolved, and the finding's own, by name."""
    services = {finding.service_id: finding.service}
    for other in (
        SpofFinding.objects.filter(configuration_item_id=finding.configuration_item_id)
        .exclude(status=FindingStatus.RESOLVED)
        .select_related("service")
    ):
        services.setdefault(other.service_id, other.service)
    return sorted(services.values(), key=lambda service: (service.name, service.pk))


def _spof_risk_owner(finding: SpofFinding, actor):
    """The service's owner when he is active provider staff (a risk's owner must be), else
    the actor."""
    owner = finding.service.owner
    if owner is not None and owner.is_active and owner.has_capability(Capability.STAFF):
        return owner
    return actor


def spof_risk_defaults(finding: SpofFinding, *, actor, today=None) -> dict:
    """What a risk added from ``finding`` holds unless told otherwise: a title and a
    description naming the item, the services it carries and the dependency path; the item
    and those services linked; the default ratings (``spof_risk_ratings``) on the matrix in
    force; treatment "reduce" ("accept" for a finding whose risk was accepted); the service's
    owner as owner where known (else ``actor``); a first review ``RISK_REVIEW_DAYS`` from
    ``today`` (the provider's date)."""
    today = today or timezone.localdate()
    item = finding.configuration_item
    services = spof_services(finding)
    names = ", ".join(service.name for service in services)
    likelihood, impact = spof_risk_ratings(matrix_setting().size)
    lines = [
        _("%(item)s (%(type)s) is a single point of failure: the CMDB shows no redundant peer.")
        % {"item": item, "type": item.ci_type},
        _("Services it carries: %(services)s.") % {"services": names},
        _("Dependency path for %(service)s: %(path)s.")
        % {"service": finding.service.name, "path": " → ".join(finding.path)},
        _("Found by the CMDB scan on %(date)s.")
        % {"date": timezone.localtime(finding.detected_at).date().isoformat()},
    ]
    if finding.note:
        lines.append(_("Note on the finding: %(note)s") % {"note": finding.note})
    if finding.risk_reference:
        lines.append(
            _("Risk register entry named before: %(reference)s")
            % {"reference": finding.risk_reference}
        )
    title = _("Single point of failure: %(item)s (%(services)s)") % {
        "item": item,
        "services": names,
    }
    return {
        "title": title if len(title) <= 200 else f"{title[:199]}…",
        "description": "\n".join(lines),
        "likelihood": likelihood,
        "impact": impact,
        "treatment": Treatment.ACCEPT
        if finding.status == FindingStatus.ACCEPTED
        else Treatment.REDUCE,
        "owner": _spof_risk_owner(finding, actor),
        "review_on": today + datetime.timedelta(days=RISK_REVIEW_DAYS),
        "services": services,
        "configuration_items": [item],
    }


def risk_from_spof_create(*, actor, finding: SpofFinding, today=None, **overrides) -> Risk:
    """Add the finding to the register in one step: a new risk pre-filled by
    ``spof_risk_defaults`` (``overrides`` replace any of its values, e.g. the ratings) and
    naming the finding as its source, written by ``risk_create`` (its checks, its reference,
    its audit row ``risk.created`` with the source). The risk covers every service the item
    carries, so it is refused while an open risk was raised for a finding of the same item
    (a closed one does not stop a new one)."""
    require_manager(actor)
    unknown = set(overrides) - set(SPOF_RISK_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        # locking the item's findings makes two clicks at once add one risk, not two
        item = finding.configuration_item_id
        list(
            SpofFinding.objects.select_for_update(of=("self",))
            .filter(configuration_item_id=item)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        finding = SpofFinding.objects.select_related(
            "service__owner", "configuration_item__ci_type"
        ).get(pk=finding.pk)
        open_risks = list(
            Risk.objects.open()
            .filter(spof_finding__configuration_item_id=item)
            .values_list("reference", flat=True)
        )
        if open_risks:
            raise ValidationError(
                {
                    "spof_finding": _(
                        "This single point of failure is already in the risk register: "
                        "%(references)s."
                    )
                    % {"references": ", ".join(sorted(open_risks))}
                }
            )
        fields = spof_risk_defaults(finding, actor=actor, today=today) | overrides
        return risk_create(actor=actor, kind=RiskKind.RISK, spof_finding=finding, **fields)


def _source_set(risk: Risk, finding: SpofFinding | None, *, actor) -> Risk:
    """Inside the caller's transaction, on the locked ``risk``: name ``finding`` as its
    source (None: none), one audit row."""
    old = risk.spof_finding_id
    risk.spof_finding = finding
    risk.updated_at = timezone.now()
    risk.version += 1
    risk.save()
    audit_record(
        actor=actor,
        verb="risk.spof_linked" if finding is not None else "risk.spof_unlinked",
        obj=risk,
        payload={"spof_finding": [old, finding.pk if finding is not None else None]},
    )
    return risk


def risk_spof_link(
    *, actor, risk: Risk, finding: SpofFinding, expected_version: int | None = None
) -> Risk:
    """Name ``finding`` as the source of an open risk (replacing the finding it named, if
    any). Linking the finding it names already changes nothing."""
    require_manager(actor)
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
        check_version(risk, expected_version)
        if risk.spof_finding_id == finding.pk:
            return risk
        errors: dict = {}
        clean_spof_finding(finding, errors, risk=risk, kind=risk.kind)
        raise_if(errors)
        return _source_set(risk, finding, actor=actor)


def risk_spof_unlink(*, actor, risk: Risk, expected_version: int | None = None) -> Risk:
    """Take its source off the risk (the risk and the finding both stay)."""
    require_manager(actor)
    with transaction.atomic():
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
        check_version(risk, expected_version)
        if risk.spof_finding_id is None:
            raise ValidationError(
                {"spof_finding": _("This risk names no single point of failure.")}
            )
        return _source_set(risk, None, actor=actor)
