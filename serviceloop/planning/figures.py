"""Figures computed from the records, for objectives (clause 6.2) to be measured by.

``FIGURES`` is the registry: a code, a label, a unit, the direction that is usually better,
the module whose records it reads, and the function. Each function takes the half-open
period ``[start, end)`` (aware instants) and returns a ``FigureValue``: the number (None
when there is nothing to count, e.g. no ticket resolved) and its basis ("42 / 45"), so a
reader can check it. Every figure is a few aggregate queries, never one per record.

A figure reads records as they are now, over the window that ends at ``end``: an objective
evaluated at its due date uses the window that ended then.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.planning.models import Module

PERCENT = "%"
ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")


@dataclass(frozen=True)
class FigureValue:
    value: Decimal | None
    basis: str = ""


@dataclass(frozen=True)
class Figure:
    code: str
    label: str
    unit: str
    direction: str  # "higher" | "lower": which way is usually better
    module: str
    days: int  # the window: the ``days`` days before the moment of evaluation
    compute: Callable[[datetime.datetime, datetime.datetime], FigureValue]

    def value(self, end: datetime.datetime | None = None) -> FigureValue:
        end = end or timezone.now()
        return self.compute(end - datetime.timedelta(days=self.days), end)


def _percent(part: int, whole: int) -> FigureValue:
    if not whole:
        return FigureValue(None, "0 / 0")
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    return FigureValue(value, f"{part} / {whole}")


def _count(n: int) -> FigureValue:
    return FigureValue(Decimal(n), str(n))


# --- The functions -------------------------------------------------------------------------


def resolution_within_sla(start, end) -> FigureValue:
    """Tickets under an SLA whose resolution clock stopped in the period (resolved; a
    reopened ticket counts when resolved again): the share not breached."""
    from serviceloop.desk.models import Ticket

    counts = Ticket.objects.filter(
        sla_version__isnull=False, resolution_met_at__gte=start, resolution_met_at__lt=end
    ).aggregate(total=Count("pk"), met=Count("pk", filter=Q(resolution_breached=False)))
    return _percent(counts["met"], counts["total"])


def first_response_within_sla(start, end) -> FigureValue:
    """Tickets under an SLA that got their first response in the period: the share answered
    before the first-response target."""
    from serviceloop.desk.models import Ticket

    counts = Ticket.objects.filter(
        sla_version__isnull=False, response_met_at__gte=start, response_met_at__lt=end
    ).aggregate(total=Count("pk"), met=Count("pk", filter=Q(response_breached=False)))
    return _percent(counts["met"], counts["total"])


def csat_average(start, end) -> FigureValue:
    """The mean satisfaction score (1–5) of the ratings given in the period."""
    from serviceloop.desk.models import Ticket

    row = Ticket.objects.filter(
        csat_at__gte=start, csat_at__lt=end, csat_score__isnull=False
    ).aggregate(mean=Avg("csat_score"), n=Count("pk"))
    if not row["n"]:
        return FigureValue(None, "0")
    mean = Decimal(str(row["mean"])).quantize(TWO_DECIMALS, ROUND_HALF_UP)
    return FigureValue(mean, str(row["n"]))


def major_incidents(start, end) -> FigureValue:
    """Major incidents raised in the period."""
    from serviceloop.desk.models import Kind, Ticket

    return _count(
        Ticket.objects.filter(
            kind=Kind.INCIDENT, is_major=True, created_at__gte=start, created_at__lt=end
        ).count()
    )


def problems_with_root_cause(start, end) -> FigureValue:
    """Problems recorded in the period: the share whose root cause is recorded."""
    from serviceloop.desk.models import Problem

    counts = Problem.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        total=Count("pk"), found=Count("pk", filter=~Q(root_cause=""))
    )
    return _percent(counts["found"], counts["total"])


def complaints_received(start, end) -> FigureValue:
    """Complaints received in the period, whatever their status."""
    from serviceloop.relationship.queries_complaints import complaint_count

    return _count(complaint_count(start, end))


def change_success(start, end) -> FigureValue:
    """Changes whose implementation ended in the period: the share successful (see
    ``transition.queries.change_success_rate``)."""
    from serviceloop.transition.queries import change_success_rate

    ratio = change_success_rate(start, end)
    return _percent(ratio.numerator, ratio.denominator)


def knowledge_use(start, end) -> FigureValue:
    """Tickets and problems marked as resolved with a knowledge article in the period."""
    from serviceloop.support.queries_knowledge import knowledge_use_total

    return _count(knowledge_use_total(start, end))


# --- The registry --------------------------------------------------------------------------

F = Figure
FIGURES: dict[str, Figure] = {
    f.code: f
    for f in (
        F(
            "desk.resolution_within_sla.30d",
            _("Tickets resolved within the SLA, last 30 days"),
            PERCENT, "higher", Module.DESK, 30, resolution_within_sla,
        ),
        F(
            "desk.resolution_within_sla.90d",
            _("Tickets resolved within the SLA, last 90 days"),
            PERCENT, "higher", Module.DESK, 90, resolution_within_sla,
        ),
        F(
            "desk.first_response_within_sla.30d",
            _("First responses within the SLA, last 30 days"),
            PERCENT, "higher", Module.DESK, 30, first_response_within_sla,
        ),
        F(
            "desk.first_response_within_sla.90d",
            _("First responses within the SLA, last 90 days"),
            PERCENT, "higher", Module.DESK, 90, first_response_within_sla,
        ),
        F(
            "desk.csat_average.90d",
            _("Average customer satisfaction (1–5), last 90 days"),
            "/5", "higher", Module.DESK, 90, csat_average,
        ),
        F(
            "desk.major_incidents.90d",
            _("Major incidents, last 90 days"),
            "", "lower", Module.DESK, 90, major_incidents,
        ),
        F(
            "desk.problems_with_root_cause.90d",
            _("Problems with a recorded root cause, raised in the last 90 days"),
            PERCENT, "higher", Module.PROBLEMS, 90, problems_with_root_cause,
        ),
        F(
            "relationship.complaints.30d",
            _("Complaints received, last 30 days"),
            "", "lower", Module.COMPLAINTS, 30, complaints_received,
        ),
        F(
            "relationship.complaints.90d",
            _("Complaints received, last 90 days"),
            "", "lower", Module.COMPLAINTS, 90, complaints_received,
        ),
        F(
            "transition.change_success_rate.90d",
            _("Successful changes, last 90 days"),
            PERCENT, "higher", Module.CHANGES, 90, change_success,
        ),
        F(
            "support.knowledge_use.30d",
            _("Tickets and problems resolved with a knowledge article, last 30 days"),
            "", "higher", Module.KNOWLEDGE, 30, knowledge_use,
        ),
        F(
            "support.knowledge_use.90d",
            _("Tickets and problems resolved with a knowledge article, last 90 days"),
            "", "higher", Module.KNOWLEDGE, 90, knowledge_use,
        ),
    )
}  # fmt: skip


def figure_for(code: str) -> Figure | None:
    return FIGURES.get(code)


def figure_choices() -> list[tuple[str, str]]:
    return [(code, figure.label) for code, figure in FIGURES.items()]
