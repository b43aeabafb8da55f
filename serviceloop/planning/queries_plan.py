"""Named reads of the implementation plan: the item list, progress roll-ups and the timeline.

Roll-ups (documented on the plan page too): progress is the plain mean of the items'
percentage complete (a done item counts 100 %). Per clause, the items linked to that clause
count; per clause group (4 … 10), the items linked to any clause of the group count once.
An item linked to several clauses counts in each of them. The overall figure is the mean
over all items. Budgets are summed per currency.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q
from django.urls import reverse

from serviceloop.conformity.models import Clause
from serviceloop.planning.models import ItemStatus, Milestone, PlanItem

ONE_PLACE = Decimal("0.1")


def items_for_list(user, *, status: str = "", owner=None, clause: str = "", q: str = ""):
    items = PlanItem.objects.visible_to(user).select_related("owner")
    if status:
        items = items.filter(status=status)
    if owner is not None:
        items = items.filter(owner=owner)
    if clause:
        items = items.filter(
            Q(clauses__number=clause) | Q(clauses__number__startswith=f"{clause}.")
        ).distinct()
    if q:
        items = items.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    return items.prefetch_related(
        Prefetch("clauses", queryset=Clause.objects.order_by("position")),
        Prefetch("depends_on", queryset=PlanItem.objects.only("pk", "reference", "status")),
    ).order_by("start_on", "due_on", "pk")


def milestones_for_list(user):
    return Milestone.objects.visible_to(user).prefetch_related("items").order_by("due_on", "pk")


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(ONE_PLACE, ROUND_HALF_UP)


@dataclass
class Rollup:
    key: str  # a clause number ("8.3.3") or a group number ("8"), "" overall
    clause: Clause | None
    percents: list[int] = field(default_factory=list)
    done: int = 0
    overdue: int = 0
    blocked: int = 0

    @property
    def count(self) -> int:
        return len(self.percents)

    @property
    def progress(self) -> Decimal | None:
        return _mean(self.percents)

    @property
    def title(self) -> str:
        return self.clause.title if self.clause else ""

    def add(self, item: PlanItem, today: datetime.date) -> None:
        self.percents.append(100 if item.is_done else item.percent_complete)
        self.done += item.is_done
        self.overdue += item.is_overdue(today)
        self.blocked += item.status == ItemStatus.BLOCKED


@dataclass
class PlanProgress:
    overall: Rollup
    by_clause: list[Rollup]
    by_group: list[Rollup]
    budgets: dict[str, Decimal]


def plan_progress(items, today: datetime.date) -> PlanProgress:
    """Roll-ups over ``items`` (each with its clauses prefetched): see the module docstring."""
    items = list(items)
    overall = Rollup("", None)
    by_clause: dict[str, Rollup] = {}
    by_group: dict[str, Rollup] = {}
    budgets: dict[str, Decimal] = {}
    for item in items:
        overall.add(item, today)
        groups = set()
        for clause in item.clauses.all():
            by_clause.setdefault(clause.number, Rollup(clause.number, clause)).add(item, today)
            groups.add(clause.top_number)
        for group in groups:
            by_group.setdefault(group, Rollup(group, None)).add(item, today)
        if item.budget is not None:
            budgets[item.currency] = budgets.get(item.currency, Decimal("0")) + item.budget
    tops = {c.number: c for c in Clause.objects.filter(number__in=list(by_group))}
    for number, rollup in by_group.items():
        rollup.clause = tops.get(number)

    def order(rollup: Rollup):
        return tuple(int(p) for p in rollup.key.split("."))

    return PlanProgress(
        overall=overall,
        by_clause=sorted(by_clause.values(), key=order),
        by_group=sorted(by_group.values(), key=order),
        budgets=dict(sorted(budgets.items())),
    )


def timeline_data(items, milestones, today: datetime.date) -> dict:
    """What the timeline (Gantt) chart draws, passed to the page with json_script: one row
    per item (start, due, status, % complete, overdue), the milestones and today."""
    status_labels = dict(ItemStatus.choices)
    rows = [
        {
            "reference": item.reference,
            "title": item.title,
            "owner": str(item.owner),
            "start": item.start_on.isoformat(),
            "due": item.due_on.isoformat(),
            "status": item.status,
            "status_label": str(status_labels[item.status]),
            "percent": 100 if item.is_done else item.percent_complete,
            "overdue": item.is_overdue(today),
            "url": reverse("plan_item_detail", args=[item.reference]),
        }
        for item in items
    ]
    marks = [
        {
            "title": m.title,
            "date": m.due_on.isoformat(),
            "kind": m.get_kind_display(),
            "state": m.state(today),
        }
        for m in milestones
    ]
    return {"items": rows, "milestones": marks, "today": today.isoformat()}


def gantt_geometry(items, milestones, today: datetime.date, *, width: int = 700) -> dict:
    """The PDF's timeline as SVG geometry (no JavaScript there): the date range of all items
    and milestones, each item's bar (x, width, done part) and each milestone's x, in pixels of
    a chart ``width`` wide."""
    items = list(items)
    milestones = list(milestones)
    dates = [d for i in items for d in (i.start_on, i.due_on)] + [m.due_on for m in milestones]
    if not dates:
        return {"rows": [], "marks": [], "months": [], "width": width, "height": 0}
    start, end = min(dates), max(dates) + datetime.timedelta(days=1)
    span = max((end - start).days, 1)

    def x(day: datetime.date) -> float:
        return round((day - start).days / span * width, 1)

    row_height = 18
    rows = []
    for index, item in enumerate(items):
        left = x(item.start_on)
        bar = max(x(item.due_on + datetime.timedelta(days=1)) - left, 2)
        percent = 100 if item.is_done else item.percent_complete
        rows.append(
            {
                "item": item,
                "y": index * row_height,
                "x": left,
                "width": round(bar, 1),
                "done_width": round(bar * percent / 100, 1),
                "overdue": item.is_overdue(today),
            }
        )
    months = []
    month = start.replace(day=1)
    while month < end:
        if month >= start:
            months.append({"x": x(month), "label": month.strftime("%Y-%m")})
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    height = len(items) * row_height
    marks = [{"x": x(m.due_on), "milestone": m} for m in milestones]
    today_x = x(today) if start <= today <= end else None
    return {
        "rows": rows,
        "marks": marks,
        "months": months,
        "width": width,
        "height": height,
        "today_x": today_x,
    }
