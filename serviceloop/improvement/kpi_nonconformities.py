"""The KPI function of corrective actions (imported by ``ImprovementConfig.ready``):
``improvement.corrective_actions_effective``, for a KPI definition with the ``external``
aggregate, and the records behind its figures."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.evaluation.engine import external_register


def _verified_actions(start, end):
    """``(corrective actions verified in [start, end), effective condition)``: verified by
    their verification date in TIME_ZONE, found effective or not."""
    from serviceloop.improvement.models import Action, ActionKind, ActionStatus

    first, after = timezone.localdate(start), timezone.localdate(end)
    verified = Action.objects.filter(
        kind=ActionKind.CORRECTIVE,
        verified_on__gte=first,
        verified_on__lt=after,
        status__in=(ActionStatus.VERIFIED_EFFECTIVE, ActionStatus.NOT_EFFECTIVE),
    )
    return verified, Q(status=ActionStatus.VERIFIED_EFFECTIVE)


def _actions_records(start, end, slice_, part):
    """The corrective actions behind the KPI's figure (``part``: numerator, denominator or
    rest)."""
    from serviceloop.evaluation.sources_kpis import RecordSection, part_of

    verified, effective = _verified_actions(start, end)
    return [RecordSection(_("Corrective actions verified"), part_of(part, verified, effective))]


@external_register("improvement.corrective_actions_effective", records=_actions_records)
def corrective_actions_effective(start, end, slice_):
    """Of the corrective actions whose effect was verified in ``[start, end)`` (their
    verification date, in TIME_ZONE), the share found effective: ``(value %, effective,
    verified)``; the value is None when none was verified. The slice is ignored."""
    verified, effective = _verified_actions(start, end)
    figures = verified.aggregate(verified=Count("pk"), effective=Count("pk", filter=effective))
    verified_n, effective_n = figures["verified"], figures["effective"]
    return (effective_n * 100 / verified_n if verified_n else None), effective_n, verified_n
