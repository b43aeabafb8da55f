"""Evidence of planning (clause 6): the risk register kept under review, objectives measured
from the records and on track, each with its plan, and the implementation plan on schedule."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.conformity.evidence.registry import evidence_register, list_url, share


@evidence_register("6.1")
def risks_under_review(today):
    """6.1: open risks and opportunities (each has an owner and a treatment) whose review
    date has not passed; the detail counts the high or critical risks with a treatment plan."""
    from serviceloop.planning.models import Risk, RiskKind
    from serviceloop.planning.queries_risks import matrix_setting

    high_from = matrix_setting().high_from
    counts = Risk.objects.open().aggregate(
        whole=Count("pk"),
        part=Count("pk", filter=Q(review_on__gte=today)),
        high=Count("pk", filter=Q(kind=RiskKind.RISK, score__gte=high_from)),
        planned=Count(
            "pk", filter=Q(kind=RiskKind.RISK, score__gte=high_from) & ~Q(treatment_plan="")
        ),
    )
    detail = ""
    if counts["high"]:
        detail = _("%(planned)d of %(high)d high or critical risks have a treatment plan.") % (
            counts
        )
    return share(
        "6.1",
        _("Open risks and opportunities not past their review date"),
        counts["part"],
        counts["whole"],
        detail=detail,
        url=list_url("risk_list"),
    )


def _moment(today: datetime.date) -> datetime.datetime:
    """Now, or the end of ``today`` when ``today`` is a past day (objectives are evaluated
    at an instant)."""
    end = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min)
    )
    return min(timezone.now(), end)


@evidence_register("6.2.1")
def objectives_on_track(today):
    """6.2.1: active objectives (each measured by a figure computed from the records) that
    are on track or achieved, of those with something measured."""
    from serviceloop.planning.models import Objective
    from serviceloop.planning.queries_objectives import (
        ACHIEVED,
        AT_RISK,
        MISSED,
        ON_TRACK,
        evaluated,
        status_counts,
    )

    counts = status_counts(evaluated(Objective.objects.active(), now=_moment(today)))
    measured = counts[ON_TRACK] + counts[AT_RISK] + counts[ACHIEVED] + counts[MISSED]
    unmeasured = sum(counts.values()) - measured
    detail = ""
    if unmeasured:
        detail = _("%(n)d more with nothing measured yet.") % {"n": unmeasured}
    return share(
        "6.2.1",
        _("Active objectives on track or achieved"),
        counts[ON_TRACK] + counts[ACHIEVED],
        measured,
        detail=detail,
        url=list_url("objective_list"),
    )


@evidence_register("6.2.2")
def objectives_with_plan(today):
    """6.2.2: active objectives that say how they will be achieved (their plan)."""
    from serviceloop.planning.models import Objective

    counts = Objective.objects.active().aggregate(
        whole=Count("pk"), part=Count("pk", filter=~Q(plan=""))
    )
    return share(
        "6.2.2",
        _("Active objectives with a plan to achieve them"),
        counts["part"],
        counts["whole"],
        url=list_url("objective_list"),
    )


@evidence_register("6.3")
def plan_items_on_schedule(today):
    """6.3: items of the implementation plan of the management system that are done or not
    past their due date."""
    from serviceloop.planning.models import ItemStatus, PlanItem

    counts = PlanItem.objects.aggregate(
        whole=Count("pk"),
        overdue=Count("pk", filter=~Q(status=ItemStatus.DONE) & Q(due_on__lt=today)),
        done=Count("pk", filter=Q(status=ItemStatus.DONE)),
    )
    detail = ""
    if counts["whole"]:
        detail = _("%(done)d of %(whole)d items done.") % counts
    return share(
        "6.3",
        _("Implementation plan items done or on schedule"),
        counts["whole"] - counts["overdue"],
        counts["whole"],
        detail=detail,
        url=list_url("plan_item_list"),
    )
