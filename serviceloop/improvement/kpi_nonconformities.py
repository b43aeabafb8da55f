"""The KPI function of corrective actions (imported by ``ImprovementConfig.ready``):
``improvement.corrective_actions_effective``, for a KPI definition with the ``external``
aggregate."""

from serviceloop.evaluation.engine import external_register


@external_register("improvement.corrective_actions_effective")
def corrective_actions_effective(start, end, slice_):
    """Of the corrective actions whose effect was verified in ``[start, end)`` (their
    verification date, in TIME_ZONE), the share found effective: ``(value %, effective,
    verified)``; the value is None when none was verified. The slice is ignored."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from serviceloop.improvement.models import Action, ActionKind, ActionStatus

    first, after = timezone.localdate(start), timezone.localdate(end)
    figures = Action.objects.filter(
        kind=ActionKind.CORRECTIVE,
        verified_on__gte=first,
        verified_on__lt=after,
        status__in=(ActionStatus.VERIFIED_EFFECTIVE, ActionStatus.NOT_EFFECTIVE),
    ).aggregate(
        verified=Count("pk"),
        effective=Count("pk", filter=Q(status=ActionStatus.VERIFIED_EFFECTIVE)),
    )
    verified, effective = figures["verified"], figures["effective"]
    return (effective * 100 / verified if verified else None), effective, verified
