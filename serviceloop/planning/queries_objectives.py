"""Named reads of objectives (clause 6.2): the list, and each objective's value and status
computed from its figure — never typed, never stored.

Status, for an active objective:
- before its due date: **on track** if the figure now meets the target, else **at risk**;
- from its due date on: the figure over the window that ended with the due date decides
  **achieved** or **missed** (a late improvement does not rewrite the result);
- **no data** when the figure has nothing to count (e.g. no ticket was resolved), before or
  after the due date: nothing was measured, so nothing was achieved or missed.
A withdrawn objective is **withdrawn**, whatever its figure.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.planning.figures import FigureValue, figure_for
from serviceloop.planning.models import Objective, ObjectiveState

ON_TRACK, AT_RISK, ACHIEVED, MISSED, NO_DATA, WITHDRAWN = (
    "on_track", "at_risk", "achieved", "missed", "no_data", "withdrawn",
)  # fmt: skip
STATUS_LABELS = {
    ON_TRACK: _("On track"),
    AT_RISK: _("At risk"),
    ACHIEVED: _("Achieved"),
    MISSED: _("Missed"),
    NO_DATA: _("No data yet"),
    WITHDRAWN: _("Withdrawn"),
}
STATUS_CHOICES = list(STATUS_LABELS.items())


@dataclass(frozen=True)
class Evaluation:
    value: Decimal | None
    basis: str
    status: str
    as_of: datetime.datetime  # the end of the figure's window

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def final(self) -> bool:
        return self.status in (ACHIEVED, MISSED)


def due_end(due_on: datetime.date) -> datetime.datetime:
    """The end of the due date: midnight after it, in TIME_ZONE."""
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(
        due_on + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )


class FigureCache:
    """Figure values per (code, end): objectives sharing a figure and a moment share one
    computation (a list page costs a query or two per distinct figure, not per row)."""

    def __init__(self):
        self.values: dict[tuple[str, datetime.datetime], FigureValue] = {}

    def value(self, code: str, end: datetime.datetime) -> FigureValue:
        key = (code, end)
        if key not in self.values:
            figure = figure_for(code)
            self.values[key] = figure.value(end) if figure else FigureValue(None, "")
        return self.values[key]


def evaluate(
    objective: Objective, *, now: datetime.datetime | None = None, cache: FigureCache | None = None
) -> Evaluation:
    """The objective's value and status at ``now`` (see the module's docstring)."""
    now = now or timezone.now()
    cache = cache or FigureCache()
    end = min(now, due_end(objective.due_on))
    # Live values are read at the minute, so a page's objectives share one moment.
    end = end.replace(second=0, microsecond=0) if end == now else end
    figure = cache.value(objective.figure, end)
    due_passed = now >= due_end(objective.due_on)
    if objective.state == ObjectiveState.WITHDRAWN:
        status = WITHDRAWN
    elif figure.value is None:
        status = NO_DATA
    elif objective.meets(figure.value):
        status = ACHIEVED if due_passed else ON_TRACK
    else:
        status = MISSED if due_passed else AT_RISK
    return Evaluation(figure.value, figure.basis, status, end)


def objectives_for_list(user, *, state="", owner=None, figure="", q=""):
    objectives = Objective.objects.visible_to(user).select_related("owner")
    if state:
        objectives = objectives.filter(state=state)
    if owner is not None:
        objectives = objectives.filter(owner=owner)
    if figure:
        objectives = objectives.filter(figure=figure)
    q = (q or "").strip()
    if q:
        objectives = objectives.filter(
            Q(title__icontains=q) | Q(reference__iexact=q) | Q(kpi_code__iexact=q)
        )
    return objectives.order_by("due_on", "reference")


def evaluated(objectives, *, now=None, status: str = "") -> list[tuple[Objective, Evaluation]]:
    """Each objective with its evaluation (optionally only those of one status)."""
    now = now or timezone.now()
    cache = FigureCache()
    rows = [(o, evaluate(o, now=now, cache=cache)) for o in objectives]
    return [row for row in rows if not status or row[1].status == status]


def status_counts(rows) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for _objective, evaluation in rows:
        counts[evaluation.status] += 1
    return counts


def history(objective: Objective, *, now=None, points: int = 6) -> list[dict]:
    """The figure at the end of each of the last ``points`` windows up to now (or up to the
    due date), oldest first: the trend shown on the objective's page."""
    figure = figure_for(objective.figure)
    if figure is None:
        return []
    now = now or timezone.now()
    end = min(now, due_end(objective.due_on)).replace(second=0, microsecond=0)
    step = datetime.timedelta(days=max(7, figure.days // 3))
    rows = []
    for n in range(points - 1, -1, -1):
        at = end - step * n
        value = figure.value(at)
        rows.append(
            {"at": timezone.localdate(at).isoformat(), "value": value.value, "basis": value.basis}
        )
    return rows
