"""Evidence of improvement (clause 10): nonconformities analysed to their root cause,
corrective actions verified effective, and improvements followed up to a measured benefit."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from serviceloop.conformity.evidence.registry import (
    evidence_register,
    list_url,
    share,
    year_before,
)


@evidence_register("10.1")
def nonconformities_with_root_cause(today):
    """10.1: nonconformities raised in the last 12 months (not cancelled) whose root cause
    is recorded."""
    from serviceloop.improvement.models.nonconformities import NcStatus, Nonconformity

    recent = Nonconformity.objects.exclude(status=NcStatus.CANCELLED).filter(
        raised_on__gte=year_before(today), raised_on__lte=today
    )
    counts = recent.aggregate(whole=Count("pk"), part=Count("pk", filter=~Q(root_cause="")))
    return share(
        "10.1",
        _("Nonconformities of the last 12 months with a recorded root cause"),
        counts["part"],
        counts["whole"],
        url=list_url("nonconformity_list"),
    )


@evidence_register("10.1")
def corrective_actions_verified(today):
    """10.1: corrective actions done in the last 12 months whose effect was verified
    effective (those awaiting verification or found not effective are not)."""
    from serviceloop.improvement.models.nonconformities import Action, ActionKind, ActionStatus

    done = Action.objects.filter(
        kind=ActionKind.CORRECTIVE,
        done_on__gte=year_before(today),
        done_on__lte=today,
        status__in=(
            ActionStatus.DONE,
            ActionStatus.VERIFIED_EFFECTIVE,
            ActionStatus.NOT_EFFECTIVE,
        ),
    )
    counts = done.aggregate(
        whole=Count("pk"),
        part=Count("pk", filter=Q(status=ActionStatus.VERIFIED_EFFECTIVE)),
        waiting=Count("pk", filter=Q(status=ActionStatus.DONE)),
        failed=Count("pk", filter=Q(status=ActionStatus.NOT_EFFECTIVE)),
    )
    detail = ""
    if counts["whole"]:
        detail = _("%(waiting)d awaiting verification, %(failed)d found not effective.") % counts
    return share(
        "10.1",
        _("Corrective actions done in the last 12 months verified effective"),
        counts["part"],
        counts["whole"],
        detail=detail,
        url=list_url("action_list"),
    )


@evidence_register("10.2")
def improvements_with_measured_benefit(today):
    """10.2: improvements implemented in the last 12 months whose benefit was measured."""
    from serviceloop.improvement.models.improvements import Improvement, ImprovementStatus

    implemented = Improvement.objects.filter(
        implemented_on__gte=year_before(today),
        implemented_on__lte=today,
        status__in=(ImprovementStatus.IMPLEMENTED, ImprovementStatus.BENEFIT_MEASURED),
    )
    counts = implemented.aggregate(
        whole=Count("pk"),
        part=Count("pk", filter=Q(status=ImprovementStatus.BENEFIT_MEASURED)),
    )
    return share(
        "10.2",
        _("Improvements implemented in the last 12 months with a measured benefit"),
        counts["part"],
        counts["whole"],
        url=list_url("improvement_list"),
    )
